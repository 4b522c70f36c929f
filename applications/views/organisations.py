"""Organisations: registration, the members page, invitations and roles."""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.ratelimits import rate_limited

from ..forms.organisation_checks import OrganisationClaimForm
from ..forms.organisations import InvitationForm, MembershipForm, OrganisationRegisterForm
from ..models import Membership, Organisation
from ..selectors.applications import organisation_applications
from ..selectors.organisations import (
    invitations_with_organisation,
    membership_of,
    memberships_of,
    open_invitations_of,
    organisation_by_orgnr,
    organisations_visible_to,
)
from ..services import people
from ..services.organisation_checks import organisation_claim_create


def _get_organisation_for_user(user, pk: int, perm: str | None = None) -> Organisation:
    """The organisation if the user may see it (else 404) and, given ``perm``, has it (else 403)."""
    organisation = get_object_or_404(organisations_visible_to(user).distinct(), pk=pk)
    if perm and not rules.has_perm(f"applications.{perm}", user, organisation):
        raise PermissionDenied
    return organisation


def _error_messages(error: ValidationError) -> list[str]:
    return list(error.messages)


@login_required
def organisation_register(request):
    claim_form = None
    if request.method == "POST":
        form = OrganisationRegisterForm(request.POST)
        if form.is_valid():
            try:
                organisation = people.organisation_register(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                orgnr = form.cleaned_data["orgnr"]
                form.add_error("orgnr", error)  # takes "orgnr" out of cleaned_data
                if error.code == people.ORGNR_TAKEN:
                    # Not a dead end: the person can tell the agency the number is theirs.
                    claim_form = OrganisationClaimForm(initial={"orgnr": orgnr})
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s is registered, and you are its administrator. The agency "
                        "will now check the organisation; until then you can write drafts."
                    )
                    % {"name": organisation.name},
                )
                return redirect("applications:organisation_detail", pk=organisation.pk)
    else:
        form = OrganisationRegisterForm()
    return render(
        request,
        "applications/organisations/register.html",
        {"form": form, "claim_form": claim_form},
    )


@require_POST
@login_required
def organisation_claim(request):
    """ "This is our number": a claim to a registered organisation, for the agency to decide."""
    form = OrganisationClaimForm(request.POST)
    if form.is_valid():
        organisation = organisation_by_orgnr(form.cleaned_data["orgnr"])
        if organisation is None:
            form.add_error(
                "orgnr", _("No organisation with this number is registered. Register it instead.")
            )
        else:
            try:
                organisation_claim_create(
                    organisation=organisation,
                    by=request.user,
                    message=form.cleaned_data["message"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Your message has been sent to the agency, which will contact you."),
                )
                return redirect("applications:dashboard")
    context = {"form": OrganisationRegisterForm(), "claim_form": form}
    return render(request, "applications/organisations/register.html", context, status=400)


def _detail_context(request, organisation: Organisation, invite_form=None) -> dict:
    memberships = memberships_of(organisation)
    now = timezone.now()
    invitations = open_invitations_of(organisation)
    applications = organisation_applications(request.user, organisation)
    is_admin = rules.has_perm("applications.manage_organisation", request.user, organisation)
    return {
        "organisation": organisation,
        "memberships": [
            (
                m,
                MembershipForm(
                    prefix=f"m{m.pk}",
                    initial={"is_admin": m.is_admin, "is_signatory": m.is_signatory},
                ),
            )
            for m in memberships
        ],
        "invitations": [(i, i.expires_at > now) for i in invitations],
        "signatories": [m for m in memberships if m.is_signatory],
        "applications": applications,
        "is_admin": is_admin,
        "invite_form": invite_form or (InvitationForm() if is_admin else None),
    }


@login_required
def organisation_detail(request, pk):
    organisation = _get_organisation_for_user(request.user, pk)
    return render(
        request,
        "applications/organisations/detail.html",
        _detail_context(request, organisation),
    )


@login_required
@require_POST
@rate_limited("invitation_send", per="user")
def organisation_invite(request, pk):
    organisation = _get_organisation_for_user(request.user, pk, "manage_organisation")
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = people.invitation_create(
                organisation=organisation, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("An invitation has been sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("applications:organisation_detail", pk=organisation.pk)
    context = _detail_context(request, organisation, invite_form=form)
    return render(request, "applications/organisations/detail.html", context, status=400)


def _get_membership(organisation: Organisation, membership_pk: int) -> Membership:
    return get_object_or_404(membership_of(organisation), pk=membership_pk)


@login_required
@require_POST
def membership_update(request, pk, membership_pk):
    organisation = _get_organisation_for_user(request.user, pk, "manage_organisation")
    membership = _get_membership(organisation, membership_pk)
    form = MembershipForm(request.POST, prefix=f"m{membership.pk}")
    form.is_valid()  # two checkboxes: always valid, unchecked is False
    try:
        people.membership_update(membership=membership, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        for message in _error_messages(error):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The roles of %(name)s have been saved.") % {"name": membership.user.full_name},
        )
    return redirect("applications:organisation_detail", pk=organisation.pk)


@login_required
@require_POST
def membership_remove(request, pk, membership_pk):
    organisation = _get_organisation_for_user(request.user, pk, "manage_organisation")
    membership = _get_membership(organisation, membership_pk)
    name = membership.user.full_name or membership.user.email
    try:
        people.membership_remove(membership=membership, by=request.user)
    except ValidationError as error:
        for message in _error_messages(error):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s is no longer a member of %(organisation)s.")
            % {"name": name, "organisation": organisation.name},
        )
        if membership.user_id == request.user.pk:
            # Removing oneself: the organisation's page is no longer one's to see.
            return redirect("applications:dashboard")
    return redirect("applications:organisation_detail", pk=organisation.pk)


@rate_limited("invitation_accept", methods=("GET", "POST"))
def invitation_accept(request, token):
    """Anyone with the link sees what they are invited to; accepting needs the right account."""
    invitation = get_object_or_404(invitations_with_organisation(), token=token)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            people.invitation_accept(invitation=invitation, by=request.user)
        except ValidationError as error:
            for message in _error_messages(error):
                messages.error(request, message)
            return redirect("applications:invitation_accept", token=token)
        messages.success(
            request,
            _("Welcome to %(organisation)s.") % {"organisation": invitation.organisation.name},
        )
        return redirect("applications:organisation_detail", pk=invitation.organisation_id)
    user = request.user
    wrong_account = user.is_authenticated and user.email.lower() != invitation.email.lower()
    return render(
        request,
        "applications/organisations/invitation.html",
        {
            "invitation": invitation,
            "usable": invitation.is_usable(),
            "wrong_account": wrong_account,
            "here": reverse("applications:invitation_accept", args=[token]),
        },
    )


urlpatterns = [
    path("organisations/new/", organisation_register, name="organisation_register"),
    path("organisations/claim/", organisation_claim, name="organisation_claim"),
    path("organisations/<int:pk>/", organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/invite/", organisation_invite, name="organisation_invite"),
    path(
        "organisations/<int:pk>/members/<int:membership_pk>/",
        membership_update,
        name="membership_update",
    ),
    path(
        "organisations/<int:pk>/members/<int:membership_pk>/remove/",
        membership_remove,
        name="membership_remove",
    ),
    path("invitations/<token:token>/", invitation_accept, name="invitation_accept"),
]
