"""Reads: the work waiting for each role, for the start page (applications/views/start.py).

A start page is made of parts, one per role the person holds, in ``position`` order. This app
registers the applicant's, the programme manager's and the decision maker's; ``reviews``
registers the reviewer's and the programme manager's late reviews from its ``ready`` (this app
never imports ``reviews``). Each part's sections are a count and the first ``LIMIT`` rows, in a
fixed number of queries whatever the number of rows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import Call

from ..enums import ApplicationState, DecisionStatus, ReportStatus
from ..models import Application, Decision, Report
from ..rules import belongs_to_an_organisation, is_decision_maker, is_programme_manager
from .applications import applications_visible_to
from .decisions import decisions_waiting
from .organisations import organisations_of

S = ApplicationState

# Rows shown per section; the count says how many there are in all.
LIMIT = 10


@dataclass(frozen=True)
class WorklistPart:
    """One role's part of the start page: ``build(user, now)`` returns the part's sections
    (``section``); each section's rows are laid out by ``<templates><section key>.html``."""

    key: str
    title: str
    position: int
    applies: Callable[[object], bool]
    build: Callable[[object, object], list[dict]]
    templates: str


_PARTS: dict[str, WorklistPart] = {}


def register_worklist(part: WorklistPart) -> None:
    """Add a part to the start page (another app's role: ``reviews`` adds the reviewer's)."""
    _PARTS[part.key] = part


def worklists_for(user, *, now=None) -> list[dict]:
    """The parts of ``user``'s start page, each with its key, title and sections (each
    section with the template of its rows)."""
    now = now or timezone.now()
    parts = []
    for part in sorted(_PARTS.values(), key=lambda part: part.position):
        if not part.applies(user):
            continue
        sections = part.build(user, now)
        for one in sections:
            one["row_template"] = f"{part.templates}{one['key']}.html"
        parts.append({"key": part.key, "title": part.title, "sections": sections})
    return parts


def section(key: str, title, queryset: QuerySet, *, empty, more_url: str = "") -> dict:
    """A worklist section: how many rows ``queryset`` has (one counting query) and its first
    ``LIMIT`` rows (one query with what the rows show)."""
    count = queryset.count()
    rows = list(queryset[:LIMIT]) if count else []
    return {
        "key": key,
        "title": title,
        "count": count,
        "rows": rows,
        "empty": empty,
        "more": count > len(rows),
        "more_url": more_url,
    }


# -- the applicant -----------------------------------------------------------------------------


def _own_applications(user) -> QuerySet[Application]:
    return applications_visible_to(user).filter(organisation__in=organisations_of(user))


def applicant_worklist(user, now) -> list[dict]:
    """What the applicant's organisations have to do: drafts to finish and submit, returned
    applications to complete before their deadline, grants to accept, reports due."""
    own = _own_applications(user)
    drafts = (
        own.filter(state=S.DRAFT)
        .select_related("call")
        .prefetch_related("deadline_exceptions")
        .order_by("call__closes_at", "pk")
    )
    returned = (
        own.filter(state=S.RETURNED).select_related("call").order_by("completion_deadline", "pk")
    )
    to_accept = (
        own.filter(state=S.APPROVED, accept_by__isnull=False, acceptance__isnull=True)
        .select_related("call")
        .order_by("accept_by", "pk")
    )
    reports = (
        Report.objects.filter(
            application__in=own.filter(state=S.FOLLOW_UP).values("pk"),
            status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED],
        )
        .select_related("application__organisation")
        .order_by("due_on", "pk")
    )
    every = reverse("applications:dashboard")
    return [
        section(
            "drafts",
            _("Drafts to finish and submit"),
            drafts,
            empty=_("No drafts."),
            more_url=every,
        ),
        section(
            "returned",
            _("Returned for completion"),
            returned,
            empty=_("No application is waiting for your completion."),
            more_url=every,
        ),
        section(
            "accept",
            _("Grants to accept"),
            to_accept,
            empty=_("No grant is waiting for your acceptance."),
            more_url=every,
        ),
        section("reports", _("Reports due"), reports, empty=_("No report is due."), more_url=every),
    ]


