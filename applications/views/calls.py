"""The call editor: programme managers make, copy and change calls without the admin, and a
second person publishes them (the four-eyes rule).

Agency staff may read the list, a call's page, its preview and its history, so a decision
maker can find a draft to publish; creating, copying and changing are the programme manager's;
publishing is anyone of the agency's but whoever created the call or changed it last (the
service says so with a message). Everyone else gets 403 (there is nothing to hide behind a 404:
calls become public). Each POST calls one service; a refusal lands on its field.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants.views import call_page_context

from ..forms.applicant import application_form_preview
from ..forms.calls import (
    SECTIONS,
    CallCreateForm,
    NewCallForm,
    call_lists_formsets,
    call_lists_values,
    follow_up_formsets,
    follow_up_values,
    section_initial,
    section_values,
)
from ..selectors.audit import audit_log_rows
from ..selectors.calls import call_budget_facts, call_for_staff, call_history, calls_for_staff
from ..services.calls import (
    call_copy,
    call_create,
    call_lists_update,
    call_publish,
    call_update,
)

READ = "applications.list_applications"  # agency staff
MANAGE = "applications.manage_calls"


def _require(user, perm: str) -> None:
    if not rules.has_perm(perm, user):
        raise PermissionDenied


def _get_call_for_staff(request, pk: int, perm: str = READ):
    _require(request.user, perm)
    call = call_for_staff(pk)
    if call is None:
        raise Http404
    return call


def _refused(form, error: ValidationError, formsets=()) -> None:
    """A service's refusal on the form: on its field when the form has it, on the formset it
    names (by its prefix), else at the top."""
    by_prefix = {formset.prefix: formset for formset in formsets}
    if hasattr(error, "error_dict"):
        for name in [name for name in error.error_dict if name in by_prefix]:
            by_prefix[name].non_form_errors().extend(
                ValidationError(error.error_dict.pop(name)).messages
            )
        if not error.error_dict:
            return
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def call_list(request):
    _require(request.user, READ)
    return render(
        request,
        "applications/manage/calls/list.html",
        {"calls": calls_for_staff(), "can_manage": rules.has_perm(MANAGE, request.user)},
    )


@login_required
def call_new(request):
    _require(request.user, MANAGE)
    form = NewCallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = call_create(by=request.user, values=form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The call was saved as a draft."))
            return redirect("applications:call_manage", call.pk)
    return render(request, "applications/manage/calls/new.html", {"form": form})


@login_required
def call_copy_view(request, pk):
    source = _get_call_for_staff(request, pk, MANAGE)
    form = CallCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = call_copy(source=source, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The copy was saved as a draft."))
            return redirect("applications:call_manage", call.pk)
    return render(request, "applications/manage/calls/copy.html", {"form": form, "source": source})


@login_required
def call_manage(request, pk):
    call = _get_call_for_staff(request, pk)
    return render(
        request,
        "applications/manage/calls/manage.html",
        {
            "call": call,
            "sections": SECTIONS.values(),
            "budget": call_budget_facts(call),
            "can_manage": rules.has_perm(MANAGE, request.user),
            "can_publish": rules.has_perm("applications.publish_call", request.user, call),
        },
    )


def _edit_forms(request, section, call):
    data = request.POST if request.method == "POST" else None
    form = section.form(data, initial=section_initial(section, call))
    if section.lists:
        return form, call_lists_formsets(call, data)
    formsets = follow_up_formsets(call, data) if section.formsets else ()
    return form, formsets


def _save_section(request, section, call, form, formsets) -> None:
    """The one service of the section; raises its refusal."""
    if section.lists:
        call_lists_update(call=call, by=request.user, **call_lists_values(*formsets))
        return
    values, hubs, reason = section_values(form)
    if formsets:
        values.update(follow_up_values(*formsets))
    call_update(call=call, by=request.user, values=values, hubs=hubs, reason=reason)


@login_required
def call_edit(request, pk, section):
    call = _get_call_for_staff(request, pk, MANAGE)
    if section not in SECTIONS:
        raise Http404
    section = SECTIONS[section]
    form, formsets = _edit_forms(request, section, call)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets):
        try:
            _save_section(request, section, call, form, formsets)
        except ValidationError as error:
            _refused(form, error, formsets)
        else:
            messages.success(request, _("The call was saved."))
            return redirect("applications:call_manage", call.pk)
    return render(
        request,
        "applications/manage/calls/edit.html",
        {"call": call, "section": section, "form": form, "formsets": formsets},
    )


@login_required
def call_preview(request, pk):
    call = _get_call_for_staff(request, pk)
    context = call_page_context(request, call, preview=True)
    # The application form as an applicant will see it: the same form class, unbound.
    context["application_form"] = application_form_preview(call)
    return render(request, "grants/call_detail.html", context)


@require_POST
@login_required
def call_publish_view(request, pk):
    call = _get_call_for_staff(request, pk)
    try:
        call_publish(call=call, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The call is published."))
    return redirect("applications:call_manage", call.pk)


@login_required
def call_history_view(request, pk):
    call = _get_call_for_staff(request, pk, "applications.view_audit_log")
    rows = audit_log_rows(call_history(call))
    return render(request, "applications/manage/calls/history.html", {"call": call, "rows": rows})


urlpatterns = [
    path("manage/calls/", call_list, name="call_list"),
    path("manage/calls/new/", call_new, name="call_new"),
    path("manage/calls/<int:pk>/", call_manage, name="call_manage"),
    path("manage/calls/<int:pk>/copy/", call_copy_view, name="call_copy"),
    path("manage/calls/<int:pk>/edit/<slug:section>/", call_edit, name="call_edit"),
    path("manage/calls/<int:pk>/preview/", call_preview, name="call_preview"),
    path("manage/calls/<int:pk>/publish/", call_publish_view, name="call_publish"),
    path("manage/calls/<int:pk>/history/", call_history_view, name="call_history"),
]
