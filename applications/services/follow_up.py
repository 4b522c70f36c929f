"""Follow-up of a grant: acceptance, the payment plan, reports, settlement, closure, reminders and
lapse.

After approval: a signatory accepts before ``accept_by``; the payment plan and the reports are
made from the call's settings and the effective decision; reports are submitted and approved or
returned; the final report's approval settles the money (a repayment claim when less was spent
than paid); the programme manager closes the grant and a closing letter follows.
"""

import datetime as dt
import hashlib
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import (
    acceptance_text,
    closing_letter_data,
    closure_blockers,
    granted_budget_lines,
    report_errors,
)
from applications.selectors.grant_plan import (
    instalments_planned,
    report_due_dates,
    split_instalments,  # noqa: F401 -- part of this module's interface (tests, callers)
    split_proportionally,
)
from grants.enums import InstalmentTrigger
from grants.models import Call

from ..audit import audit_record
from ..enums import PaymentStatus, ReminderKind, ReportKind, ReportStatus
from ..models import (
    Acceptance,
    Application,
    ClosingLetter,
    Payment,
    RepaymentClaim,
    Report,
    ReportCost,
    ReportReminder,
    User,
)
from ._common import S, _enqueue_on_commit, _lock, _log, _require, _save_transition
from .edit_conflicts import refuse_if_stale


