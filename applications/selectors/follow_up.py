"""Reads for follow-up: the acceptance text, reports' errors, what blocks closing, a grant's
money, the closing letter's data, and what the follow-up pages fetch."""

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from ..enums import PaymentStatus, ReportKind, ReportStatus
from ..formatting import format_kronor
from ..models import (
    Acceptance,
    Application,
    ClosingLetter,
    Decision,
    Payment,
    RepaymentClaim,
    Report,
)
from .applications import latest_version
from .decisions import effective_decision


def acceptance_text(application: Application, decision: Decision) -> str:
    """The text a signatory accepts: the grant, its period and the decision's conditions, in the
    application's language. Kept word for word with the acceptance."""

    data = decision.letter_data
    with translation.override(application.language):
        lines = [
            _(
                "%(organisation)s (%(orgnr)s) accepts the grant of %(amount)s kr decided on "
                "%(date)s for “%(title)s”, registration number %(number)s, for the period "
                "%(start)s to %(end)s, on the conditions below."
            )
            % {
                "organisation": data["organisation"]["name"],
                "orgnr": data["organisation"]["orgnr"],
                "amount": format_kronor(decision.granted_amount),
                "date": data["decided_on"],
                "title": data["title"],
                "number": data["registration_number"],
                "start": data["period"]["start"],
                "end": data["period"]["end"],
            },
            "",
            _("Conditions:"),
            decision.conditions or _("The general conditions of the call."),
            "",
            _(
                "We will report as the call requires, use the grant only for the project, and "
                "pay back what is not spent on it."
            ),
        ]
    return "\n".join(str(line) for line in lines)


def granted_budget_lines(application: Application) -> list[dict]:
    """The budget lines of the version the grant was decided on (the latest submitted)."""
    version = latest_version(application)
    return list(version.content.get("budget_lines", [])) if version else []


def report_errors(report) -> list[str]:
    """What stops a report from being submitted or approved, as messages for the user; empty
    when it is complete and its financial report adds up."""

    errors = []
    if not report.what_was_done:
        errors.append(_("Describe what was done."))
    if not report.lessons:
        errors.append(_("Describe what the organisation learnt."))
    if report.participants is None:
        errors.append(_("Give the number of employees taking part."))
    if report.hub_days is None:
        errors.append(_("Give the number of days used at the hub."))
    call = report.application.call
    if report.kind == ReportKind.FINAL:
        for measure in call.report_measures or []:
            if measure["key"] not in (report.measures or {}):
                errors.append(_("Give “%(label)s”.") % {"label": call.measure_label(measure)})
    costs = list(report.costs.all())
    if any(cost.spent is None for cost in costs):
        errors.append(_("Give the amount spent on every budget line (0 if nothing)."))
    if report.total_spent is None:
        errors.append(_("Give the total spent."))
    elif not any(cost.spent is None for cost in costs):
        lines_total = sum(cost.spent for cost in costs)
        if lines_total != report.total_spent:
            errors.append(
                _(
                    "The financial report does not add up: the lines come to %(lines)s kr but "
                    "the total spent says %(total)s kr."
                )
                % {"lines": format_kronor(lines_total), "total": format_kronor(report.total_spent)}
            )
    return errors


def closure_blockers(application: Application) -> list[str]:
    """Why a grant in follow-up cannot be closed yet; empty when it can."""

    blockers = []
    reports = list(application.reports.all())
    final = next((r for r in reports if r.kind == ReportKind.FINAL), None)
    if final is None or final.status != ReportStatus.APPROVED:
        blockers.append(_("The final report has not been approved."))
    if any(r.status != ReportStatus.APPROVED for r in reports if r.kind != ReportKind.FINAL):
        blockers.append(_("An interim report has not been approved."))
    if application.payments.filter(status__in=[PaymentStatus.PLANNED, PaymentStatus.DUE]).exists():
        blockers.append(_("An instalment has not been paid yet."))
    if application.repayment_claims.filter(settled_on__isnull=True).exists():
        blockers.append(_("A repayment has not been received yet."))
    return blockers


def money_of(application: Application) -> dict:
    """Granted, paid, due, repaid and still to repay for one grant, in kronor."""

    payments = list(application.payments.all())
    claims = list(application.repayment_claims.all())
    decision = effective_decision(application)
    return {
        "granted": decision.granted_amount if decision else 0,
        "paid": sum(p.amount for p in payments if p.status == PaymentStatus.PAID),
        "due": sum(p.amount for p in payments if p.status == PaymentStatus.DUE),
        "reclaimed": sum(c.amount for c in claims),
        "repaid": sum(c.amount for c in claims if c.settled_on),
        "to_repay": sum(c.amount for c in claims if not c.settled_on),
    }


def closing_letter_data(application: Application, *, closed_by, closed_on) -> dict:
    """Everything the closing letter shows, frozen when the grant is closed."""

    decision = effective_decision(application)
    final = application.reports.get(kind=ReportKind.FINAL)
    money = money_of(application)
    return {
        "agency": settings.AGENCY_NAME,
        "registration_number": application.registration_number,
        "language": application.language,
        "closed_on": closed_on.isoformat(),
        "organisation": {
            "name": application.organisation.name,
            "orgnr": application.organisation.orgnr,
            "address": application.organisation.address,
        },
        "title": decision.letter_data["title"],
        "period": decision.letter_data["period"],
        "call": decision.letter_data["call"],
        "decided_on": decision.letter_data["decided_on"],
        "granted_amount": money["granted"],
        "spent": final.total_spent,
        "paid": money["paid"],
        "repaid": money["repaid"],
        "final_report_approved_on": final.reviewed_at.date().isoformat()
        if final.reviewed_at
        else None,
        "closed_by": closed_by.full_name,
    }


def with_follow_up(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """The applications with what the follow-up pages list, in a fixed number of queries."""
    return queryset.prefetch_related(
        "payments",
        "repayment_claims",
        Prefetch("reports", queryset=Report.objects.order_by("due_on", "kind", "number")),
    )


def reports_of(application: Application) -> QuerySet[Report]:
    """The application's reports, each with who reviewed and submitted it and its cost lines."""
    return (
        Report.objects.filter(application=application)
        .select_related("reviewed_by", "submitted_by")
        .prefetch_related("costs")
    )


def payments_of(application: Application) -> QuerySet[Payment]:
    return Payment.objects.filter(application=application)


def repayment_claims_of(application: Application) -> QuerySet[RepaymentClaim]:
    return RepaymentClaim.objects.filter(application=application)


def acceptance_of(application: Application) -> Acceptance | None:
    """The grant's acceptance with who accepted it, or None."""
    return Acceptance.objects.filter(application=application).select_related("accepted_by").first()


def closing_letter_of(application: Application) -> ClosingLetter | None:
    """The closing letter's row, stored or still being made, or None."""
    return ClosingLetter.objects.filter(application=application).first()


def stored_closing_letter(application: Application) -> ClosingLetter | None:
    """The closing letter once its file is stored (it has its SHA-256), else None."""
    return ClosingLetter.objects.filter(application=application).exclude(sha256="").first()


def signatory_names(application: Application) -> list[str]:
    """The names (or email addresses) of the applying organisation's signatories."""
    return [
        membership.user.full_name or membership.user.email
        for membership in application.organisation.memberships.filter(is_signatory=True)
        .select_related("user")
        .order_by("user__full_name")
    ]
