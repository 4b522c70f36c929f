"""Reads for decisions: the budget rule, the effective decision, the letter's data, and the
decision maker's lists."""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse

from grants.models import Call

from ..enums import ApplicationState, DecisionOutcome, DecisionStatus
from ..models import Acceptance, CallCommitment, Decision, DecisionLetter
from ..rules import is_agency_staff
from .applications import latest_version, submitted_summary_of
from .grant_plan import instalments_planned, report_due_dates

# Checks an app higher up the import line adds (reviews: the call's thresholds), asked of an
# application before it is approved: each returns what the application falls short of.
_FUNDING_CHECKS: list[Callable[[object], list[str]]] = []


def register_funding_check(check: Callable[[object], list[str]]) -> None:
    if check not in _FUNDING_CHECKS:
        _FUNDING_CHECKS.append(check)


def funding_shortfalls(application) -> list[str]:
    """What makes the application one that "cannot be funded" (a threshold's name per
    shortfall); empty when nothing stands against an approval."""
    return [shortfall for check in _FUNDING_CHECKS for shortfall in check(application)]


def remaining_budget(*, budget: int, committed: int) -> int:
    """The budget rule: what a call can still grant is its budget less what is committed to it
    (what its effective approvals grant, ``committed_by_call``). The one place it is written."""
    return budget - committed


def call_committed_amount(call) -> int:
    """What the call has committed: the sum granted by its effective approvals
    (``effective_approvals``), as the services keep it (``CallCommitment``), in one query
    whatever the number of decisions. Exact when read under the call's row lock."""
    amount = CallCommitment.objects.filter(call_id=call.pk).values_list("amount", flat=True)
    return amount.first() or 0


def call_committed_amount_summed(call) -> int:
    """The same figure summed over the call's decisions, the way it was before it was kept:
    for the tests and ``manage.py budget_verify`` only, never on a request."""
    return committed_by_call_summed([call.pk]).get(call.pk, 0)


def effective_decision(application):
    """The application's confirmed decision that no confirmed correction replaced, if any."""

    # Every confirmed decision of the application, its corrections among them (a handful at
    # most), in one plain query; the one no other of them supersedes is in force.
    confirmed = list(
        application.decisions.filter(status=DecisionStatus.CONFIRMED).select_related(
            "proposed_by", "decided_by"
        )
    )
    superseded = {decision.supersedes_id for decision in confirmed}
    return next((decision for decision in confirmed if decision.pk not in superseded), None)


def _in_language(call, field: str, language: str) -> str:
    """A call text in the letter's language, the Swedish one when there is no English."""
    english = getattr(call, f"{field}_en")
    return english if language == "en" and english else getattr(call, f"{field}_sv")


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _acceptance(decision, *, decided_on: dt.date) -> dict:
    """What an approval's letter says about accepting it.

    ``accept_by`` is the last day to accept: the one already set if the grant was released
    before (a correction), else, when the call sends its decisions out as soon as the letter is
    made, the day of the decision plus the call's ``acceptance_days`` (what
    ``decision_release`` sets when it releases the same day; a later release only gives more
    time, never less). A call that holds its decisions for a common release date does not know
    the day yet: ``accept_by`` is None and the letter gives the number of days instead (the
    decision email and the application's page give the date). ``accepted`` when a correction
    finds the grant already accepted: nothing is to be accepted again.
    """
    application = decision.application
    call = application.call
    if application.accept_by:
        accept_by = application.accept_by
    elif call.hold_decisions_for_release:
        accept_by = None
    else:
        accept_by = decided_on + dt.timedelta(days=call.acceptance_days)
    return {
        # Only a correction can find the grant accepted: a first decision comes before it.
        "accepted": bool(decision.supersedes_id)
        and Acceptance.objects.filter(application=application).exists(),
        "accept_by": accept_by.isoformat() if accept_by else None,
        "days": call.acceptance_days,
        "url": _site_url(reverse("applications:accept_grant", args=[application.pk])),
    }


