"""Decisions: propose, confirm (one or a batch), send back, release.

A programme manager proposes; a decision maker who is not the proposer confirms or sends back.
Only confirmation moves the application (approve, reject, reject_ineligible) and makes the
letter. Confirmations of one call queue on the call's row, so the budget is never exceeded.
"""

from datetime import timedelta

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.formatting import format_kronor
from applications.selectors.applications import latest_version
from applications.selectors.decisions import (
    call_committed_amount,
    decision_letter_data,
    effective_decision,
    funding_shortfalls,
    remaining_budget,
)
from grants.models import Call

from ..audit import audit_record
from ..enums import DecisionOutcome, DecisionStatus, JobKind
from ..models import Application, Decision, DecisionLetter, DecisionRelease, User
from ..models.application import completion_deadline_passed_if_returned
from ._common import S, _enqueue_on_commit, _local, _lock, _require
from .commitments import call_lock, commitment_change, counts_against_budget
from .follow_up import payments_replan
from .jobs import job_finish, job_key_hash, job_lock, job_progress, job_start
from .transitions import application_decide

_OUTCOME_TRANSITION = {
    DecisionOutcome.APPROVED: "approve",
    DecisionOutcome.REJECTED: "reject",
    DecisionOutcome.REJECTED_INELIGIBLE: "reject_ineligible",
}


def _audit_decision(action: str, decision: Decision, *, by: User | None) -> None:
    """A decision's step in the audit log: ids, outcome, amount and codes; no texts."""
    audit_record(
        action=action,
        actor=by,
        target=decision,
        data={
            "application_id": decision.application_id,
            "outcome": decision.outcome,
            "granted_amount": decision.granted_amount,
            "reason_code": decision.reason_code,
            "status": decision.status,
            "supersedes_id": decision.supersedes_id,
            "below_threshold": bool(decision.threshold_override),
        },
    )


@transaction.atomic
def decision_propose(
    *,
    application: Application,
    by: User,
    outcome: str,
    justification: str,
    granted_amount: int = 0,
    conditions: str = "",
    feedback: str = "",
    reason_code: str = "",
    supersedes: Decision | None = None,
    threshold_override: str = "",
    notify: bool = True,
) -> Decision:
    """Propose a decision (or, with ``supersedes``, a correction of a confirmed one).

    Approval and rejection follow review (``reviewed``); rejection as ineligible comes straight
    from ``submitted`` with a reason code, or from ``returned`` once the completion deadline
    has passed without a new version. The granted amount is at most what the submitted version
    requested. An approval of an application below one of the call's thresholds ("cannot be
    funded") needs ``threshold_override``, the reason, on record. ``feedback`` is the text for
    the applicant (the consensus comment or the reviewers' comments), copied in so the letter
    never depends on the review app. The decision makers are emailed after commit, unless
    ``notify`` is false (a batch of proposals sends one email of its own).
    """
    _require(by, "propose_decision")
    locked = _lock(application)
    if outcome not in DecisionOutcome.values:
        raise ValidationError(_("Choose an outcome."))
    justification = (justification or "").strip()
    if not justification:
        raise ValidationError(_("Write the reasons for the decision."))
    version = latest_version(locked)
    requested = (version.content.get("requested_amount") if version else None) or 0
    if supersedes is None:
        if locked.decisions.filter(status=DecisionStatus.PROPOSED).exists():
            raise ValidationError(_("A proposed decision is already waiting for confirmation."))
        if effective_decision(locked):
            raise ValidationError(
                _("This application has been decided. Propose a correction instead.")
            )
        _check_state_for(locked, outcome)
    else:
        # As stored, not as the caller's copy says: a copy read before confirmation is stale.
        supersedes = Decision.objects.get(pk=supersedes.pk)
        if supersedes.application_id != locked.pk or not supersedes.is_confirmed:
            raise ValidationError(
                _("Only a confirmed decision of this application can be corrected.")
            )
        if effective_decision(locked) != supersedes:
            raise ValidationError(_("This decision has already been corrected."))
        if outcome != supersedes.outcome:
            raise ValidationError(
                _("A correction keeps the outcome; a different outcome needs a new application.")
            )
        if locked.decisions.filter(status=DecisionStatus.PROPOSED).exists():
            raise ValidationError(_("A proposed decision is already waiting for confirmation."))
    if outcome == DecisionOutcome.REJECTED_INELIGIBLE and reason_code not in _reason_keys(
        locked.call, keep=supersedes.reason_code if supersedes is not None else None
    ):
        raise ValidationError(_("Choose the reason the application is ineligible."))
    if outcome == DecisionOutcome.APPROVED:
        if not granted_amount or granted_amount < 1:
            raise ValidationError(_("An approval grants an amount of at least 1 kr."))
        if granted_amount > requested:
            raise ValidationError(
                _("The granted amount cannot be more than the %(requested)s kr applied for.")
                % {"requested": format_kronor(requested)}
            )
    else:
        granted_amount = 0
    threshold_override = (threshold_override or "").strip()
    if supersedes is not None:
        threshold_override = supersedes.threshold_override  # a correction keeps its reason
    elif outcome == DecisionOutcome.APPROVED:
        shortfalls = funding_shortfalls(locked)
        if shortfalls and not threshold_override:
            raise ValidationError(_below_threshold(shortfalls), code="threshold")
    else:
        threshold_override = ""
    decision = Decision.objects.create(
        application=locked,
        outcome=outcome,
        granted_amount=granted_amount,
        conditions=(conditions or "").strip(),
        justification=justification,
        feedback=(feedback or "").strip(),
        reason_code=reason_code if outcome == DecisionOutcome.REJECTED_INELIGIBLE else "",
        language=locked.language,
        proposed_by=by,
        proposed_at=timezone.now(),
        supersedes=supersedes,
        threshold_override=threshold_override,
    )
    _audit_decision("decision.propose", decision, by=by)
    if notify:
        _enqueue_on_commit("send_decision_proposed", decision_id=decision.pk)
    return decision


