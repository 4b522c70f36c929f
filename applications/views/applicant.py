"""The applicant's journey: dashboard, start, edit (with autosave), attachments, withdraw, and
the submitted versions. Check answers, submitting and the confirmation are in ``submitting``.

Every view fetches its application through ``_get_application_for_user``: an application the
user cannot see is a 404 whatever the URL, one they can see but not act on is a 403. Each write
is one service call; the service checks the right again and is the last word.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from config.middleware import session_seconds_left
from config.ratelimits import rate_limited
from grants.enums import QuestionKind

from ..enums import ApplicationState
from ..forms.applicant import (
    SHOWN_SUFFIX,
    ApplicationForm,
    AttachmentForm,
    WithdrawForm,
    budget_formset,
    form_errors,
)
from ..forms.conflicts import application_conflict_rows
from ..models import Application
from ..rules import is_applicant
from ..selectors.application_form import form_definition
from ..selectors.applications import (
    applicant_dashboard,
    application_for_detail,
    applications_visible_to,
    current_attachments,
    published_calls,
    transitions_of,
    versions_of,
    with_unsent_changes,
)
from ..selectors.organisations import organisations_of
from ..selectors.task_list import (
    ATTACHMENTS,
    BUDGET,
    form_part,
    form_parts,
    part_of_field,
    task_list,
)
from ..services import transitions, working_copy
from ..services.edit_conflicts import StaleEdit, version_from_post
from ..services.working_copy import EDITABLE_FIELDS
from . import posted_pk

S = ApplicationState
SUBMITTABLE = (S.DRAFT, S.RETURNED, S.SUBMITTED)


def _get_application_for_user(request, pk, perm: str = "view_application", queryset=None):
    """The application if the user may see it (else 404) and has ``perm`` on it (else 403)."""
    visible = applications_visible_to(request.user)
    if queryset is not None:
        visible = queryset(visible)
    application = get_object_or_404(visible, pk=pk)
    if not rules.has_perm(f"applications.{perm}", request.user, application):
        raise PermissionDenied
    return application


def _get_own_application(request, pk, queryset=None) -> Application:
    """For the applicant's own actions: agency staff may see the case but not act as applicant."""
    return _get_application_for_user(request, pk, "submit_application", queryset)


def _messages_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _local_time(moment) -> str:
    return date_format(timezone.localtime(moment), "H:i")


# -- dashboard and start -----------------------------------------------------------------------


@login_required
def dashboard(request):
    return render(
        request, "applications/applicant/dashboard.html", applicant_dashboard(request.user)
    )


@login_required
@require_POST
def application_create(request, slug):
    call = get_object_or_404(published_calls(), slug=slug)
    organisation = get_object_or_404(
        organisations_of(request.user), pk=posted_pk(request.POST.get("organisation"))
    )
    try:
        application = working_copy.application_create(
            call=call, organisation=organisation, by=request.user
        )
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
        return redirect("grants:call_detail", slug=call.slug)
    messages.success(
        request,
        _("Your draft has been created. It is saved every time you save or leave a field."),
    )
    return redirect("applications:detail", pk=application.pk)


# -- the application page ------------------------------------------------------------------------


@login_required
def application_detail(request, pk):
    application = _get_application_for_user(
        request, pk, queryset=lambda visible: with_unsent_changes(application_for_detail(visible))
    )
    if not is_applicant(request.user, application):
        # Agency staff reach this address from emails; their page is the case-handling one.
        return redirect(reverse("applications:manage_detail", args=[application.pk]))
    user = request.user
    can_edit = rules.has_perm("applications.change_application", user, application)
    return render(
        request,
        "applications/applicant/detail.html",
        {
            "application": application,
            # An application the applicant may still change is shown as its task list.
            "task_list": task_list(application) if can_edit else None,
            "versions": application.versions.all(),
            "transitions": transitions_of(application),
            "attachments": application.attachments.all(),
            "can_edit": can_edit,
            "can_withdraw": can_proceed(application.withdraw),
        },
    )


# -- editing ------------------------------------------------------------------------------------


def _refuse_if_not_editable(request, application):
    if rules.has_perm("applications.change_application", request.user, application):
        return None
    messages.error(request, _("This application can no longer be changed."))
    return redirect("applications:detail", pk=application.pk)


