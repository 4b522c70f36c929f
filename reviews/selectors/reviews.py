"""Reads: the other reviewers' reviews, and whether a reviewer may see them yet."""

from django.db.models import QuerySet

from grants.enums import ScoreVisibility

from ..enums import ReviewStatus
from ..models import Assignment, Review


def other_reviews_visible(assignment: Assignment) -> bool:
    """Whether the call's policy lets this reviewer see the other reviewers' scores now."""
    policy = assignment.application.call.score_visibility
    if policy == ScoreVisibility.ALWAYS:
        return True
    if policy == ScoreVisibility.NEVER:
        return False
    review = getattr(assignment, "review", None)
    return bool(review and review.is_submitted)


def other_submitted_reviews(assignment: Assignment) -> QuerySet[Review]:
    """The other active reviewers' submitted reviews of the same application."""
    return (
        Review.objects.filter(
            assignment__application_id=assignment.application_id,
            assignment__removed_at__isnull=True,
            status=ReviewStatus.SUBMITTED,
        )
        .exclude(assignment=assignment)
        .select_related("assignment__member__user")
        .prefetch_related("scores__criterion")
    )