@transaction.atomic
def application_accept_grant(
    *, application: Application, by: User, text: str, strong_login: bool = False
) -> Acceptance:
    """A signatory accepts the grant's conditions before ``accept_by``.

    ``text`` is the text the person was shown and accepted; it must be the one the service
    would show now (a decision corrected in between makes the person read it again).
    ``strong_login``: the person logged in with e-ID at a strong level in this session
    (``login_security.assurance.is_strong_login``); required when
    ``SIGNING_REQUIRES_STRONG_LOGIN`` is on.
    Side effects: the acceptance record, the transition to follow-up with its log row, the
    payment plan (instalments due on acceptance become due today) and the reports owed.
    """
    if settings.SIGNING_REQUIRES_STRONG_LOGIN and not strong_login:
        raise ValidationError(
            _("Accepting a grant needs a login with e-legitimation. Log in with it and try again."),
            code="strong_login",
        )
    locked = _lock(application)
    _require(by, "accept_grant", locked)
    if locked.state != S.APPROVED:
        raise ValidationError(_("Only an approved grant can be accepted."))
    if not can_proceed(locked.accept_grant):
        raise ValidationError(
            _("The last day to accept this grant was %(date)s. It can no longer be accepted.")
            % {"date": date_format(locked.accept_by, "j F Y") if locked.accept_by else "–"}
        )
    decision = effective_decision(locked)
    expected = acceptance_text(locked, decision)
    if text != expected:
        raise ValidationError(
            _("The conditions have changed since the page was shown. Read them again.")
        )
    now = timezone.now()
    acceptance = Acceptance.objects.create(
        application=locked,
        decision=decision,
        accepted_by=by,
        accepted_at=now,
        text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    locked.accept_grant()
    _save_transition(locked)
    _log(locked, name="accept_grant", source=S.APPROVED, by=by)
    _payments_plan(locked, granted=decision.granted_amount, today=timezone.localdate(now))
    period = decision.letter_data["period"]
    start = dt.date.fromisoformat(period["start"])
    end = dt.date.fromisoformat(period["end"])
    for kind, number, due_on in report_due_dates(locked.call, start, end):
        report = Report.objects.create(application=locked, kind=kind, number=number, due_on=due_on)
        ReportCost.objects.bulk_create(
            [
                ReportCost(
                    report=report,
                    position=i,
                    category=line["category"],
                    description=line["description"],
                    budgeted=line["amount"],
                )
                for i, line in enumerate(granted_budget_lines(locked))
            ]
        )
    _enqueue_on_commit("send_grant_accepted", acceptance_id=acceptance.pk)
    _enqueue_on_commit("send_grant_accepted_notice", acceptance_id=acceptance.pk)
    return acceptance


def _payments_plan(application: Application, *, granted: int, today) -> None:
    payments = []
    for instalment in instalments_planned(application.call, granted):
        due = instalment["trigger"] == InstalmentTrigger.ACCEPTANCE
        payments.append(
            Payment(
                application=application,
                position=instalment["position"],
                trigger=instalment["trigger"],
                report_number=instalment["report_number"],
                share=instalment["share"],
                planned_amount=instalment["amount"],
                amount=instalment["amount"],
                status=PaymentStatus.DUE if due else PaymentStatus.PLANNED,
                due_since=today if due else None,
            )
        )
    Payment.objects.bulk_create(payments)


def payments_replan(*, application: Application, granted: int) -> RepaymentClaim | None:
    """After a confirmed correction of a grant in follow-up: the instalments not yet paid are
    planned again so the plan adds up to the new amount; if more was paid than is now granted,
    the unpaid ones are cancelled and a repayment claim is made for the difference."""
    payments = list(application.payments.select_for_update().order_by("position"))
    if not payments:
        return None
    paid = sum(p.amount for p in payments if p.status == PaymentStatus.PAID)
    open_ = [p for p in payments if p.status in (PaymentStatus.PLANNED, PaymentStatus.DUE)]
    left = granted - paid
    if left > 0 and not open_:
        # Everything planned is paid (or was cancelled): what a correction upwards adds is one
        # more instalment, due now, or the plan would no longer add up to the grant.
        last = payments[-1]
        Payment.objects.create(
            application=application,
            position=last.position + 1,
            trigger=last.trigger,
            report_number=last.report_number,
            share=0,
            planned_amount=left,
            amount=left,
            status=PaymentStatus.DUE,
            due_since=timezone.localdate(),
        )
        return None
    if left <= 0:
        for payment in open_:
            payment.status = PaymentStatus.CANCELLED
            payment.amount = 0
            payment.planned_amount = 0
            payment.save()
        if left < 0:
            return RepaymentClaim.objects.create(application=application, amount=-left)
        return None
    shares = [p.share for p in open_]
    # An instalment added by a correction has no share of the plan: split evenly then.
    parts = split_proportionally(left, shares if any(shares) else [1] * len(shares))
    for payment, part in zip(open_, parts, strict=True):
        payment.planned_amount = payment.amount = part
        payment.save()
    return None


@transaction.atomic
def application_lapse(*, application: Application) -> Application | None:
    """The system closes an approved grant not accepted by ``accept_by``.

    Returns None, changing nothing, when the grant was accepted or lapsed meanwhile (the daily
    job may run twice). Side effects: the log row and a notification after commit.
    """
    locked = _lock(application)
    if locked.state != S.APPROVED or not can_proceed(locked.lapse):
        return None
    locked.lapse(at=timezone.now())
    _save_transition(locked)
    _log(locked, name="lapse", source=S.APPROVED, by=None, comment=f"accept_by {locked.accept_by}")
    _enqueue_on_commit("send_grant_lapsed", application_id=locked.pk)
    return locked


def grants_lapse_expired(*, today=None) -> int:
    """Lapse every approved grant whose last day to accept has passed. Returns how many."""
    today = today or timezone.localdate()
    lapsed = 0
    for application in Application.objects.filter(state=S.APPROVED, accept_by__lt=today):
        if application_lapse(application=application):
            lapsed += 1
    return lapsed


def _lock_report(report: Report) -> Report:
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("application__call", "application__organisation")
        .get(pk=report.pk)
    )


