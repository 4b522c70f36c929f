"""The programme manager's review pages: calls and criteria, the panel, conflicts of interest,
assignments, and one application's reviews.

Every page of a call is the programme manager's (``reviews.manage_panel``); anyone else gets 403
(calls are public, so there is nothing to hide behind a 404). One application's reviews may also
be read by a decision maker (``reviews.view_ranking``); that page fetches the application through
``applications_visible_to`` first, so an application the user cannot see at all is a 404.

Each POST calls one service and redirects; a refusal re-renders the page with the form's errors,
summarised at the top and linked to the field.
"""

import statistics
from dataclasses import dataclass, field

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from applications.enums import ApplicationState
from applications.selectors.applications import applications_visible_to, latest_version
from grants.enums import Aggregation
from grants.models import Call, Criterion

from ..enums import ReviewStatus
from ..forms.manage import (
    AssignmentAddForm,
    AssignmentRemoveForm,
    ConflictOverrideForm,
    ConsensusCommentForm,
    EmployerForm,
    PanelInviteForm,
)
from ..models import (
    Assignment,
    ConflictDeclaration,
    ConflictOverride,
    ConsensusComment,
    PanelInvitation,
    PanelMember,
)
from ..selectors.assignments import active_assignments
from ..selectors.conflicts import conflict_pairs, declared_pairs
from ..selectors.panel import panel_overview
from ..selectors.scope import (
    applications_for_assignment,
    declaration_scope,
    latest_versions,
    with_latest_version,
)
from ..selectors.scores import round_score, weighted_score
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
    calls = (
        Call.objects.annotate(
            panel_size=Count("panel_members", distinct=True),
            in_review=Count(
                "applications",
                filter=Q(applications__state=ApplicationState.IN_REVIEW),
                distinct=True,
            ),
        )
        .prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("position", "pk"))
        )
        .order_by("-closes_at")
    )
    return render(request, "reviews/manage/calls.html", {"calls": calls})


# -- the panel ----------------------------------------------------------------------------------


