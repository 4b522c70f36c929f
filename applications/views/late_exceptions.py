"""Late exceptions for applications the agency cannot otherwise see.

After a documented outage an applicant may not have managed to submit at all. Their draft is
not a case yet (staff never see drafts), so the programme manager finds it by call and
organisation number, sees only its title and dates, and records a new deadline for it alone.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms.manage import DeadlineExceptionForm, LateExceptionLookupForm
from ..selectors.applications import (
    applications_for_deadline_exception,
    applications_open_for_exception,
)
from ..services.transitions import application_record_deadline_exception


def _require_programme_manager(user) -> None:
    if not rules.has_perm("applications.record_deadline_exception", user, None):
        raise PermissionDenied


def _render(request, lookup_data, *, failed_form=None, failed_pk=None):
    lookup = LateExceptionLookupForm(lookup_data or None)
    applications = []
    if lookup.is_valid():
        applications = list(
            applications_for_deadline_exception(
                call=lookup.cleaned_data["call"], orgnr=lookup.cleaned_data["orgnr"]
            )
        )
    rows = [
        (a, failed_form if a.pk == failed_pk else DeadlineExceptionForm(prefix=f"a{a.pk}"))
        for a in applications
    ]
    return render(
        request,
        "applications/manage/late_exceptions.html",
        {"lookup": lookup, "searched": lookup.is_bound, "rows": rows},
    )


@login_required
def late_exceptions(request):
    """Look up an organisation's applications to a call, to record an exception for one."""
    _require_programme_manager(request.user)
    return _render(request, request.GET)


@require_POST
@login_required
def late_exception_record(request, pk):
    _require_programme_manager(request.user)
    application = get_object_or_404(
        applications_open_for_exception(),
        pk=pk,
    )
    lookup_data = {"call": application.call_id, "orgnr": application.organisation.orgnr}
    form = DeadlineExceptionForm(request.POST, prefix=f"a{application.pk}")
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
            return redirect(f"{reverse('applications:late_exceptions')}?{urlencode(lookup_data)}")
    return _render(request, lookup_data, failed_form=form, failed_pk=application.pk)


urlpatterns = [
    path("manage/late-exceptions/", late_exceptions, name="late_exceptions"),
    path("manage/late-exceptions/<int:pk>/", late_exception_record, name="late_exception_record"),
]