def _reason_keys(call, *, keep: str | None) -> set[str]:
    """The reasons for ineligibility the call offers now; a correction may keep the reason of
    the decision it corrects even if the call no longer offers it."""
    keys = {reason.key for reason in call.reasons_for_ineligibility()}
    return keys | {keep} if keep else keys


def _check_state_for(application: Application, outcome: str) -> None:
    """Whether the application's state allows proposing this outcome (a first decision)."""
    if outcome != DecisionOutcome.REJECTED_INELIGIBLE:
        allowed = application.state == S.REVIEWED
    elif application.state == S.RETURNED:
        # The state machine's own condition decides; the service only says why.
        if not completion_deadline_passed_if_returned(application):
            raise ValidationError(
                _(
                    "The applicant has until %(deadline)s to complete the application. It can "
                    "be rejected as ineligible once that has passed."
                )
                % {"deadline": _local(application.completion_deadline)}
            )
        allowed = True
    else:
        allowed = application.state == S.SUBMITTED
    if not allowed:
        raise ValidationError(
            _("This decision cannot be proposed while the application is “%(state)s”.")
            % {"state": application.get_state_display()}
        )


def _below_threshold(shortfalls: list[str]) -> str:
    return _(
        "The application is below the threshold for %(thresholds)s and so cannot be funded. "
        "To approve it all the same, give the reason for overriding the threshold."
    ) % {"thresholds": ", ".join(shortfalls)}


def _lock_decision(decision: Decision) -> Decision:
    # Only the decision's row: PostgreSQL cannot lock the nullable side of the outer join to
    # ``supersedes``, and the call's row is locked on its own where the budget needs it.
    return (
        Decision.objects.select_for_update(of=("self",))
        .select_related(
            "application__call", "application__organisation", "proposed_by", "supersedes"
        )
        .get(pk=decision.pk)
    )


