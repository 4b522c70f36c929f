"""Writes: a reviewer's review (saved, submitted), completing review, and the consensus comment."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.audit import audit_record
from applications.enums import ApplicationState
from applications.models import Application, User
from applications.services.edit_conflicts import refuse_if_stale
from applications.services.transitions import application_complete_review
from grants.models import Criterion

from ..enums import Recommendation, ReviewStatus
from ..models import Assignment, ConsensusComment, Review, Score
from ..selectors.conflicts import has_conflict
from .common import _require


def _lock_review(assignment: Assignment, by: User) -> tuple[Assignment, Review]:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("application__call", "application__organisation", "member")
        .get(pk=assignment.pk)
    )
    if assignment.member.user_id != by.pk or assignment.removed_at is not None:
        raise PermissionDenied
    if has_conflict(assignment.member, assignment.application):
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
    base_version: int | None = None,
) -> Review:
    """Save a review as a draft. Scores may be missing; those given must be on the scale.

    ``base_version`` is the draft's ``edit_version`` the form was read at (0 before the first
    save): when the draft was saved in between (another tab), ``StaleEdit`` is raised and
    nothing is written. Every save counts ``edit_version`` up by one.
    """
    assignment, review = _lock_review(assignment, by)
    refuse_if_stale(review, base_version)  # a draft created just now rolls back with it
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
    review.edit_version += 1
    review.save()
    _scores_write(review, scores)
    return review


def _scores_write(review: Review, scores: dict[int, int | None]) -> None:
    """The review's scores as given, in at most four statements whatever the number of
    criteria (the review's row is locked, so nothing else writes them meanwhile)."""
    existing = {score.criterion_id: score for score in review.scores.all()}
    cleared = [c for c, value in scores.items() if value is None and c in existing]
    changed, added = [], []
    for criterion_id, value in scores.items():
        score = existing.get(criterion_id)
        if value is None:
            continue
        if score is None:
            added.append(Score(review=review, criterion_id=criterion_id, value=value))
        elif score.value != value:
            score.value = value
            changed.append(score)
    if cleared:
        Score.objects.filter(review=review, criterion_id__in=cleared).delete()
    if changed:
        Score.objects.bulk_update(changed, ["value"])
    if added:
        Score.objects.bulk_create(added)


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
