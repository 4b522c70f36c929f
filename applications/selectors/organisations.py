"""Reads: which organisations a person belongs to, and which ones they may open."""

from django.db.models import QuerySet

from ..models import Organisation
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
