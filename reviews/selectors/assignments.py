"""Reads: who is assigned to which application."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.models import Application
from grants.models import Call

from ..enums import ReviewStatus
from ..models import Assignment, Score
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


REVIEWER_PAGE_SIZE = 50


def reviewer_assignment_counts(user) -> dict[int, tuple[int, int]]:
    """panel member id → (the reviewer's active assignments, of them with a submitted review),
    for every seat of theirs in one grouped COUNT."""
    rows = (
        assignments_for_reviewer(user)
        .order_by()
        .values("member_id")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(review__status=ReviewStatus.SUBMITTED)))
        .values_list("member_id", "n", "done")
    )
    return {member_id: (n, done) for member_id, n, done in rows}


def reviewer_assignment_pages(user, members, numbers: dict) -> dict[int, Page]:
    """panel member id → the page ``numbers[member id]`` of the reviewer's assignments on that
    seat, 50 a page, each annotated with ``scored`` and ``total``/``submitted`` on the page.

    One grouped COUNT for every seat, one query of ids per seat with assignments, and one
    query for the rows of every page: what the pages show, not every assignment.
    """
    counts = reviewer_assignment_counts(user)
    pages = {}
    for member in members:
        ids = assignments_for_reviewer(user).filter(member=member).values_list("pk", flat=True)
        paginator = Paginator(ids, REVIEWER_PAGE_SIZE)
        # Counted above for every seat at once; cached_property, so this spares a COUNT.
        paginator.count, submitted = counts.get(member.pk, (0, 0))
        page = paginator.get_page(numbers.get(member.pk))
        page.object_list = list(page.object_list) if paginator.count else []
        page.submitted = submitted
        pages[member.pk] = page
    wanted = [pk for page in pages.values() for pk in page.object_list]
    rows = (
        {a.pk: a for a in assignments_for_reviewer_with_progress(user).filter(pk__in=wanted)}
        if wanted
        else {}
    )
    for page in pages.values():
        page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return pages


def assignment_for_reviewer(user, application_id: int) -> Assignment | None:
    return assignments_for_reviewer(user).filter(application_id=application_id).first()


def active_assignments(call: Call) -> QuerySet[Assignment]:
    return Assignment.objects.filter(application__call=call, removed_at__isnull=True)


def active_assignments_with_people(call: Call) -> QuerySet[Assignment]:
    return Assignment.objects.select_related("member__user", "application").filter(
        application__call=call, removed_at__isnull=True
    )


def assignment_page_applications(call: Call) -> QuerySet[Application]:
    """The applications of a call's assignments page, in order, for a page of them at a time
    (``IdsFirstPaginator``): registration number, with the latest version's id."""
    return with_latest_version(applications_for_assignment(call)).order_by("registration_number")


@dataclass
class AssignmentBoard:
    """What one page of a call's assignments page shows, before it is laid out: the page's
    applications and, for them only, who is assigned, who has a conflict or has declared."""

    applications: list
    versions: dict
    conflicts: set[tuple[int, int]]
    declared: set[tuple[int, int]]
    removed: set[tuple[int, int]]  # (member id, application id) taken off by hand
    per_application: dict[int, list]  # application id → its active assignments


def assignment_board(call: Call, *, applications) -> AssignmentBoard:
    """The board of ``applications`` (a page of ``assignment_page_applications``), in five
    queries whatever the size of the call."""
    applications = list(applications)
    ids = [a.pk for a in applications]
    every = Assignment.objects.filter(application_id__in=ids).select_related("review")
    removed = set()
    per_application: dict[int, list] = {}
    for assignment in every:
        if assignment.removed_at is not None:
            removed.add((assignment.member_id, assignment.application_id))
        else:
            per_application.setdefault(assignment.application_id, []).append(assignment)
    return AssignmentBoard(
        applications=applications,
        versions=latest_versions(applications),
        conflicts=conflict_pairs(call, application_ids=ids),
        declared=declared_pairs(call, application_ids=ids),
        removed=removed,
        per_application=per_application,
    )


def reviewer_loads(call: Call) -> dict[int, tuple[int, int]]:
    """member id → (active assignments, of them with a submitted review), for the whole call in
    one grouped COUNT."""
    rows = (
        active_assignments(call)
        .order_by()  # not Meta.ordering's: it joins the members' users only to sort them
        .values("member_id")
        .annotate(
            load=Count("pk"),
            done=Count("pk", filter=Q(review__status=ReviewStatus.SUBMITTED)),
        )
        .values_list("member_id", "load", "done")
    )
    return {member_id: (load, done) for member_id, load, done in rows}


def applications_lacking_reviewers(call: Call) -> int:
    """How many of the call's applications in review have fewer active assignments than the
    call wants, counted in the database."""
    return (
        applications_for_assignment(call)
        .annotate(
            assigned=Count(
                "review_assignments", filter=Q(review_assignments__removed_at__isnull=True)
            )
        )
        .filter(assigned__lt=call.reviewers_per_application)
        .count()
    )


def assignments_for_reviewer_with_progress(user) -> QuerySet[Assignment]:
    """``assignments_for_reviewer``, each annotated with ``scored``: the criteria it has scored.

    A counting subquery per row rather than a join and GROUP BY over the reviewer's assignments:
    for a page of 50 of 1,000 on SQLite, 8 ms instead of 23."""
    scored = (
        Score.objects.filter(review__assignment=OuterRef("pk"))
        .order_by()
        .values("review__assignment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return assignments_for_reviewer(user).annotate(scored=Coalesce(Subquery(scored), Value(0)))


@dataclass(frozen=True)
class LateReview:
    """A review not in by the call's due date: still missing, or submitted after it."""

    assignment: Assignment
    days_late: int
    submitted: bool


def _late_assignments(call: Call, now) -> QuerySet[Assignment]:
    """The call's active assignments whose review came in after the due date, or is still
    missing once it has passed: chosen in the database."""
    late = Q(review__submitted_at__gt=call.review_due_at)
    if now > call.review_due_at:
        late |= Q(review__submitted_at=None)
    return active_assignments(call).filter(late)


def late_reviews(call: Call, *, now=None, limit: int | None = None) -> list[LateReview]:
    """The call's late reviews, for the programme manager (none when no due date is set), by
    registration number; the first ``limit`` of them when given (``late_review_count`` counts
    them all).

    Days late count calendar days in Stockholm time: a review due on the 10th and still missing
    on the 11th is one day late."""
    if call.review_due_at is None:
        return []
    now = now or timezone.now()
    due_day = timezone.localdate(call.review_due_at)
    late = []
    candidates = (
        _late_assignments(call, now)
        .select_related("member__user", "application", "review")
        .order_by("application__registration_number", "member__user__full_name")
    )
    for assignment in candidates[:limit] if limit is not None else candidates:
        review = getattr(assignment, "review", None)
        if review is not None and review.submitted_at is not None:
            days = (timezone.localdate(review.submitted_at) - due_day).days
            late.append(LateReview(assignment, max(days, 1), submitted=True))
        else:
            days = (timezone.localdate(now) - due_day).days
            late.append(LateReview(assignment, max(days, 1), submitted=False))
    return late


def late_review_count(call: Call, *, now=None) -> int:
    """How many of the call's reviews are late (see ``late_reviews``), counted in the database."""
    if call.review_due_at is None:
        return 0
    return _late_assignments(call, now or timezone.now()).count()


def declined_assignments(call: Call) -> QuerySet[Assignment]:
    """Assignments the reviewers gave back, with their reasons, newest first."""
    return (
        Assignment.objects.filter(application__call=call, declined=True)
        .select_related("member__user", "application")
        .order_by("-removed_at")
    )