def _render_edit(
    request,
    application,
    *,
    form=None,
    formset=None,
    attachment_form=None,
    edit_version=None,
    conflict=None,
    status=200,
):
    """The edit page. ``edit_version`` is the version the form carries (the posted one when a
    refused form is shown again: only a fresh read may hand out a newer one); ``conflict`` the
    refused save's rows beside the stored values (``forms.conflicts.conflict_rows``)."""
    form = form or ApplicationForm(instance=application, call=application.call)
    formset = formset or budget_formset(application)
    attachment_form = attachment_form or AttachmentForm(call=application.call)
    errors = form_errors(form, formset, attachment_form) if request.method == "POST" else []
    return render(
        request,
        "applications/applicant/edit.html",
        {
            "application": application,
            "form": form,
            "formset": formset,
            "attachment_form": attachment_form,
            "attachments": current_attachments(application),
            "errors": [] if conflict is not None else errors,
            "edit_version": application.edit_version if edit_version is None else edit_version,
            "conflict": conflict,
            "server_saved_ms": int(application.updated_at.timestamp() * 1000),
            "budget_total": sum(line.amount for line in application.budget_lines.all()),
        },
        status=status,
    )


def _posted_fields(request, application) -> tuple[list[str], list[str]]:
    """The core fields and the call's questions a save sent. A choice question counts as sent
    when its marker is (nothing ticked posts no value of its own)."""
    sent = [name for name in EDITABLE_FIELDS if name in request.POST]
    answered = [
        q.key
        for q in form_definition(application.call).input_questions
        if q.key in request.POST or f"{q.key}{SHOWN_SUFFIX}" in request.POST
    ]
    return sent, answered


def _save_working_copy(request, application, *, keep_budget_if_invalid=False, part=None):
    """Validate the posted fields and budget, then save through the service.

    Returns ``(form, formset, outcome)``: ``outcome`` is the saved application, a ``StaleEdit``
    (another save came in since the form was read: nothing written), or ``None`` (errors on the
    form). Only the fields that were posted are read and written, and the budget only when it
    was posted. Only type errors stop a save; a ``ValidationError`` from the service (say, the
    application stopped being editable) lands on the form. With ``keep_budget_if_invalid``
    (autosave, which runs while a budget line is half typed) the other fields are saved and the
    stored budget is left as it was. With ``part`` (a section page) only that part's fields
    (and the budget only on the budget's page) are read, whatever else was posted.
    """
    sent, answered = _posted_fields(request, application)
    if part is not None:
        sent = [name for name in sent if name in part.fields]
        answered = [key for key in answered if key in part.fields]
    form = ApplicationForm(
        request.POST, instance=application, call=application.call, only=[*sent, *answered]
    )
    sent = [name for name in sent if name in form.fields]  # the hub only when the call has hubs
    budget_sent = "budget-TOTAL_FORMS" in request.POST and (part is None or part.key == BUDGET)
    formset = budget_formset(application, request.POST if budget_sent else None)
    budget_valid = budget_sent and formset.is_valid()
    if not form.is_valid() or (budget_sent and not budget_valid and not keep_budget_if_invalid):
        return form, formset, None
    lines = formset.lines() if budget_valid else None
    return form, formset, _update(request, application, form, sent=sent, budget_lines=lines)


def _update(request, application, form, *, sent, budget_lines):
    """The service's save of a valid form: the saved application, a ``StaleEdit``, or ``None``
    with the service's refusal put on the form."""
    try:
        return working_copy.application_update(
            application=application,
            by=request.user,
            data={name: form.cleaned_data[name] for name in sent},
            budget_lines=budget_lines,
            base_version=version_from_post(request.POST.get("edit_version")),
            answers=form.answers(),
        )
    except StaleEdit as stale:
        return stale
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, field_errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            form.add_error(None, error)
        return None


def _whole_form(request, application, form, only=None):
    """The refused form with every field (of the page: ``only``), for the page: a post that
    sent only some fields is shown with the others as stored (and its errors on the fields it
    sent)."""
    full = ApplicationForm(instance=application, call=application.call, only=only)
    if set(form.fields) == set(full.fields):
        return form
    data = request.POST.copy()
    for name, value in full.initial.items():
        if name in full.fields and name not in data and f"{name}{SHOWN_SUFFIX}" not in data:
            if isinstance(value, list):
                data.setlist(name, value)
            elif value is not None:
                data[name] = value.pk if hasattr(value, "pk") else value
    whole = ApplicationForm(data, instance=application, call=application.call, only=only)
    whole.is_valid()
    for name, errors in form.errors.items():  # the service's, too (say, no longer editable)
        if name not in whole.errors:
            whole.add_error(None if name == NON_FIELD_ERRORS else name, list(errors))
    return whole


