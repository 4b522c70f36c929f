"""Reads: the review work waiting, for the start page's parts that ``reviews`` registers
(``applications.selectors.worklists``): the reviewer's reviews due and late, and the programme
manager's late reviews across every call."""

from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from applications.selectors.applications import submitted_summary_of
from applications.selectors.worklists import section

from ..enums import ReviewStatus
from ..models import Assignment
from .conflicts import declaration_progress
from .panel import panel_seats_of
from .scope import REVIEW_STATES


def _open_assignments() -> QuerySet[Assignment]:
    """Active assignments of active panel members on applications in review, without a
    submitted review, with the application's submitted title and the call's due date."""
    return (
        Assignment.objects.filter(
            removed_at__isnull=True,
            member__deactivated_at__isnull=True,
            application__state__in=REVIEW_STATES,
        )
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .select_related("application__call", "application__organisation", "review")
        .annotate(**submitted_summary_of("application"))
    )


def _late(now) -> Q:
    return Q(application__call__review_due_at__lt=now)


def _declarations_section(user) -> dict:
    """The panels where the reviewer has conflicts of interest left to declare (which come
    before any assignment), in three queries whatever the number of seats."""
    members = list(panel_seats_of(user))
    progress = declaration_progress(members)
    rows = []
    for member in members:
        declared, in_scope = progress[member.pk]
        if declared < in_scope:
            member.declared, member.in_scope = declared, in_scope
            rows.append(member)
    return {
        "key": "declarations",
        "title": _("Conflicts of interest to declare"),
        "count": len(rows),
        "rows": rows,
        "empty": _("No declaration is waiting for you."),
        "more": False,
        "more_url": "",
    }


def reviewer_worklist(user, now) -> list[dict]:
    """The panels with conflicts of interest to declare, and the reviewer's reviews not yet
    submitted: those past the call's due date, then the others by due date (a call without a
    due date last)."""
    mine = _open_assignments().filter(member__user=user)
    late = mine.filter(_late(now)).order_by(
        "application__call__review_due_at", "application__registration_number"
    )
    due = mine.exclude(_late(now)).order_by(
        F("application__call__review_due_at").asc(nulls_last=True),
        "application__registration_number",
    )
    return [
        _declarations_section(user),
        section(
            "late",
            _("Late reviews"),
            late,
            empty=_("No review is late."),
            more_url=reverse("reviews:dashboard"),
        ),
        section(
            "due",
            _("Reviews to do"),
            due,
            empty=_("No review is waiting for you."),
            more_url=reverse("reviews:dashboard"),
        ),
    ]


def late_reviews_worklist(user, now) -> list[dict]:
    """Every review past its call's due date and not submitted, with its reviewer."""
    late = (
        _open_assignments()
        .filter(_late(now))
        .select_related("member__user")
        .order_by("application__call__review_due_at", "application__registration_number", "pk")
    )
    return [section("late_reviews", _("Late reviews"), late, empty=_("No review is late."))]