def _render_panel(request, call, *, invite_form=None, employer_forms=None, failed_form=None):
    members = list(panel_overview(call))
    scope = set(declaration_scope(call).values_list("pk", flat=True))
    declared: dict[int, int] = {}
    for member_id, application_id in declared_pairs(call):
        if application_id in scope:
            declared[member_id] = declared.get(member_id, 0) + 1
    load: dict[int, int] = {}
    for member_id in active_assignments(call).values_list("member_id", flat=True):
        load[member_id] = load.get(member_id, 0) + 1
    employer_forms = employer_forms or {}
    rows = [
        {
            "member": member,
            "declared": declared.get(member.pk, 0),
            "load": load.get(member.pk, 0),
            "form": employer_forms.get(member.pk)
            or EmployerForm(
                prefix=f"employer-{member.pk}",
                initial={
                    "employer_orgnr": member.employer_orgnr,
                    "employer_name": member.employer_name,
                },
            ),
        }
        for member in members
    ]
    invitations = (
        PanelInvitation.objects.filter(call=call, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )
    context = {
        "call": call,
        "rows": rows,
        "scope_size": len(scope),
        "invitations": invitations,
        "invite_form": invite_form or PanelInviteForm(prefix="invite"),
        "failed_form": failed_form,
    }
    return render(request, "reviews/manage/panel.html", context)


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
    member = get_object_or_404(PanelMember.objects.select_related("user"), call=call, pk=member_pk)
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


# -- conflicts of interest ----------------------------------------------------------------------


@dataclass
class ConflictEntry:
    """One reviewer's standing on one application, and where it comes from."""

    member: PanelMember
    has_conflict: bool
    declaration: ConflictDeclaration | None = None
    employer_match: bool = False
    override: ConflictOverride | None = None


@dataclass
class ConflictRow:
    application: object
    title: str
    entries: list[ConflictEntry] = field(default_factory=list)
    undeclared: list[PanelMember] = field(default_factory=list)


def _render_conflicts(request, call, *, form=None):
    applications = list(declaration_scope(call))
    versions = latest_versions(applications)
    members = list(panel_overview(call))
    declarations = {
        (d.member_id, d.application_id): d
        for d in ConflictDeclaration.objects.filter(member__call=call)
    }
    history = list(
        ConflictOverride.objects.filter(member__call=call)
        .select_related("member__user", "application", "decided_by")
        .order_by("decided_at", "pk")
    )
    latest = {(o.member_id, o.application_id): o for o in history}  # the latest wins
    rows = []
    for application in applications:
        version = versions.get(application.pk)
        row = ConflictRow(
            application=application,
            title=version.content.get("title", "") if version else application.title,
        )
        for member in members:
            pair = (member.pk, application.pk)
            declaration = declarations.get(pair)
            employer_match = bool(
                member.employer_orgnr and member.employer_orgnr == application.organisation.orgnr
            )
            override = latest.get(pair)
            declared_conflict = bool(declaration and declaration.has_conflict)
            if override is not None:
                has_conflict = override.has_conflict
            else:
                has_conflict = declared_conflict or employer_match
            if has_conflict or override is not None:
                row.entries.append(
                    ConflictEntry(
                        member=member,
                        has_conflict=has_conflict,
                        declaration=declaration if declared_conflict else None,
                        employer_match=employer_match,
                        override=override,
                    )
                )
            if declaration is None:
                row.undeclared.append(member)
        rows.append(row)
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
    applications = list(
        with_latest_version(applications_for_assignment(call)).order_by("registration_number")
    )
    versions = latest_versions(applications)
    members = list(panel_overview(call))
    by_id = {m.pk: m for m in members}
    conflicts = conflict_pairs(call)
    declared = declared_pairs(call)
    every = list(Assignment.objects.filter(application__call=call).select_related("review"))
    removed = {(a.member_id, a.application_id) for a in every if a.removed_at is not None}
    active = [a for a in every if a.removed_at is None]
    load = {m.pk: 0 for m in members}
    done = {m.pk: 0 for m in members}
    per_application: dict[int, list] = {}
    for assignment in active:
        load[assignment.member_id] = load.get(assignment.member_id, 0) + 1
        review = getattr(assignment, "review", None)
        if review is not None and review.status == ReviewStatus.SUBMITTED:
            done[assignment.member_id] = done.get(assignment.member_id, 0) + 1
        per_application.setdefault(assignment.application_id, []).append(assignment)

    failed_kind, failed_id, failed_form = failed or (None, None, None)
    rows = []
    for application in applications:
        version = versions.get(application.pk)
        assigned = sorted(
            per_application.get(application.pk, []),
            key=lambda a: _name(by_id[a.member_id].user) if a.member_id in by_id else "",
        )
        assigned_ids = {a.member_id for a in assigned}
        row = AssignmentRow(
            application=application,
            title=version.content.get("title", "") if version else application.title,
        )
        for assignment in assigned:
            if failed_kind == "remove" and failed_id == assignment.pk:
                form = failed_form
            else:
                form = AssignmentRemoveForm(prefix=f"remove-{assignment.pk}")
            row.assignments.append(
                {
                    "assignment": assignment,
                    "member": by_id.get(assignment.member_id),
                    "status": _review_status(assignment),
                    "submitted": getattr(
                        getattr(assignment, "review", None), "is_submitted", False
                    ),
                    "form": form,
                }
            )
        row.missing = max(call.reviewers_per_application - len(assigned), 0)
        pairs = [(m.pk, application.pk) for m in members]
        row.conflicts = sum(1 for p in pairs if p in conflicts)
        row.undeclared = sum(1 for p in pairs if p not in declared and p not in conflicts)
        row.removed = sum(1 for p in pairs if p in removed and p not in conflicts)
        candidates = [m for m in members if m.pk not in assigned_ids]
        if failed_kind == "add" and failed_id == application.pk:
            row.add_form = failed_form
        else:
            row.add_form = AssignmentAddForm(prefix=f"add-{application.pk}", members=candidates)
        row.add_form.fields["member"].choices = [("", _("Choose a reviewer"))] + [
            (m.pk, _candidate_label(m, application, conflicts, declared, removed))
            for m in candidates
        ]
        rows.append(row)

    loads = [
        {"member": m, "load": load.get(m.pk, 0), "submitted": done.get(m.pk, 0)} for m in members
    ]
    counts = [entry["load"] for entry in loads]
    context = {
        "call": call,
        "rows": rows,
        "loads": loads,
        "load_min": min(counts) if counts else 0,
        "load_max": max(counts) if counts else 0,
        "short": sum(1 for row in rows if row.missing),
        "failed_form": failed_form,
    }
    return render(request, "reviews/manage/assignments.html", context)


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
    application = get_object_or_404(
        call.applications.exclude(registration_number=None).select_related("organisation"), pk=pk
    )
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
    assignment = get_object_or_404(
        Assignment.objects.select_related("member__user", "application"),
        application__call=call,
        removed_at__isnull=True,
        pk=assignment_pk,
    )
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
    application = get_object_or_404(
        applications_visible_to(request.user).exclude(registration_number=None), pk=pk
    )
    if not rules.has_perm(perm, request.user):
        raise PermissionDenied
    return application


def _render_application_reviews(request, application, *, consensus_form=None, errors=()):
    call = application.call
    version = latest_version(application)
    criteria = list(call.criteria.order_by("position", "pk"))
    assignments = list(
        Assignment.objects.filter(application=application)
        .select_related("member__user", "review")
        .prefetch_related("review__scores")
        .order_by("member__user__full_name", "pk")
    )
    reviews = []
    removed = []
    for assignment in assignments:
        review = getattr(assignment, "review", None)
        if assignment.removed_at is not None:
            removed.append(assignment)
            continue
        entry = {"assignment": assignment, "review": review, "submitted": False}
        if review is not None and review.is_submitted:
            scores = {s.criterion_id: s.value for s in review.scores.all()}
            entry.update(
                submitted=True,
                scores=[(c, scores.get(c.pk)) for c in criteria],
                weighted=weighted_score(scores, criteria),
            )
        reviews.append(entry)
    submitted = [entry for entry in reviews if entry["submitted"]]
    weighted = [entry["weighted"] for entry in submitted if entry["weighted"] is not None]
    aggregate = spread = None
    if weighted:
        if call.aggregation == Aggregation.MEDIAN:
            aggregate = statistics.median(weighted)
        else:
            aggregate = sum(weighted) / len(weighted)
        spread = max(weighted) - min(weighted)
    for entry in submitted:
        entry["weighted"] = round_score(entry["weighted"])
    comments = [
        (entry["assignment"].member.user, entry["review"].comment_for_applicant)
        for entry in submitted
        if entry["review"].comment_for_applicant
    ]
    consensus = ConsensusComment.objects.filter(application=application).first()
    may_act = rules.has_perm(MANAGE, request.user)
    if consensus_form is None:
        drafted = "\n\n".join(text for _user, text in comments)
        consensus_form = ConsensusCommentForm(
            prefix="consensus", initial={"text": consensus.text if consensus else drafted}
        )
    in_review = application.state == ApplicationState.IN_REVIEW
    context = {
        "application": application,
        "call": call,
        "version": version,
        "title": version.content.get("title", "") if version else application.title,
        "criteria": criteria,
        "reviews": reviews,
        "removed": removed,
        "submitted_count": len(submitted),
        "aggregate": round_score(aggregate),
        "aggregation_label": call.get_aggregation_display(),
        "spread": round_score(spread),
        "disagreement": len(weighted) > 1
        and spread is not None
        and spread >= call.disagreement_spread,
        "comments": comments,
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
