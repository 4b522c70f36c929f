"""The programme manager's review pages: calls and criteria, the panel, conflicts of interest,
assignments, and one application's reviews.

Every page of a call is the programme manager's (``reviews.manage_panel``); anyone else gets 403
(calls are public, so there is nothing to hide behind a 404). One application's reviews may also
be read by a decision maker (``reviews.view_ranking``); that page fetches the application through
``applications_visible_to`` first, so an application the user cannot see at all is a 404.

Each POST calls one service and redirects; a refusal re-renders the page with the form's errors,
summarised at the top and linked to the field.
"""

from dataclasses import dataclass, field

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from applications.enums import ApplicationState
from grants.models import Call

from ..forms.manage import (
    AssignmentAddForm,
    AssignmentRemoveForm,
    ConflictOverrideForm,
    ConsensusCommentForm,
    EmployerForm,
    PanelDeactivateForm,
    PanelInviteForm,
)
from ..selectors.assignments import (
    active_assignments_with_people,
    assignment_board,
    declined_assignments,
    late_reviews,
)
from ..selectors.conflicts import conflict_table
from ..selectors.panel import calls_for_manager, panel_counts, panel_overview, pending_invitations
from ..selectors.reviews import application_reviews_summary
from ..selectors.scope import (
    declaration_scope,
    latest_versions,
    registered_applications,
    registered_applications_visible_to,
)
from ..selectors.scores import round_score
from ..services import assignments as assignment_services
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


def _render_conflicts(request, call, *, form=None):
    applications = list(declaration_scope(call))
    members = list(panel_overview(call))
    rows, history = conflict_table(
        call, applications=applications, members=members, versions=latest_versions(applications)
    )
    context = {
        "call": call,
        "rows": rows,
        "members": members,
        "history": list(reversed(history)),
        "form": form or ConflictOverrideForm(applications=applications, members=members),
        "failed_form": form if form is not None and form.errors else None,
    }
    return render(request, "reviews/manage/conflicts.html", context)


@login_required
def conflicts(request, slug):
    call = _get_call_for_manager(request, slug)
    return _render_conflicts(request, call)


@require_POST
@login_required
def conflict_override(request, slug):
    call = _get_call_for_manager(request, slug)
    applications = list(declaration_scope(call))
    members = list(panel_overview(call))
    form = ConflictOverrideForm(request.POST, applications=applications, members=members)
    if form.is_valid():
        application = next(a for a in applications if a.pk == form.cleaned_data["application"])
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
            return redirect("reviews:conflicts", slug=call.slug)
    return _render_conflicts(request, call, form=form)


# -- assignments --------------------------------------------------------------------------------


@dataclass
class AssignmentRow:
    application: object
    title: str
    assignments: list = field(default_factory=list)  # (assignment, member, review status)
    missing: int = 0
    conflicts: int = 0
    undeclared: int = 0
    removed: int = 0
    add_form: AssignmentAddForm | None = None


def _review_status(assignment) -> str:
    review = getattr(assignment, "review", None)
    if review is None:
        return _("Not started")
    return review.get_status_display()


def _render_assignments(request, call, *, failed=None):
    """``failed``: (kind, object id, bound form) of a refused POST, shown where it was made."""
    members = list(panel_overview(call))
    board = assignment_board(call, members=members)
    rows = [
        _assignment_row(call, application, board, members, failed or (None, None, None))
        for application in board.applications
    ]
    loads = [
        {"member": m, "load": board.load.get(m.pk, 0), "submitted": board.done.get(m.pk, 0)}
        for m in members
    ]
    counts = [entry["load"] for entry in loads]
    context = {
        "call": call,
        "rows": rows,
        "loads": loads,
        "load_min": min(counts) if counts else 0,
        "load_max": max(counts) if counts else 0,
        "short": sum(1 for row in rows if row.missing),
        "failed_form": failed[2] if failed else None,
        "late": late_reviews(call),
        "declined": declined_assignments(call),
    }
    return render(request, "reviews/manage/assignments.html", context)


def _assignment_row(call, application, board, members, failed) -> AssignmentRow:
    failed_kind, failed_id, failed_form = failed
    by_id = {m.pk: m for m in members}
    version = board.versions.get(application.pk)
    assigned = sorted(
        board.per_application.get(application.pk, []),
        key=lambda a: _name(by_id[a.member_id].user) if a.member_id in by_id else "",
    )
    assigned_ids = {a.member_id for a in assigned}
    row = AssignmentRow(
        application=application,
        title=version.content.get("title", "") if version else application.title,
    )
    row.assignments = [_assigned_entry(a, by_id, failed) for a in assigned]
    conflicts, declared, removed = board.conflicts, board.declared, board.removed
    row.missing = max(call.reviewers_per_application - len(assigned), 0)
    pairs = [(m.pk, application.pk) for m in members]
    row.conflicts = sum(1 for p in pairs if p in conflicts)
    row.undeclared = sum(1 for p in pairs if p not in declared and p not in conflicts)
    row.removed = sum(1 for p in pairs if p in removed and p not in conflicts)
    candidates = [m for m in members if m.pk not in assigned_ids and m.is_active]
    if failed_kind == "add" and failed_id == application.pk:
        row.add_form = failed_form
    else:
        row.add_form = AssignmentAddForm(prefix=f"add-{application.pk}", members=candidates)
    row.add_form.fields["member"].choices = [("", _("Choose a reviewer"))] + [
        (m.pk, _candidate_label(m, application, conflicts, declared, removed)) for m in candidates
    ]
    return row


