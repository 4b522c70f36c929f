"""Reads for the programme manager's follow-up overview: money per call, reports due, spending
by category, grants by county, and how far grants have come."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from grants.models import BudgetCategory as CallBudgetCategory
from grants.models import Call

from ..enums import ApplicationState as S
from ..enums import BudgetCategory, County, PaymentStatus, ReportKind, ReportStatus
from ..models import Acceptance, Application, Payment, RepaymentClaim, Report, ReportCost
from .decisions import effective_approvals, remaining_budget


def follow_up_money_by_call() -> list[dict]:
    """Per call with at least one approval, newest call first: budget, granted, paid, due,
    reclaimed, repaid and remaining, in kronor; four queries whatever the number of grants.

    - granted: the call's effective approvals (``effective_approvals``), the figure decisions
      are checked against; a grant that lapsed is not counted, as it is not there;
    - paid / due: instalments paid, and due for payment but not paid yet;
    - reclaimed / repaid: repayment claims made, and the part of them received;
    - remaining: budget − granted, what can still be granted under the budget rule (money paid
      back is not added back: the rule counts decisions, not payments).
    """

    granted = dict(
        effective_approvals()
        .values("application__call_id")
        .annotate(total=Sum("granted_amount"))
        .values_list("application__call_id", "total")
    )
    payments = {
        row["application__call_id"]: row
        for row in Payment.objects.filter(application__call_id__in=granted)
        .values("application__call_id")
        .annotate(
            paid=Sum("amount", filter=Q(status=PaymentStatus.PAID)),
            due=Sum("amount", filter=Q(status=PaymentStatus.DUE)),
        )
    }
    claims = {
        row["application__call_id"]: row
        for row in RepaymentClaim.objects.filter(application__call_id__in=granted)
        .values("application__call_id")
        .annotate(reclaimed=Sum("amount"), repaid=Sum("amount", filter=Q(settled_on__isnull=False)))
    }
    rows = []
    for call in Call.objects.filter(pk__in=granted).order_by("-closes_at", "pk"):
        paid = payments.get(call.pk, {})
        claimed = claims.get(call.pk, {})
        rows.append(
            {
                "call": call,
                "budget": call.budget,
                "granted": granted[call.pk],
                "paid": paid.get("paid") or 0,
                "due": paid.get("due") or 0,
                "reclaimed": claimed.get("reclaimed") or 0,
                "repaid": claimed.get("repaid") or 0,
                "remaining": remaining_budget(budget=call.budget, committed=granted[call.pk]),
            }
        )
    return rows


def follow_up_reports_due(*, today=None, within_days: int = 30) -> tuple[list, list]:
    """(due within ``within_days`` from today, overdue): reports of grants in follow-up that
    the organisation has not handed in (not submitted, or returned to it), soonest first, with
    their application, organisation and call; one query."""

    today = today or timezone.localdate()
    reports = list(
        Report.objects.filter(
            application__state=S.FOLLOW_UP,
            status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED],
            due_on__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("application__organisation", "application__call")
        .order_by("due_on", "application__registration_number", "pk")
    )
    due_soon = [r for r in reports if r.due_on >= today]
    overdue = [r for r in reports if r.due_on < today]
    return due_soon, overdue


def follow_up_spent_by_category() -> list[tuple[str, str, int]]:
    """(category, label, kronor spent) for every budget category, in the categories' order,
    from the financial reports of approved final reports; one query."""

    spent = dict(
        ReportCost.objects.filter(
            report__kind=ReportKind.FINAL, report__status=ReportStatus.APPROVED
        )
        .values("category")
        .annotate(total=Sum("spent"))
        .values_list("category", "total")
    )
    # Every call has its own categories: the standard ones first (in their order), then any
    # other key some report spent on, labelled as the first call that has it labels it.
    rows = [(c.value, str(c.label), spent.get(c.value) or 0) for c in BudgetCategory]
    standard = set(BudgetCategory.values)
    others = sorted(key for key in spent if key not in standard)
    labels = {}
    for category in CallBudgetCategory.objects.filter(key__in=others).order_by("call_id", "pk"):
        labels.setdefault(category.key, category.label)
    return rows + [(key, labels.get(key, key), spent[key] or 0) for key in others]


def follow_up_granted_by_county() -> list[tuple[str, str, int]]:
    """(county code, label, kronor granted) for each county with a grant, most first; granted
    as in ``follow_up_money_by_call``; one query."""

    rows = (
        effective_approvals()
        .values("application__organisation__county")
        .annotate(total=Sum("granted_amount"))
        .values_list("application__organisation__county", "total")
    )
    labels = dict(County.choices)
    result = [(code, str(labels.get(code, code)), total or 0) for code, total in rows]
    return sorted(result, key=lambda row: (-row[2], row[1]))


class FollowUpStage:
    """How far a grant has come, for the overview's chart (stable codes, in order)."""

    AWAITING_ACCEPTANCE = "awaiting_acceptance"
    NO_REPORT_IN = "no_report_in"
    REPORTS_IN = "reports_in"
    FINAL_APPROVED = "final_approved"
    CLOSED = "closed"
    LAPSED = "lapsed"

    ORDER = [AWAITING_ACCEPTANCE, NO_REPORT_IN, REPORTS_IN, FINAL_APPROVED, CLOSED, LAPSED]


def follow_up_stages() -> list[tuple[str, int]]:
    """(stage, number of grants) for every stage of ``FollowUpStage``, in its order; one
    query. A report is "in" once submitted (or approved); one returned to the organisation is
    not."""

    reports = Report.objects.filter(application=OuterRef("pk"))
    # Grouped by state and three facts (at most a dozen rows), then sorted into stages here:
    # counting each stage with an aggregate filter on these annotations loses one of them in
    # Django 5.2's aggregation subquery.
    groups = (
        Application.objects.filter(state__in=[S.APPROVED, S.FOLLOW_UP, S.CLOSED])
        .annotate(
            accepted=Exists(Acceptance.objects.filter(application=OuterRef("pk"))),
            report_in=Exists(
                reports.filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.APPROVED])
            ),
            final_approved=Exists(
                reports.filter(kind=ReportKind.FINAL, status=ReportStatus.APPROVED)
            ),
        )
        .values_list("state", "accepted", "report_in", "final_approved")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(FollowUpStage.ORDER, 0)
    for state, accepted, report_in, final_approved, count in groups:
        if state == S.APPROVED:
            stage = FollowUpStage.AWAITING_ACCEPTANCE
        elif state == S.CLOSED:
            stage = FollowUpStage.CLOSED if accepted else FollowUpStage.LAPSED
        elif final_approved:
            stage = FollowUpStage.FINAL_APPROVED
        else:
            stage = FollowUpStage.REPORTS_IN if report_in else FollowUpStage.NO_REPORT_IN
        counts[stage] += count
    return list(counts.items())
