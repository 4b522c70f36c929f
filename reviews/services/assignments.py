"""Writes: assigning reviewers to applications, automatically or by hand, and removing them."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.audit import audit_record
from applications.enums import ApplicationState
from applications.models import Application, User
from grants.models import Call

from .. import tasks
from ..enums import AssignmentReason, ReviewStatus
from ..models import Assignment, ConflictDeclaration, PanelMember, Review
from ..selectors.assignments import active_assignments
from ..selectors.conflicts import conflict_pairs, declared_pairs, has_conflict
from ..selectors.panel import panel_overview
from ..selectors.scope import applications_for_assignment
from .common import _require


@dataclass
class Shortfall:
    """An application that could not get enough reviewers, and why."""

    application: Application
    missing: int
    conflicts: int = 0
    undeclared: int = 0
    removed: int = 0


@dataclass
class AssignmentResult:
    created: list[Assignment] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)


@transaction.atomic
def assignments_auto(*, call: Call, by: User) -> AssignmentResult:
    """Give every application in review the call's number of reviewers (see ``_fill_gaps``)."""
    _require(by, "manage_panel")
    return _fill_gaps(call, by=by)


def _fill_gaps(call: Call, *, by: User | None) -> AssignmentResult:
    """The normal assignment, also run by the system when a reviewer declines or leaves.

    Never a reviewer with a conflict or who has not declared for the application; never one
    removed from it before (by a programme manager, a conflict, or declining it); never one who
    left the panel. The most constrained applications are served first and each takes the
    least-loaded eligible reviewers (ties by panel seat), so loads are as even as the conflicts
    allow. Running it again only fills what is missing. The call's row is locked so two runs at
    once do not both fill the same gap. Each reviewer given new work is emailed once per run.
    """
    Call.objects.select_for_update().get(pk=call.pk)
    seats = list(panel_overview(call))
    members = [member for member in seats if member.is_active]
    applications = list(applications_for_assignment(call).order_by("registration_number"))
    conflicts = conflict_pairs(call)
    declared = declared_pairs(call)
    existing = list(Assignment.objects.filter(application__call=call))
    active = {(a.member_id, a.application_id) for a in existing if a.removed_at is None}
    removed = {(a.member_id, a.application_id) for a in existing if a.removed_at is not None}
    load = {m.pk: 0 for m in members}
    for member_id, _application_id in active:
        load[member_id] = load.get(member_id, 0) + 1

    def eligible(application):
        return [
            m
            for m in members
            if (m.pk, application.pk) in declared
            and (m.pk, application.pk) not in conflicts
            and (m.pk, application.pk) not in removed
            and (m.pk, application.pk) not in active
        ]

    result = AssignmentResult()
    needs = []
    for application in applications:
        # A reviewer who left still counts where their review stands (it was submitted).
        have = sum(1 for m in seats if (m.pk, application.pk) in active)
        if have < call.reviewers_per_application:
            needs.append((application, call.reviewers_per_application - have))
    # Fewest candidates first, so scarce reviewers go where nobody else can.
    needs.sort(key=lambda item: (len(eligible(item[0])), item[0].registration_number))
    for application, missing in needs:
        candidates = sorted(eligible(application), key=lambda m: (load[m.pk], m.pk))
        chosen = candidates[:missing]
        for member in chosen:
            result.created.append(_assign(member, application, by=None))
            load[member.pk] += 1
            active.add((member.pk, application.pk))
        if len(chosen) < missing:
            pairs = [(m.pk, application.pk) for m in members]
            result.shortfalls.append(
                Shortfall(
                    application=application,
                    missing=missing - len(chosen),
                    conflicts=sum(1 for p in pairs if p in conflicts),
                    undeclared=sum(1 for p in pairs if p not in declared and p not in conflicts),
                    removed=sum(1 for p in pairs if p in removed and p not in conflicts),
                )
            )
    # Reported in registration order, whatever order they were served in.
    result.shortfalls.sort(key=lambda s: s.application.registration_number)
    for assignment in result.created:
        _audit_assignment("assignment.add", assignment, by=by, reason=AssignmentReason.AUTOMATIC)
    _notify_assigned(result.created)
    return result


def _notify_assigned(assignments: list[Assignment]) -> None:
    """One email per reviewer listing their new assignments, once the transaction commits."""
    by_member: dict[int, list[int]] = {}
    for assignment in assignments:
        by_member.setdefault(assignment.member_id, []).append(assignment.pk)
    for member_id, assignment_ids in by_member.items():
        transaction.on_commit(
            lambda member_id=member_id, ids=assignment_ids: tasks.send_assignment_notice.enqueue(
                member_id=member_id, assignment_ids=ids
            )
        )


def _audit_assignment(action: str, assignment: Assignment, *, by: User | None, reason: str) -> None:
    """An assignment made or taken away, in the audit log (``reason`` is a code, not a text)."""
    audit_record(
        action=action,
        actor=by,
        target=assignment,
        data={
            "member_id": assignment.member_id,
            "application_id": assignment.application_id,
            "reason": reason,
        },
    )


def _assign(member: PanelMember, application: Application, *, by: User | None) -> Assignment:
    assignment, created = Assignment.objects.get_or_create(
        member=member, application=application, defaults={"assigned_by": by}
    )
    if not created:
        assignment.removed_at = None
        assignment.removed_reason = ""
        assignment.assigned_by = by
        assignment.assigned_at = timezone.now()
        assignment.save()
    return assignment


