"""Reads: the ranking of a call's applications, with the funding line."""

import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.db.models import Count, F, Max, Q
from django.utils.translation import gettext as _

from applications.enums import DecisionStatus
from applications.models import Application, Decision, Organisation
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
    # Weighted, one per complete review; None until read (``ranking_review_scores``).
    review_scores: list[Decimal] | None = field(default_factory=list)
    reviews_in: int = 0  # submitted reviews that score every criterion
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
    scorer: "_Scorer" = field(repr=False, compare=False)

    @property
    def remaining(self) -> int:
        return remaining_budget(budget=self.budget, committed=self.committed)


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
# Read with them: the latest submitted version's title and amount (kept on the application by
# the submit service), and the organisation's name and number.
RANKING_EXTRA_FIELDS = [
    "submitted_title",
    "submitted_amount",
    "organisation__name",
    "organisation__orgnr",
]
STATE_AT = RANKING_FIELDS.index("state")
# States after a confirmed approval (a lapsed grant is closed too; its money stays committed
# until follow-up says otherwise).
DECIDED_APPROVED = [S.APPROVED, S.FOLLOW_UP, S.CLOSED]


class _Scorer:
    """A row's figures from its reviews' scores, as the database sums them (``_figures``): the
    aggregate (the call's mean or median), the spread, the criterion means and the thresholds
    they fall below. The one place the ranking and a single application's check both use.

    Weights are kept in hundredths (they have two decimal places), so the database sums whole
    numbers and Python makes one exact Decimal division per figure: the mean is
    Σ weighted sums / (Σ weights × reviews), which is the mean of the reviews' weighted scores.
    """

    def __init__(self, call: Call, criteria: list[Criterion]):
        self.call = call
        self.weights = [(c.pk, int(c.weight * 100)) for c in criteria]
        self.total_weight = sum(weight for _pk, weight in self.weights)
        self.thresholds = [(c.pk, c.threshold, c.name) for c in criteria]
        self.total_score = str(_("Total score"))

    def weighted(self, values) -> Decimal | None:
        """One review's weighted score from its criterion values (None for a missing one)."""
        if not self.total_weight or any(value is None for value in values):
            return None
        weighted_sum = sum(w * value for (_pk, w), value in zip(self.weights, values, strict=True))
        return Decimal(weighted_sum) / self.total_weight

    def __call__(self, row: "RankingRow", figures: tuple | None) -> None:
        """Fill ``row`` from its ``_figures`` row: (reviews in, Σ weighted sums, lowest and
        highest weighted sum, then per criterion the Σ and the number of values)."""
        if not figures or not figures[0] or not self.total_weight:
            return
        call, total_weight = self.call, self.total_weight
        reviews_in, weighted_total, lowest, highest = figures[:4]
        row.reviews_in = reviews_in
        if call.aggregation == Aggregation.MEDIAN:
            row.aggregate = statistics.median(row.review_scores)
        else:
            row.aggregate = Decimal(weighted_total) / (total_weight * reviews_in)
        row.spread = Decimal(highest - lowest) / total_weight
        row.disagreement = reviews_in > 1 and row.spread >= call.disagreement_spread
        means, failures = row.criterion_means, row.threshold_failures
        # Every value of a criterion counts in its mean, also from a review missing another.
        for (pk, threshold, name), total, count in zip(
            self.thresholds, figures[4::2], figures[5::2], strict=True
        ):
            mean = means[pk] = Decimal(total) / count
            if threshold is not None and mean < threshold:
                failures.append(name)
        if call.total_threshold is not None and row.aggregate < call.total_threshold:
            failures.append(self.total_score)


def _per_review(call: Call, criteria: list[Criterion], applications: Q):
    """One row per submitted review of an active assignment of the ``applications``: its
    application id, its id, then its value on each criterion (NULL where it has none), grouped
    in the database. Aliases ``a``, ``r``, ``v0`` …"""
    values = {
        f"v{i}": Max("value", filter=Q(criterion_id=criterion.pk))
        for i, criterion in enumerate(criteria)
    }
    return (
        Score.objects.filter(
            applications,
            review__status=ReviewStatus.SUBMITTED,
            review__assignment__removed_at__isnull=True,
        )
        .values(a=F("review__assignment__application_id"), r=F("review_id"))
        .annotate(**values)
        .order_by()
    )


def _figures(scorer: _Scorer, per_review) -> dict[int, tuple]:
    """application id → (reviews in, Σ weighted sums, lowest and highest weighted sum, then
    per criterion Σ values and their number), in one grouped query over ``_per_review``.

    A review counts in the first four only when it scores every criterion (as a weighted
    score needs); the criterion sums take every value there is. Whole numbers only, so SQLite
    and PostgreSQL give the same figures.
    """
    if not scorer.weights:
        return {}
    columns = range(len(scorer.weights))
    complete = " AND ".join(f"v{i} IS NOT NULL" for i in columns)
    # The weights are whole numbers read from the criteria (hundredths), safe to inline.
    weighted = " + ".join(f"{int(w)} * v{i}" for i, (_pk, w) in enumerate(scorer.weights))
    when = f"CASE WHEN {complete} THEN {weighted} END"
    criterion_sums = ", ".join(f"SUM(v{i}), COUNT(v{i})" for i in columns)
    inner, params = per_review.query.sql_with_params()
    # Only our aliases and whole numbers are formatted in; the values travel as ``params``.
    select = f"SELECT a, COUNT({when}), SUM({when}), MIN({when}), MAX({when}), {criterion_sums}"
    sql = f"{select} FROM ({inner}) per_review GROUP BY a"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {application_id: tuple(figures) for application_id, *figures in cursor.fetchall()}


