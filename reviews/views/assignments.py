"""The programme manager's assignments page of a call: who reviews which application.

The applications in review are shown 50 to a page (``IdsFirstPaginator``), so a page costs the
same at 500 and at 10,000 applications; the loads per reviewer and the number of applications
lacking reviewers are counted for the whole call in the database. Automatic assignment works on
the whole call, whichever page it is started from. Adding or removing a reviewer returns to the
page the form was on (its ``page`` travels in the form's action).

Every page of a call is the programme manager's (``reviews.manage_panel``); anyone else gets 403.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from config.pagination import IdsFirstPaginator

from ..forms.manage import AssignmentAddForm, AssignmentRemoveForm
from ..selectors.assignments import (
    active_assignments_with_people,
    applications_lacking_reviewers,
    assignment_board,
    assignment_page_applications,
    declined_assignments,
    late_review_count,
    late_reviews,
    reviewer_loads,
)
from ..selectors.panel import panel_overview
from ..selectors.scope import registered_applications
from ..services import assignments as assignment_services
from .manage import _get_call_for_manager, _name, back_to_page

PAGE_SIZE = 50
LATE_SHOWN = 50  # the first late reviews by registration number; the count is call-wide


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
    paginator = IdsFirstPaginator(assignment_page_applications(call), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    board = assignment_board(call, applications=page.object_list)
    rows = [
        _assignment_row(call, application, board, members, failed or (None, None, None))
        for application in board.applications
    ]
    counts = reviewer_loads(call)
    loads = [
        {"member": m, "load": counts.get(m.pk, (0, 0))[0], "submitted": counts.get(m.pk, (0, 0))[1]}
        for m in members
    ]
    load_counts = [entry["load"] for entry in loads]
    context = {
        "call": call,
        "page": page,
        "rows": rows,
        "loads": loads,
        "load_min": min(load_counts) if load_counts else 0,
        "load_max": max(load_counts) if load_counts else 0,
        "short": applications_lacking_reviewers(call) if paginator.count else 0,
        "failed_form": failed[2] if failed else None,
        "late": late_reviews(call, limit=LATE_SHOWN),
        "late_count": late_review_count(call),
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


def _shortfall_message(shortfall) -> str:
    return (
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
        }
    )


@require_POST
@login_required
def assignments_auto(request, slug):
    """Automatic assignment for the whole call, whichever page it was started from."""
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
        messages.warning(request, _shortfall_message(shortfall))
    return back_to_page(request, "assignments", call)


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
            return back_to_page(request, "assignments", call)
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
            return back_to_page(request, "assignments", call)
    return _render_assignments(request, call, failed=("remove", assignment.pk, form))


urlpatterns = [
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
]
