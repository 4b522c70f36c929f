"""Reads: the ranking of a call's applications, with the funding line."""

import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from applications.enums import DecisionStatus
from applications.models import Application, ApplicationVersion, Decision, Organisation
from applications.selectors.applications import latest_version_values
from applications.selectors.decisions import call_committed_amount, remaining_budget
from grants.enums import Aggregation
from grants.models import Call, Criterion

from ..enums import ReviewStatus
from ..models import Assignment, Score
from .scope import RANKING_STATES, S


@dataclass
class RankingRow:
    application_id: int
    registration_number: str
    organisation_name: str
    title: str
    requested_amount: int
    review_scores: list[Decimal] = field(default_factory=list)  # weighted, one per review
    assigned: int = 0
    aggregate: Decimal | None = None
    spread: Decimal | None = None
    disagreement: bool = False
    criterion_means: dict[int, Decimal] = field(default_factory=dict)
    threshold_failures: list[str] = field(default_factory=list)
    rank: int | None = None
    tied: bool = False
    fits: bool = False  # above the funding line: fundable and within the remaining budget
    remaining_after: int | None = None
    # "approved" or "rejected" once a decision is confirmed: the row no longer takes part in
    # the walk (an approval's money is already in ``Ranking.committed``).
    decided: str | None = None
    # What ``application`` is made from: the values of RANKING_FIELDS, then the organisation's.
    source: tuple = field(default=(), repr=False, compare=False)

    @property
    def fundable(self) -> bool:
        return self.aggregate is not None and not self.threshold_failures

    @cached_property
    def application(self) -> Application:
        """The application with its organisation, made on first use from the values read with
        the ranking: no query, and no cost for a page that shows only the row's own fields
        (making 2,000 model instances was most of the ranking's time). Fields beyond
        ``RANKING_FIELDS`` load on access, a query each."""
        application_values, organisation_values = self.source
        application = _from_values(Application, RANKING_FIELDS, application_values)
        application.organisation = _from_values(
            Organisation, RANKING_ORGANISATION_FIELDS, organisation_values
        )
        return application


def _from_values(model, names: list[str], values) -> object:
    """A model instance as the database would give it, from some of its fields' values (the
    others deferred). ``Model.from_db`` wants them in the model's field order."""
    given = dict(zip(names, values, strict=True))
    ordered = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return model.from_db(model.objects.db, ordered, [given[name] for name in ordered])


@dataclass
class Ranking:
    call: Call
    criteria: list[Criterion]
    rows: list[RankingRow]
    budget: int
    committed: int

    @property
    def remaining(self) -> int:
        return remaining_budget(budget=self.budget, committed=self.committed)


def _latest_summaries(call: Call) -> dict[int, tuple[str | None, int | str | None]]:
    """application id → (title, requested amount) of its latest version, in one query.

    Reads the two keys in the database rather than loading whole versions: decoding every
    version's JSON was the ranking's largest cost at 2,000 applications.
    """
    versions = ApplicationVersion.objects.filter(
        application__call=call, application__state__in=RANKING_STATES
    )
    return latest_version_values(versions, KT("content__title"), KT("content__requested_amount"))


# What a ranking row's application is made of (attribute names, for ``Model.from_db``).
RANKING_FIELDS = [
    "id",
    "call_id",
    "organisation_id",
    "registration_number",
    "title",
    "state",
    "requested_amount",
]
RANKING_ORGANISATION_FIELDS = ["id", "name", "orgnr"]
STATE_AT = RANKING_FIELDS.index("state")
# States after a confirmed approval (a lapsed grant is closed too; its money stays committed
# until follow-up says otherwise).
DECIDED_APPROVED = [S.APPROVED, S.FOLLOW_UP, S.CLOSED]


class _Scorer:
    """A row's figures from its submitted reviews' scores: the weighted score per review, the
    aggregate (the call's mean or median), the spread, the criterion means and the thresholds
    they fall below. The one place the ranking and a single application's check both use."""

    def __init__(self, call: Call, criteria: list[Criterion]):
        self.call = call
        # Weights in hundredths (they have two decimal places): integer sums and one Decimal
        # division per review give exactly weighted_score's value, at a fraction of its cost.
        self.weights = [(c.pk, int(c.weight * 100)) for c in criteria]
        self.total_weight = sum(weight for _pk, weight in self.weights)
        self.thresholds = [(c.pk, c.threshold, c.name) for c in criteria]
        self.total_score = str(_("Total score"))

    def weighted(self, scores: dict[int, int]) -> Decimal | None:
        if not self.weights or any(pk not in scores for pk, _weight in self.weights):
            return None
        return Decimal(sum(w * scores[pk] for pk, w in self.weights)) / self.total_weight

    def __call__(self, row: "RankingRow", reviews: list[dict[int, int]]) -> None:
        call = self.call
        row.review_scores = [s for s in (self.weighted(r) for r in reviews) if s is not None]
        if not row.review_scores:
            return
        if call.aggregation == Aggregation.MEDIAN:
            row.aggregate = statistics.median(row.review_scores)
        else:
            row.aggregate = sum(row.review_scores) / len(row.review_scores)
        row.spread = max(row.review_scores) - min(row.review_scores)
        row.disagreement = len(row.review_scores) > 1 and row.spread >= call.disagreement_spread
        for pk, threshold, name in self.thresholds:
            values = [r[pk] for r in reviews if pk in r]
            mean = Decimal(sum(values)) / len(values)
            row.criterion_means[pk] = mean
            if threshold is not None and mean < threshold:
                row.threshold_failures.append(name)
        if call.total_threshold is not None and row.aggregate < call.total_threshold:
            row.threshold_failures.append(self.total_score)


