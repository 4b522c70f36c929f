"""The ranking, checked against hand-computed figures.

Criteria weigh 2, 1 and 1 unless a test says otherwise, so a review's weighted score is
(2·a + b + c) / 4. Reviews are made and submitted through the services.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from applications.enums import BudgetCategory
from reviews.enums import ConflictGround
from reviews.selectors.ranking import ranking_for
from reviews.selectors.scores import round_score, weighted_score
from reviews.services.assignments import assignment_add, assignment_remove
from reviews.services.conflicts import Declaration, conflict_override, conflicts_declare
from reviews.services.panel import panel_member_set_employer
from reviews.services.reviewing import review_save
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def pm():
    return factories.programme_manager()


@pytest.fixture
def call():
    # A high minimum keeps applications in review, so every review can be submitted.
    return factories.CallFactory(
        budget=1_000_000, max_amount=600_000, min_reviews=9, reviewers_per_application=9
    )


@pytest.fixture
def criteria(call):
    return [
        factories.CriterionFactory(call=call, name_en="Relevance", weight=2),
        factories.CriterionFactory(call=call, name_en="Feasibility", weight=1),
        factories.CriterionFactory(call=call, name_en="Impact", weight=1),
    ]


def applications(call, pm, amounts):
    """Applications asking for ``amounts``, in registration order, put in review together."""
    result = [
        factories.submitted_application(
            call,
            requested_amount=amount,
            budget=[(BudgetCategory.HUB, "Hub membership", amount)],
        )
        for amount in amounts
    ]
    factories.start_review(result, by=pm)
    return result


def reviewed(call, pm, criteria, scores, *, amounts=None):
    """One application per entry of ``scores`` (a list of reviews, each a list of scores).

    Every reviewer is assigned first and then submits, so completion never gets in the way.
    Returns the applications and the panel members (member i wrote review i).
    """
    apps = applications(call, pm, amounts or [500_000] * len(scores))
    members = factories.PanelMemberFactory.create_batch(
        max((len(r) for r in scores), default=0), call=call
    )
    for member in members:
        factories.declare_none(member, apps)
    pending = []
    for application, reviews in zip(apps, scores, strict=True):
        for member, values in zip(members, reviews, strict=False):
            assignment = assignment_add(member=member, application=application, by=pm)
            pending.append((assignment, values))
    for assignment, values in pending:
        factories.submit_review(assignment, dict(zip(criteria, values, strict=True)))
    return apps, members


def row_for(ranking, application):
    return next(r for r in ranking.rows if r.application.pk == application.pk)


# -- one review ------------------------------------------------------------------------------


def test_weighted_score_of_one_review(call, criteria):
    criteria = list(call.criteria.order_by("position"))  # weights as the database gives them
    scores = {criteria[0].pk: 6, criteria[1].pk: 3, criteria[2].pk: 4}
    score = weighted_score(scores, criteria)
    assert (score, type(score)) == (Decimal("4.75"), Decimal)  # (12 + 3 + 4) / 4


def test_weighted_score_needs_every_criterion(criteria):
    assert weighted_score({criteria[0].pk: 6, criteria[1].pk: 3}, criteria) is None
    assert weighted_score({}, []) is None


def test_uneven_weights(call, pm):
    heavy = factories.CriterionFactory(call=call, weight=Decimal("1.5"))
    light = factories.CriterionFactory(call=call, weight=Decimal("0.5"))
    (application,), _ = reviewed(call, pm, [heavy, light], [[[7, 1]]])
    row = row_for(ranking_for(call), application)
    assert row.review_scores == [Decimal("5.5")]  # (10.5 + 0.5) / 2


# -- aggregation -----------------------------------------------------------------------------

# Weighted: (12+3+4)/4 = 4.75, (8+4+4)/4 = 4, (14+7+3)/4 = 6.
THREE_REVIEWS = [[6, 3, 4], [4, 4, 4], [7, 7, 3]]


def test_mean_spread_and_criterion_means(call, pm, criteria):
    (application,), _ = reviewed(call, pm, criteria, [THREE_REVIEWS])
    row = row_for(ranking_for(call), application)
    assert row.review_scores == [Decimal("4.75"), Decimal("4"), Decimal("6")]
    assert row.aggregate == Decimal("14.75") / 3
    assert round_score(row.aggregate) == Decimal("4.92")
    assert row.spread == Decimal("2")
    assert row.criterion_means == {
        criteria[0].pk: Decimal(17) / 3,
        criteria[1].pk: Decimal(14) / 3,
        criteria[2].pk: Decimal(11) / 3,
    }
    assert (row.assigned, row.rank, row.tied, row.threshold_failures) == (3, 1, False, [])


def test_median_of_an_odd_number_of_reviews(call, pm, criteria):
    call.aggregation = "median"
    call.save()
    (application,), _ = reviewed(call, pm, criteria, [THREE_REVIEWS])
    assert row_for(ranking_for(call), application).aggregate == Decimal("4.75")


def test_median_of_an_even_number_of_reviews(call, pm, criteria):
    call.aggregation = "median"
    call.save()
    (application,), _ = reviewed(call, pm, criteria, [THREE_REVIEWS[:2]])
    assert row_for(ranking_for(call), application).aggregate == Decimal("4.375")


@pytest.mark.parametrize(
    "disagreement_spread, flagged", [("2", True), ("1.99", True), ("2.01", False)]
)
def test_disagreement_is_flagged_from_exactly_the_calls_spread(
    call, pm, criteria, disagreement_spread, flagged
):
    call.disagreement_spread = Decimal(disagreement_spread)
    call.save()
    (application,), _ = reviewed(call, pm, criteria, [THREE_REVIEWS])
    row = row_for(ranking_for(call), application)
    assert (row.spread, row.disagreement) == (Decimal("2"), flagged)


def test_one_review_has_no_spread_to_disagree_on(call, pm, criteria):
    call.disagreement_spread = 0
    call.save()
    (application,), _ = reviewed(call, pm, criteria, [[[7, 1, 1]]])
    row = row_for(ranking_for(call), application)
    assert (row.aggregate, row.spread, row.disagreement) == (Decimal("4"), Decimal("0"), False)


# -- thresholds ------------------------------------------------------------------------------


def test_a_criterion_mean_below_its_threshold_makes_the_application_unfundable(call, pm, criteria):
    criteria[2].threshold = 4  # Impact's mean is 11/3 = 3.67
    criteria[2].save()
    criteria[1].threshold = Decimal("4.66")  # Feasibility's mean is 14/3 = 4.67: passes
    criteria[1].save()
    (application,), _ = reviewed(call, pm, criteria, [THREE_REVIEWS])
    row = row_for(ranking_for(call), application)
    assert row.threshold_failures == ["Impact"]
    assert (row.fundable, row.fits, row.rank) == (False, False, 1)


def test_a_criterion_mean_exactly_at_its_threshold_passes(call, pm, criteria):
    criteria[0].threshold = 5
    criteria[0].save()
    (application,), _ = reviewed(call, pm, criteria, [[[6, 3, 4], [4, 4, 4]]])  # mean 5
    assert row_for(ranking_for(call), application).threshold_failures == []


@pytest.mark.parametrize("threshold, failures", [("4.92", ["Total score"]), ("4.91", [])])
def test_the_total_threshold(call, pm, criteria, threshold, failures):
    call.total_threshold = Decimal(threshold)  # the aggregate is 4.9166…
    call.save()
    (application,), _ = reviewed(call, pm, criteria, [THREE_REVIEWS])
    row = row_for(ranking_for(call), application)
    assert row.threshold_failures == failures
    assert row.fits is (failures == [])


# -- order, ties and missing reviews -------------------------------------------------------------


def test_best_first_ties_flagged_in_registration_order_and_unreviewed_last(call, pm, criteria):
    # Aggregates: 4, 6, 4, none (a draft only), 5.
    apps, members = reviewed(
        call,
        pm,
        criteria,
        [[[4, 4, 4]], [[6, 6, 6]], [[5, 3, 3]], [], [[5, 5, 5]]],
    )
    draft_only = apps[3]
    assignment = assignment_add(member=members[0], application=draft_only, by=pm)
    review_save(
        assignment=assignment,
        by=members[0].user,
        scores={c.pk: 7 for c in criteria},
        comment_for_applicant="Unfinished.",
        recommendation="fund",
    )

    ranking = ranking_for(call)

    assert [(r.application, r.aggregate, r.rank, r.tied, r.assigned) for r in ranking.rows] == [
        (apps[1], Decimal("6"), 1, False, 1),
        (apps[4], Decimal("5"), 2, False, 1),
        (apps[0], Decimal("4"), 3, True, 1),
        (apps[2], Decimal("4"), 4, True, 1),
        (draft_only, None, None, False, 1),
    ]
    last = ranking.rows[-1]
    assert (last.review_scores, last.spread, last.fits, last.remaining_after) == (
        [],
        None,
        False,
        None,
    )


def test_only_applications_whose_review_has_started_are_ranked(call, pm, criteria):
    (in_review,), _ = reviewed(call, pm, criteria, [[[4, 4, 4]]])
    factories.ApplicationFactory(call=call)  # a draft
    assert [r.application for r in ranking_for(call).rows] == [in_review]


def test_title_and_amount_come_from_the_submitted_version(call, pm, criteria):
    (application,), _ = reviewed(call, pm, criteria, [[[4, 4, 4]]], amounts=[420_000])
    # The working copy is not what is assessed.
    type(application).objects.filter(pk=application.pk).update(
        title="Edited afterwards", requested_amount=1
    )
    row = row_for(ranking_for(call), application)
    assert (row.title, row.requested_amount) == (application.title, 420_000)


@pytest.mark.parametrize("how", ["declared", "employer", "override"])
def test_a_conflicted_reviewers_submitted_score_never_counts(call, pm, criteria, how):
    (application,), (kept, conflicted) = reviewed(call, pm, criteria, [[[4, 4, 4], [7, 7, 7]]])
    if how == "declared":
        conflicts_declare(
            member=conflicted,
            by=conflicted.user,
            declarations=[
                Declaration(
                    application_id=application.pk,
                    has_conflict=True,
                    ground=ConflictGround.CLOSE_RELATION,
                )
            ],
        )
    elif how == "employer":
        panel_member_set_employer(
            member=conflicted, by=pm, employer_orgnr=application.organisation.orgnr
        )
    else:
        conflict_override(
            member=conflicted, application=application, by=pm, has_conflict=True, reason="Found."
        )
    row = row_for(ranking_for(call), application)
    assert (row.review_scores, row.aggregate, row.assigned) == ([Decimal("4")], Decimal("4"), 1)


def test_a_removed_reviewers_draft_never_counts(call, pm, criteria):
    (application,), _ = reviewed(call, pm, criteria, [[[4, 4, 4]]])
    # A second reviewer writes a draft and is then taken off.
    extra = factories.PanelMemberFactory(call=call)
    factories.declare_none(extra, [application])
    assignment = assignment_add(member=extra, application=application, by=pm)
    review_save(assignment=assignment, by=extra.user, scores={c.pk: 7 for c in criteria})
    assignment_remove(assignment=assignment, by=pm)
    row = row_for(ranking_for(call), application)
    assert (row.review_scores, row.assigned) == ([Decimal("4")], 1)


# -- the funding line -------------------------------------------------------------------------


def test_funding_line_passes_over_what_does_not_fit_and_goes_on(call, pm, criteria):
    # Ranked: 600 000 (fits, 400 000 left), 500 000 (does not fit), 300 000 (fits, 100 000 left).
    apps, _ = reviewed(
        call,
        pm,
        criteria,
        [[[7, 7, 7]], [[6, 6, 6]], [[5, 5, 5]]],
        amounts=[600_000, 500_000, 300_000],
    )
    ranking = ranking_for(call)
    assert [(r.application, r.fits, r.remaining_after) for r in ranking.rows] == [
        (apps[0], True, 400_000),
        (apps[1], False, 400_000),
        (apps[2], True, 100_000),
    ]
    assert (ranking.budget, ranking.committed, ranking.remaining) == (1_000_000, 0, 1_000_000)


def test_funding_line_starts_from_what_is_already_committed(call, pm, criteria):
    apps, _ = reviewed(
        call,
        pm,
        criteria,
        [[[7, 7, 7]], [[6, 6, 6]], [[5, 5, 5]]],
        amounts=[600_000, 500_000, 300_000],
    )
    ranking = ranking_for(call, committed=200_000)
    assert [(r.fits, r.remaining_after) for r in ranking.rows] == [
        (True, 200_000),
        (False, 200_000),
        (False, 200_000),
    ]
    assert ranking.remaining == 800_000


def test_an_unfundable_application_takes_nothing_from_the_budget(call, pm, criteria):
    criteria[0].threshold = 7
    criteria[0].save()
    apps, _ = reviewed(
        call,
        pm,
        criteria,
        [[[6, 7, 7]], [[7, 5, 5]], [[7, 4, 4]]],  # 6.5 (fails Relevance), 6, 5.5
        amounts=[600_000, 500_000, 500_000],
    )
    ranking = ranking_for(call)
    assert [(r.application, r.fundable, r.fits, r.remaining_after) for r in ranking.rows] == [
        (apps[0], False, False, 1_000_000),
        (apps[1], True, True, 500_000),
        (apps[2], True, True, 0),
    ]


# -- cost ---------------------------------------------------------------------------------------


def ranking_queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        ranking = ranking_for(call)
        for row in ranking.rows:
            str(row.application.organisation.name), row.title
    return len(captured)


def test_ranking_runs_the_same_number_of_queries_for_3_and_20_applications(pm, criteria, call):
    reviewed(call, pm, criteria, [[[4, 4, 4], [5, 5, 5]]] * 3)
    small = ranking_queries(call)

    bigger = factories.CallFactory(
        budget=1_000_000, max_amount=600_000, min_reviews=9, reviewers_per_application=9
    )
    bigger_criteria = [factories.CriterionFactory(call=bigger, weight=w) for w in (2, 1, 1)]
    reviewed(bigger, pm, bigger_criteria, [[[4, 4, 4], [5, 5, 5]]] * 20)

    # criteria, applications, the grouped figures, the reviews' weighted scores, assignments,
    # committed amount
    assert ranking_queries(bigger) == small == 6


# -- decisions taken -------------------------------------------------------------------------


def test_decided_applications_leave_the_walk_and_approvals_count_as_committed(call, pm, criteria):
    from applications.services.decisions import decision_confirm
    from applications.services.transitions import application_complete_review

    # Budget 1 000 000. Best 600 000 (approved at 450 000), then 500 000, 400 000, 300 000.
    best, second, third, fourth = reviewed(
        call,
        pm,
        criteria,
        [[[7, 7, 7]], [[6, 6, 6]], [[5, 5, 5]], [[4, 4, 4]]],
        amounts=[600_000, 500_000, 400_000, 300_000],
    )[0]
    for application in (best, fourth):
        application_complete_review(application=application, by=pm)
    approval = factories.proposed_decision(best, by=pm, granted_amount=450_000)
    rejection = factories.proposed_decision(fourth, by=pm, outcome="rejected")
    decider = factories.decision_maker()
    for decision in (approval, rejection):
        decision_confirm(decision=decision, by=decider)

    ranking = ranking_for(call)

    assert ranking.committed == 450_000
    assert [(r.decided, r.fits, r.remaining_after) for r in ranking.rows] == [
        ("approved", True, 550_000),
        (None, True, 50_000),  # 500 000 of the 550 000 left
        (None, False, 50_000),  # 400 000 does not fit
        ("rejected", False, 50_000),
    ]
    assert [r.application.pk for r in ranking.rows] == [
        best.pk,
        second.pk,
        third.pk,
        fourth.pk,
    ]
