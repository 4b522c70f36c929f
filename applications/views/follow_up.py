"""Follow-up pages: the applicant's grant page (acceptance, payments, reports, repayments, the
closing letter) and report form, with what both sides show of a report. The programme
manager's pages are in ``follow_up_manage``.

Applications are fetched through the visibility selector (not visible → 404, visible but not
allowed → 403), reports and payments through their application. An applicant sees the grant
only once its approval is released (``accept_by`` is set on release), so a held decision is
not given away by a 403. Every write is one service call, and the service checks the right
again. Agency staff who open an applicant's page are sent to the case-handling one, as on the
application page.
"""

import hashlib

import rules
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from ..downloads import stored_file_response
from ..enums import ApplicationState
from ..forms.applicant import form_errors
from ..forms.conflicts import report_conflict_rows
from ..forms.follow_up import (
    AcceptGrantForm,
    ReportForm,
)
from ..login_security.assurance import is_strong_login, signing_needs_strong_login
from ..login_security.oidc import eid_login_url
from ..models import Report
from ..rules import is_applicant
from ..selectors.applications import applications_visible_to
from ..selectors.decisions import effective_decision
from ..selectors.follow_up import (
    acceptance_of,
    acceptance_text,
    money_of,
    reports_of,
    signatory_names,
    stored_closing_letter,
    with_follow_up,
)
from ..services.edit_conflicts import StaleEdit
from ..services.follow_up import (
    application_accept_grant,
    report_save,
    report_submit,
)
from .applicant import _get_application_for_user

S = ApplicationState
GRANT_STATES = (S.APPROVED, S.FOLLOW_UP, S.CLOSED)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- fetching ------------------------------------------------------------------------------------


def _get_grant_for_user(request, pk, perm: str = "view_application"):
    """The application if the user sees it (else 404), has ``perm`` (else 403), and it is a
    grant released to the applicant: approved (with ``accept_by``), in follow-up or closed."""
    application = _get_application_for_user(request, pk, perm, queryset=with_follow_up)
    if application.state not in GRANT_STATES or application.accept_by is None:
        raise Http404
    return application


def _get_grant_for_staff(request, pk, perm: str = "applications.list_applications"):
    """The grant as the agency sees it: 404 when not visible or not a grant, 403 when the
    user lacks ``perm``. Staff see an approval before it is released too."""
    queryset = with_follow_up(applications_visible_to(request.user))
    application = get_object_or_404(queryset, pk=pk)
    if not rules.has_perm(perm, request.user, application):
        raise PermissionDenied
    if application.state not in GRANT_STATES or application.registration_number is None:
        raise Http404
    return application


def _report_of(application, report_pk) -> Report:
    report = get_object_or_404(reports_of(application), pk=report_pk)
    report.application = application  # the one already fetched, with its call
    return report


# -- the applicant's grant page ------------------------------------------------------------------


def _grant_context(request, application, *, accept_form=None, accept_errors=()) -> dict:
    decision = effective_decision(application)
    acceptance = acceptance_of(application)
    context = {
        "application": application,
        "decision": decision,
        "acceptance": acceptance,
        "lapsed": application.state == S.CLOSED and acceptance is None,
        "payments": list(application.payments.all()),
        "reports": list(application.reports.all()),
        "claims": list(application.repayment_claims.all()),
        "money": money_of(application),
        "closing_letter": stored_closing_letter(application),
        "bankgiro": getattr(settings, "AGENCY_BANKGIRO", ""),
    }
    if application.state == S.APPROVED and decision is not None:
        context.update(
            _acceptance_context(request, application, decision, accept_form, accept_errors)
        )
    return context


def _acceptance_context(request, application, decision, accept_form, accept_errors) -> dict:
    """The acceptance part of an approved grant's page: the text, the form, who may sign."""
    text = acceptance_text(application, decision)
    can_accept = rules.has_perm("applications.accept_grant", request.user, application)
    return {
        "needs_strong_login": signing_needs_strong_login(request),
        "strong_login_url": eid_login_url(request.path),
        "acceptance_text": text,
        "deadline_passed": timezone.localdate() > application.accept_by,
        "can_accept": can_accept,
        "accept_form": accept_form
        or AcceptGrantForm(
            initial={"text_sha256": _sha256(text)},
            organisation_name=application.organisation.name,
        ),
        "accept_errors": list(accept_errors),
        "signatories": [] if can_accept else signatory_names(application),
    }


@never_cache
@login_required
def grant(request, pk):
    application = _get_grant_for_user(request, pk)
    if not is_applicant(request.user, application):
        # Agency staff reach this address from emails; their page is the case-handling one.
        return redirect("applications:manage_follow_up", pk=application.pk)
    return render(
        request, "applications/follow_up/grant.html", _grant_context(request, application)
    )


@require_POST
@login_required
def grant_accept(request, pk):
    application = _get_grant_for_user(request, pk, "accept_grant")
    if signing_needs_strong_login(request):
        messages.error(request, _("Accepting a grant needs a login with e-legitimation."))
        return redirect(eid_login_url(reverse("applications:follow_up", args=[application.pk])))
    form = AcceptGrantForm(request.POST, organisation_name=application.organisation.name)
    errors = []
    if form.is_valid():
        decision = effective_decision(application)
        text = acceptance_text(application, decision) if decision else ""
        if not decision or form.cleaned_data["text_sha256"] != _sha256(text):
            errors = [_("The conditions have changed since the page was shown. Read them again.")]
        else:
            try:
                application_accept_grant(
                    application=application,
                    by=request.user,
                    text=text,
                    strong_login=is_strong_login(request),
                )
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(
                    request,
                    _(
                        "You have accepted the grant. The first payment is made according to "
                        "the payment plan below."
                    ),
                )
                return redirect("applications:follow_up", pk=application.pk)
    application.refresh_from_db()
    return render(
        request,
        "applications/follow_up/grant.html",
        _grant_context(request, application, accept_form=form, accept_errors=errors),
        status=400,
    )