@transaction.atomic
def assignment_add(*, member: PanelMember, application: Application, by: User) -> Assignment:
    """Assign a reviewer by hand: refused for a conflict or a missing declaration."""
    _require(by, "manage_panel")
    application = (
        Application.objects.select_for_update()
        .select_related("organisation")
        .get(pk=application.pk)
    )
    member = PanelMember.objects.select_related("user").get(pk=member.pk)  # a fresh employer
    if application.call_id != member.call_id:
        raise ValidationError(_("The reviewer is not on this call's panel."))
    if application.state != ApplicationState.IN_REVIEW:
        raise ValidationError(_("Only applications in review can be assigned."))
    if has_conflict(member, application):
        raise ValidationError(
            _("%(name)s has a conflict of interest with this application.")
            % {"name": member.user.full_name}
        )
    if not ConflictDeclaration.objects.filter(member=member, application=application).exists():
        raise ValidationError(
            _("%(name)s has not yet declared conflicts of interest for this application.")
            % {"name": member.user.full_name}
        )
    if Assignment.objects.filter(member=member, application=application, removed_at=None).exists():
        raise ValidationError(_("%(name)s is already assigned.") % {"name": member.user.full_name})
    if not member.is_active:
        raise ValidationError(_("%(name)s has left the panel.") % {"name": member.user.full_name})
    assignment = _assign(member, application, by=by)
    _audit_assignment("assignment.add", assignment, by=by, reason=AssignmentReason.MANUAL)
    _notify_assigned([assignment])
    return assignment


DECLINE_REASON_MAX_LENGTH = 2000


@transaction.atomic
def assignment_decline(*, assignment: Assignment, by: User, reason: str) -> AssignmentResult:
    """The reviewer gives back an assignment they have not reviewed, with their reason; the gap
    is then filled by the normal assignment (never with them again). Returns what the refill
    made, with any shortfall for the programme manager to see on the assignments page."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Say why you decline, so the programme manager can plan."), code="required"
        )
    if len(reason) > DECLINE_REASON_MAX_LENGTH:
        raise ValidationError(
            _("The reason can be at most %(limit)d characters.")
            % {"limit": DECLINE_REASON_MAX_LENGTH},
            code="max_length",
        )
    call = Call.objects.select_for_update().get(pk=assignment.application.call_id)
    assignment = (
        Assignment.objects.select_for_update().select_related("member").get(pk=assignment.pk)
    )
    if assignment.member.user_id != by.pk or assignment.removed_at is not None:
        raise ValidationError(_("This assignment is no longer yours to decline."))
    review = Review.objects.filter(assignment=assignment).first()
    if review and review.is_submitted:
        raise ValidationError(_("You have submitted your review, so it can no longer be declined."))
    assignment.removed_at = timezone.now()
    assignment.removed_reason = reason
    assignment.declined = True
    assignment.save(update_fields=["removed_at", "removed_reason", "declined"])
    _audit_assignment("assignment.remove", assignment, by=by, reason=AssignmentReason.DECLINED)
    return _fill_gaps(call, by=None)


@transaction.atomic
def assignment_remove(*, assignment: Assignment, by: User, reason: str = "") -> Assignment:
    """Take a reviewer off an application. A submitted review cannot be taken away this way."""
    _require(by, "manage_panel")
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    review = Review.objects.filter(assignment=assignment).first()
    if review and review.is_submitted:
        raise ValidationError(
            _("The review has been submitted. Record a conflict of interest to exclude it.")
        )
    if assignment.removed_at is None:
        assignment.removed_at = timezone.now()
        assignment.removed_reason = (reason or "").strip() or _("Removed by a programme manager")
        assignment.save(update_fields=["removed_at", "removed_reason"])
        _audit_assignment("assignment.remove", assignment, by=by, reason=AssignmentReason.MANUAL)
    return assignment


# Kept here with the assignment writes it makes; the panel and conflict services call it
# whenever a conflict may have appeared.
def _remove_conflicting_assignments(call: Call, *, by: User | None) -> None:
    """Keep the invariant: no active assignment has a conflict of interest."""
    conflicts = conflict_pairs(call)
    if not conflicts:
        return
    removed = []
    for assignment in active_assignments(call).select_for_update():
        if (assignment.member_id, assignment.application_id) in conflicts:
            assignment.removed_at = timezone.now()
            assignment.removed_reason = _("Conflict of interest")
            assignment.save(update_fields=["removed_at", "removed_reason"])
            removed.append(assignment)
    for assignment in removed:
        _audit_assignment("assignment.remove", assignment, by=by, reason=AssignmentReason.CONFLICT)


def _remove_unreviewed_assignments(member: PanelMember, *, by: User) -> None:
    """A reviewer leaving the panel gives back what they have not submitted a review for."""
    removed = []
    assignments = Assignment.objects.select_for_update().filter(member=member, removed_at=None)
    submitted = set(
        Review.objects.filter(assignment__member=member, status=ReviewStatus.SUBMITTED).values_list(
            "assignment_id", flat=True
        )
    )
    for assignment in assignments:
        if assignment.pk in submitted:
            continue
        assignment.removed_at = timezone.now()
        assignment.removed_reason = _("The reviewer left the panel")
        assignment.save(update_fields=["removed_at", "removed_reason"])
        removed.append(assignment)
    for assignment in removed:
        _audit_assignment(
            "assignment.remove", assignment, by=by, reason=AssignmentReason.LEFT_PANEL
        )
