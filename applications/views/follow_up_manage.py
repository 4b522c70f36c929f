"""Follow-up pages of the programme manager: the follow-up case page (payments, repayments,
closure), the report review page, and the finance CSV.

Grants are fetched through ``follow_up._get_grant_for_staff`` (not visible → 404, not allowed →
403), reports and payments through their application; every write is one service call, and the
service checks the right again.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..enums import ApplicationState, PaymentStatus, ReportKind, ReportStatus
from ..export_jobs import export_in_background, export_start
from ..exports import finance_outstanding_export
from ..forms.follow_up import (
    FinanceFilterForm,
    PaymentPaidForm,
    RepaymentReceivedForm,
    ReportApproveForm,
    ReportReturnForm,
)
from ..selectors.decisions import effective_decision
from ..selectors.finance import finance_outstanding
from ..selectors.follow_up import (
    acceptance_of,
    closing_letter_of,
    closure_blockers,
    money_of,
    payments_of,
    repayment_claims_of,
    report_errors,
)
from ..services.exports import finance_export_record
from ..services.follow_up import (
    application_close,
    payment_mark_paid,
    repayment_mark_settled,
    report_approve,
    report_return,
)
from .confirm import asks_confirmation, carried_fields, render_confirm
from .follow_up import _financial, _get_grant_for_staff, _measure_values, _report_of
from .jobs import redirect_to_job

S = ApplicationState


def _payment_rows(application, *, may_pay: bool, payment_forms: dict) -> list[tuple]:
    """(payment, form) per instalment; a form to record a due instalment as paid."""
    today = timezone.localdate()
    payments = []
    for payment in application.payments.all():
        # A posted form comes back with its errors, whatever the payment's status now.
        form = payment_forms.get(payment.pk)
        if form is None and may_pay and payment.status == PaymentStatus.DUE:
            form = PaymentPaidForm(prefix=f"payment-{payment.pk}", initial={"paid_on": today})
        payments.append((payment, form))
    return payments


def _claim_rows(application, *, may_pay: bool, claim_forms: dict) -> list[tuple]:
    """(claim, form) per repayment claim; a form to record an open claim as received."""
    today = timezone.localdate()
    claims = []
    for claim in application.repayment_claims.all():
        form = claim_forms.get(claim.pk)
        if form is None and may_pay and not claim.settled_on:
            form = RepaymentReceivedForm(prefix=f"claim-{claim.pk}", initial={"settled_on": today})
        claims.append((claim, form))
    return claims


def _render_manage(
    request, application, *, payment_forms=None, claim_forms=None, close_errors=(), status=200
):
    user = request.user
    may_pay = rules.has_perm("applications.manage_payments", user, application)
    payments = _payment_rows(application, may_pay=may_pay, payment_forms=payment_forms or {})
    claims = _claim_rows(application, may_pay=may_pay, claim_forms=claim_forms or {})
    in_follow_up = application.state == S.FOLLOW_UP
    blockers = closure_blockers(application) if in_follow_up else []
    return render(
        request,
        "applications/follow_up/manage.html",
        {
            "application": application,
            "decision": effective_decision(application),
            "acceptance": acceptance_of(application),
            "payments": payments,
            "reports": list(application.reports.all()),
            "claims": claims,
            "money": money_of(application),
            "blockers": blockers,
            "may_close": in_follow_up
            and rules.has_perm("applications.close_application", user, application),
            "close_errors": list(close_errors),
            "closing_letter": closing_letter_of(application),
        },
        status=status,
    )


@never_cache
@login_required
def manage_follow_up(request, pk):
    application = _get_grant_for_staff(request, pk)
    return _render_manage(request, application)


@require_POST
@login_required
def manage_payment_paid(request, pk, payment_pk):
    application = _get_grant_for_staff(request, pk, "applications.manage_payments")
    payment = get_object_or_404(payments_of(application), pk=payment_pk)
    form = PaymentPaidForm(request.POST, prefix=f"payment-{payment.pk}")
    if form.is_valid():
        try:
            payment_mark_paid(
                payment=payment,
                by=request.user,
                paid_on=form.cleaned_data["paid_on"],
                reference=form.cleaned_data["reference"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Instalment %(position)s was recorded as paid.") % {"position": payment.position},
            )
            return redirect("applications:manage_follow_up", pk=application.pk)
    return _render_manage(request, application, payment_forms={payment.pk: form}, status=400)


@require_POST
@login_required
def manage_repayment_received(request, pk, claim_pk):
    application = _get_grant_for_staff(request, pk, "applications.manage_payments")
    claim = get_object_or_404(repayment_claims_of(application), pk=claim_pk)
    form = RepaymentReceivedForm(request.POST, prefix=f"claim-{claim.pk}")
    if form.is_valid():
        try:
            repayment_mark_settled(
                claim=claim, by=request.user, settled_on=form.cleaned_data["settled_on"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The repayment was recorded as received."))
            return redirect("applications:manage_follow_up", pk=application.pk)
    return _render_manage(request, application, claim_forms={claim.pk: form}, status=400)


@require_POST
@login_required
def manage_close(request, pk):
    application = _get_grant_for_staff(request, pk, "applications.close_application")
    if asks_confirmation(request):
        return render_confirm(
            request,
            title=_("Close the grant %(number)s?") % {"number": application.registration_number},
            consequences=[
                _(
                    "A closed grant cannot be reopened: no more payments, reports or "
                    "repayments are recorded on it."
                ),
                _("The closing letter is made and the applicant is emailed."),
            ],
            action_url=request.path,
            button=_("Yes, close the grant"),
            cancel_url=reverse("applications:manage_follow_up", args=[application.pk]),
        )
    try:
        application_close(application=application, by=request.user)
    except ValidationError as error:
        return _render_manage(request, application, close_errors=error.messages, status=400)
    messages.success(
        request,
        _("The grant is closed. The closing letter is being made and the applicant is emailed."),
    )
    return redirect("applications:manage_follow_up", pk=application.pk)


# -- the programme manager's report review -------------------------------------------------------


def _render_manage_report(
    request, application, report, *, approve_form=None, return_form=None, errors=(), status=200
):
    may_review = report.status == ReportStatus.SUBMITTED and rules.has_perm(
        "applications.review_report", request.user, report
    )
    return render(
        request,
        "applications/follow_up/manage_report.html",
        {
            "application": application,
            "report": report,
            "measures": _measure_values(application.call, report),
            "financial": _financial(report),
            "report_errors": report_errors(report)
            if report.status == ReportStatus.SUBMITTED
            else [],
            "may_review": may_review,
            "approve_form": approve_form or ReportApproveForm(prefix="approve"),
            "return_form": return_form or ReportReturnForm(prefix="return"),
            "errors": list(errors),
        },
        status=status,
    )


@never_cache
@login_required
def manage_report(request, pk, report_pk):
    application = _get_grant_for_staff(request, pk)
    report = _report_of(application, report_pk)
    return _render_manage_report(request, application, report)


@require_POST
@login_required
def manage_report_approve(request, pk, report_pk):
    application = _get_grant_for_staff(request, pk, "applications.review_report")
    report = _report_of(application, report_pk)
    form = ReportApproveForm(request.POST, prefix="approve")
    if form.is_valid() and asks_confirmation(request):
        return render_confirm(
            request,
            title=_("Approve %(report)s of %(number)s?")
            % {"report": report.title, "number": application.registration_number},
            consequences=[
                _(
                    "An approved report cannot be returned or changed, and the applicant is "
                    "emailed."
                ),
                _(
                    "The grant is settled: what is still to pay is lowered to what was spent, "
                    "and a repayment claim is made if less was spent than was paid."
                )
                if report.kind == ReportKind.FINAL
                else _("Its instalment becomes due for payment."),
            ],
            action_url=request.path,
            carry=carried_fields(request.POST),
            button=_("Yes, approve the report"),
            cancel_url=reverse("applications:manage_report", args=[application.pk, report.pk]),
        )
    if form.is_valid():
        try:
            report_approve(report=report, by=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            return _render_manage_report(
                request, application, report, approve_form=form, errors=error.messages, status=400
            )
        messages.success(
            request,
            _("%(report)s was approved. The applicant is emailed.") % {"report": report.title},
        )
        return redirect("applications:manage_follow_up", pk=application.pk)
    return _render_manage_report(request, application, report, approve_form=form, status=400)


@require_POST
@login_required
def manage_report_return(request, pk, report_pk):
    application = _get_grant_for_staff(request, pk, "applications.review_report")
    report = _report_of(application, report_pk)
    form = ReportReturnForm(request.POST, prefix="return")
    if form.is_valid():
        try:
            report_return(report=report, by=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(report)s was returned to the applicant with your comment.")
                % {"report": report.title},
            )
            return redirect("applications:manage_follow_up", pk=application.pk)
    return _render_manage_report(request, application, report, return_form=form, status=400)


# -- the finance CSV -----------------------------------------------------------------------------


@require_POST
@login_required
def finance_csv(request, fmt="csv"):
    """Payments due and repayments not yet received, one row each, for the finance system.

    CSV or XLSX in the same formats as the case list's export (``applications.exports``: for
    a Swedish spreadsheet, cells that a spreadsheet would run as formulas defused). A posted
    ``call`` keeps one call's rows.

    POST only (the button on the follow-up overview), since it writes an audit entry.
    """
    if not rules.has_perm("applications.manage_payments", request.user, None):
        raise PermissionDenied
    filter_form = FinanceFilterForm(request.POST)
    if not filter_form.is_valid():
        return HttpResponseBadRequest(_("There is no such call."), content_type="text/plain")
    call = filter_form.cleaned_data["call"]
    payments, claims = finance_outstanding(call=call)
    rows = finance_export_record(
        by=request.user, call=call, payments=payments, claims=claims, fmt=fmt
    )
    if export_in_background(rows):
        params = {"call": call.pk if call else None, "fmt": fmt}
        job, _created = export_start(kind="finance", by=request.user, params=params, rows=rows)
        return redirect_to_job(job)
    return finance_outstanding_export(payments, claims, fmt)


urlpatterns = [
    path("manage/applications/<int:pk>/follow-up/", manage_follow_up, name="manage_follow_up"),
    path(
        "manage/applications/<int:pk>/follow-up/payments/<int:payment_pk>/paid/",
        manage_payment_paid,
        name="manage_payment_paid",
    ),
    path(
        "manage/applications/<int:pk>/follow-up/repayments/<int:claim_pk>/received/",
        manage_repayment_received,
        name="manage_repayment_received",
    ),
    path("manage/applications/<int:pk>/follow-up/close/", manage_close, name="manage_close"),
    path(
        "manage/applications/<int:pk>/reports/<int:report_pk>/",
        manage_report,
        name="manage_report",
    ),
    path(
        "manage/applications/<int:pk>/reports/<int:report_pk>/approve/",
        manage_report_approve,
        name="manage_report_approve",
    ),
    path(
        "manage/applications/<int:pk>/reports/<int:report_pk>/return/",
        manage_report_return,
        name="manage_report_return",
    ),
    path("manage/finance.csv", finance_csv, name="finance_csv"),
    path("manage/finance.xlsx", finance_csv, {"fmt": "xlsx"}, name="finance_xlsx"),
]