@transaction.atomic
def decision_confirm(*, decision: Decision, by: User) -> Decision:
    """A decision maker, never the proposer, confirms: the application moves and the letter follows.

    After the decision's row, the call's row is locked, so concurrent confirmations of one call
    queue and the sum granted never exceeds the budget; the call's kept committed amount
    (``CallCommitment``) is read and changed under that lock, never summed. A correction that
    does not grant more than its decision always passes (even if the budget was lowered since).
    Side effects: the transition and its log row, the frozen ``letter_data``, the call's
    committed amount, and the letter task after commit.
    """
    locked = _lock_decision(decision)
    if not rules.has_perm("applications.confirm_decision", by, locked):
        raise PermissionDenied
    if locked.status != DecisionStatus.PROPOSED:
        raise ValidationError(_("This decision is not waiting for confirmation."))
    if (
        locked.outcome == DecisionOutcome.APPROVED
        and not locked.supersedes_id
        and not locked.threshold_override
        and (shortfalls := funding_shortfalls(locked.application))
    ):
        raise ValidationError(
            _(
                "The application is below the threshold for %(thresholds)s, and the proposal "
                "gives no reason for approving it all the same. Send it back."
            )
            % {"thresholds": ", ".join(shortfalls)}
        )
    call = call_lock(locked.application.call_id)
    replaced = locked.supersedes.granted_amount if locked.supersedes_id else 0
    if locked.outcome == DecisionOutcome.APPROVED:
        # The kept figure, exact under the call's lock: no sum over the call's decisions.
        committed = call_committed_amount(call)
        # What this decision may grant: what the budget leaves, plus what a corrected decision
        # had; never less than that, so a correction downwards passes a lowered budget.
        left = remaining_budget(budget=call.budget, committed=committed)
        remaining = max(left + replaced, replaced)
        if locked.granted_amount > remaining:
            raise ValidationError(
                _(
                    "Confirming this would exceed the call's budget: %(remaining)s kr remain of "
                    "%(budget)s kr, and the decision grants %(amount)s kr."
                )
                % {
                    "remaining": format_kronor(remaining),
                    "budget": format_kronor(call.budget),
                    "amount": format_kronor(locked.granted_amount),
                }
            )
    if not locked.supersedes_id:
        application_decide(
            application=locked.application,
            by=by,
            outcome=_OUTCOME_TRANSITION[locked.outcome],
            comment=locked.justification,
        )
    now = timezone.now()
    decided_on = timezone.localdate(now)
    confirmed = {
        "letter_data": decision_letter_data(locked, decided_by=by, decided_on=decided_on),
        "status": DecisionStatus.CONFIRMED,
        "decided_by": by,
        "confirmed_at": now,
        "decided_on": decided_on,
    }
    # The row is locked and was read as proposed above, so only the changed columns are written,
    # without ``Decision.save``'s re-read of the stored status (the triggers still guard it).
    Decision.objects.filter(pk=locked.pk, status=DecisionStatus.PROPOSED).update(**confirmed)
    for field, value in confirmed.items():
        setattr(locked, field, value)
    if locked.outcome == DecisionOutcome.APPROVED:
        if not locked.supersedes_id:
            commitment_change(call=call, delta=locked.granted_amount)
        elif counts_against_budget(locked.application):
            # A correction of a grant that lapsed changes nothing: its money is back already.
            commitment_change(call=call, delta=locked.granted_amount - replaced)
    if locked.supersedes_id and locked.outcome == DecisionOutcome.APPROVED:
        payments_replan(application=locked.application, granted=locked.granted_amount)
    _audit_decision("decision.confirm", locked, by=by)
    _enqueue_on_commit("generate_decision_letter", decision_id=locked.pk)
    return locked


def decisions_confirm_batch(*, decisions: list[Decision], by: User) -> list[tuple[Decision, str]]:
    """Confirm many, each on its own: one refused (the budget, say) does not stop the others.

    Returns ``(decision, "")`` for each confirmed and ``(decision, message)`` for each refused.
    """
    results = []
    for decision in decisions:
        try:
            results.append((decision_confirm(decision=decision, by=by), ""))
        except ValidationError as error:
            results.append((decision, " ".join(error.messages)))
        except PermissionDenied:
            if decision.proposed_by_id == by.pk:
                message = _("You may not confirm a decision you proposed.")
            else:
                message = _("You do not have the right to confirm decisions.")
            results.append((decision, message))
    return results


