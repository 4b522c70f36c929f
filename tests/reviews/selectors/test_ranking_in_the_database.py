"""The ranking's figures, summed in the database, against the Python computation it replaced.

``python_ranking`` below is the ranking's former code, kept here as the reference: it reads
every submitted score of an active assignment and works each figure out in Python. The mixed
call has uneven weights (1.5, 1 and 0.5: thirds, so no figure is a short decimal), a draft that
does not count, an assigned review never started, a reviewer taken off for a conflict after
submitting, a submitted review missing a score, an application without reviews and a tie.
"""

import statistics
from decimal import Decimal

import pytest
from django.utils import translation

from applications.enums import BudgetCategory
from reviews.enums import ConflictGround, ReviewStatus
from reviews.models import Assignment, Score
from reviews.selectors.ranking import ranking_for, threshold_shortfalls
from reviews.selectors.scope import RANKING_STATES
from reviews.selectors.scores import round_score
from reviews.services.assignments import assignment_add
from reviews.services.conflicts import Declaration, conflicts_declare
from reviews.services.reviewing import review_save
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def python_ranking(call) -> list[dict]:
    """The former ``ranking_for``'s figures and order, in Python from the score rows."""
    criteria = list(call.criteria.order_by("position", "pk"))
    total_weight = sum(c.weight for c in criteria)
    reviews: dict[int, dict[int, int]] = {}
    application_of: dict[int, int] = {}
    for review_id, application_id, criterion_id, value in Score.objects.filter(
        review__status=ReviewStatus.SUBMITTED,
        review__assignment__removed_at__isnull=True,
        review__assignment__application__call=call,
    ).values_list("review_id", "review__assignment__application_id", "criterion_id", "value"):
        reviews.setdefault(review_id, {})[criterion_id] = value
        application_of[review_id] = application_id
    rows = []
    for application in call.applications.filter(state__in=RANKING_STATES).order_by(
        "registration_number"
    ):
        own = [reviews[r] for r in sorted(reviews) if application_of[r] == application.pk]
        weighted = [
            sum(c.weight * r[c.pk] for c in criteria) / total_weight
            for r in own
            if all(c.pk in r for c in criteria)
        ]
        row = {
            "application": application.pk,
            "review_scores": weighted,
            "aggregate": None,
            "spread": None,
            "disagreement": False,
            "criterion_means": {},
            "threshold_failures": [],
        }
        if weighted:
            if call.aggregation == "median":
                row["aggregate"] = statistics.median(weighted)
            else:
                row["aggregate"] = sum(weighted) / len(weighted)
            row["spread"] = max(weighted) - min(weighted)
            row["disagreement"] = len(weighted) > 1 and row["spread"] >= call.disagreement_spread
            for c in criteria:
                values = [r[c.pk] for r in own if c.pk in r]
                mean = Decimal(sum(values)) / len(values)
                row["criterion_means"][c.pk] = mean
                if c.threshold is not None and mean < c.threshold:
                    row["threshold_failures"].append(c.name)
            if call.total_threshold is not None and row["aggregate"] < call.total_threshold:
                row["threshold_failures"].append("Total score")
        rows.append(row)
    rows.sort(key=lambda r: (r["aggregate"] is None, -(r["aggregate"] or 0)))
    for position, row in enumerate(rows, start=1):
        row["rank"] = position if row["aggregate"] is not None else None
        near = rows[max(position - 2, 0) : position + 1]
        row["tied"] = row["aggregate"] is not None and (
            sum(1 for other in near if other["aggregate"] == row["aggregate"]) > 1
        )
    return rows


def database_ranking(call, **options) -> list[dict]:
    return [
        {
            "application": row.application_id,
            "review_scores": row.review_scores,
            "aggregate": row.aggregate,
            "spread": row.spread,
            "disagreement": row.disagreement,
            "criterion_means": row.criterion_means,
            "threshold_failures": row.threshold_failures,
            "rank": row.rank,
            "tied": row.tied,
        }
        for row in ranking_for(call, **options).rows
    ]


