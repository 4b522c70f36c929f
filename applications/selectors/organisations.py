"""Reads: which organisations a person belongs to, and which ones they may open."""

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from ..enums import ClaimStatus, VerificationStatus
from ..models import Invitation, Membership, Organisation, OrganisationClaim, User
from ..rules import PROGRAMME_MANAGERS, is_agency_staff


def organisations_of(user) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user)


def organisations_visible_to(user) -> QuerySet[Organisation]:
    """Organisations whose page the user may open: their own, or every one for agency staff."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if is_agency_staff(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user)


def memberships_of(organisation: Organisation) -> list[Membership]:
    """The organisation's members with their accounts, by name (then email address)."""
    return list(
        organisation.memberships.select_related("user").order_by("user__full_name", "user__email")
    )


def membership_of(organisation: Organisation):
    """The organisation's memberships with the account and the organisation, to fetch one."""
    return organisation.memberships.select_related("user", "organisation")


def open_invitations_of(organisation: Organisation) -> list[Invitation]:
    """Invitations to the organisation not yet accepted, with who sent each."""
    return list(
        organisation.invitations.filter(accepted_at__isnull=True).select_related("invited_by")
    )


def invitations_with_organisation() -> QuerySet[Invitation]:
    """Invitations with their organisation and who sent them, to fetch one by its token."""
    return Invitation.objects.select_related("organisation", "invited_by")


def organisation_unverified_message(organisation: Organisation) -> str:
    """Why an organisation the agency has not verified cannot submit, in the reader's language."""
    if organisation.verification_status == VerificationStatus.REFUSED:
        return _(
            "The agency could not verify %(name)s (%(orgnr)s), so it cannot submit "
            "applications. Contact the agency if you think this is wrong."
        ) % {"name": organisation.name, "orgnr": organisation.orgnr}
    return _(
        "The agency has not yet verified %(name)s (%(orgnr)s). You can keep working on the "
        "draft; it can be submitted once the organisation is verified."
    ) % {"name": organisation.name, "orgnr": organisation.orgnr}


def organisations_to_verify() -> QuerySet[Organisation]:
    """Organisations waiting for the agency's check, oldest first, with their members."""
    return (
        Organisation.objects.filter(verification_status=VerificationStatus.PENDING)
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user"))
        )
        .order_by("created_at", "pk")
    )


def open_claims() -> QuerySet[OrganisationClaim]:
    """Claims to registered organisation numbers not yet decided, with the organisation's
    present members, oldest first."""
    return (
        OrganisationClaim.objects.filter(status=ClaimStatus.OPEN)
        .select_related("organisation", "claimant")
        .prefetch_related(
            Prefetch(
                "organisation__memberships", queryset=Membership.objects.select_related("user")
            )
        )
        .order_by("created_at", "pk")
    )


def organisation_by_orgnr(orgnr: str) -> Organisation | None:
    return Organisation.objects.filter(orgnr=orgnr).first()


def programme_manager_addresses() -> list[str]:
    """Where a claim is sent: every active programme manager."""
    return list(
        User.objects.filter(groups__name=PROGRAMME_MANAGERS, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )


def signatories_of(organisation: Organisation) -> list[Membership]:
    """The members with signing right, for the agency's pages."""
    return [m for m in memberships_of(organisation) if m.is_signatory]