def _render_conflict(request, form, formset, stale: StaleEdit, part=None):
    """The edit page (or the section page of ``part``) again with what is stored now, and the
    refused save's texts beside it."""
    current = stale.current
    sent_budget = formset.lines() if formset.is_bound and formset.is_valid() else None
    conflict = {
        "message": stale.messages[0],
        "rows": application_conflict_rows(form, current, sent_budget=sent_budget),
    }
    if part is not None:
        return _render_part(request, current, part, conflict=conflict, status=409)
    return _render_edit(request, current, conflict=conflict, status=409)


@never_cache
@login_required
def application_edit(request, pk):
    application = _get_own_application(request, pk)
    refused = _refuse_if_not_editable(request, application)
    if refused:
        return refused
    if request.method != "POST":
        return _render_edit(request, application)
    form, formset, outcome = _save_working_copy(request, application)
    if isinstance(outcome, StaleEdit):
        return _render_conflict(request, form, formset, outcome)
    if outcome is None:
        return _render_edit(
            request,
            application,
            form=_whole_form(request, application, form),
            formset=formset,
            edit_version=version_from_post(request.POST.get("edit_version")),
        )
    messages.success(request, _("Draft saved at %(time)s.") % {"time": _local_time(timezone.now())})
    if request.POST.get("action") == "preview":
        return redirect("applications:preview", pk=application.pk)
    return redirect("applications:edit", pk=application.pk)


# -- the short section pages -----------------------------------------------------------------


def part_url(application, key: str, anchor: str = "") -> str:
    """The address of a part's section page (``anchor``: a field on it)."""
    url = reverse("applications:edit_part", args=[application.pk, key])
    return f"{url}#{anchor}" if anchor else url


def _render_part(
    request,
    application,
    part,
    *,
    form=None,
    formset=None,
    attachment_form=None,
    edit_version=None,
    conflict=None,
    status=200,
):
    """A short section page: only ``part``'s fields (the attachments' page: the files and the
    upload), with ``edit_version`` and autosave as on the whole edit page."""
    call = application.call
    if part.key == ATTACHMENTS:
        form = None
        attachment_form = attachment_form or AttachmentForm(call=call)
    else:
        form = form or ApplicationForm(instance=application, call=call, only=part.fields)
    if part.key == BUDGET:
        formset = formset or budget_formset(application)
    shown = [f for f in (form, formset, attachment_form) if f is not None]
    errors = form_errors(*shown) if request.method == "POST" and conflict is None else []
    context = {
        **_part_context(application, part),
        "form": form,
        "formset": formset,
        "attachment_form": attachment_form,
        "errors": errors,
        "edit_version": application.edit_version if edit_version is None else edit_version,
        "conflict": conflict,
    }
    return render(request, "applications/applicant/edit_part.html", context, status=status)


def _part_context(application, part) -> dict:
    """What a section page shows besides its forms: where the part stands among the call's
    parts, the files (attachments' page), the saved budget's total (budget's page)."""
    parts = form_parts(application.call)
    return {
        "application": application,
        "part": part,
        "part_number": [p.key for p in parts].index(part.key) + 1,
        "part_count": len(parts),
        "attachments": current_attachments(application) if part.key == ATTACHMENTS else (),
        "server_saved_ms": int(application.updated_at.timestamp() * 1000),
        "budget_total": sum(line.amount for line in application.budget_lines.all())
        if part.key == BUDGET
        else None,
    }


@never_cache
@login_required
def application_edit_part(request, pk, part):
    """One part of the application on its own page; "Save and continue" saves only its fields
    and goes back to the task list."""
    application = _get_own_application(request, pk)
    refused = _refuse_if_not_editable(request, application)
    if refused:
        return refused
    the_part = form_part(application.call, part)
    if the_part is None:
        raise Http404
    if request.method != "POST":
        return _render_part(request, application, the_part)
    if the_part.key == ATTACHMENTS:
        # The files are saved as they are uploaded: nothing more to save here.
        return redirect("applications:detail", pk=application.pk)
    form, formset, outcome = _save_working_copy(request, application, part=the_part)
    if isinstance(outcome, StaleEdit):
        return _render_conflict(request, form, formset, outcome, part=the_part)
    if outcome is None:
        return _render_part(
            request,
            application,
            the_part,
            form=_whole_form(request, application, form, only=the_part.fields),
            formset=formset,
            edit_version=version_from_post(request.POST.get("edit_version")),
        )
    messages.success(
        request,
        _("“%(part)s” saved at %(time)s.")
        % {"part": the_part.title, "time": _local_time(timezone.now())},
    )
    return redirect("applications:detail", pk=application.pk)