@pytest.fixture
def mixed_call():
    pm = factories.programme_manager()
    call = factories.CallFactory(
        budget=2_000_000,
        max_amount=600_000,
        min_reviews=9,
        reviewers_per_application=9,
        disagreement_spread=Decimal("1.5"),
        total_threshold=Decimal("3.5"),
    )
    criteria = [
        factories.CriterionFactory(call=call, name_en="Relevance", weight=Decimal("1.5")),
        factories.CriterionFactory(call=call, name_en="Feasibility", weight=1, threshold=3),
        factories.CriterionFactory(call=call, name_en="Impact", weight=Decimal("0.5")),
    ]
    applications = [
        factories.submitted_application(
            call, requested_amount=300_000, budget=[(BudgetCategory.HUB, "Hub", 300_000)]
        )
        for _ in range(8)
    ]
    factories.start_review(applications, by=pm)
    members = factories.PanelMemberFactory.create_batch(3, call=call)
    for member in members:
        factories.declare_none(member, applications)
    # Per application, each member's scores: submitted, "draft", "assigned" (not started) or
    # None (not assigned).
    plan = [
        [[7, 5, 2], [4, 4, 7], [6, 1, 3]],  # three reviews; Feasibility's mean 10/3 passes
        [[5, 5, 5], [2, 6, 4], "draft"],  # a draft does not count
        [[6, 2, 5], "assigned", None],  # one review in of two assigned; below Feasibility's 3
        [[3, 4, 4], [7, 7, 7], None],  # the second reviewer is taken off for a conflict
        [[5, 4, 6], [4, 5, 3], None],  # ties with the next: the same figures, other reviewers
        [None, [5, 4, 6], [4, 5, 3]],
        ["assigned", None, None],  # no review in
        [[4, 3, 6], [6, 6, 6], None],  # the second review loses its Impact score below
    ]
    assignments = {}
    for i, (application, entries) in enumerate(zip(applications, plan, strict=True)):
        for m, entry in enumerate(entries):
            if entry is None:
                continue
            assignment = assignment_add(member=members[m], application=application, by=pm)
            assignments[(i, m)] = assignment
            if entry == "draft":
                review_save(
                    assignment=assignment,
                    by=members[m].user,
                    scores={c.pk: 7 for c in criteria},
                )
            elif entry != "assigned":
                factories.submit_review(assignment, dict(zip(criteria, entry, strict=True)))
    conflicts_declare(
        member=members[1],
        by=members[1].user,
        declarations=[
            Declaration(
                application_id=applications[3].pk,
                has_conflict=True,
                ground=ConflictGround.CLOSE_RELATION,
            )
        ],
    )
    # A submitted review without a score on one criterion (a criterion's scores cannot be
    # taken away through the services; the ranking must still handle such a review).
    Score.objects.filter(review__assignment=assignments[(7, 1)], criterion=criteria[2]).delete()
    return call, applications, criteria


# The former code divided each review's weighted sum by the weights, rounded to Decimal's 28
# digits, then added those up; the database sums whole numbers and divides once. The two can
# differ in the 28th digit (a third rounded three times), never where a figure is shown or
# exported (two places) or compared (an exact tie is the same fraction, so the same Decimal).
CLOSE = Decimal("1e-25")


def _comparable(rows: list[dict]) -> list[dict]:
    """The rows with the aggregate and the spread as shown (two places), after checking they
    are within ``CLOSE`` of each other's."""
    return [
        {**row, "aggregate": round_score(row["aggregate"]), "spread": round_score(row["spread"])}
        for row in rows
    ]


def _close(ours: list[dict], theirs: list[dict]) -> None:
    for mine, reference in zip(ours, theirs, strict=True):
        for key in ("aggregate", "spread"):
            if reference[key] is None:
                assert mine[key] is None
            else:
                assert abs(mine[key] - reference[key]) < CLOSE, (key, mine, reference)


@pytest.mark.parametrize("aggregation", ["mean", "median"])
def test_the_databases_figures_equal_the_python_computation(mixed_call, aggregation):
    call, _applications, _criteria = mixed_call
    call.aggregation = aggregation
    call.save()
    expected = python_ranking(call)

    ours = database_ranking(call)
    _close(ours, expected)
    assert _comparable(ours) == _comparable(expected)
    # Without the reviews' scores read (as the page asks), the same figures and order.
    without = database_ranking(call, review_scores=False)
    if aggregation == "mean":
        assert {row.pop("review_scores") for row in without} == {None}
        for row in expected:
            row.pop("review_scores")
    _close(without, expected)
    assert _comparable(without) == _comparable(expected)