def decision_letter_data(decision, *, decided_by, decided_on) -> dict:
    """Everything the letter shows, frozen into the decision when it is confirmed.

    Made from the submitted version the decision was taken on, never the working copy, so the
    letter reads the same forever. The reports' due dates and the instalments are the ones the
    follow-up makes when the grant is accepted (``selectors.grant_plan``).
    """

    application = decision.application
    call = application.call
    version = latest_version(application)
    content = version.content if version else {}
    period_start, period_end = content.get("period_start"), content.get("period_end")
    reports = (
        [
            {"kind": kind, "number": number, "due_on": due_on.isoformat()}
            for kind, number, due_on in report_due_dates(
                call, dt.date.fromisoformat(period_start), dt.date.fromisoformat(period_end)
            )
        ]
        if period_start and period_end
        else []
    )
    approved = decision.outcome == DecisionOutcome.APPROVED
    proposer = decision.proposed_by
    return {
        "agency": settings.AGENCY_NAME,
        "agency_address": settings.AGENCY_ADDRESS,
        "terms_url": settings.AGENCY_TERMS_URL,
        "registration_number": application.registration_number,
        "decided_on": decided_on.isoformat(),
        "language": decision.language,
        "outcome": decision.outcome,
        "granted_amount": decision.granted_amount,
        "requested_amount": content.get("requested_amount"),
        "reason_code": decision.reason_code,
        # The call's label for it, in the letter's language, as it read at confirmation.
        "reason_label": call.reason_label(decision.reason_code, decision.language)
        if decision.reason_code
        else "",
        "organisation": {
            "name": application.organisation.name,
            "orgnr": application.organisation.orgnr,
            "address": application.organisation.address,
        },
        "title": content.get("title", application.title),
        "period": {"start": period_start, "end": period_end},
        "call": {"slug": call.slug, "title_sv": call.title_sv, "title_en": call.title_en},
        "version": {"number": version.number, "sha256": version.sha256} if version else None,
        "conditions": decision.conditions,
        "justification": decision.justification,
        "feedback": decision.feedback,
        "appealable": call.decision_appealable,
        # Empty: the letter's standard appeal paragraph and no legal basis, as before calls had
        # their own texts (letters frozen before then have neither key, and read the same).
        "appeal_text": _in_language(call, "appeal_text", decision.language),
        "legal_basis": _in_language(call, "legal_basis", decision.language),
        "letter_wording": call.letter_wording_en
        if decision.language == "en" and call.letter_wording_en
        else call.letter_wording_sv,
        "reporting": {
            "final_report_due": reports[-1]["due_on"] if reports else None,
            "reports": reports if approved else [],
        },
        "acceptance": _acceptance(decision, decided_on=decided_on) if approved else None,
        # A correction of a grant already accepted replans what is not yet paid
        # (``payments_replan``) instead of following the call's plan: the letter says so
        # instead of listing instalments.
        "payment_plan": instalments_planned(call, decision.granted_amount)
        if approved
        and decision.granted_amount
        and not (decision.supersedes_id and application.payments.exists())
        else [],
        "decided_by": decided_by.full_name,
        "presented_by": proposer.full_name,
        "case_officer": {
            "name": proposer.full_name,
            "email": proposer.email,
            "phone": proposer.phone,
        },
        "corrects": {
            "decided_on": decision.supersedes.decided_on.isoformat(),
            "granted_amount": decision.supersedes.granted_amount,
        }
        if decision.supersedes_id
        else None,
    }


def decisions_visible_to(user) -> QuerySet[Decision]:
    """Decisions of the applications the user sees (as ``applications_visible_to`` has it),
    with the application's call and organisation, the proposer and the decision a correction
    replaces."""
    decisions = Decision.objects.select_related(
        "application__call", "application__organisation", "proposed_by", "supersedes"
    )
    if not user.is_authenticated:
        return decisions.none()
    # Only a submitted application has decisions, and staff see every submitted application:
    # no subquery over the call's applications (SQLite ran it whole for one decision). A
    # member sees their organisations' (one membership per person and organisation: no
    # duplicate rows).
    if is_agency_staff(user):
        return decisions.filter(application__registration_number__isnull=False)
    return decisions.filter(application__organisation__memberships__user=user)


def decisions_of(application) -> QuerySet[Decision]:
    """The application's decisions, each with its release."""
    return Decision.objects.filter(application=application).select_related("release")


def decision_letter_of(decision: Decision) -> DecisionLetter | None:
    """The decision's stored letter, or None while it is being made."""
    return DecisionLetter.objects.filter(decision=decision).first()


def decisions_chosen(*, user, ids) -> list[Decision]:
    """The decisions with these ids that the user sees, each with its application, in
    registration-number order (the order a batch is confirmed in)."""
    return list(
        decisions_visible_to(user).filter(pk__in=ids).order_by("application__registration_number")
    )


def has_waiting_proposal(application) -> bool:
    """Whether a proposed decision of the application waits for a decision maker."""
    return application.decisions.filter(status="proposed").exists()


def calls_holding_decisions() -> QuerySet[Call]:
    """Calls whose confirmed decisions are held for a common release date."""
    return Call.objects.filter(hold_decisions_for_release=True)


