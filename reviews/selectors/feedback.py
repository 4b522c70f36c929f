"""Reads: the text for the applicant that a decision copies in."""

from django.db.models import Q

from applications.models import Application
from grants.models import Call

from ..enums import ReviewStatus
from ..models import ConsensusComment, Review


def feedback_for_applicants(*, call: Call | None = None, application_ids=None) -> dict[int, str]:
    """application id → the text for the applicant a decision copies in: the consensus comment
    when written, else the submitted reviewers' comments for the applicant, one paragraph each
    (by reviewer name, as the reviews page shows them). Two queries, for a call or some ids."""

    if call is not None:
        consensus_scope = Q(application__call=call)
        review_scope = Q(assignment__application__call=call)
    else:
        ids = list(application_ids)
        consensus_scope = Q(application_id__in=ids)
        review_scope = Q(assignment__application_id__in=ids)
    consensus = dict(
        ConsensusComment.objects.filter(consensus_scope).values_list("application_id", "text")
    )
    comments: dict[int, list[str]] = {}
    for application_id, text in (
        Review.objects.filter(
            review_scope, status=ReviewStatus.SUBMITTED, assignment__removed_at__isnull=True
        )
        .exclude(comment_for_applicant="")
        .order_by("assignment__application_id", "assignment__member__user__full_name", "pk")
        .values_list("assignment__application_id", "comment_for_applicant")
    ):
        comments.setdefault(application_id, []).append(text)
    feedback = {pk: "\n\n".join(texts) for pk, texts in comments.items()}
    feedback.update({pk: text for pk, text in consensus.items() if text.strip()})
    return feedback


def feedback_for_applicant(application: Application) -> str:
    return feedback_for_applicants(application_ids=[application.pk]).get(application.pk, "")