@require_safe
@login_required
def closing_letter(request, pk):
    """The closing letter, to the organisation's members and agency staff, once it is made."""
    application = _get_grant_for_user(request, pk)
    letter = stored_closing_letter(application)
    if letter is None:
        raise Http404
    with translation.override(letter.letter_data.get("language") or application.language):
        filename = _("closing-letter-%(number)s.pdf") % {"number": application.registration_number}
    response = stored_file_response(letter.file, filename=filename, content_type="application/pdf")
    response["Content-Length"] = str(letter.size)
    return response


# -- the applicant's report ----------------------------------------------------------------------


def _render_report(
    request, application, report, *, form=None, submit_errors=(), conflict=None, status=200
):
    form = form or ReportForm(report=report)
    return render(
        request,
        "applications/follow_up/report_edit.html",
        {
            "application": application,
            "report": report,
            "form": form,
            "editable": report.is_editable and application.state == S.FOLLOW_UP,
            "submit_errors": list(submit_errors),
            # The summary at the top: what stops the submit, then each field's error.
            "errors": [("", str(message)) for message in submit_errors]
            + (form_errors(form) if form.is_bound else []),
            "conflict": conflict,  # a save refused as stale (``_report_conflict``)
            "measures": _measure_values(application.call, report),
            "financial": _financial(report),
        },
        status=status,
    )


@never_cache
@login_required
def report_edit(request, pk, report_pk):
    application = _get_grant_for_user(request, pk)
    report = _report_of(application, report_pk)
    if not is_applicant(request.user, application):
        if request.method == "POST":
            raise PermissionDenied
        return redirect("applications:manage_report", pk=application.pk, report_pk=report.pk)
    if request.method != "POST":
        return _render_report(request, application, report)
    if not rules.has_perm("applications.edit_report", request.user, report):
        raise PermissionDenied
    if not report.is_editable:
        messages.error(request, _("A submitted report cannot be changed."))
        return redirect("applications:report_edit", pk=application.pk, report_pk=report.pk)
    form = ReportForm(request.POST, report=report)
    if not form.is_valid():
        return _render_report(request, application, report, form=form, status=400)
    try:
        report_save(report=report, by=request.user, **form.service_arguments())
    except StaleEdit as stale:
        return _report_conflict(request, application, form, stale)
    except ValidationError as error:
        form.add_error(None, error)
        return _render_report(request, application, report, form=form, status=400)
    if request.POST.get("action") != "submit":
        messages.success(request, _("The report was saved as a draft."))
        return redirect("applications:report_edit", pk=application.pk, report_pk=report.pk)
    return _report_submit(request, application, report)


def _report_conflict(request, application, form, stale):
    """The report page again with the stored draft, and the refused save's texts beside it."""
    current = _report_of(application, stale.current.pk)
    conflict = {"message": stale.messages[0], "rows": report_conflict_rows(form, current)}
    return _render_report(request, application, current, conflict=conflict, status=409)


def _report_submit(request, application, report):
    """Submit the report just saved; on refusal the page again, with what stops the submit."""
    try:
        report_submit(report=report, by=request.user)
    except ValidationError as error:
        # The draft is saved (a complete save of its own); what stops the submit is listed.
        report = _report_of(application, report.pk)
        return _render_report(
            request,
            application,
            report,
            form=ReportForm(report=report),
            submit_errors=error.messages,
            status=400,
        )
    messages.success(
        request,
        _("The report was submitted to %(agency)s. You will hear from us when it is reviewed.")
        % {"agency": settings.AGENCY_NAME},
    )
    return redirect("applications:follow_up", pk=application.pk)


def _measure_values(call, report) -> list[tuple[str, str]]:
    """(label, value) of the call's measures, for the read-only report."""
    return [
        (call.measure_label(m), (report.measures or {}).get(m["key"], "").replace(".", ","))
        for m in call.report_measures or []
    ]


def _financial(report) -> dict:
    """The financial report's rows with budgeted, spent and the difference (budgeted − spent),
    and the totals; a total is None while a line's spent amount is missing."""
    costs = list(report.costs.all())
    rows = [
        {"cost": cost, "difference": None if cost.spent is None else cost.budgeted - cost.spent}
        for cost in costs
    ]
    complete = all(cost.spent is not None for cost in costs)
    spent = sum(cost.spent for cost in costs) if complete else None
    budgeted = sum(cost.budgeted for cost in costs)
    return {
        "rows": rows,
        "budgeted": budgeted,
        "spent": spent,
        "difference": None if spent is None else budgeted - spent,
        "stated": report.total_spent,
        "adds_up": spent is not None and spent == report.total_spent,
    }


# -- the programme manager's follow-up case page -------------------------------------------------


urlpatterns = [
    path("applications/<int:pk>/grant/", grant, name="follow_up"),
    path("applications/<int:pk>/grant/accept/", grant_accept, name="accept_grant"),
    path("applications/<int:pk>/grant/closing-letter.pdf", closing_letter, name="closing_letter"),
    path("applications/<int:pk>/reports/<int:report_pk>/", report_edit, name="report_edit"),
]