def _clean_measures(call: Call, measures: dict) -> dict:
    """The call's measures as decimal strings; unknown keys are dropped, blanks kept blank."""
    cleaned = {}
    for measure in call.report_measures or []:
        raw = str((measures or {}).get(measure["key"], "") or "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or abs(value) >= 10**9:
            raise ValidationError(
                _("“%(label)s” must be a number.") % {"label": call.measure_label(measure)}
            )
        cleaned[measure["key"]] = str(value)
    return cleaned


@transaction.atomic
def report_save(
    *,
    report: Report,
    by: User,
    what_was_done: str,
    lessons: str,
    participants: int | None,
    hub_days: int | None,
    measures: dict,
    total_spent: int | None,
    spent: dict[int, int | None],
    base_version: int | None = None,
) -> Report:
    """Save a report as a draft (nothing is checked for completeness until it is submitted).

    ``spent`` maps cost line ids to kronor spent. Refused once the report is submitted, and
    (``StaleEdit``, nothing written) when ``base_version`` is not the stored ``edit_version``:
    the draft was saved from another tab or by a colleague since the form was read. Every
    save counts ``edit_version`` up by one.
    """
    locked = _lock_report(report)
    _require(by, "edit_report", locked)
    if not locked.is_editable:
        raise ValidationError(_("A submitted report cannot be changed."))
    refuse_if_stale(locked, base_version)
    for value in (participants, hub_days, total_spent, *spent.values()):
        if value is not None and (value < 0 or value > 2_000_000_000):
            raise ValidationError(_("Figures must be whole numbers of zero or more."))
    locked.what_was_done = (what_was_done or "").strip()
    locked.lessons = (lessons or "").strip()
    locked.participants = participants
    locked.hub_days = hub_days
    locked.measures = _clean_measures(locked.application.call, measures)
    locked.total_spent = total_spent
    locked.edit_version += 1
    locked.save()
    costs = {cost.pk: cost for cost in locked.costs.all()}
    unknown = set(spent) - set(costs)
    if unknown:
        raise ValidationError(_("The cost lines have changed. Reload the page."))
    for pk, value in spent.items():
        costs[pk].spent = value
    ReportCost.objects.bulk_update(list(costs.values()), ["spent"])
    return locked


@transaction.atomic
def report_submit(*, report: Report, by: User) -> Report:
    """Submit a report to the agency; it is locked from then on.

    Refused, with every missing piece named, when the report is incomplete or its financial
    report does not add up.
    """
    locked = _lock_report(report)
    _require(by, "edit_report", locked)
    if not locked.is_editable:
        raise ValidationError(_("This report has already been submitted."))
    if locked.application.state != S.FOLLOW_UP:
        raise ValidationError(_("Reports are only submitted for grants in follow-up."))
    errors = report_errors(locked)
    if errors:
        raise ValidationError(errors)
    locked.status = ReportStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = by
    locked.save()
    audit_record(
        action="report.submit",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id, "total_spent": locked.total_spent},
    )
    _enqueue_on_commit("send_report_submitted", report_id=locked.pk)
    _enqueue_on_commit("send_report_submitted_notice", report_id=locked.pk)
    return locked


@transaction.atomic
def report_return(*, report: Report, by: User, comment: str) -> Report:
    """The programme manager returns a submitted report with a comment; the applicant is
    emailed after commit and may change and submit it again."""
    locked = _lock_report(report)
    _require(by, "review_report", locked)
    if locked.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be returned."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Say what needs to be completed."))
    locked.status = ReportStatus.RETURNED
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.review_comment = comment
    locked.save()
    audit_record(
        action="report.return",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id},
    )
    _enqueue_on_commit("send_report_returned", report_id=locked.pk)
    return locked


@transaction.atomic
def report_approve(*, report: Report, by: User, comment: str = "") -> Report:
    """Approve a submitted report.

    Refused when the financial report does not add up. An interim report makes its instalment
    due; the final report settles the grant: the instalments still to pay are lowered to what
    was spent, and a repayment claim is made when less was spent than was paid.
    """
    locked = _lock_report(report)
    _require(by, "review_report", locked)
    if locked.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be approved."))
    errors = report_errors(locked)
    if errors:
        raise ValidationError(errors)
    application = _lock(locked.application)
    if (
        locked.kind == ReportKind.FINAL
        and application.reports.filter(kind=ReportKind.INTERIM)
        .exclude(status=ReportStatus.APPROVED)
        .exists()
    ):
        raise ValidationError(_("Approve the interim reports before the final report."))
    locked.status = ReportStatus.APPROVED
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.review_comment = (comment or "").strip()
    locked.save()
    today = timezone.localdate()
    if locked.kind == ReportKind.INTERIM:
        application.payments.filter(
            trigger=InstalmentTrigger.INTERIM_REPORT,
            report_number=locked.number,
            status=PaymentStatus.PLANNED,
        ).update(status=PaymentStatus.DUE, due_since=today)
    else:
        _settle(application, report=locked, today=today, by=by)
    audit_record(
        action="report.approve",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id, "total_spent": locked.total_spent},
    )
    _enqueue_on_commit("send_report_approved", report_id=locked.pk)
    return locked


