"""A reviewer's part of "My data" and of the retention job (handed to
``applications.personal_data`` in ``ReviewsConfig.ready``)."""

from django.db.models import Exists, OuterRef, Q

from applications.formatting import choice_label
from applications.models import Application
from applications.selectors.retention import ENDED_STATES

from ..enums import ConflictGround, Recommendation, ReviewStatus
from ..models import (
    Assignment,
    ConflictDeclaration,
    ConflictOverride,
    PanelInvitation,
    PanelMember,
    Review,
)


def reviewer_personal_data_for(user) -> dict:
    """A reviewer's part of "My data": panel seats and invitations, conflict declarations and
    the programme managers' decisions on them, assignments and reviews with their scores.

    Applications appear by registration number and organisation only; other reviewers never
    appear. Seven queries whatever the number of rows.
    """

    email = user.email.lower()
    return {
        "panel_seats": [
            {
                "call": m.call.title,
                "employer": m.employer_name,
                "employer_orgnr": m.employer_orgnr,
                "joined_at": m.joined_at,
            }
            for m in PanelMember.objects.filter(user=user)
            .select_related("call")
            .order_by("joined_at", "pk")
        ],
        "panel_invitations": [
            {
                "call": i.call.title,
                "email": i.email,
                "invited_at": i.created_at,
                "expires_at": i.expires_at,
                "accepted_at": i.accepted_at,
            }
            for i in PanelInvitation.objects.filter(Q(email__iexact=email) | Q(accepted_by=user))
            .select_related("call")
            .order_by("created_at", "pk")
        ],
        "conflict_declarations": [
            {
                "application": str(d.application),
                "organisation": d.application.organisation.name,
                "conflict": d.has_conflict,
                "ground": d.ground,
                "ground_label": choice_label(ConflictGround, d.ground) if d.ground else "",
                "comment": d.comment,
                "declared_at": d.declared_at,
            }
            for d in ConflictDeclaration.objects.filter(member__user=user)
            .select_related("application__organisation")
            .order_by("declared_at", "pk")
        ],
        "conflict_decisions": [
            {
                "application": str(o.application),
                "conflict": o.has_conflict,
                "reason": o.reason,
                "decided_at": o.decided_at,
            }
            for o in ConflictOverride.objects.filter(member__user=user)
            .select_related("application")
            .order_by("decided_at", "pk")
        ],
        "assignments": [
            {
                "application": str(a.application),
                "assigned_at": a.assigned_at,
                "removed_at": a.removed_at,
                "removed_reason": a.removed_reason,
            }
            for a in Assignment.objects.filter(member__user=user)
            .select_related("application")
            .order_by("assigned_at", "pk")
        ],
        "reviews": [
            {
                "application": str(r.assignment.application),
                "status": r.status,
                "status_label": choice_label(ReviewStatus, r.status),
                "recommendation": r.recommendation,
                "recommendation_label": choice_label(Recommendation, r.recommendation)
                if r.recommendation
                else "",
                "comment_for_applicant": r.comment_for_applicant,
                "internal_comment": r.internal_comment,
                "scores": [
                    {"criterion": s.criterion.name, "score": s.value}
                    for s in sorted(r.scores.all(), key=lambda s: (s.criterion.position, s.pk))
                ],
                "created_at": r.created_at,
                "submitted_at": r.submitted_at,
            }
            for r in Review.objects.filter(assignment__member__user=user)
            .select_related("assignment__application")
            .prefetch_related("scores__criterion")
            .order_by("created_at", "pk")
        ],
    }


def reviewer_cases() -> dict[int, set[int]]:
    """user id → the cases a person is tied to as a reviewer: every submitted application of
    the calls whose panel they sit on, and any they declared for or were assigned."""
    ties: dict[int, set[int]] = {}
    pairs = [
        *Application.objects.filter(registration_number__isnull=False).values_list(
            "call__panel_members__user_id", "pk"
        ),
        *ConflictDeclaration.objects.values_list("member__user_id", "application_id"),
        *Assignment.objects.values_list("member__user_id", "application_id"),
    ]
    for user_id, application_id in pairs:
        if user_id is not None:
            ties.setdefault(user_id, set()).add(application_id)
    return ties


def reviewers_still_needed(now) -> set[int]:
    """People on the panel of a call not yet finished: it has not closed, or one of its
    submitted applications is still open."""

    open_case = Application.objects.filter(
        call=OuterRef("call"), registration_number__isnull=False
    ).exclude(state__in=ENDED_STATES)
    return set(
        PanelMember.objects.filter(Q(call__closes_at__gt=now) | Exists(open_case)).values_list(
            "user_id", flat=True
        )
    )
