"""People and organisations: accounts, organisations, invitations and memberships."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..models import Invitation, Membership, Organisation, User
from ..validators import normalise_orgnr, validate_public_sector_orgnr
from ._common import _enqueue_on_commit, _require

# The code of the "already registered" refusal, so the page can offer a claim instead.
ORGNR_TAKEN = "orgnr_taken"


def require_verified_email(user: User) -> None:
    """Refuse (with a message) a person whose email address is not yet verified."""
    if not user.email_verified:
        raise ValidationError(
            _(
                "First confirm your email address with the link we sent to %(email)s. "
                "You can have a new link sent from your details page."
            )
            % {"email": user.email},
            code="email_unverified",
        )


def _require_verified_organisation_for_signing(organisation: Organisation) -> None:
    if not organisation.is_verified:
        raise ValidationError(
            _(
                "Signing right can be given once the agency has verified %(name)s. The agency "
                "confirms the first signatory when it verifies the organisation."
            )
            % {"name": organisation.name}
        )


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

    The organisation is pending until a programme manager verifies it (number, name and kind);
    the kind given here is only declared. The administrator gets no signing right: the agency
    confirms the first signatory when it verifies the organisation. Needs a verified email
    address. Side effect: an audit entry.

    Validation of the number (a legal entity in the public sector) is the form's job; the
    number is normalised again here and the unique constraint is the last word. A number
    already registered is refused with code ``ORGNR_TAKEN``: the page then offers a claim.
    """
    require_verified_email(by)
    validate_public_sector_orgnr(orgnr)
    normalised = normalise_orgnr(orgnr)
    taken = ValidationError(
        _(
            "An organisation with number %(orgnr)s is already registered. If you work there, "
            "ask its administrator to invite you. If you think someone registered your "
            "organisation who should not have, tell the agency below."
        )
        % {"orgnr": normalised},
        code=ORGNR_TAKEN,
    )
    if Organisation.objects.filter(orgnr=normalised).exists():
        raise taken
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                orgnr=normalised,
                name=name,
                declared_kind=kind,
                county=county,
                address=address,
            )
    except IntegrityError:
        raise taken from None
    Membership.objects.create(user=by, organisation=organisation, is_admin=True, is_signatory=False)
    audit_record(
        action="organisation.register",
        actor=by,
        target=organisation,
        data={"declared_kind": organisation.declared_kind},
    )
    return organisation


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, by: User, email: str, is_admin: bool, is_signatory: bool
) -> Invitation:
    """Invite a colleague by email. Side effect: the invitation email, after commit.

    The inviter needs a verified email address; signing right can be part of an invitation
    only once the agency has verified the organisation.
    """
    _require(by, "manage_organisation", organisation)
    require_verified_email(by)
    if is_signatory:
        _require_verified_organisation_for_signing(organisation)
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
    """Join the organisation with the invited roles. The invitation works once, and only for
    an account whose email address is verified."""
    require_verified_email(by)
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
    """Change a member's roles. An organisation always keeps at least one administrator.

    Signing right is given by an administrator of a verified organisation to someone else,
    never to oneself (the first signatory is confirmed by the agency at verification).
    Side effect: an audit entry when signing right is given or taken away.
    """
    _require(by, "manage_organisation", membership.organisation)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    signing_changed = membership.is_signatory != is_signatory
    if signing_changed and is_signatory:
        _require_verified_organisation_for_signing(membership.organisation)
        if membership.user_id == by.pk:
            raise ValidationError(
                _(
                    "You cannot give yourself signing right. Another administrator can, or "
                    "the agency when it verifies the organisation."
                )
            )
    if membership.is_admin and not is_admin:
        admins = Membership.objects.select_for_update().filter(
            organisation=membership.organisation, is_admin=True
        )
        if admins.count() <= 1:
            raise ValidationError(_("An organisation must keep at least one administrator."))
    membership.is_admin = is_admin
    membership.is_signatory = is_signatory
    membership.save(update_fields=["is_admin", "is_signatory"])
    if signing_changed:
        audit_record(
            action="membership.signing_right",
            actor=by,
            target=membership,
            data={"user": membership.user_id, "signing_right": is_signatory},
        )
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


def user_update_profile(*, user: User, full_name: str, phone: str, language: str) -> User:
    """Change a person's own name, phone number and language."""
    user.full_name = full_name.strip()
    user.phone = phone.strip()
    user.language = language
    user.save(update_fields=["full_name", "phone", "language"])
    return user
