"""The programme manager's review pages: calls and criteria, the panel, conflicts of interest
and one application's reviews (the assignments page is ``assignments``).

Every page of a call is the programme manager's (``reviews.manage_panel``); anyone else gets 403
(calls are public, so there is nothing to hide behind a 404). One application's reviews may also
be read by a decision maker (``reviews.view_ranking``); that page fetches the application through
``applications_visible_to`` first, so an application the user cannot see at all is a 404.

Each POST calls one service and redirects; a refusal re-renders the page with the form's errors,
summarised at the top and linked to the field.
"""

import re

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.enums import ApplicationState
from config.pagination import IdsFirstPaginator
from grants.models import Call

from ..forms.manage import (
    ConflictOverrideForm,
    ConsensusCommentForm,
    EmployerForm,
    PanelDeactivateForm,
    PanelInviteForm,
)
from ..selectors.conflicts import conflict_table
from ..selectors.panel import calls_for_manager, panel_counts, panel_overview, pending_invitations
from ..selectors.reviews import application_reviews_summary
from ..selectors.scope import (
    declaration_scope,
    declaration_scope_application,
    latest_versions,
    registered_applications_visible_to,
)
from ..selectors.scores import round_score
from ..services import conflicts as conflict_services
from ..services import panel as panel_services
from ..services import reviewing as reviewing_services

MANAGE = "reviews.manage_panel"
READ = "reviews.view_ranking"


def _require(user, perm: str) -> None:
    if not rules.has_perm(perm, user):
        raise PermissionDenied


def _get_call_for_manager(request, slug: str) -> Call:
    _require(request.user, MANAGE)
    return get_object_or_404(Call, slug=slug)


def _name(user) -> str:
    return user.full_name or user.email


# -- calls and criteria -------------------------------------------------------------------------


@login_required
def manage_calls(request):
    _require(request.user, MANAGE)
    calls = calls_for_manager()
    return render(request, "reviews/manage/calls.html", {"calls": calls})


# -- the panel ----------------------------------------------------------------------------------


def _render_panel(
    request, call, *, invite_form=None, employer_forms=None, leave_forms=None, failed_form=None
):
    members = list(panel_overview(call))
    scope_size, declared, load = panel_counts(call)
    employer_forms, leave_forms = employer_forms or {}, leave_forms or {}
    rows = [
        {
            "member": member,
            "declared": declared.get(member.pk, 0),
            "load": load.get(member.pk, 0),
            "form": employer_forms.get(member.pk) or _employer_form(member),
            "leave_form": leave_forms.get(member.pk)
            or PanelDeactivateForm(prefix=f"leave-{member.pk}"),
        }
        for member in members
    ]
    context = {
        "call": call,
        "rows": rows,
        "scope_size": scope_size,
        "invitations": pending_invitations(call),
        "invite_form": invite_form or PanelInviteForm(prefix="invite"),
        "failed_form": failed_form,
    }
    return render(request, "reviews/manage/panel.html", context)


def _employer_form(member) -> EmployerForm:
    return EmployerForm(
        prefix=f"employer-{member.pk}",
        initial={"employer_orgnr": member.employer_orgnr, "employer_name": member.employer_name},
    )


@login_required
def panel(request, slug):
    call = _get_call_for_manager(request, slug)
    return _render_panel(request, call)


