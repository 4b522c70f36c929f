"""Reads: who is assigned to which application."""

from django.db.models import QuerySet

from grants.models import Call

from ..models import Assignment
from .scope import RANKING_STATES


def assignments_for_reviewer(user) -> QuerySet[Assignment]:
    """A reviewer's active assignments on applications in review, with their reviews."""
    return (
        Assignment.objects.filter(
            member__user=user,
            removed_at__isnull=True,
            application__state__in=RANKING_STATES,
        )
        .select_related("application__organisation", "application__call", "member", "review")
        .order_by("application__call__closes_at", "application__registration_number")
    )


def assignment_for_reviewer(user, application_id: int) -> Assignment | None:
    return assignments_for_reviewer(user).filter(application_id=application_id).first()


def active_assignments(call: Call) -> QuerySet[Assignment]:
    return Assignment.objects.filter(application__call=call, removed_at__isnull=True)