# -- the programme manager ---------------------------------------------------------------------


def _cases() -> QuerySet[Application]:
    return Application.objects.select_related("organisation", "call")


def programme_manager_worklist(user, now) -> list[dict]:
    """New submissions waiting for the eligibility check, reports to review, proposals a
    decision maker sent back (and not proposed again), and the outbox's held decisions."""
    new = _cases().filter(state=S.SUBMITTED, eligibility_check__isnull=True)
    new = new.order_by("first_submitted_at", "pk")
    reports = (
        Report.objects.filter(status=ReportStatus.SUBMITTED)
        .select_related("application__organisation")
        .order_by("submitted_at", "pk")
    )
    later = Decision.objects.filter(application=OuterRef("application"), pk__gt=OuterRef("pk"))
    sent_back = (
        Decision.objects.filter(status=DecisionStatus.SENT_BACK)
        .filter(~Exists(later))
        .select_related("application__organisation", "sent_back_by")
        .order_by("sent_back_at", "pk")
    )
    held = Q(
        applications__decisions__status=DecisionStatus.CONFIRMED,
        applications__decisions__release__isnull=True,
    )
    outbox = (
        Call.objects.filter(hold_decisions_for_release=True)
        .annotate(
            held=Count("applications__decisions", filter=held),
            ready=Count(
                "applications__decisions",
                filter=held & Q(applications__decisions__letter__isnull=False),
            ),
        )
        .filter(held__gt=0)
        .order_by("closes_at", "pk")
    )
    return [
        section(
            "eligibility",
            _("New submissions waiting for the eligibility check"),
            new,
            empty=_("No submission is waiting for the eligibility check."),
            more_url=f"{reverse('applications:manage_list')}?{urlencode({'state': S.SUBMITTED})}",
        ),
        section(
            "reports",
            _("Reports to review"),
            reports,
            empty=_("No report is waiting for your review."),
            more_url=reverse("applications:follow_up_overview"),
        ),
        section(
            "sent_back",
            _("Proposals sent back"),
            sent_back,
            empty=_("No proposal has been sent back."),
        ),
        _outbox_section(list(outbox)),
    ]


def _outbox_section(calls: list) -> dict:
    """The outbox: a row per call holding confirmed decisions for release (one query), the
    count being the number of decisions held, not of calls."""
    return {
        "key": "outbox",
        "title": _("Decisions waiting for release"),
        "count": sum(call.held for call in calls),
        "rows": calls,
        "empty": _("No confirmed decision is waiting for release."),
        "more": False,
        "more_url": "",
    }


# -- the decision maker ------------------------------------------------------------------------


def decision_maker_worklist(user, now) -> list[dict]:
    """Proposed decisions waiting for a decision maker, oldest call first."""
    return [
        section(
            "waiting",
            _("Proposals waiting for your decision"),
            decisions_waiting(),
            empty=_("No proposal is waiting for a decision."),
            more_url=reverse("applications:decisions"),
        )
    ]


register_worklist(
    WorklistPart(
        key="applicant",
        title=_("Your organisations' applications"),
        position=10,
        applies=belongs_to_an_organisation,
        build=applicant_worklist,
        templates="applications/start/applicant/",
    )
)
register_worklist(
    WorklistPart(
        key="programme_manager",
        title=_("Case handling"),
        position=30,
        applies=is_programme_manager.test,
        build=programme_manager_worklist,
        templates="applications/start/programme_manager/",
    )
)
register_worklist(
    WorklistPart(
        key="decision_maker",
        title=_("Decisions"),
        position=40,
        applies=is_decision_maker.test,
        build=decision_maker_worklist,
        templates="applications/start/decision_maker/",
    )
)