def _settle(application: Application, *, report: Report, today, by: User) -> None:
    """What is still to pay after the final report: at most what was spent, in all."""
    granted = effective_decision(application).granted_amount
    owed = min(report.total_spent, granted)
    payments = list(application.payments.select_for_update().order_by("position"))
    owed -= sum(p.amount for p in payments if p.status == PaymentStatus.PAID)
    for payment in payments:
        if payment.status not in (PaymentStatus.PLANNED, PaymentStatus.DUE):
            continue
        pay = max(0, min(payment.amount, owed))
        owed -= pay
        payment.amount = pay
        if pay:
            payment.status = PaymentStatus.DUE
            payment.due_since = payment.due_since or today
        else:
            payment.status = PaymentStatus.CANCELLED
        payment.save()
    if owed < 0:
        claim = RepaymentClaim.objects.create(application=application, report=report, amount=-owed)
        audit_record(
            action="repayment.claim",
            actor=by,
            target=claim,
            data={"application_id": application.pk, "amount": claim.amount},
        )


@transaction.atomic
def payment_mark_paid(*, payment: Payment, by: User, paid_on, reference: str = "") -> Payment:
    """A programme manager records that an instalment due was paid (on a day not in the
    future)."""
    locked = Payment.objects.select_for_update().select_related("application").get(pk=payment.pk)
    _require(by, "manage_payments", locked.application)
    if locked.status != PaymentStatus.DUE:
        raise ValidationError(_("Only an instalment due for payment can be marked as paid."))
    if paid_on is None or paid_on > timezone.localdate():
        raise ValidationError(_("Give the day the payment was made; it cannot be in the future."))
    locked.status = PaymentStatus.PAID
    locked.paid_on = paid_on
    locked.paid_by = by
    locked.reference = (reference or "").strip()[:100]
    locked.save()
    audit_record(
        action="payment.paid",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id, "amount": locked.amount},
    )
    _enqueue_on_commit("send_payment_paid", payment_id=locked.pk)
    return locked


@transaction.atomic
def repayment_mark_settled(*, claim: RepaymentClaim, by: User, settled_on) -> RepaymentClaim:
    """A programme manager records that a repayment was received."""
    locked = (
        RepaymentClaim.objects.select_for_update().select_related("application").get(pk=claim.pk)
    )
    _require(by, "manage_payments", locked.application)
    if locked.settled_on:
        raise ValidationError(_("This repayment has already been recorded."))
    if settled_on is None or settled_on > timezone.localdate():
        raise ValidationError(_("Give the day the money came in; it cannot be in the future."))
    locked.settled_on = settled_on
    locked.settled_by = by
    locked.save()
    audit_record(
        action="repayment.received",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id, "amount": locked.amount},
    )
    return locked


@transaction.atomic
def application_close(*, application: Application, by: User) -> Application:
    """Close a grant in follow-up once its final report is approved and its money settled.

    Side effects: the log row, the closing letter's frozen data, and the letter task after
    commit.
    """
    locked = _lock(application)
    _require(by, "close_application", locked)
    if not can_proceed(locked.close):
        raise ValidationError(_("Only a grant in follow-up can be closed."))
    blockers = closure_blockers(locked)
    if blockers:
        raise ValidationError(blockers)
    now = timezone.now()
    locked.close(at=now)
    _save_transition(locked)
    _log(locked, name="close", source=S.FOLLOW_UP, by=by)
    letter = ClosingLetter.objects.create(
        application=locked,
        letter_data=closing_letter_data(locked, closed_by=by, closed_on=timezone.localdate(now)),
    )
    _enqueue_on_commit("generate_closing_letter", letter_id=letter.pk)
    return locked


def follow_up_reminders_send(*, today=None) -> int:
    """Queue the reminder emails due today: before a report's due date (within the call's
    ``reminder_days_before``) and once it is overdue. Each reminder is sent at most once: the
    ``ReportReminder`` row's unique constraint decides, so two runs at the same moment, on
    any number of machines, send it once. Returns how many were queued."""
    today = today or timezone.localdate()
    queued = 0
    reports = Report.objects.filter(
        application__state=S.FOLLOW_UP,
        status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED],
    ).select_related("application__call")
    for report in reports.iterator():
        if today > report.due_on:
            kind = ReminderKind.OVERDUE
        elif today >= report.due_on - timedelta(days=report.application.call.reminder_days_before):
            kind = ReminderKind.BEFORE_DUE
        else:
            continue
        try:
            with transaction.atomic():
                reminder = ReportReminder.objects.create(report=report, kind=kind)
                _enqueue_on_commit("send_report_reminder", reminder_id=reminder.pk)
        except IntegrityError:
            continue
        queued += 1
    return queued
