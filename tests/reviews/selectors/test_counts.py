"""The call-wide counts of the review pages, counted in the database: what each counts and what
it leaves out."""

import pytest

from applications.enums import ApplicationState
from applications.models import Application, User
from reviews.selectors.assignments import (
    applications_lacking_reviewers,
    reviewer_assignment_counts,
    reviewer_loads,
)
from reviews.selectors.conflicts import declaration_progress
from reviews.selectors.panel import panel_counts
from reviews.services.assignments import assignment_add, assignment_remove
from reviews.services.conflicts import Declaration, conflicts_declare
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    manager = factories.programme_manager()
    call = factories.CallFactory(reviewers_per_application=2, min_reviews=1)
    criterion = factories.CriterionFactory(call=call)
    first, second, third = factories.applications_in_review(call, by=manager, count=3)
    anna, bo = (factories.PanelMemberFactory(call=call) for _ in range(2))
    for member in (anna, bo):
        conflicts_declare(
            member=member,
            by=member.user,
            declarations=[Declaration(a.pk, False) for a in (first, second, third)],
        )
    # Another call's panel and declarations count for nothing here.
    other = factories.CallFactory()
    (foreign,) = factories.applications_in_review(other, by=manager, count=1)
    stranger = factories.PanelMemberFactory(call=other, user=anna.user)
    stranger.user = User.objects.get(pk=anna.user.pk)  # fresh: permissions are cached per object
    conflicts_declare(
        member=stranger, by=stranger.user, declarations=[Declaration(foreign.pk, False)]
    )
    done = assignment_add(member=anna, application=first, by=manager)
    assignment_add(member=anna, application=second, by=manager)
    assignment_add(member=bo, application=first, by=manager)
    taken_off = assignment_add(member=bo, application=third, by=manager)
    assignment_remove(assignment=taken_off, by=manager, reason="Swapped.")
    factories.submit_review(done, {criterion: 5})
    return {
        "call": call,
        "applications": (first, second, third),
        "anna": anna,
        "bo": bo,
        "stranger": stranger,
    }


def test_panel_counts_count_the_scope_the_declarations_in_it_and_active_assignments(world):
    call, anna, bo = world["call"], world["anna"], world["bo"]
    # An application leaving the scope (withdrawn) takes its declarations with it.
    Application.objects.filter(pk=world["applications"][2].pk).update(
        state=ApplicationState.WITHDRAWN
    )

    assert panel_counts(call) == (2, {anna.pk: 2, bo.pk: 2}, {anna.pk: 2, bo.pk: 1})


def test_declaration_progress_counts_each_seat_against_its_own_calls_scope(world):
    anna, stranger = world["anna"], world["stranger"]

    assert declaration_progress([anna, stranger]) == {anna.pk: (3, 3), stranger.pk: (1, 1)}


def test_loads_and_the_shortfall_count_active_assignments_and_submitted_reviews(world):
    call, anna, bo = world["call"], world["anna"], world["bo"]

    assert reviewer_loads(call) == {anna.pk: (2, 1), bo.pk: (1, 0)}
    # first has two reviewers; second has one, third none (bo was taken off).
    assert applications_lacking_reviewers(call) == 2
    assert reviewer_assignment_counts(anna.user) == {anna.pk: (2, 1)}
