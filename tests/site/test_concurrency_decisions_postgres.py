"""Confirmations at the same instant, on PostgreSQL: real connections, real row locks.

Confirmations of one call queue on the call's row, so the sum granted never exceeds the budget
whatever order they arrive in. SQLite serialises every writer and proves nothing here; these
tests run only when the suite runs on PostgreSQL. Each thread has its own connection, and a
barrier starts them together (the pattern of test_concurrency_postgres.py).
"""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from applications.enums import ApplicationState, DecisionStatus
from applications.models import Decision
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from applications.selectors.decisions import call_committed_amount, call_committed_amount_summed
from applications.services.decisions import decision_confirm
from tests import factories
from tests.concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
    ),
]


@pytest.fixture(autouse=True)
def agency_groups():
    """The groups come from a data migration, which the flush after a transactional test
    removes; serialized rollback would restore them but clashes with the content types the
    flush recreates."""
    for name in (PROGRAMME_MANAGERS, DECISION_MAKERS):
        Group.objects.get_or_create(name=name)


@pytest.fixture(autouse=True)
def letters_stay_queued(settings):
    """The letter tasks are queued and not run: letters are tested on their own."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }


def _confirm_job(decision_pk: int, user):
    def job():
        # A new thread has no active language; read the refusal in English.
        with translation.override("en"):
            decision = Decision.objects.get(pk=decision_pk)
            return decision_confirm(decision=decision, by=user).pk

    return job


def _proposals(call, amounts: list[int]) -> list[Decision]:
    manager = factories.programme_manager()
    applications = factories.reviewed_applications(call, by=manager, count=len(amounts))
    return [
        factories.proposed_decision(application, by=manager, granted_amount=amount)
        for application, amount in zip(applications, amounts, strict=True)
    ]


def test_concurrent_confirmations_over_the_budget_confirm_exactly_those_that_fit():
    call = factories.CallFactory(budget=1_200_000, max_amount=500_000)
    proposals = _proposals(call, [400_000] * 6)
    jobs = [_confirm_job(d.pk, factories.decision_maker()) for d in proposals]

    results, errors = run_together(jobs)

    assert len(results) == 3
    assert len(errors) == 3
    assert all(isinstance(error, ValidationError) for error in errors)
    assert {tuple(error.messages) for error in errors} == {
        (
            "Confirming this would exceed the call's budget: 0 kr remain of "
            "1\u00a0200\u00a0000 kr, and the decision grants 400\u00a0000 kr.",
        )
    }
    assert call_committed_amount(call) == 1_200_000
    assert call_committed_amount_summed(call) == 1_200_000
    confirmed = Decision.objects.filter(status=DecisionStatus.CONFIRMED)
    assert sorted(confirmed.values_list("pk", flat=True)) == sorted(results)
    states = [d.application.state for d in Decision.objects.select_related("application")]
    assert sorted(states) == sorted(
        [ApplicationState.APPROVED] * 3 + [ApplicationState.REVIEWED] * 3
    )


def test_concurrent_confirmations_of_different_amounts_never_exceed_the_budget():
    call = factories.CallFactory(budget=1_000_000, max_amount=500_000)
    amounts = [500_000, 400_000, 300_000, 300_000, 200_000, 100_000]
    proposals = _proposals(call, amounts)
    jobs = [_confirm_job(d.pk, factories.decision_maker()) for d in proposals]

    results, errors = run_together(jobs)

    assert len(results) + len(errors) == len(amounts)
    assert all(isinstance(error, ValidationError) for error in errors)
    granted = dict(Decision.objects.values_list("pk", "granted_amount"))
    committed = sum(granted[pk] for pk in results)
    assert committed <= 1_000_000
    assert call_committed_amount(call) == committed
    assert call_committed_amount_summed(call) == committed
    # Serial in some order: each refused one did not fit in what was left when it was tried,
    # so it does not fit in what is left at the end either.
    refused = [d for d in proposals if d.pk not in results]
    assert all(committed + granted[d.pk] > 1_000_000 for d in refused)
    assert Decision.objects.filter(status=DecisionStatus.PROPOSED).count() == len(refused)


def test_one_proposal_confirmed_twice_at_once_is_confirmed_once():
    call = factories.CallFactory()
    (proposal,) = _proposals(call, [500_000])
    first, second = factories.decision_maker(), factories.decision_maker()

    results, errors = run_together(
        [_confirm_job(proposal.pk, first), _confirm_job(proposal.pk, second)]
    )

    assert results == [proposal.pk]
    assert len(errors) == 1
    assert errors[0].messages == ["This decision is not waiting for confirmation."]
    proposal.refresh_from_db()
    assert proposal.status == DecisionStatus.CONFIRMED
    assert proposal.decided_by in (first, second)
    assert proposal.application.transitions.filter(name="approve").count() == 1
    assert call_committed_amount(call) == 500_000
    assert call_committed_amount_summed(call) == 500_000


def test_a_lapse_and_confirmations_at_once_keep_the_committed_amount_exact(time_machine):
    """A lapse gives money back under the call's lock while confirmations take it: the kept
    figure stays the sum, and the money given back can be granted again."""
    import datetime as dt

    from django.utils import timezone

    from applications.services.follow_up import application_lapse
    from applications.services.letters import decision_letter_generate

    call = factories.CallFactory(budget=1_000_000, max_amount=500_000)
    first, *others = _proposals(call, [500_000, 300_000, 300_000, 200_000, 200_000])
    decision_confirm(decision=first, by=factories.decision_maker())
    decision_letter_generate(first.pk)
    lapsing = first.application
    lapsing.refresh_from_db()
    time_machine.move_to(
        timezone.make_aware(dt.datetime.combine(lapsing.accept_by, dt.time(0, 0, 1)))
        + dt.timedelta(days=1)
    )

    def lapse_job():
        return application_lapse(application=lapsing).pk

    jobs = [lapse_job] + [_confirm_job(d.pk, factories.decision_maker()) for d in others]
    results, errors = run_together(jobs)

    assert lapsing.pk in results
    assert all(isinstance(error, ValidationError) for error in errors)
    assert call_committed_amount(call) == call_committed_amount_summed(call)
    assert call_committed_amount(call) <= 1_000_000
    lapsing.refresh_from_db()
    assert lapsing.state == ApplicationState.CLOSED
