"""Reads: who is assigned to which application."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from grants.models import Call

from ..enums import ReviewStatus
from ..models import Assignment
from .conflicts import conflict_pairs, declared_pairs
from .scope import RANKING_STATES, applications_for_assignment, latest_versions, with_latest_version


def assignments_for_reviewer(user) -> QuerySet[Assignment]:
    """A reviewer's active assignments on applications in review, with their reviews."""
    return (
        Assignment.objects.filter(
            member__user=user,
            member__deactivated_at__isnull=True,
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


def active_assignments_with_people(call: Call) -> QuerySet[Assignment]:
    return Assignment.objects.select_related("member__user", "application").filter(
        application__call=call, removed_at__isnull=True
    )


@dataclass
class AssignmentBoard:
    """What the assignments page of a call shows, before it is laid out."""

    applications: list
    versions: dict
    conflicts: set[tuple[int, int]]
    declared: set[tuple[int, int]]
    removed: set[tuple[int, int]]  # (member id, application id) taken off by hand
    load: dict[int, int]  # member id → active assignments
    done: dict[int, int]  # member id → submitted reviews
    per_application: dict[int, list]  # application id → its active assignments


def assignment_board(call: Call, *, members) -> AssignmentBoard:
    applications = list(
        with_latest_version(applications_for_assignment(call)).order_by("registration_number")
    )
    versions = latest_versions(applications)
    conflicts = conflict_pairs(call)
    declared = declared_pairs(call)
    every = list(Assignment.objects.filter(application__call=call).select_related("review"))
    removed = {(a.member_id, a.application_id) for a in every if a.removed_at is not None}
    active = [a for a in every if a.removed_at is None]
    load = {m.pk: 0 for m in members}
    done = {m.pk: 0 for m in members}
    per_application: dict[int, list] = {}
    for assignment in active:
        load[assignment.member_id] = load.get(assignment.member_id, 0) + 1
        review = getattr(assignment, "review", None)
        if review is not None and review.status == ReviewStatus.SUBMITTED:
            done[assignment.member_id] = done.get(assignment.member_id, 0) + 1
        per_application.setdefault(assignment.application_id, []).append(assignment)
    return AssignmentBoard(
        applications=applications,
        versions=versions,
        conflicts=conflicts,
        declared=declared,
        removed=removed,
        load=load,
        done=done,
        per_application=per_application,
    )


def assignments_for_reviewer_with_progress(user) -> QuerySet[Assignment]:
    """``assignments_for_reviewer``, each annotated with ``scored``: the criteria it has scored."""
    return assignments_for_reviewer(user).annotate(scored=Count("review__scores"))


@dataclass(frozen=True)
class LateReview:
    """A review not in by the call's due date: still missing, or submitted after it."""

    assignment: Assignment
    days_late: int
    submitted: bool


def late_reviews(call: Call, *, now=None) -> list[LateReview]:
    """The call's late reviews, for the programme manager (none when no due date is set).

    Days late count calendar days in Stockholm time: a review due on the 10th and still missing
    on the 11th is one day late."""
    if call.review_due_at is None:
        return []
    now = now or timezone.now()
    due_day = timezone.localdate(call.review_due_at)
    late = []
    candidates = (
        active_assignments(call)
        .filter(Q(review__submitted_at__gt=call.review_due_at) | Q(review__submitted_at=None))
        .select_related("member__user", "application", "review")
        .order_by("application__registration_number", "member__user__full_name")
    )
    for assignment in candidates:
        review = getattr(assignment, "review", None)
        if review is not None and review.submitted_at is not None:
            days = (timezone.localdate(review.submitted_at) - due_day).days
            late.append(LateReview(assignment, max(days, 1), submitted=True))
        elif now > call.review_due_at:
            days = (timezone.localdate(now) - due_day).days
            late.append(LateReview(assignment, max(days, 1), submitted=False))
    return late


def declined_assignments(call: Call) -> QuerySet[Assignment]:
    """Assignments the reviewers gave back, with their reasons, newest first."""
    return (
        Assignment.objects.filter(application__call=call, declined=True)
        .select_related("member__user", "application")
        .order_by("-removed_at")
    )