@login_required
@require_POST
@rate_limited("autosave", per="user")
def application_autosave(request, pk):
    """The edit form posted in the background by autosave.js; answers in JSON.

    409 when another tab or a colleague saved since the page was read: nothing is written, and
    the page stops autosaving until the person compares the texts (the Save draft button).
    """
    application = _get_own_application(request, pk)
    if not rules.has_perm("applications.change_application", request.user, application):
        return JsonResponse(
            {"errors": [_("This application can no longer be changed.")]}, status=400
        )
    form, formset, outcome = _save_working_copy(request, application, keep_budget_if_invalid=True)
    if isinstance(outcome, StaleEdit):
        advice = _("Press Save draft to see the saved text beside yours and keep what you want.")
        return JsonResponse(
            {"conflict": True, "errors": [f"{outcome.messages[0]} {advice}"]}, status=409
        )
    if outcome is None:
        return JsonResponse(
            {"errors": [message for _id, message in form_errors(form, formset)]}, status=400
        )
    # A half-typed budget line is not an error yet: it is kept in the browser until complete.
    return JsonResponse(
        {
            "saved_at": _local_time(timezone.now()),
            "budget_saved": not formset.is_bound or formset.is_valid(),
            "edit_version": outcome.edit_version,
            # The save counted as activity: the page's session warning starts its clock again.
            "session_seconds_left": session_seconds_left(request),
        }
    )


# -- preview (views/submitting.py) and withdraw ---------------------------------------------------


def _error_links(application, errors) -> list[tuple[str, str]]:
    """Pair each submission error with the place on its part's section page where it is put
    right."""
    definition = form_definition(application.call)
    parts = form_parts(application.call)

    def anchor(field: str) -> str:
        if field == "budget":
            return field
        if field == "attachments":
            return "id_file"
        question = definition.by_key.get(field)
        if question is not None and question.kind in (*QuestionKind.with_choices(), "yes_no"):
            return f"id_{field}_0"  # the first of its radio buttons or boxes
        return f"id_{field}"

    def link(field) -> str:
        key = part_of_field(parts, field)
        return part_url(application, key, anchor(field)) if key else ""

    return [(link(e.field), e.message) for e in errors]


@login_required
def application_withdraw(request, pk):
    application = _get_own_application(request, pk)
    if not can_proceed(application.withdraw):
        messages.error(request, _("This application can no longer be withdrawn."))
        return redirect("applications:detail", pk=application.pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transitions.application_withdraw(
                application=application, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            messages.success(request, _("The application has been withdrawn."))
            return redirect("applications:detail", pk=application.pk)
    return render(
        request,
        "applications/applicant/withdraw.html",
        {
            "application": application,
            "form": form,
            "errors": form_errors(form) if request.method == "POST" else [],
        },
    )


# -- submitted versions -------------------------------------------------------------------------


@login_required
def version_detail(request, pk, number):
    application = _get_application_for_user(request, pk)
    version = get_object_or_404(versions_of(application), number=number)
    return render(
        request,
        "applications/applicant/version_detail.html",
        {
            "application": application,
            "version": version,
            "is_applicant": is_applicant(request.user, application),
        },
    )


urlpatterns = [
    path("applications/", dashboard, name="dashboard"),
    path("calls/<slug:slug>/apply/", application_create, name="application_create"),
    path("applications/<int:pk>/", application_detail, name="detail"),
    path("applications/<int:pk>/edit/", application_edit, name="edit"),
    path("applications/<int:pk>/edit/<slug:part>/", application_edit_part, name="edit_part"),
    path("applications/<int:pk>/autosave/", application_autosave, name="autosave"),
    path("applications/<int:pk>/withdraw/", application_withdraw, name="withdraw"),
    path("applications/<int:pk>/versions/<int:number>/", version_detail, name="version_detail"),
]
