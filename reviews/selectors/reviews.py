"""Reads: the other reviewers' reviews, and whether a reviewer may see them yet."""

import statistics

from django.db.models import QuerySet

from applications.models import Application
from applications.selectors.applications import latest_version
from grants.enums import Aggregation, ScoreVisibility

from ..enums import ReviewStatus
from ..models import Assignment, ConsensusComment, Review
from .scores import round_score, weighted_score


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


def application_reviews_summary(application: Application) -> dict:
    """One application's reviews for the programme manager: each active reviewer's scores and
    weighted score, the removed assignments, the aggregate and spread of the submitted ones,
    the comments for the applicant and the consensus comment."""
    call = application.call
    version = latest_version(application)
    criteria = list(call.criteria.order_by("position", "pk"))
    assignments = list(
        Assignment.objects.filter(application=application)
        .select_related("member__user", "review")
        .prefetch_related("review__scores")
        .order_by("member__user__full_name", "pk")
    )
    reviews, removed = _review_entries(assignments, criteria)
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
    return {
        "version": version,
        "criteria": criteria,
        "reviews": reviews,
        "removed": removed,
        "submitted": submitted,
        "weighted": weighted,
        "aggregate": aggregate,
        "spread": spread,
        "comments": comments,
        "consensus": ConsensusComment.objects.filter(application=application).first(),
    }


def _review_entries(assignments, criteria) -> tuple[list[dict], list[Assignment]]:
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
    return reviews, removed


def review_of(assignment: Assignment) -> Review | None:
    return Review.objects.filter(assignment=assignment).first()


def review_with_scores(assignment: Assignment) -> Review | None:
    return Review.objects.filter(assignment=assignment).prefetch_related("scores").first()