def _assigned_entry(assignment, by_id, failed) -> dict:
    failed_kind, failed_id, failed_form = failed
    if failed_kind == "remove" and failed_id == assignment.pk:
        form = failed_form
    else:
        form = AssignmentRemoveForm(prefix=f"remove-{assignment.pk}")
    return {
        "assignment": assignment,
        "member": by_id.get(assignment.member_id),
        "status": _review_status(assignment),
        "submitted": getattr(getattr(assignment, "review", None), "is_submitted", False),
        "form": form,
    }


def _candidate_label(member, application, conflicts, declared, removed) -> str:
    """A reviewer's name in the "add" list, saying why the service would refuse them."""
    pair = (member.pk, application.pk)
    name = _name(member.user)
    if pair in conflicts:
        return _("%(name)s (conflict of interest)") % {"name": name}
    if pair not in declared:
        return _("%(name)s (has not declared)") % {"name": name}
    if pair in removed:
        return _("%(name)s (removed earlier)") % {"name": name}
    return name


@login_required
def assignments(request, slug):
    call = _get_call_for_manager(request, slug)
    return _render_assignments(request, call)


@require_POST
@login_required
def assignments_auto(request, slug):
    call = _get_call_for_manager(request, slug)
    result = assignment_services.assignments_auto(call=call, by=request.user)
    created = len(result.created)
    if created:
        messages.success(
            request,
            ngettext("%(count)d assignment was made.", "%(count)d assignments were made.", created)
            % {"count": created},
        )
    elif not result.shortfalls:
        messages.info(request, _("Every application already has its reviewers. Nothing changed."))
    for shortfall in result.shortfalls:
        messages.warning(
            request,
            ngettext(
                "%(number)s lacks %(missing)d reviewer.",
                "%(number)s lacks %(missing)d reviewers.",
                shortfall.missing,
            )
            % {"number": shortfall.application.registration_number, "missing": shortfall.missing}
            + " "
            + _(
                "Of the panel, %(conflicts)d have a conflict of interest, %(undeclared)d have "
                "not declared and %(removed)d were removed by hand."
            )
            % {
                "conflicts": shortfall.conflicts,
                "undeclared": shortfall.undeclared,
                "removed": shortfall.removed,
            },
        )
    return redirect("reviews:assignments", slug=call.slug)


@require_POST
@login_required
def assignment_add(request, slug, pk):
    call = _get_call_for_manager(request, slug)
    application = get_object_or_404(registered_applications(call), pk=pk)
    members = list(panel_overview(call))
    form = AssignmentAddForm(request.POST, prefix=f"add-{application.pk}", members=members)
    if form.is_valid():
        member = next(m for m in members if m.pk == form.cleaned_data["member"])
        try:
            assignment_services.assignment_add(
                member=member, application=application, by=request.user
            )
        except ValidationError as error:
            form.add_error("member", error)
        else:
            messages.success(
                request,
                _("%(name)s was assigned to %(number)s.")
                % {"name": _name(member.user), "number": application.registration_number},
            )
            return redirect("reviews:assignments", slug=call.slug)
    return _render_assignments(request, call, failed=("add", application.pk, form))


@require_POST
@login_required
def assignment_remove(request, slug, assignment_pk):
    call = _get_call_for_manager(request, slug)
    assignment = get_object_or_404(active_assignments_with_people(call), pk=assignment_pk)
    form = AssignmentRemoveForm(request.POST, prefix=f"remove-{assignment.pk}")
    if form.is_valid():
        try:
            assignment_services.assignment_remove(
                assignment=assignment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            messages.success(
                request,
                _("%(name)s was taken off %(number)s.")
                % {
                    "name": _name(assignment.member.user),
                    "number": assignment.application.registration_number,
                },
            )
            return redirect("reviews:assignments", slug=call.slug)
    return _render_assignments(request, call, failed=("remove", assignment.pk, form))


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
    path("manage/calls/<slug:slug>/assignments/", assignments, name="assignments"),
    path("manage/calls/<slug:slug>/assignments/auto/", assignments_auto, name="assignments_auto"),
    path(
        "manage/calls/<slug:slug>/assignments/applications/<int:pk>/add/",
        assignment_add,
        name="assignment_add",
    ),
    path(
        "manage/calls/<slug:slug>/assignments/<int:assignment_pk>/remove/",
        assignment_remove,
        name="assignment_remove",
    ),
    path("manage/applications/<int:pk>/", application_reviews, name="application_reviews"),
    path("manage/applications/<int:pk>/complete/", review_complete, name="review_complete"),
    path("manage/applications/<int:pk>/consensus/", consensus_comment, name="consensus_comment"),
]
