"""Reads: which organisations a person belongs to, and which ones they may open."""

from django.db.models import QuerySet

from ..models import Invitation, Membership, Organisation
from ..rules import is_agency_staff


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
