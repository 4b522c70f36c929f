"""Reads: weighted scores, their rounding, and a call's criteria."""

from decimal import Decimal

from django.db.models import Count

from grants.models import Call, Criterion

from ..models import Score

TWO_PLACES = Decimal("0.01")


def weighted_score(scores: dict[int, int], criteria: list[Criterion]) -> Decimal | None:
    """Σ weight × score / Σ weight over the call's criteria; None unless every one is scored."""
    if not criteria or any(c.pk not in scores for c in criteria):
        return None
    total_weight = sum(c.weight for c in criteria)
    return sum(c.weight * scores[c.pk] for c in criteria) / total_weight


def round_score(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TWO_PLACES)


def criteria_counts(call_ids) -> dict[int, int]:
    """call id → its number of criteria, in one query."""
    return dict(
        Criterion.objects.filter(call_id__in=list(call_ids))
        .values("call_id")
        .annotate(n=Count("pk"))
        .values_list("call_id", "n")
    )


def criteria_locked(call: Call) -> bool:
    """Whether a review of the call has begun: any score, draft or submitted, on its criteria.

    From then on the criteria's weights, scales and thresholds stay as the reviewers found them.
    """
    return Score.objects.filter(criterion__call=call).exists()


def criteria_in_order(call: Call) -> list[Criterion]:
    """The call's criteria in the order the forms and tables show them."""
    return list(call.criteria.order_by("position", "pk"))