def test_the_mixed_calls_figures_by_hand(mixed_call):
    """Hand-computed: a review's weighted score is (1.5·a + b + 0.5·c) / 3."""
    call, apps, criteria = mixed_call
    rows = {row.application_id: row for row in ranking_for(call).rows}
    relevance, feasibility, impact = (c.pk for c in criteria)

    first = rows[apps[0].pk]  # (10.5+5+1)/3 = 5.5, (6+4+3.5)/3 = 4.5, (9+1+1.5)/3 = 3.8333…
    assert first.review_scores == [Decimal("5.5"), Decimal("4.5"), Decimal("11.5") / 3]
    assert first.aggregate == (Decimal("16.5") + Decimal("13.5") + Decimal("11.5")) / 9
    assert round_score(first.aggregate) == Decimal("4.61")
    assert round_score(first.spread) == Decimal("1.67")  # 5.5 − 3.8333…
    assert first.disagreement is True  # at least 1.5
    assert first.criterion_means[feasibility] == Decimal(10) / 3
    assert (first.reviews_in, first.assigned, first.threshold_failures) == (3, 3, [])

    draft = rows[apps[1].pk]  # (7.5+5+2.5)/3 = 5, (3+6+2)/3 = 3.6667; the draft is not in
    assert (draft.reviews_in, draft.assigned) == (2, 3)
    assert round_score(draft.aggregate) == Decimal("4.33")

    one_in = rows[apps[2].pk]  # (9+2+2.5)/3 = 4.5, Feasibility 2 is below 3
    assert (one_in.aggregate, one_in.reviews_in, one_in.assigned) == (Decimal("4.5"), 1, 2)
    assert one_in.threshold_failures == ["Feasibility"]
    assert one_in.fundable is False

    conflicted = rows[apps[3].pk]  # only (4.5+4+2)/3 = 3.5 counts: exactly the total threshold
    assert (conflicted.aggregate, conflicted.reviews_in, conflicted.assigned) == (
        Decimal("3.5"),
        1,
        1,
    )
    assert conflicted.threshold_failures == []

    # (7.5+4+3)/3 and (6+5+1.5)/3: a mean of 4.5 each, as the one review of the third.
    tied = [rows[apps[2].pk], rows[apps[4].pk], rows[apps[5].pk]]
    assert [(r.tied, r.aggregate) for r in tied] == [(True, Decimal("4.5"))] * 3
    assert [r.rank for r in tied] == [2, 3, 4]  # after the first; registration order

    assert (rows[apps[6].pk].aggregate, rows[apps[6].pk].rank) == (None, None)

    missing = rows[apps[7].pk]  # only the complete review counts: (6+3+3)/3 = 4
    assert (missing.aggregate, missing.reviews_in, missing.review_scores) == (
        Decimal(4),
        1,
        [Decimal(4)],
    )
    # Every value there is counts in a criterion's mean, also the incomplete review's.
    assert missing.criterion_means == {
        relevance: Decimal(5),
        feasibility: Decimal("4.5"),
        impact: Decimal(6),
    }


def test_one_applications_threshold_check_agrees_with_the_ranking(mixed_call):
    call, apps, _criteria = mixed_call
    rows = {row.application_id: row for row in ranking_for(call).rows}
    for application in apps:
        assert threshold_shortfalls(application) == rows[application.pk].threshold_failures
    assert threshold_shortfalls(apps[2]) == ["Feasibility"]


def test_the_reviews_of_a_removed_assignment_never_count(mixed_call):
    call, apps, _criteria = mixed_call
    removed = Assignment.objects.get(application=apps[3], removed_at__isnull=False)
    assert removed.review.status == ReviewStatus.SUBMITTED
    row = next(r for r in ranking_for(call).rows if r.application_id == apps[3].pk)
    assert row.review_scores == [Decimal("3.5")]
