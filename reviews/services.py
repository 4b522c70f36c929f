"""Every write of review, one function per use case.

Services check the user's right (``rules``), keep the invariant that an active assignment never
has a conflict of interest, and move applications through ``applications.services`` (never by
calling a transition themselves). User errors are ``ValidationError`` with a translated message.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.audit import audit_record
from applications.enums import ApplicationState
from applications.models import Application, User
from applications.services.decisions import decision_propose
from applications.services.transitions import application_complete_review
from applications.validators import normalise_orgnr
from grants.models import Call, Criterion

from . import selectors, tasks
from .enums import ConflictGround, Recommendation, ReviewStatus
from .models import (
    Assignment,
    ConflictDeclaration,
    ConflictOverride,
    ConsensusComment,
    PanelInvitation,
    PanelMember,
    Review,
    Score,
)

INVITATION_VALID_FOR = timedelta(days=30)


def _require(user, perm: str, obj=None) -> None:
    if not rules.has_perm(f"reviews.{perm}", user, obj):
        raise PermissionDenied


# -- the panel ---------------------------------------------------------------------------------


@transaction.atomic
def panel_invite(*, call: Call, by: User, email: str) -> PanelInvitation:
    """Invite a reviewer to the call's panel. Side effect: the invitation email, after commit."""
    _require(by, "manage_panel")
    email = email.strip().lower()
    if PanelMember.objects.filter(call=call, user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s is already on the panel.") % {"email": email})
    invitation = PanelInvitation.objects.create(
        call=call, email=email, invited_by=by, expires_at=timezone.now() + INVITATION_VALID_FOR
    )
    transaction.on_commit(lambda: tasks.send_panel_invitation.enqueue(invitation_id=invitation.pk))
    return invitation


def _clean_employer(employer_orgnr: str) -> str:
    return normalise_orgnr(employer_orgnr) if (employer_orgnr or "").strip() else ""


@transaction.atomic
def panel_invitation_accept(
    *, invitation: PanelInvitation, by: User, employer_orgnr: str, employer_name: str = ""
) -> PanelMember:
    """Take a seat on the panel, recording the employer conflicts are checked against."""
    invitation = PanelInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable():
        raise ValidationError(_("This invitation has expired or has already been used."))
    if by.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    member, _created = PanelMember.objects.get_or_create(
        call=invitation.call,
        user=by,
        defaults={
            "employer_orgnr": _clean_employer(employer_orgnr),
            "employer_name": employer_name.strip(),
        },
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = by
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return member


@transaction.atomic
def panel_member_set_employer(
    *, member: PanelMember, by: User, employer_orgnr: str, employer_name: str = ""
) -> PanelMember:
    """The reviewer (or a programme manager) records the reviewer's employer.

    Side effect: assignments that now meet the employer's own application are removed.
    """
    if by != member.user:
        _require(by, "manage_panel")
    member = PanelMember.objects.select_for_update().get(pk=member.pk)
    member.employer_orgnr = _clean_employer(employer_orgnr)
    member.employer_name = employer_name.strip()
    member.save(update_fields=["employer_orgnr", "employer_name"])
    _remove_conflicting_assignments(member.call, by=by)
    audit_record(
        action="panel.set_employer",
        actor=by,
        target=member,
        data={"call_id": member.call_id, "has_employer": bool(member.employer_orgnr)},
    )
    return member


# -- conflicts of interest ---------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    application_id: int
    has_conflict: bool
    ground: str = ""
    comment: str = ""


@transaction.atomic
def conflicts_declare(
    *, member: PanelMember, by: User, declarations: list[Declaration]
) -> list[ConflictDeclaration]:
    """The reviewer declares, for each application, a conflict with its ground, or none.

    Only applications in the call's declaration scope. A declared conflict is final for the
    reviewer (only a programme manager can lift it); "none" can later become a conflict, which
    removes any assignment.
    """
    if by != member.user:
        raise PermissionDenied
    _require(by, "declare_conflicts", member.call)
    scope = set(selectors.declaration_scope(member.call).values_list("pk", flat=True))
    existing = {
        d.application_id: d
        for d in ConflictDeclaration.objects.select_for_update().filter(member=member)
    }
    saved = []
    changed = []  # for the audit log: what this request declared or changed
    for declaration in declarations:
        if declaration.application_id not in scope:
            raise ValidationError(_("One of the applications cannot be declared for."))
        ground = declaration.ground if declaration.has_conflict else ""
        if declaration.has_conflict and ground not in ConflictGround.values:
            raise ValidationError(_("Choose the ground for each conflict of interest."))
        previous = existing.get(declaration.application_id)
        if previous is not None:
            if previous.has_conflict and not declaration.has_conflict:
                raise ValidationError(
                    _("A declared conflict of interest can only be lifted by a programme manager.")
                )
            if previous.has_conflict == declaration.has_conflict and previous.ground == ground:
                saved.append(previous)
                continue
            previous.has_conflict = declaration.has_conflict
            previous.ground = ground
            previous.comment = declaration.comment.strip()
            previous.declared_at = timezone.now()
            previous.save()
            saved.append(previous)
            changed.append(previous)
        else:
            created = ConflictDeclaration.objects.create(
                member=member,
                application_id=declaration.application_id,
                has_conflict=declaration.has_conflict,
                ground=ground,
                comment=declaration.comment.strip(),
            )
            # The same application twice in one request is checked against the first.
            existing[declaration.application_id] = created
            saved.append(created)
            changed.append(created)
    _remove_conflicting_assignments(member.call, by=by)
    for declaration in changed:
        audit_record(
            action="conflict.declare",
            actor=by,
            target=declaration,
            data={
                "member_id": member.pk,
                "application_id": declaration.application_id,
                "has_conflict": declaration.has_conflict,
                "ground": declaration.ground,
            },
        )
    return saved


@transaction.atomic
def conflict_override(
    *, member: PanelMember, application: Application, by: User, has_conflict: bool, reason: str
) -> ConflictOverride:
    """A programme manager adds or lifts a conflict, with the reason, on record.

    Adding one removes the reviewer's assignment to that application (its review no longer
    counts).
    """
    _require(by, "manage_panel")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the decision on the conflict of interest."))
    if application.call_id != member.call_id:
        raise ValidationError(_("The reviewer is not on this call's panel."))
    override = ConflictOverride.objects.create(
        member=member,
        application=application,
        has_conflict=has_conflict,
        reason=reason,
        decided_by=by,
    )
    _remove_conflicting_assignments(member.call, by=by)
    audit_record(
        action="conflict.override",
        actor=by,
        target=override,
        data={
            "member_id": member.pk,
            "application_id": application.pk,
            "has_conflict": has_conflict,
        },
    )
    return override


def _remove_conflicting_assignments(call: Call, *, by: User | None) -> None:
    """Keep the invariant: no active assignment has a conflict of interest."""
    conflicts = selectors.conflict_pairs(call)
    if not conflicts:
        return
    removed = []
    for assignment in selectors.active_assignments(call).select_for_update():
        if (assignment.member_id, assignment.application_id) in conflicts:
            assignment.removed_at = timezone.now()
            assignment.removed_reason = _("Conflict of interest")
            assignment.save(update_fields=["removed_at", "removed_reason"])
            removed.append(assignment)
    for assignment in removed:
        _audit_assignment("assignment.remove", assignment, by=by, reason="conflict")


# -- assignment --------------------------------------------------------------------------------


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
    """Give every application in review the call's number of reviewers.

    Never a reviewer with a conflict or who has not declared for the application; never one a
    programme manager removed. The most constrained applications are served first and each
    takes the least-loaded eligible reviewers (ties by panel seat), so loads are as even as the
    conflicts allow. Running it again only fills what is missing. The call's row is locked so
    two managers running it at once do not both fill the same gap.
    """
    _require(by, "manage_panel")
    Call.objects.select_for_update().get(pk=call.pk)
    members = list(selectors.panel_overview(call))
    applications = list(selectors.applications_for_assignment(call).order_by("registration_number"))
    conflicts = selectors.conflict_pairs(call)
    declared = selectors.declared_pairs(call)
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
        have = sum(1 for m in members if (m.pk, application.pk) in active)
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
        _audit_assignment("assignment.add", assignment, by=by, reason="automatic")
    return result


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
    if selectors.has_conflict(member, application):
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
    assignment = _assign(member, application, by=by)
    _audit_assignment("assignment.add", assignment, by=by, reason="manual")
    return assignment


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
        _audit_assignment("assignment.remove", assignment, by=by, reason="manual")
    return assignment


# -- reviewing -----------------------------------------------------------------------------------


def _lock_review(assignment: Assignment, by: User) -> tuple[Assignment, Review]:
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("application__call", "member")
        .get(pk=assignment.pk)
    )
    if assignment.member.user_id != by.pk or assignment.removed_at is not None:
        raise PermissionDenied
    if selectors.has_conflict(assignment.member, assignment.application):
        raise PermissionDenied
    if assignment.application.state != ApplicationState.IN_REVIEW:
        raise ValidationError(_("The application is no longer in review."))
    review, _created = Review.objects.select_for_update().get_or_create(assignment=assignment)
    if review.is_submitted:
        raise ValidationError(_("The review has been submitted and can no longer be changed."))
    return assignment, review


@transaction.atomic
def review_save(
    *,
    assignment: Assignment,
    by: User,
    scores: dict[int, int | None],
    comment_for_applicant: str = "",
    internal_comment: str = "",
    recommendation: str = "",
) -> Review:
    """Save a review as a draft. Scores may be missing; those given must be on the scale."""
    assignment, review = _lock_review(assignment, by)
    # Locking the call's criteria makes a first score and a change of the criteria
    # (criteria_save, which refuses once any score exists) wait for each other.
    criteria = {
        c.pk: c
        for c in Criterion.objects.select_for_update().filter(
            call_id=assignment.application.call_id
        )
    }
    unknown = set(scores) - set(criteria)
    if unknown:
        raise ValidationError(_("A score was given for a criterion this call does not have."))
    for criterion_id, value in scores.items():
        criterion = criteria[criterion_id]
        if value is not None and value not in criterion.scale:
            raise ValidationError(
                _("The score for “%(criterion)s” must be a whole number from %(low)s to %(high)s.")
                % {
                    "criterion": criterion.name,
                    "low": criterion.scale_min,
                    "high": criterion.scale_max,
                }
            )
    if recommendation and recommendation not in Recommendation.values:
        raise ValidationError(_("Choose a recommendation from the list."))
    review.comment_for_applicant = comment_for_applicant.strip()
    review.internal_comment = internal_comment.strip()
    review.recommendation = recommendation
    review.save()
    for criterion_id, value in scores.items():
        if value is None:
            Score.objects.filter(review=review, criterion_id=criterion_id).delete()
        else:
            Score.objects.update_or_create(
                review=review, criterion_id=criterion_id, defaults={"value": value}
            )
    return review


@transaction.atomic
def review_submit(*, assignment: Assignment, by: User) -> Review:
    """Submit and lock a review; every criterion scored and a recommendation given.

    Side effect: when it is the last active assignment of the application to be submitted (and
    at least the call's minimum of reviews is in), the application moves to ``reviewed``, by
    the system.
    """
    assignment, review = _lock_review(assignment, by)
    criteria = list(assignment.application.call.criteria.all())
    scored = set(review.scores.values_list("criterion_id", flat=True))
    missing = [c.name for c in criteria if c.pk not in scored]
    errors = []
    if missing:
        errors.append(_("Score every criterion: %(names)s.") % {"names": ", ".join(missing)})
    if not review.recommendation:
        errors.append(_("Choose a recommendation."))
    if not review.comment_for_applicant:
        errors.append(_("Write a comment for the applicant."))
    if errors:
        raise ValidationError(errors)
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = timezone.now()
    review.save(update_fields=["status", "submitted_at", "updated_at"])
    application = assignment.application
    outstanding = Assignment.objects.filter(
        application=application, removed_at__isnull=True
    ).exclude(review__status=ReviewStatus.SUBMITTED)
    submitted = Review.objects.filter(
        assignment__application=application,
        assignment__removed_at__isnull=True,
        status=ReviewStatus.SUBMITTED,
    ).count()
    if not outstanding.exists() and submitted >= application.call.min_reviews:
        application_complete_review(application=application, by=None)
    # After the completion above: the audit head is the last lock a transaction takes.
    audit_record(
        action="review.submit",
        actor=by,
        target=review,
        data={
            "assignment_id": assignment.pk,
            "application_id": application.pk,
            "recommendation": review.recommendation,
        },
    )
    return review


@transaction.atomic
def review_complete(*, application: Application, by: User) -> Application:
    """A programme manager completes review once at least the call's minimum is submitted."""
    _require(by, "manage_panel")
    submitted = Review.objects.filter(
        assignment__application=application,
        assignment__removed_at__isnull=True,
        status=ReviewStatus.SUBMITTED,
    ).count()
    minimum = application.call.min_reviews
    if submitted < minimum:
        raise ValidationError(
            _("%(submitted)s of at least %(minimum)s reviews are submitted.")
            % {"submitted": submitted, "minimum": minimum}
        )
    return application_complete_review(application=application, by=by)


@transaction.atomic
def consensus_comment_save(*, application: Application, by: User, text: str) -> ConsensusComment:
    """The programme manager's comment for the applicant, drawn from the reviewers'."""
    _require(by, "manage_panel")
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the comment for the applicant."))
    comment, _created = ConsensusComment.objects.update_or_create(
        application=application, defaults={"text": text, "written_by": by}
    )
    return comment


# -- criteria ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    """One criterion as the programme manager wants it; ``pk`` is None for a new one."""

    name_sv: str
    weight: Decimal | None
    scale_min: int | None = 1
    scale_max: int | None = 7
    threshold: Decimal | None = None
    name_en: str = ""
    guidance_sv: str = ""
    guidance_en: str = ""
    pk: int | None = None


# What may still change once a score exists (names and guidance texts only).
_FAIRNESS_FIELDS = ("weight", "scale_min", "scale_max", "threshold")


def _criterion_errors(index: int, row: CriterionRow) -> list[ValidationError]:
    """The rule breaches of one row; ``params`` say which row and field, for the form."""

    def error(message: str, field_name: str) -> ValidationError:
        name = row.name_sv.strip() or _("New criterion")
        return ValidationError(
            message, code="invalid", params={"name": name, "index": index, "field": field_name}
        )

    errors = []
    if not row.name_sv.strip():
        errors.append(error(_("%(name)s: the Swedish name is required."), "name_sv"))
    if row.weight is None or row.weight <= 0:
        errors.append(error(_("%(name)s: the weight must be greater than 0."), "weight"))
    if row.scale_min is None or row.scale_min < 0:
        errors.append(error(_("%(name)s: the lowest score must be 0 or more."), "scale_min"))
    elif row.scale_max is None or row.scale_max <= row.scale_min:
        errors.append(
            error(_("%(name)s: the highest score must be above the lowest score."), "scale_max")
        )
    elif row.threshold is not None and not row.scale_min <= row.threshold <= row.scale_max:
        errors.append(
            error(
                _(
                    "%(name)s: the threshold must be on the scale, "
                    "from the lowest to the highest score."
                ),
                "threshold",
            )
        )
    return errors


@transaction.atomic
def criteria_save(
    *,
    call: Call,
    by: User,
    rows: list[CriterionRow],
    total_threshold: Decimal | None,
    disagreement_spread: Decimal,
) -> list[Criterion]:
    """Set the call's criteria to ``rows``, in that order, and its review thresholds.

    ``rows`` is the whole list: existing criteria by ``pk`` are updated, rows without one are
    added, and criteria left out are removed. Once any score exists for the call (a review has
    begun), only names and guidance texts may change: weights, scales, thresholds (the total
    threshold too), the order and the set of criteria stay as the reviewers found them, so every
    review is scored on the same terms. The disagreement spread only flags reviews for
    discussion and may always change. All or nothing: any refusal changes nothing.
    """
    _require(by, "manage_panel")
    call = Call.objects.select_for_update().get(pk=call.pk)
    existing = {c.pk: c for c in Criterion.objects.select_for_update().filter(call=call)}
    locked = selectors.criteria_locked(call)

    errors: list[ValidationError] = []
    seen: set[int] = set()
    for index, row in enumerate(rows):
        if row.pk is not None and (row.pk not in existing or row.pk in seen):
            raise ValidationError(_("A criterion was sent that this call does not have."))
        if row.pk is not None:
            seen.add(row.pk)
        errors.extend(_criterion_errors(index, row))
    if disagreement_spread is None or disagreement_spread <= 0:
        errors.append(
            ValidationError(
                _("The disagreement spread must be greater than 0."),
                code="invalid",
                params={"field": "disagreement_spread"},
            )
        )
    if total_threshold is not None and not errors:
        low = min((row.scale_min for row in rows), default=0)
        high = max((row.scale_max for row in rows), default=total_threshold)
        if not low <= total_threshold <= high:
            errors.append(
                ValidationError(
                    _(
                        "The total threshold must be within the criteria's scales, "
                        "from %(low)s to %(high)s."
                    ),
                    code="invalid",
                    params={"field": "total_threshold", "low": low, "high": high},
                )
            )
    if errors:
        raise ValidationError(errors)

    if locked:
        kept = [row.pk for row in rows]
        order_was = [c.pk for c in sorted(existing.values(), key=lambda c: (c.position, c.pk))]
        changed = (
            kept != order_was
            or total_threshold != call.total_threshold
            or any(
                getattr(row, name) != getattr(existing[row.pk], name)
                for row in rows
                for name in _FAIRNESS_FIELDS
            )
        )
        if changed:
            raise ValidationError(
                _(
                    "Reviewers have begun scoring this call, so weights, scales, thresholds and "
                    "the order can no longer change, and criteria can no longer be added or "
                    "removed. Only names and guidance texts can be changed."
                ),
                code="locked",
            )

    removed = set(existing) - seen
    Criterion.objects.filter(pk__in=removed).delete()
    saved = []
    for position, row in enumerate(rows):
        criterion = existing[row.pk] if row.pk is not None else Criterion(call=call)
        criterion.position = position
        criterion.name_sv = row.name_sv.strip()
        criterion.name_en = row.name_en.strip()
        criterion.guidance_sv = row.guidance_sv.strip()
        criterion.guidance_en = row.guidance_en.strip()
        criterion.weight = row.weight
        criterion.scale_min = row.scale_min
        criterion.scale_max = row.scale_max
        criterion.threshold = row.threshold
        criterion.save()
        saved.append(criterion)
    call.total_threshold = total_threshold
    call.disagreement_spread = disagreement_spread
    call.save(update_fields=["total_threshold", "disagreement_spread", "updated_at"])
    return saved


# -- decisions from the ranking (the decision meeting) ----------------------------------------


@dataclass(frozen=True)
class SkippedProposal:
    registration_number: str
    reason: str


@dataclass
class RankingProposals:
    """What proposing from the ranking did: the decisions proposed, and the rows passed over."""

    proposed: list = field(default_factory=list)
    skipped: list[SkippedProposal] = field(default_factory=list)


def decisions_propose_from_ranking(
    *, call: Call, by: User, approve_justification: str, reject_justification: str
) -> RankingProposals:
    """Approve every application above the funding line at its requested amount and reject
    the rest, with one justification per group.

    Each proposal copies in the application's feedback (the consensus comment, else the
    reviewers' comments for the applicant) and is made on its own through
    ``applications.services.decision_propose``, which checks everything again, so one refused
    does not stop the others. Skipped: applications with a proposal waiting or a decision, and
    those whose review is not complete. Side effects: only the proposals; nothing moves until a
    decision maker confirms.
    """
    from applications.enums import DecisionOutcome, DecisionStatus
    from applications.models import Decision

    if not rules.has_perm("applications.propose_decision", by):
        raise PermissionDenied
    approve_justification = (approve_justification or "").strip()
    reject_justification = (reject_justification or "").strip()
    if not approve_justification or not reject_justification:
        raise ValidationError(
            _("Write the justification for the approvals and the one for the rejections.")
        )
    ranking = selectors.ranking_for(call)
    feedback = selectors.feedback_for_applicants(call=call)
    statuses: dict[int, set[str]] = {}
    for application_id, status in Decision.objects.filter(
        application__call=call, status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED]
    ).values_list("application_id", "status"):
        statuses.setdefault(application_id, set()).add(status)
    result = RankingProposals()
    for row in ranking.rows:
        status = statuses.get(row.application_id, set())
        if DecisionStatus.CONFIRMED in status:
            reason = _("already decided")
        elif DecisionStatus.PROPOSED in status:
            reason = _("a proposed decision is already waiting")
        elif row.application.state != ApplicationState.REVIEWED:
            reason = _("review is not complete")
        else:
            reason = ""
        if reason:
            result.skipped.append(SkippedProposal(row.registration_number, str(reason)))
            continue
        approve = row.fits
        try:
            decision = decision_propose(
                application=row.application,
                by=by,
                outcome=DecisionOutcome.APPROVED if approve else DecisionOutcome.REJECTED,
                granted_amount=row.requested_amount if approve else 0,
                justification=approve_justification if approve else reject_justification,
                feedback=feedback.get(row.application_id, ""),
            )
        except ValidationError as error:
            reason = " ".join(error.messages)
            result.skipped.append(SkippedProposal(row.registration_number, reason))
        else:
            result.proposed.append(decision)
    return result


# -- personal data (handed to applications.personal_data in ReviewsConfig.ready) -------------


def reviewer_personal_data_anonymise(*, user: User, old_email: str, at) -> None:
    """The reviewer's part of anonymising a person (``applications``' retention job, inside its
    transaction, after the user row is anonymised).

    Side effects: panel invitations to the old address carry the anonymised one, pending ones
    are ended, and the employer recorded on each panel seat is blanked (only people whose
    panels are all finished are anonymised, so no conflict check needs it any more). The
    declarations, assignments and reviews stay: they are the case's record, and no longer name
    the person.
    """
    from django.db.models import Q

    PanelInvitation.objects.filter(Q(email__iexact=old_email) | Q(accepted_by=user)).update(
        email=user.email
    )
    PanelInvitation.objects.filter(
        email=user.email, accepted_at__isnull=True, expires_at__gt=at
    ).update(expires_at=at)
    PanelMember.objects.filter(user=user).update(employer_name="", employer_orgnr="")
