"""The agency's case handling: the list of applications and one application's page.

Both agency roles may read; the actions (return for completion, late exception, eligibility,
start review) are the programme manager's. Every object is fetched through
``_get_application_for_staff``: not visible → 404, visible but not allowed → 403.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.pagination import IdsFirstPaginator

from ..enums import ApplicationState
from ..export_jobs import EXPORT_FILTER_FIELDS, export_in_background, export_start
from ..exports import case_list_export
from ..filters import DEFAULT_ORDERING, ApplicationFilter
from ..forms.manage import (
    DeadlineExceptionForm,
    EligibilityCheckForm,
    ReturnForCompletionForm,
)
from ..selectors.applications import (
    application_for_staff_detail,
    case_list,
    transitions_of,
)
from ..selectors.organisations import signatories_of
from ..services.exports import case_list_export_record
from ..services.transitions import (
    application_check_eligibility,
    application_record_deadline_exception,
    application_return_for_completion,
    application_start_review,
)
from .jobs import redirect_to_job

PAGE_SIZE = 50

# (ordering parameter or None, column heading, numeric)
COLUMNS = [
    ("registration_number", gettext_lazy("Registration number"), False),
    ("organisation", gettext_lazy("Organisation"), False),
    ("title", gettext_lazy("Title"), False),
    ("amount", gettext_lazy("Requested amount"), True),
    ("state", gettext_lazy("State"), False),
    ("submitted", gettext_lazy("Last submitted"), False),
]


def _require_staff(user) -> None:
    if not rules.has_perm("applications.list_applications", user):
        raise PermissionDenied


def _filtered_applications(request, data=None) -> ApplicationFilter:
    data = request.GET if data is None else data
    return ApplicationFilter(data, queryset=case_list(request.user), request=request)


def _sort_columns(request) -> list[dict]:
    current = request.GET.get("o") or DEFAULT_ORDERING
    columns = []
    for key, label, numeric in COLUMNS:
        if current == key:
            sort, next_value = "ascending", f"-{key}"
        elif current == f"-{key}":
            sort, next_value = "descending", key
        else:
            sort, next_value = None, key
        columns.append(
            {"key": key, "label": label, "numeric": numeric, "sort": sort, "next": next_value}
        )
    return columns


@login_required
def manage_list(request):
    _require_staff(request.user)
    filterset = _filtered_applications(request)
    page = IdsFirstPaginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/manage/list.html",
        {
            "filter": filterset,
            "page": page,
            "columns": _sort_columns(request),
            "can_record_exceptions": rules.has_perm(
                "applications.record_deadline_exception", request.user, None
            ),
        },
    )


def _export_filters(filterset: ApplicationFilter) -> dict:
    """The filters of an export, for the audit log: codes and ids, and only whether a search
    text was given (the text itself may name a person)."""
    data = filterset.form.cleaned_data if filterset.form.is_valid() else {}
    return {
        "call_id": data["call"].pk if data.get("call") else None,
        "state": data.get("state") or "",
        "kind": data.get("kind") or "",
        "county": data.get("county") or "",
        "search": bool((data.get("q") or "").strip()),
    }


@require_POST
@login_required
def manage_export(request, fmt="csv"):
    """The filtered list as CSV (for a Swedish spreadsheet: ``;``, UTF-8 with a BOM) or XLSX.

    POST only, since it writes an audit entry (a GET must change nothing: a prefetching
    browser or a crawler would log exports no one made). The list's buttons post the list's
    filters as hidden fields."""
    _require_staff(request.user)
    filterset = _filtered_applications(request, request.POST)
    applications = filterset.qs
    rows = case_list_export_record(
        by=request.user, applications=applications, filters=_export_filters(filterset), fmt=fmt
    )
    if export_in_background(rows):
        # Above the threshold the worker writes the file; its page offers the download.
        posted = {name: request.POST.get(name, "") for name in EXPORT_FILTER_FIELDS}
        job, _created = export_start(
            kind="case_list", by=request.user, params={**posted, "fmt": fmt}, rows=rows
        )
        return redirect_to_job(job)
    return case_list_export(applications, fmt)


def _get_application_for_staff(request, pk, perm: str = "applications.list_applications"):
    """The application as the agency sees it: 404 when the user cannot see it at all, 403
    when they can but lack ``perm`` (an applicant opening a staff page, a decision maker
    trying a programme manager's action)."""
    application = get_object_or_404(application_for_staff_detail(request.user), pk=pk)
    if not rules.has_perm(perm, request.user, application):
        raise PermissionDenied
    if application.registration_number is None:
        # Only a staff member who is also in the organisation gets here: drafts are not cases.
        raise Http404
    return application


def _actions(user, application) -> dict[str, bool]:
    submitted = application.state == ApplicationState.SUBMITTED

    def may(perm):
        return submitted and rules.has_perm(f"applications.{perm}", user, application)

    return {
        "return": may("return_application"),
        "exception": may("record_deadline_exception"),
        "eligibility": may("check_eligibility"),
        "start_review": may("start_review"),
    }


def _items(application) -> list[tuple[str, str]]:
    return [(item.key, item.label) for item in application.call.checklist()]


def _checklist(application, check) -> list[dict]:
    """The call's checklist as the check recorded it; an item taken off the list since, which
    the check recorded, still shows with its label."""
    ticked = check.items if check else {}
    return [
        {
            "label": item.label,
            "ticked": ticked.get(item.key) is True,
            "inactive": not item.is_active,
        }
        for item in application.call.checklist(with_inactive=True)
        if item.is_active or item.key in ticked
    ]


def _render_detail(request, application, **forms):
    versions = list(application.versions.all())  # prefetched, newest first
    version = versions[0] if versions else None
    check = getattr(application, "eligibility_check", None)
    actions = _actions(request.user, application)
    context = {
        "application": application,
        "version": version,
        "versions": versions,
        "deadline_exceptions": sorted(
            application.deadline_exceptions.all(), key=lambda e: e.granted_at, reverse=True
        ),
        "check": check,
        "checklist": _checklist(application, check),
        "transitions": transitions_of(application),
        "signatories": signatories_of(application.organisation),
        "actions": actions,
        "return_form": forms.get("return_form") or ReturnForCompletionForm(prefix="return"),
        "exception_form": forms.get("exception_form") or DeadlineExceptionForm(prefix="exception"),
        "eligibility_form": forms.get("eligibility_form")
        or EligibilityCheckForm(prefix="eligibility", check=check, items=_items(application)),
        "start_review_errors": forms.get("start_review_errors", []),
    }
    return render(request, "applications/manage/detail.html", context)


@login_required
def manage_detail(request, pk):
    application = _get_application_for_staff(request, pk)
    return _render_detail(request, application)


@require_POST
@login_required
def manage_return(request, pk):
    application = _get_application_for_staff(request, pk, "applications.return_application")
    form = ReturnForCompletionForm(request.POST, prefix="return")
    if form.is_valid():
        try:
            application_return_for_completion(
                application=application,
                by=request.user,
                message=form.cleaned_data["message"],
                deadline=form.cleaned_data["deadline"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The application was returned to the applicant for completion.")
            )
            return redirect("applications:manage_detail", pk=application.pk)
    return _render_detail(request, application, return_form=form)


@require_POST
@login_required
def manage_deadline_exception(request, pk):
    application = _get_application_for_staff(request, pk, "applications.record_deadline_exception")
    form = DeadlineExceptionForm(request.POST, prefix="exception")
    if form.is_valid():
        try:
            application_record_deadline_exception(
                application=application,
                by=request.user,
                new_deadline=form.cleaned_data["new_deadline"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The late exception was recorded."))
            return redirect("applications:manage_detail", pk=application.pk)
    return _render_detail(request, application, exception_form=form)


@require_POST
@login_required
def manage_eligibility(request, pk):
    application = _get_application_for_staff(request, pk, "applications.check_eligibility")
    form = EligibilityCheckForm(
        request.POST,
        prefix="eligibility",
        check=getattr(application, "eligibility_check", None),
        items=_items(application),
    )
    if form.is_valid():
        try:
            check = application_check_eligibility(
                application=application,
                by=request.user,
                items=form.cleaned_items(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if check.passed:
                messages.success(
                    request, _("The eligibility checklist was saved. Every item passed.")
                )
            else:
                messages.warning(
                    request,
                    _("The eligibility checklist was saved. Not every item is ticked yet."),
                )
            return redirect("applications:manage_detail", pk=application.pk)
    return _render_detail(request, application, eligibility_form=form)


@require_POST
@login_required
def manage_start_review(request, pk):
    application = _get_application_for_staff(request, pk, "applications.start_review")
    try:
        application_start_review(application=application, by=request.user)
    except ValidationError as error:
        return _render_detail(request, application, start_review_errors=error.messages)
    messages.success(request, _("Review has started for this application."))
    return redirect("applications:manage_detail", pk=application.pk)


urlpatterns = [
    path("manage/applications/", manage_list, name="manage_list"),
    path("manage/applications/export.csv", manage_export, name="manage_export"),
    path(
        "manage/applications/export.xlsx",
        manage_export,
        {"fmt": "xlsx"},
        name="manage_export_xlsx",
    ),
    path("manage/applications/<int:pk>/", manage_detail, name="manage_detail"),
    path("manage/applications/<int:pk>/return/", manage_return, name="manage_return"),
    path(
        "manage/applications/<int:pk>/late-exception/",
        manage_deadline_exception,
        name="manage_deadline_exception",
    ),
    path(
        "manage/applications/<int:pk>/eligibility/", manage_eligibility, name="manage_eligibility"
    ),
    path(
        "manage/applications/<int:pk>/start-review/",
        manage_start_review,
        name="manage_start_review",
    ),
]
