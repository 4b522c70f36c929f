"""A call's criteria, configured by the programme manager (who has no admin access).

Programme managers (``reviews.manage_panel``) edit; decision makers (``reviews.view_ranking``)
may read the criteria they will see the ranking made from; anyone else signed in gets 403
(calls are public, so there is nothing to hide behind a 404). The POST calls
``criteria_save`` once; its refusals land on the fields they concern and in the summary.
"""

from decimal import Decimal

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from grants.models import Call

from ..forms.criteria import ReviewThresholdsForm, criterion_formset
from ..selectors.scores import criteria_in_order, criteria_locked
from ..services.criteria import CriterionRow, criteria_save

MANAGE = "reviews.manage_panel"
READ = "reviews.view_ranking"
PREFIX = "criteria"


def _get_call_for_staff(request, slug: str) -> tuple[Call, bool]:
    """The call and whether the user may change its criteria: 403 unless agency staff."""
    can_manage = rules.has_perm(MANAGE, request.user)
    if not can_manage and not rules.has_perm(READ, request.user):
        raise PermissionDenied
    return get_object_or_404(Call, slug=slug), can_manage


def _initial(criteria) -> list[dict]:
    return [
        {
            "id": c.pk,
            "position": index + 1,
            "name_sv": c.name_sv,
            "name_en": c.name_en,
            "guidance_sv": c.guidance_sv,
            "guidance_en": c.guidance_en,
            "weight": c.weight,
            "scale_min": c.scale_min,
            "scale_max": c.scale_max,
            "threshold": c.threshold,
        }
        for index, c in enumerate(criteria)
    ]


def _rows(formset) -> tuple[list[CriterionRow], list]:
    """The rows to save in the order asked for, and the form each row came from."""
    kept = []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or (formset.can_delete and data.get("DELETE")):
            continue
        kept.append((data.get("position"), index, form))
    # Rows without an order number keep their place after the numbered ones.
    kept.sort(key=lambda item: (item[0] is None, item[0] or 0, item[1]))
    rows = [
        CriterionRow(
            pk=form.cleaned_data["id"],
            name_sv=form.cleaned_data["name_sv"],
            name_en=form.cleaned_data["name_en"],
            guidance_sv=form.cleaned_data["guidance_sv"],
            guidance_en=form.cleaned_data["guidance_en"],
            weight=form.cleaned_data["weight"],
            scale_min=form.cleaned_data["scale_min"],
            scale_max=form.cleaned_data["scale_max"],
            threshold=form.cleaned_data["threshold"],
        )
        for _position, _index, form in kept
    ]
    return rows, [form for _position, _index, form in kept]


def _place_errors(error: ValidationError, forms, thresholds_form) -> list[str]:
    """Put the service's errors on the fields they name; return those that name none."""
    general = []
    for item in error.error_list:
        params = item.params or {}
        message = item.message % params if params else item.message
        field = params.get("field")
        if field and "index" in params:
            forms[params["index"]].add_error(field, message)
        elif field:
            thresholds_form.add_error(field, message)
        else:
            general.append(message)
    return general


@login_required
def criteria(request, slug):
    call, can_manage = _get_call_for_staff(request, slug)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    criteria_list = criteria_in_order(call)
    locked = criteria_locked(call)
    formset_class = criterion_formset(locked=locked)
    errors: list[str] = []
    if request.method == "POST":
        formset = formset_class(request.POST, prefix=PREFIX, locked=locked)
        thresholds_form = ReviewThresholdsForm(request.POST, prefix="call", locked=locked)
        if formset.is_valid() and thresholds_form.is_valid():
            refused = _save(request, call, formset, thresholds_form)
            if refused is None:
                return redirect("reviews:criteria", slug=call.slug)
            errors = refused
        errors += formset.non_form_errors()
    else:
        formset = formset_class(initial=_initial(criteria_list), prefix=PREFIX, locked=locked)
        thresholds_form = _thresholds_form(call, locked)
    has_errors = bool(errors) or not all(
        [not form.errors for form in formset.forms] + [not thresholds_form.errors]
    )
    context = {
        "call": call,
        "criteria": criteria_list,
        "total_weight": sum((c.weight for c in criteria_list), Decimal(0)),
        "can_manage": can_manage,
        "locked": locked,
        "formset": formset,
        "thresholds_form": thresholds_form,
        "errors": errors,
        "has_errors": has_errors,
    }
    return render(request, "reviews/manage/criteria.html", context)


def _save(request, call, formset, thresholds_form) -> list[str] | None:
    """Save through ``criteria_save``: None when saved, else the errors that name no field
    (the others are put on their fields)."""
    rows, forms = _rows(formset)
    try:
        criteria_save(
            call=call,
            by=request.user,
            rows=rows,
            total_threshold=thresholds_form.cleaned_data["total_threshold"],
            disagreement_spread=thresholds_form.cleaned_data["disagreement_spread"],
        )
    except ValidationError as error:
        return _place_errors(error, forms, thresholds_form)
    messages.success(request, _("The criteria are saved."))
    return None


def _thresholds_form(call, locked) -> ReviewThresholdsForm:
    return ReviewThresholdsForm(
        prefix="call",
        locked=locked,
        initial={
            "total_threshold": call.total_threshold,
            "disagreement_spread": call.disagreement_spread,
        },
    )


urlpatterns = [
    path("manage/calls/<slug:slug>/criteria/", criteria, name="criteria"),
]
