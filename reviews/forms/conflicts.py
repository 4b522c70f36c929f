"""A review draft's save refused as stale: what it sent beside what is stored now."""

from applications.forms.conflicts import conflict_rows


def review_conflict_rows(form, current) -> list[dict]:
    """``conflict_rows`` of a ``ReviewForm`` against the stored draft ``current``."""
    stored = {
        "comment_for_applicant": current.comment_for_applicant,
        "internal_comment": current.internal_comment,
        "recommendation": current.recommendation,
    }
    for score in current.scores.all():
        stored[f"score_{score.criterion_id}"] = score.value
    return conflict_rows(form, stored)
