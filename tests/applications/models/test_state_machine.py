"""The application's state machine as a whole: its graph, its protection, its locking."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
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
    ("reject_ineligible", S.RETURNED, S.REJECTED),  # once the completion deadline has passed
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


# -- the diagrams in docs/ are made from the model and must not drift from it ------------------

DOCS = Path(settings.BASE_DIR) / "docs"
REGENERATE = "python manage.py state_diagram{} > docs/state-diagram.{}"


def _command_output(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def test_committed_dot_diagram_matches_the_model():
    committed = (DOCS / "state-diagram.dot").read_text(encoding="utf-8")

    assert _command_output("state_diagram", format="dot") == committed, (
        "The state machine changed; regenerate with: " + REGENERATE.format(" --format dot", "dot")
    )


def test_committed_dot_diagram_is_django_fsms_graph_transitions_output():
    # The stock command prints the same statements in an order that varies between runs.
    committed = (DOCS / "state-diagram.dot").read_text(encoding="utf-8")
    with translation.override("en"):
        stock = _command_output("graph_transitions", "applications.Application.state")

    assert sorted(stock.splitlines()) == sorted(committed.splitlines())


def test_committed_mermaid_diagram_matches_the_model():
    committed = (DOCS / "state-diagram.mmd").read_text(encoding="utf-8")

    assert _command_output("state_diagram") == committed, (
        "The state machine changed; regenerate with: " + REGENERATE.format("", "mmd")
    )


def test_architecture_page_shows_the_generated_mermaid_diagram():
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    block = "```mermaid\n" + (DOCS / "state-diagram.mmd").read_text(encoding="utf-8") + "```"

    assert block in page


def test_mermaid_diagram_has_every_edge_of_the_graph():
    text = _command_output("state_diagram")

    for name, source, target in EXPECTED_GRAPH:
        assert f"    {source} --> {target}: {name}\n" in text
    assert text.count(" --> ") == len(EXPECTED_GRAPH) + 1 + 3  # initial and three final states
