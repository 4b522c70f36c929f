"""People and organisations: accounts, organisations, invitations and memberships."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Invitation, Membership, Organisation, User
from ..validators import normalise_orgnr, validate_public_sector_orgnr
from ._common import _enqueue_on_commit, _require

INVITATION_VALID_FOR = timedelta(days=14)


def user_set_language(*, user: User, language: str) -> None:
    """Remember a person's language choice (used for pages, emails and letters)."""
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


@transaction.atomic
def organisation_register(
    *, by: User, orgnr: str, name: str, kind: str, county: str, address: str = ""
) -> Organisation:
    """Register an organisation; the person registering becomes its administrator.

    Validation of the number (a legal entity in the public sector) is the form's job; the
    number is normalised again here and the unique constraint is the last word.
    """
    validate_public_sector_orgnr(orgnr)
    normalised = normalise_orgnr(orgnr)
    if Organisation.objects.filter(orgnr=normalised).exists():
        raise ValidationError(
            _(
                "An organisation with number %(orgnr)s is already registered. Ask its "
                "administrator to invite you."
            )
            % {"orgnr": normalised}
        )
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                orgnr=normalised, name=name, kind=kind, county=county, address=address
            )
    except IntegrityError:
        raise ValidationError(
            _("An organisation with number %(orgnr)s is already registered.")
            % {"orgnr": normalised}
        ) from None
    Membership.objects.create(user=by, organisation=organisation, is_admin=True, is_signatory=True)
    return organisation


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, by: User, email: str, is_admin: bool, is_signatory: bool
) -> Invitation:
    """Invite a colleague by email. Side effect: the invitation email, after commit."""
    _require(by, "manage_organisation", organisation)
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s is already a member.") % {"email": email})
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        is_admin=is_admin,
        is_signatory=is_signatory,
        invited_by=by,
        expires_at=timezone.now() + INVITATION_VALID_FOR,
    )
    _enqueue_on_commit("send_invitation", invitation_id=invitation.pk)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, by: User) -> Membership:
    """Join the organisation with the invited roles. The invitation works once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable():
        raise ValidationError(_("This invitation has expired or has already been used."))
    if by.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership, created = Membership.objects.get_or_create(
        user=by,
        organisation=invitation.organisation,
        defaults={"is_admin": invitation.is_admin, "is_signatory": invitation.is_signatory},
    )
    if not created:
        membership.is_admin |= invitation.is_admin
        membership.is_signatory |= invitation.is_signatory
        membership.save(update_fields=["is_admin", "is_signatory"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = by
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def membership_update(
    *, membership: Membership, by: User, is_admin: bool, is_signatory: bool
) -> Membership:
    """Change a member's roles. An organisation always keeps at least one administrator."""
    _require(by, "manage_organisation", membership.organisation)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_admin and not is_admin:
        admins = Membership.objects.select_for_update().filter(
            organisation=membership.organisation, is_admin=True
        )
        if admins.count() <= 1:
            raise ValidationError(_("An organisation must keep at least one administrator."))
    membership.is_admin = is_admin
    membership.is_signatory = is_signatory
    membership.save(update_fields=["is_admin", "is_signatory"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    _require(by, "manage_organisation", membership.organisation)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_admin:
        others = Membership.objects.filter(
            organisation=membership.organisation, is_admin=True
        ).exclude(pk=membership.pk)
        if not others.exists():
            raise ValidationError(_("An organisation must keep at least one administrator."))
    membership.delete()


@transaction.atomic
def user_register(*, email: str, full_name: str, password: str, language: str) -> User:
    """Create a person's account (sign-up). The email address is unique whatever its case."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("An account with this email address already exists."))
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=password, full_name=full_name.strip(), language=language
            )
    except IntegrityError:
        raise ValidationError(_("An account with this email address already exists.")) from None


def user_update_profile(*, user: User, full_name: str, phone: str, language: str) -> User:
    """Change a person's own name, phone number and language."""
    user.full_name = full_name.strip()
    user.phone = phone.strip()
    user.language = language
    user.save(update_fields=["full_name", "phone", "language"])
    return user
