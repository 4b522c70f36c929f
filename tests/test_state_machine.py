"""The application's state machine as a whole: its graph, its protection, its locking."""

import pytest
from django.db import transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from applications.enums import ApplicationState as S
from applications.models import Application
from tests import factories

pytestmark = pytest.mark.django_db

# The graph in docs/architecture.md and DESIGN.md, edge by edge. A transition added to or
# removed from the model without changing this set fails the test below on purpose.
EXPECTED_GRAPH = {
    ("submit", S.DRAFT, S.SUBMITTED),
    ("submit", S.RETURNED, S.SUBMITTED),
    ("submit_new_version", S.SUBMITTED, S.SUBMITTED),
    ("return_for_completion", S.SUBMITTED, S.RETURNED),
    ("withdraw", S.DRAFT, S.WITHDRAWN),
    ("withdraw", S.SUBMITTED, S.WITHDRAWN),
    ("withdraw", S.RETURNED, S.WITHDRAWN),
    ("withdraw", S.IN_REVIEW, S.WITHDRAWN),
    ("reject_ineligible", S.SUBMITTED, S.REJECTED),
    ("start_review", S.SUBMITTED, S.IN_REVIEW),
    ("complete_review", S.IN_REVIEW, S.REVIEWED),
    ("approve", S.REVIEWED, S.APPROVED),
    ("reject", S.REVIEWED, S.REJECTED),
    ("accept_grant", S.APPROVED, S.FOLLOW_UP),
    ("lapse", S.APPROVED, S.CLOSED),
    ("close", S.FOLLOW_UP, S.CLOSED),
}


def _model_transitions():
    return list(Application._meta.get_field("state").get_all_transitions(Application))


def test_transition_graph_is_exactly_the_designed_one():
    actual = {(t.name, t.source, t.target) for t in _model_transitions()}

    assert actual == EXPECTED_GRAPH


def test_every_state_is_reachable_from_draft():
    reached = {S.DRAFT}
    frontier = [S.DRAFT]
    while frontier:
        state = frontier.pop()
        for _name, source, target in EXPECTED_GRAPH:
            if source == state and target not in reached:
                reached.add(target)
                frontier.append(target)

    assert reached == set(S.values)


def test_final_states_have_no_way_out():
    sources = {source for _name, source, _target in EXPECTED_GRAPH}

    assert set(S.values) - sources == {S.WITHDRAWN, S.REJECTED, S.CLOSED}


def test_every_transition_but_lapse_asks_a_permission():
    # lapse is the daily job's; no person may trigger it, so it has no permission to ask.
    without_permission = {t.name for t in _model_transitions() if t.permission is None}

    assert without_permission == {"lapse"}


def test_new_application_starts_as_draft():
    application = factories.ApplicationFactory()

    assert application.state == S.DRAFT


def test_state_cannot_be_assigned_directly():
    application = factories.ApplicationFactory()

    with pytest.raises(AttributeError, match="Direct state modification is not allowed"):
        application.state = S.APPROVED

    application.refresh_from_db()
    assert application.state == S.DRAFT


def test_transition_from_a_wrong_state_is_not_allowed():
    application = factories.ApplicationFactory()

    assert can_proceed(application.approve) is False
    with pytest.raises(TransitionNotAllowed):
        application.approve()
    assert application.state == S.DRAFT


def test_submit_condition_refuses_after_the_deadline(time_machine):
    application = factories.ApplicationFactory()
    time_machine.move_to(application.call.closes_at, tick=False)

    assert can_proceed(application.submit) is False
    assert can_proceed(application.submit, check_conditions=False) is True


def test_stale_copy_cannot_overwrite_a_newer_state():
    application = factories.ApplicationFactory()
    stale = Application.objects.get(pk=application.pk)

    application.withdraw(reason="We changed our plans.")
    application.save()

    stale.withdraw(reason="A second click in another tab.")
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()

    application.refresh_from_db()
    assert application.state == S.WITHDRAWN
    assert application.withdrawn_reason == "We changed our plans."
