"""Writes: a call's criteria, as the programme manager sets them."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from applications.models import User
from grants.models import Call, Criterion

from ..selectors.scores import criteria_locked
from .common import _require


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
    locked = criteria_locked(call)

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
