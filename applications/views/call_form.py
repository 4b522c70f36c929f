"""The call's form builder: the sections and questions of a call's application form and its
budget categories, in the call editor.

Agency staff read the form's page (as they read the call's other pages); programme managers
add, change, remove and move its parts. Everyone else gets 403, like the rest of the call
editor. Each POST calls one service of ``services.call_form``; a refusal (the form is frozen, a
reason is missing, a key is taken) lands on its field or at the top, with nothing changed.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grants.models import BudgetCategory, FormQuestion, FormSection

from ..forms.call_form import BudgetCategoryForm, FormQuestionForm, FormSectionForm, RemoveForm
from ..selectors.application_form import call_form_is_frozen, form_definition
from ..services.call_form import (
    budget_category_remove,
    budget_category_save,
    form_item_move,
    form_question_remove,
    form_question_save,
    form_section_remove,
    form_section_save,
)
from .calls import MANAGE, _get_call_for_staff, _refused

PARTS = {
    "sections": (FormSection, FormSectionForm, form_section_save, form_section_remove, "section"),
    "questions": (
        FormQuestion,
        FormQuestionForm,
        form_question_save,
        form_question_remove,
        "question",
    ),
    "categories": (
        BudgetCategory,
        BudgetCategoryForm,
        budget_category_save,
        budget_category_remove,
        "category",
    ),
}


def _part(name: str):
    if name not in PARTS:
        raise Http404
    return PARTS[name]


def _titles():
    return {
        "sections": (_("New section"), _("Change the section")),
        "questions": (_("New question"), _("Change the question")),
        "categories": (_("New budget category"), _("Change the budget category")),
    }


@login_required
def call_form_overview(request, pk):
    call = _get_call_for_staff(request, pk)
    return render(
        request,
        "applications/manage/calls/form_overview.html",
        {
            "call": call,
            "definition": form_definition(call),
            "frozen": call_form_is_frozen(call),
            "can_manage": rules.has_perm(MANAGE, request.user),
        },
    )


@login_required
def call_form_edit(request, pk, part, item_pk=None):
    """Add (no ``item_pk``) or change a section, question or budget category."""
    call = _get_call_for_staff(request, pk, MANAGE)
    model, form_class, save, _remove, argument = _part(part)
    item = get_object_or_404(model, pk=item_pk, call=call) if item_pk is not None else None
    frozen = call_form_is_frozen(call)
    initial = {}
    if part == "questions" and item is None and request.GET.get("section", "").isdigit():
        initial["section"] = int(request.GET["section"])
    form = form_class(
        request.POST if request.method == "POST" else None,
        instance=item,
        initial=initial,
        call=call,
        # A new part of a frozen form is refused by the service, with its message.
        frozen=frozen and item is not None,
    )
    if part == "questions" and not call.form_sections.exists():
        messages.error(request, _("Add a section first: every question belongs to one."))
        return redirect("applications:call_form", call.pk)
    if request.method == "POST" and form.is_valid():
        values, reason = form.values()
        try:
            save(call=call, by=request.user, values=values, reason=reason, **{argument: item})
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The application form was saved."))
            return redirect("applications:call_form", call.pk)
    return render(
        request,
        "applications/manage/calls/form_edit.html",
        {
            "call": call,
            "form": form,
            "frozen": frozen,
            "heading": _titles()[part][0 if item is None else 1],
        },
    )


@login_required
def call_form_remove(request, pk, part, item_pk):
    """Confirm and remove a section, question or budget category."""
    call = _get_call_for_staff(request, pk, MANAGE)
    model, _form, _save, remove, argument = _part(part)
    item = get_object_or_404(model, pk=item_pk, call=call)
    form = RemoveForm(request.POST if request.method == "POST" else None, call=call)
    if request.method == "POST" and form.is_valid():
        _values, reason = form.values()
        try:
            remove(by=request.user, reason=reason, **{argument: item})
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Removed from the application form."))
            return redirect("applications:call_form", call.pk)
    return render(
        request,
        "applications/manage/calls/form_remove.html",
        {"call": call, "form": form, "item": item, "part": part},
    )


@require_POST
@login_required
def call_form_move(request, pk, part, item_pk):
    call = _get_call_for_staff(request, pk, MANAGE)
    model = _part(part)[0]
    item = get_object_or_404(model, pk=item_pk, call=call)
    form_item_move(item=item, by=request.user, up=request.POST.get("direction") == "up")
    return redirect("applications:call_form", call.pk)


urlpatterns = [
    path("manage/calls/<int:pk>/form/", call_form_overview, name="call_form"),
    path("manage/calls/<int:pk>/form/<slug:part>/new/", call_form_edit, name="call_form_add"),
    path(
        "manage/calls/<int:pk>/form/<slug:part>/<int:item_pk>/",
        call_form_edit,
        name="call_form_edit",
    ),
    path(
        "manage/calls/<int:pk>/form/<slug:part>/<int:item_pk>/remove/",
        call_form_remove,
        name="call_form_remove",
    ),
    path(
        "manage/calls/<int:pk>/form/<slug:part>/<int:item_pk>/move/",
        call_form_move,
        name="call_form_move",
    ),
]