def waiting_by_call(decisions) -> list[dict]:
    """The waiting decisions (``decisions_waiting``) grouped by call, in their order: each group
    with its call, what the call's effective approvals commit, the sum of the proposed
    approvals, what remains of the budget, and its decisions."""
    committed = committed_by_call({d.application.call_id for d in decisions})
    groups: dict[int, dict] = {}
    for decision in decisions:
        call = decision.application.call
        group = groups.setdefault(
            call.pk,
            {
                "call": call,
                "committed": committed.get(call.pk, 0),
                "proposed_total": 0,
                "decisions": [],
            },
        )
        if decision.outcome == DecisionOutcome.APPROVED:
            group["proposed_total"] += decision.granted_amount
        group["decisions"].append(decision)
    for group in groups.values():
        group["remaining"] = remaining_budget(
            budget=group["call"].budget, committed=group["committed"]
        )
    return list(groups.values())


def decisions_waiting() -> QuerySet:
    """Proposed decisions waiting for a decision maker, oldest call first, in a fixed number of
    queries: each with its application, organisation, call (and the call's reasons for
    ineligibility, which a rejection as ineligible names), presenter, the decision it corrects,
    and the submitted version's title and requested amount (``submitted_title``,
    ``submitted_amount``)."""

    return (
        Decision.objects.filter(status=DecisionStatus.PROPOSED)
        .select_related(
            "application__call", "application__organisation", "proposed_by", "supersedes"
        )
        .prefetch_related("application__call__ineligibility_reasons")
        .annotate(**submitted_summary_of("application"))
        .order_by(
            "application__call__closes_at",
            "application__call_id",
            "application__registration_number",
        )
    )


def effective_approvals() -> QuerySet[Decision]:
    """Confirmed approvals that no confirmed correction replaced and whose grant did not lapse.

    A grant the organisation never accepted (lapsed: closed without an acceptance) gives its
    money back to the call, so it is not counted against the budget.
    """
    return (
        Decision.objects.filter(status=DecisionStatus.CONFIRMED, outcome=DecisionOutcome.APPROVED)
        .exclude(superseded_by__status=DecisionStatus.CONFIRMED)
        .exclude(application__state=ApplicationState.CLOSED, application__acceptance__isnull=True)
    )


def committed_by_call(call_ids) -> dict[int, int]:
    """call id → what it has committed (``call_committed_amount``), in one query."""
    return dict(
        CallCommitment.objects.filter(call_id__in=call_ids).values_list("call_id", "amount")
    )


def committed_by_call_summed(call_ids) -> dict[int, int]:
    """call id → the sum granted by its effective approvals (``effective_approvals``), summed
    over the decisions in one query: the check of ``committed_by_call`` (tests,
    ``manage.py budget_verify``)."""
    rows = (
        effective_approvals()
        .filter(application__call_id__in=call_ids)
        .values("application__call_id")
        .annotate(total=Sum("granted_amount"))
        .values_list("application__call_id", "total")
    )
    return dict(rows)


def decision_release_overview():
    """The outbox: each call that holds decisions for release, with how many confirmed
    decisions are held, how many of those have their letter ready, and how many were released.
    Two queries whatever the number of decisions."""

    counts = {
        row["application__call_id"]: row
        for row in Decision.objects.filter(
            status=DecisionStatus.CONFIRMED, application__call__hold_decisions_for_release=True
        )
        .values("application__call_id")
        .annotate(
            held=Count("pk", filter=Q(release__isnull=True)),
            ready=Count("pk", filter=Q(release__isnull=True, letter__isnull=False)),
            released=Count("pk", filter=Q(release__isnull=False)),
        )
    }
    empty = {"held": 0, "ready": 0, "released": 0}
    return [
        {"call": call, **{key: counts.get(call.pk, empty)[key] for key in empty}}
        for call in Call.objects.filter(hold_decisions_for_release=True).order_by("-closes_at")
    ]


def commitments_mismatched() -> list[tuple[Call, int, int]]:
    """Every call whose kept committed amount differs from the sum over its decisions, as
    ``(call, kept, summed)``; empty when every call's figure holds. Two queries and one sum
    over every decision: a verification, not for requests."""
    summed = committed_by_call_summed(Call.objects.values("pk"))
    kept = dict(CallCommitment.objects.values_list("call_id", "amount"))
    return [
        (call, kept.get(call.pk, 0), summed.get(call.pk, 0))
        for call in Call.objects.order_by("pk")
        if kept.get(call.pk, 0) != summed.get(call.pk, 0)
    ]