@require_POST
@login_required
def panel_invite(request, slug):
    call = _get_call_for_manager(request, slug)
    form = PanelInviteForm(request.POST, prefix="invite")
    if form.is_valid():
        try:
            invitation = panel_services.panel_invite(
                call=call, by=request.user, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("reviews:panel", slug=call.slug)
    return _render_panel(request, call, invite_form=form, failed_form=form)


@require_POST
@login_required
def panel_employer(request, slug, member_pk):
    call = _get_call_for_manager(request, slug)
    member = get_object_or_404(panel_overview(call), pk=member_pk)
    form = EmployerForm(request.POST, prefix=f"employer-{member.pk}")
    if form.is_valid():
        try:
            panel_services.panel_member_set_employer(
                member=member,
                by=request.user,
                employer_orgnr=form.cleaned_data["employer_orgnr"],
                employer_name=form.cleaned_data["employer_name"],
            )
        except ValidationError as error:
            form.add_error("employer_orgnr", error)
        else:
            messages.success(
                request,
                _("The employer of %(name)s was saved.") % {"name": _name(member.user)},
            )
            return redirect("reviews:panel", slug=call.slug)
    return _render_panel(request, call, employer_forms={member.pk: form}, failed_form=form)


@require_POST
@login_required
def panel_leave(request, slug, member_pk):
    """Take a reviewer off the panel, with the reason; their unreviewed work is reassigned."""
    call = _get_call_for_manager(request, slug)
    member = get_object_or_404(panel_overview(call), pk=member_pk)
    form = PanelDeactivateForm(request.POST, prefix=f"leave-{member.pk}")
    if form.is_valid():
        try:
            panel_services.panel_member_deactivate(
                member=member, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            messages.success(
                request,
                _("%(name)s is no longer on the panel.") % {"name": _name(member.user)},
            )
            return redirect("reviews:panel", slug=call.slug)
    return _render_panel(request, call, leave_forms={member.pk: form}, failed_form=form)


# -- conflicts of interest ----------------------------------------------------------------------


CONFLICTS_PAGE_SIZE = 50


def _render_conflicts(request, call, *, form=None, posted=()):
    """One page of 50 applications of the declaration scope, with the page's declarations; the
    override form offers the page's applications (and keeps a refused choice from elsewhere)."""
    page = IdsFirstPaginator(declaration_scope(call), CONFLICTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    applications = list(page.object_list)
    members = list(panel_overview(call))
    rows, history = conflict_table(
        call, applications=applications, members=members, versions=latest_versions(applications)
    )
    if form is None:
        form = ConflictOverrideForm(applications=applications, members=members)
    else:
        form.set_applications(applications + [a for a in posted if a not in applications])
    context = {
        "call": call,
        "page": page,
        "rows": rows,
        "members": members,
        "history": list(reversed(history)),
        "form": form,
        "failed_form": form if form.errors else None,
    }
    return render(request, "reviews/manage/conflicts.html", context)


def back_to_page(request, name: str, call):
    """The call's page ``name``, on the page of its list the form was sent from."""
    target = reverse(f"reviews:{name}", args=[call.slug])
    page = request.GET.get("page", "")
    return redirect(f"{target}?page={page}" if re.fullmatch(r"[0-9]{1,9}", page) else target)


@login_required
def conflicts(request, slug):
    call = _get_call_for_manager(request, slug)
    return _render_conflicts(request, call)


@require_POST
@login_required
def conflict_override(request, slug):
    call = _get_call_for_manager(request, slug)
    posted = list(declaration_scope_application(call, request.POST.get("application", "")))
    members = list(panel_overview(call))
    form = ConflictOverrideForm(request.POST, applications=posted, members=members)
    if form.is_valid():
        application = posted[0]
        member = next(m for m in members if m.pk == form.cleaned_data["member"])
        try:
            conflict_services.conflict_override(
                member=member,
                application=application,
                by=request.user,
                has_conflict=form.has_conflict,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if form.has_conflict:
                message = _(
                    "A conflict of interest was recorded for %(name)s and %(number)s. "
                    "Any assignment of theirs to it was removed."
                )
            else:
                message = _("The conflict of interest of %(name)s and %(number)s was lifted.")
            messages.success(
                request,
                message % {"name": _name(member.user), "number": application.registration_number},
            )
            return back_to_page(request, "conflicts", call)
    return _render_conflicts(request, call, form=form, posted=posted)


# -- one application's reviews ------------------------------------------------------------------


def _get_application(request, pk: int, perm: str):
    """Not visible at all → 404; visible but not allowed (an applicant) → 403."""
    application = get_object_or_404(registered_applications_visible_to(request.user), pk=pk)
    if not rules.has_perm(perm, request.user):
        raise PermissionDenied
    return application


def _render_application_reviews(request, application, *, consensus_form=None, errors=()):
    call = application.call
    summary = application_reviews_summary(application)
    version, submitted, spread = summary["version"], summary["submitted"], summary["spread"]
    consensus = summary["consensus"]
    may_act = rules.has_perm(MANAGE, request.user)
    if consensus_form is None:
        drafted = "\n\n".join(text for _user, text in summary["comments"])
        consensus_form = ConsensusCommentForm(
            prefix="consensus", initial={"text": consensus.text if consensus else drafted}
        )
    in_review = application.state == ApplicationState.IN_REVIEW
    context = {
        "application": application,
        "call": call,
        "version": version,
        "title": version.content.get("title", "") if version else application.title,
        "criteria": summary["criteria"],
        "reviews": summary["reviews"],
        "removed": summary["removed"],
        "submitted_count": len(submitted),
        "aggregate": round_score(summary["aggregate"]),
        "aggregation_label": call.get_aggregation_display(),
        "spread": round_score(spread),
        "disagreement": len(summary["weighted"]) > 1
        and spread is not None
        and spread >= call.disagreement_spread,
        "comments": summary["comments"],
        "consensus": consensus,
        "consensus_form": consensus_form,
        "may_act": may_act,
        "can_complete": may_act and in_review and len(submitted) >= call.min_reviews,
        "in_review": in_review,
        "complete_errors": list(errors),
        "failed_form": consensus_form if consensus_form.errors else None,
    }
    return render(request, "reviews/manage/application_reviews.html", context)


@login_required
def application_reviews(request, pk):
    application = _get_application(request, pk, READ)
    return _render_application_reviews(request, application)


@require_POST
@login_required
def review_complete(request, pk):
    application = _get_application(request, pk, MANAGE)
    try:
        reviewing_services.review_complete(application=application, by=request.user)
    except ValidationError as error:
        return _render_application_reviews(request, application, errors=error.messages)
    messages.success(
        request,
        _("Review of %(number)s is complete.") % {"number": application.registration_number},
    )
    return redirect("reviews:application_reviews", pk=application.pk)


@require_POST
@login_required
def consensus_comment(request, pk):
    application = _get_application(request, pk, MANAGE)
    form = ConsensusCommentForm(request.POST, prefix="consensus")
    if form.is_valid():
        try:
            reviewing_services.consensus_comment_save(
                application=application, by=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, _("The consensus comment was saved."))
            return redirect("reviews:application_reviews", pk=application.pk)
    return _render_application_reviews(request, application, consensus_form=form)


urlpatterns = [
    path("manage/", manage_calls, name="manage_calls"),
    path("manage/calls/<slug:slug>/panel/", panel, name="panel"),
    path("manage/calls/<slug:slug>/panel/invite/", panel_invite, name="panel_invite"),
    path(
        "manage/calls/<slug:slug>/panel/members/<int:member_pk>/employer/",
        panel_employer,
        name="panel_employer",
    ),
    path(
        "manage/calls/<slug:slug>/panel/members/<int:member_pk>/leave/",
        panel_leave,
        name="panel_leave",
    ),
    path("manage/calls/<slug:slug>/conflicts/", conflicts, name="conflicts"),
    path("manage/calls/<slug:slug>/conflicts/decide/", conflict_override, name="conflict_override"),
    path("manage/applications/<int:pk>/", application_reviews, name="application_reviews"),
    path("manage/applications/<int:pk>/complete/", review_complete, name="review_complete"),
    path("manage/applications/<int:pk>/consensus/", consensus_comment, name="consensus_comment"),
]
