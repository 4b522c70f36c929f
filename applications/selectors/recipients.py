"""Reads for the emails: which of the agency's staff an email about a case goes to, and what
comes next for a grant.

The applicant's side of an email goes to the organisation's people and the application's
contact (``emails._organisation_recipients``); these are the agency's side.
"""

from django.db.models import QuerySet

from ..enums import PaymentStatus, ReportStatus
from ..models import Application, Decision, Payment, Report, User
from ..rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from .decisions import effective_decision


def _active_in(group: str) -> QuerySet[User]:
    return User.objects.filter(groups__name=group, is_active=True).distinct().order_by("email")


def decision_makers_for(decision: Decision) -> list[User]:
    """Who is told that a proposal waits: every active decision maker who may confirm it, so
    never its proposer (the four-eyes rule). Calls have no decision makers of their own, so
    this is the agency's whole group."""
    return list(_active_in(DECISION_MAKERS).exclude(pk=decision.proposed_by_id))


def case_officers_of(application: Application) -> list[User]:
    """Who follows a grant up: the programme manager who presented its decision, while still an
    active programme manager; otherwise (they left, or changed role) every active programme
    manager, so a report or an acceptance never goes unnoticed."""
    decision = effective_decision(application)
    managers = _active_in(PROGRAMME_MANAGERS)
    if decision is not None:
        presenter = managers.filter(pk=decision.proposed_by_id)
        if presenter.exists():
            return list(presenter)
    return list(managers)


def next_payment_of(payment: Payment) -> Payment | None:
    """The instalment after ``payment`` still to be paid (planned or due), if any."""
    return (
        payment.application.payments.filter(
            position__gt=payment.position,
            status__in=[PaymentStatus.PLANNED, PaymentStatus.DUE],
        )
        .order_by("position")
        .first()
    )


def open_payments_of(application: Application) -> list[Payment]:
    """The grant's instalments still to be paid (planned or due), in order."""
    return list(
        application.payments.filter(status__in=[PaymentStatus.PLANNED, PaymentStatus.DUE]).order_by(
            "position"
        )
    )


def due_payments_of(application: Application) -> list[Payment]:
    """The grant's instalments due for payment now, in order."""
    return list(application.payments.filter(status=PaymentStatus.DUE).order_by("position"))


def next_report_of(application: Application) -> Report | None:
    """The first report the grantee still has to hand in (not submitted, or returned)."""
    return (
        application.reports.filter(status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED])
        .order_by("due_on", "number")
        .first()
    )