@transaction.atomic
def decision_send_back(*, decision: Decision, by: User, comment: str) -> Decision:
    """A decision maker sends a proposal back to the programme manager, with a comment."""
    locked = _lock_decision(decision)
    if not rules.has_perm("applications.confirm_decision", by, locked):
        raise PermissionDenied
    if locked.status != DecisionStatus.PROPOSED:
        raise ValidationError(_("This decision is not waiting for confirmation."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Say why the proposal is sent back."))
    locked.status = DecisionStatus.SENT_BACK
    locked.sent_back_by = by
    locked.sent_back_at = timezone.now()
    locked.sent_back_comment = comment
    locked.save()
    _audit_decision("decision.send_back", locked, by=by)
    _enqueue_on_commit("send_decision_sent_back", decision_id=locked.pk)
    return locked


@transaction.atomic
def decision_release(*, decision: Decision, by: User | None) -> DecisionRelease | None:
    """Send a confirmed decision's letter out: the applicant sees it and is emailed.

    ``by=None`` is the system, releasing as soon as the letter exists when the call does not
    hold decisions. Nothing happens before the letter exists or when already released.
    """
    if by is not None:
        _require(by, "release_decisions")
    locked = _lock_decision(decision)
    if not locked.is_confirmed or not DecisionLetter.objects.filter(decision=locked).exists():
        return None
    release, created = DecisionRelease.objects.get_or_create(
        decision=locked, defaults={"released_by": by}
    )
    if created and locked.outcome == DecisionOutcome.APPROVED:
        application = _lock(locked.application)
        if application.state == S.APPROVED and application.accept_by is None:
            # The applicant's time to accept runs from the day they are told.
            application.accept_by = timezone.localdate() + timedelta(
                days=application.call.acceptance_days
            )
            application.save(update_fields=["accept_by"])
    if created:
        _audit_decision("decision.release", locked, by=by)
        _enqueue_on_commit("send_decision_ready", decision_id=locked.pk)
    return release if created else None


def decisions_release_for_call(*, call: Call, by: User) -> tuple[int, int]:
    """Release every held decision of a call whose letter is ready.

    Returns (released, still waiting for their letter).
    """
    _require(by, "release_decisions")
    held = Decision.objects.filter(
        application__call=call, status=DecisionStatus.CONFIRMED, release__isnull=True
    )
    released = waiting = 0
    for decision in held:
        if decision_release(decision=decision, by=by):
            released += 1
        else:
            waiting += 1
    return released, waiting


# -- confirming a selection as a background job (issue 15) ---------------------------------------

CONFIRM_RUNNER = "decisions_confirm"


def decisions_confirm_start(*, decisions: list[Decision], by: User):
    """Start confirming the chosen decisions in the task worker; returns ``(job, created)``.

    Only a decision maker may start it (a programme manager's crafted POST is refused here).
    The same selection started twice, by a double click or a second tab, is one job. Each
    decision is then confirmed by ``decision_confirm`` on its own, with every check it makes.
    """
    _require(by, "decide_application")
    ids = sorted({decision.pk for decision in decisions})
    if not ids:
        raise ValidationError(_("Select at least one decision to confirm."))
    return job_start(
        kind=JobKind.BATCH_CONFIRMATION,
        key=f"confirm:{job_key_hash(*ids)}",
        runner=CONFIRM_RUNNER,
        by=by,
        total=len(ids),
        params={"decision_ids": ids},
    )


def decisions_confirm_run(job) -> None:
    """The job's work: confirm each decision in its own transaction, counting it in the same one.

    An item already recorded in the job's result (a task run twice) is passed over; a decision
    already confirmed is skipped and counted as such; one refused (the budget, the four-eyes
    rule, no longer waiting) is reported with the service's reason and the others go on.
    """
    by = job.started_by
    for pk in job.params["decision_ids"]:
        with transaction.atomic():
            # The job's row first: two workers on one job (a retry while the first still runs)
            # take turns per item, and each sees what the other recorded.
            items = dict(job_lock(job).result.get("items", {}))
            if str(pk) in items:
                continue
            items[str(pk)] = _confirm_item(pk, by=by)
            job_progress(job, done=len(items), result=_confirm_result(items))
    job.refresh_from_db(fields=["result", "done"])
    job_finish(job, result=_confirm_result(dict(job.result.get("items", {}))))


def _confirm_item(pk: int, *, by: User | None) -> dict:
    decision = Decision.objects.select_related("application").filter(pk=pk).first()
    if decision is None:
        item = {"number": "", "application": None}
        return {**item, "outcome": "refused", "reason": _("The decision no longer exists.")}
    item = {
        "number": decision.application.registration_number,
        "application": decision.application_id,
    }
    if decision.status == DecisionStatus.CONFIRMED:
        return {**item, "outcome": "skipped", "reason": _("It was already confirmed.")}
    if by is None:
        return {**item, "outcome": "refused", "reason": _("No one to confirm it.")}
    ((_decision, reason),) = decisions_confirm_batch(decisions=[decision], by=by)
    return {**item, "outcome": "refused" if reason else "confirmed", "reason": reason}


def _confirm_result(items: dict) -> dict:
    counts = {"confirmed": 0, "skipped": 0, "refused": 0}
    for item in items.values():
        counts[item["outcome"]] += 1
    return {"items": items, "counts": counts}