def threshold_shortfalls(application: Application) -> list[str]:
    """The thresholds one application's reviews fall below (the criteria's names, and "Total
    score"), as the ranking counts them; a few queries whatever the size of the call. Handed
    to ``applications`` as its funding check, so an approval below a threshold needs a reason."""
    call = application.call
    criteria = list(call.criteria.order_by("position", "pk"))
    reviews: dict[int, dict[int, int]] = {}
    for review_id, criterion_id, value in Score.objects.filter(
        review__status=ReviewStatus.SUBMITTED,
        review__assignment__removed_at__isnull=True,
        review__assignment__application=application,
    ).values_list("review_id", "criterion_id", "value"):
        reviews.setdefault(review_id, {})[criterion_id] = value
    row = RankingRow(
        application_id=application.pk,
        registration_number=application.registration_number or "",
        organisation_name="",
        title="",
        requested_amount=0,
    )
    _Scorer(call, criteria)(row, [reviews[pk] for pk in sorted(reviews)])
    return row.threshold_failures


def ranking_for(call: Call, *, committed: int | None = None) -> Ranking:
    """The call's applications ranked by their aggregated weighted score, with the funding line.

    Per review the weighted score of its criteria; per application the mean or median of its
    reviews (the call's setting), the spread between reviewers (flagged when at least the
    call's ``disagreement_spread``), criterion means below their thresholds and a total below
    the call's threshold (either makes it unfundable). Walking down the ranking, an application
    *fits* when it is fundable and its requested amount fits in what remains of the budget
    after ``committed`` and the applications above it that fit; one that does not fit is passed
    over and the walk goes on. Ties keep registration-number order and are flagged.
    Only submitted reviews of active assignments count. A fixed number of queries.

    Decided applications keep their place but leave the walk: an approved one fits and its
    granted amount is part of ``committed`` (by default what the call's confirmed decisions
    grant), a rejected one does not fit.

    Rows carry the application's number and organisation name as plain values; the
    application itself is made only when ``row.application`` is read (see ``RankingRow``).
    """
    criteria = list(call.criteria.order_by("position", "pk"))
    applications = list(
        call.applications.filter(state__in=RANKING_STATES)
        .order_by("registration_number")
        .values_list(*RANKING_FIELDS, "organisation__name", "organisation__orgnr")
    )
    summaries = _latest_summaries(call)
    scores_by_review: dict[int, dict[int, int]] = {}
    review_application: dict[int, int] = {}
    for review_id, application_id, criterion_id, value in Score.objects.filter(
        review__status=ReviewStatus.SUBMITTED,
        review__assignment__removed_at__isnull=True,
        review__assignment__application__call=call,
    ).values_list("review_id", "review__assignment__application_id", "criterion_id", "value"):
        scores_by_review.setdefault(review_id, {})[criterion_id] = value
        review_application[review_id] = application_id
    assigned: dict[int, int] = {}
    for application_id in Assignment.objects.filter(
        application__call=call, removed_at__isnull=True
    ).values_list("application_id", flat=True):
        assigned[application_id] = assigned.get(application_id, 0) + 1

    per_application: dict[int, list[dict[int, int]]] = {}
    for review_id, scores in sorted(scores_by_review.items()):
        per_application.setdefault(review_application[review_id], []).append(scores)

    score = _Scorer(call, criteria)
    rows = []
    fields = len(RANKING_FIELDS)
    for values in applications:
        application_id, registration_number, working_title = values[0], values[3], values[4]
        organisation_name, organisation_orgnr = values[fields:]
        title, amount = summaries.get(application_id, (None, None))
        row = RankingRow(
            application_id=application_id,
            registration_number=registration_number,
            organisation_name=organisation_name,
            title=working_title if title is None else title,
            requested_amount=int(amount) if amount else 0,
            assigned=assigned.get(application_id, 0),
            source=(values[:fields], (values[2], organisation_name, organisation_orgnr)),
        )
        score(row, per_application.get(application_id, []))
        rows.append(row)

    # Best first; unscored last; equal scores keep registration-number order (stable sort).
    rows.sort(key=lambda r: (r.aggregate is None, -(r.aggregate or 0)))
    if committed is None:
        committed = call_committed_amount(call)
    remaining = remaining_budget(budget=call.budget, committed=committed)
    for position, row in enumerate(rows, start=1):
        if row.aggregate is None:
            continue
        row.rank = position
        neighbours = rows[max(position - 2, 0) : position + 1]
        row.tied = sum(1 for other in neighbours if other.aggregate == row.aggregate) > 1
        state = row.source[0][STATE_AT]
        if state in DECIDED_APPROVED:
            row.decided, row.fits = "approved", True
        elif state == S.REJECTED:
            row.decided = "rejected"
        elif row.fundable and row.requested_amount <= remaining:
            row.fits = True
            remaining -= row.requested_amount
        row.remaining_after = remaining
    return Ranking(call=call, criteria=criteria, rows=rows, budget=call.budget, committed=committed)


def decisions_by_application(call: Call) -> dict[int, tuple[str, str]]:
    """application id → (status, outcome) of its latest proposed or confirmed decision, in one
    query, for the ranking's decision column."""
    decisions = {}
    for application_id, status, outcome in (
        Decision.objects.filter(
            application__call=call,
            status__in=[DecisionStatus.PROPOSED, DecisionStatus.CONFIRMED],
        )
        .order_by("proposed_at", "pk")
        .values_list("application_id", "status", "outcome")
    ):
        decisions[application_id] = (status, outcome)
    return decisions
