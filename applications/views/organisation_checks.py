"""The programme manager's check of new organisations, and claims to registered numbers."""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms.organisation_checks import (
    ClaimResolveForm,
    OrganisationRefuseForm,
    OrganisationVerifyForm,
)
from ..selectors.organisations import open_claims, organisations_to_verify
from ..services.organisation_checks import (
    organisation_claim_resolve,
    organisation_refuse,
    organisation_verify,
)


def _require_checker(user) -> None:
    if not rules.has_perm("applications.verify_organisation", user, None):
        raise PermissionDenied


def _render(request, *, failed=None, status=200):
    """The page; ``failed`` is ``(kind, pk, form)`` for the one form that was refused."""

    def form_for(kind, obj, make):
        if failed and failed[0] == kind and failed[1] == obj.pk:
            return failed[2]
        return make(obj)

    organisations = [
        (
            o,
            form_for(
                "verify", o, lambda o: OrganisationVerifyForm(organisation=o, prefix=f"v{o.pk}")
            ),
            form_for("refuse", o, lambda o: OrganisationRefuseForm(prefix=f"r{o.pk}")),
        )
        for o in organisations_to_verify()
    ]
    claims = [
        (c, form_for("claim", c, lambda c: ClaimResolveForm(prefix=f"c{c.pk}")))
        for c in open_claims()
    ]
    context = {"organisations": organisations, "claims": claims}
    return render(request, "applications/manage/organisation_checks.html", context, status=status)


@login_required
def organisation_checks(request):
    _require_checker(request.user)
    return _render(request)


def _pending(pk):
    return get_object_or_404(organisations_to_verify(), pk=pk)


@require_POST
@login_required
def organisation_verify_view(request, pk):
    _require_checker(request.user)
    organisation = _pending(pk)
    form = OrganisationVerifyForm(request.POST, organisation=organisation, prefix=f"v{pk}")
    if form.is_valid():
        try:
            organisation_verify(
                organisation=organisation,
                by=request.user,
                verified_kind=form.cleaned_data["verified_kind"],
                note=form.cleaned_data["note"],
                signatory_ids=form.cleaned_data["signatories"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s is verified.") % {"name": organisation.name})
            return redirect("applications:organisation_checks")
    return _render(request, failed=("verify", pk, form), status=400)


@require_POST
@login_required
def organisation_refuse_view(request, pk):
    _require_checker(request.user)
    organisation = _pending(pk)
    form = OrganisationRefuseForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        try:
            organisation_refuse(
                organisation=organisation, by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(name)s is marked as not verified.") % {"name": organisation.name}
            )
            return redirect("applications:organisation_checks")
    return _render(request, failed=("refuse", pk, form), status=400)


@require_POST
@login_required
def organisation_claim_resolve_view(request, pk):
    _require_checker(request.user)
    claim = get_object_or_404(open_claims(), pk=pk)
    form = ClaimResolveForm(request.POST, prefix=f"c{pk}")
    if form.is_valid():
        try:
            organisation_claim_resolve(
                claim=claim,
                by=request.user,
                transfer=form.cleaned_data["outcome"] == ClaimResolveForm.TRANSFER,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The claim has been decided."))
            return redirect("applications:organisation_checks")
    return _render(request, failed=("claim", pk, form), status=400)


urlpatterns = [
    path("manage/organisations/", organisation_checks, name="organisation_checks"),
    path(
        "manage/organisations/<int:pk>/verify/",
        organisation_verify_view,
        name="organisation_verify",
    ),
    path(
        "manage/organisations/<int:pk>/refuse/",
        organisation_refuse_view,
        name="organisation_refuse",
    ),
    path(
        "manage/organisation-claims/<int:pk>/resolve/",
        organisation_claim_resolve_view,
        name="organisation_claim_resolve",
    ),
]