def _review_scores(scorer: _Scorer, per_review) -> dict[int, list[Decimal]]:
    """application id → its complete reviews' weighted scores, in review order, one query."""
    result: dict[int, list[Decimal]] = {}
    names = [f"v{i}" for i in range(len(scorer.weights))]
    for application_id, _review_id, *values in per_review.order_by("r").values_list(
        "a", "r", *names
    ):
        weighted = scorer.weighted(values)
        if weighted is not None:
            result.setdefault(application_id, []).append(weighted)
    return result


def threshold_shortfalls(application: Application) -> list[str]:
    """The thresholds one application's reviews fall below (the criteria's names, and "Total
    score"), as the ranking counts them; a few queries whatever the size of the call. Handed
    to ``applications`` as its funding check, so an approval below a threshold needs a reason."""
    call = application.call
    criteria = list(call.criteria.order_by("position", "pk"))
    if call.total_threshold is None and all(c.threshold is None for c in criteria):
        return []  # a call without thresholds: nothing to fall below, no scores to read
    scorer = _Scorer(call, criteria)
    per_review = _per_review(call, criteria, Q(review__assignment__application=application))
    row = RankingRow(
        application_id=application.pk,
        registration_number=application.registration_number or "",
        organisation_name="",
        title="",
        requested_amount=0,
    )
    if call.aggregation == Aggregation.MEDIAN:
        row.review_scores = _review_scores(scorer, per_review).get(application.pk, [])
    scorer(row, _figures(scorer, per_review).get(application.pk))
    return row.threshold_failures


def ranking_for(call: Call, *, committed: int | None = None, review_scores: bool = True) -> Ranking:
    """The call's applications ranked by their aggregated weighted score, with the funding line.

    Per review the weighted score of its criteria; per application the mean or median of its
    reviews (the call's setting), the spread between reviewers (flagged when at least the
    call's ``disagreement_spread``), criterion means below their thresholds and a total below
    the call's threshold (either makes it unfundable). Walking down the ranking, an application
    *fits* when it is fundable and its requested amount fits in what remains of the budget
    after ``committed`` and the applications above it that fit; one that does not fit is passed
    over and the walk goes on. Ties keep registration-number order and are flagged.
    Only submitted reviews of active assignments count (a conflict takes the reviewer off).
    A fixed number of queries; the sums are made in the database (``_figures``).

    Decided applications keep their place but leave the walk: an approved one fits and its
    granted amount is part of ``committed`` (by default what the call's confirmed decisions
    grant), a rejected one does not fit.

    ``review_scores=False`` leaves each row's list of its reviews' weighted scores unread
    (``None``) for a mean call, to be read for the rows shown (``ranking_review_scores``); a
    median needs them all and reads them whatever is asked.

    Rows carry the application's number and organisation name as plain values; the
    application itself is made only when ``row.application`` is read (see ``RankingRow``).
    """
    criteria = list(call.criteria.order_by("position", "pk"))
    applications = list(
        call.applications.filter(state__in=RANKING_STATES)
        .order_by("registration_number")
        .values_list(*RANKING_FIELDS, *RANKING_EXTRA_FIELDS)
    )
    scorer = _Scorer(call, criteria)
    in_ranking = Q(
        review__assignment__application__call=call,
        review__assignment__application__state__in=RANKING_STATES,
    )
    per_review = _per_review(call, criteria, in_ranking)
    figures = _figures(scorer, per_review)
    median = call.aggregation == Aggregation.MEDIAN
    scores = _review_scores(scorer, per_review) if review_scores or median else None
    assigned = dict(
        Assignment.objects.filter(application__call=call, removed_at__isnull=True)
        .values("application_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("application_id", "n")
    )

    rows = []
    fields = len(RANKING_FIELDS)
    for values in applications:
        application_id, registration_number, working_title = values[0], values[3], values[4]
        title, amount, organisation_name, organisation_orgnr = values[fields:]
        row = RankingRow(
            application_id=application_id,
            registration_number=registration_number,
            organisation_name=organisation_name,
            title=title or working_title,
            requested_amount=amount or 0,
            assigned=assigned.get(application_id, 0),
            review_scores=None if scores is None else scores.get(application_id, []),
            source=(values[:fields], (values[2], organisation_name, organisation_orgnr)),
        )
        scorer(row, figures.get(application_id))
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
    return Ranking(
        call=call,
        criteria=criteria,
        rows=rows,
        budget=call.budget,
        committed=committed,
        scorer=scorer,
    )


def ranking_review_scores(ranking: Ranking, rows: list[RankingRow]) -> None:
    """Read the reviews' weighted scores of those ``rows`` that lack them (``ranking_for``
    with ``review_scores=False``), in one query; none when every row has them."""
    missing = {row.application_id: row for row in rows if row.review_scores is None}
    if not missing:
        return
    per_review = _per_review(
        ranking.call, ranking.criteria, Q(review__assignment__application_id__in=list(missing))
    )
    scores = _review_scores(ranking.scorer, per_review)
    for application_id, row in missing.items():
        row.review_scores = scores.get(application_id, [])


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
