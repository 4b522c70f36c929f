"""Starting the same background job at the same instant, on PostgreSQL: one row, one job.

Two clicks, two tabs or two machines' cron may start the same work together. Each start reads
that no job of the key is under way, and each inserts: the partial unique constraint
``one_active_job_per_key`` lets one insert through, the other waits for it, fails, and hands back
the row the first committed. SQLite serialises every writer, so it proves nothing here.
"""

import pytest
from django.db import connection

from applications.enums import JobKind, JobState
from applications.models import BackgroundJob
from applications.services.decisions import decisions_confirm_start
from applications.services.jobs import job_start
from tests import factories
from tests.concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
    ),
]


def _start(key: str):
    def job():
        found, created = job_start(
            kind=JobKind.DAILY,
            key=key,
            runner="daily:send_review_reminders",
            params={"day": "2026-12-01"},
            enqueue=False,
        )
        return found.pk, created

    return job


@pytest.mark.parametrize("round_", range(3))
def test_starts_of_the_same_job_at_once_make_one_row(round_):
    key = f"daily:send_review_reminders:race-{round_}"

    results, errors = run_together([_start(key) for _i in range(4)])

    assert errors == []
    assert BackgroundJob.objects.filter(key=key).count() == 1
    job = BackgroundJob.objects.get(key=key)
    assert sorted(results, key=lambda r: not r[1]) == [(job.pk, True)] + [(job.pk, False)] * 3


def test_the_database_refuses_a_second_active_job_of_a_key():
    from django.db import IntegrityError, transaction

    BackgroundJob.objects.create(kind=JobKind.EXPORT, key="export:x", state=JobState.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        BackgroundJob.objects.create(kind=JobKind.EXPORT, key="export:x")
    # A finished one does not count: the same work may start again.
    BackgroundJob.objects.filter(key="export:x").update(state=JobState.DONE)
    BackgroundJob.objects.create(kind=JobKind.EXPORT, key="export:x")
    assert BackgroundJob.objects.filter(key="export:x").count() == 2


def test_two_decision_makers_starting_the_same_batch_at_once_get_one_job(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    manager = factories.programme_manager()
    call = factories.CallFactory(budget=100_000_000)
    decisions = [
        factories.proposed_decision(a, by=manager)
        for a in factories.reviewed_applications(call, by=manager, count=2)
    ]
    deciders = [factories.decision_maker(), factories.decision_maker()]

    def start(user):
        return lambda: decisions_confirm_start(decisions=decisions, by=user)[0].pk

    results, errors = run_together([start(user) for user in deciders])

    assert errors == []
    assert len(set(results)) == 1
    assert BackgroundJob.objects.count() == 1


def test_two_workers_running_one_batch_at_once_confirm_each_decision_once(settings):
    from applications.enums import DecisionStatus
    from applications.models import ApplicationTransition, Decision
    from applications.services.jobs import job_run

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    manager = factories.programme_manager()
    call = factories.CallFactory(budget=100_000_000)
    decisions = [
        factories.proposed_decision(a, by=manager)
        for a in factories.reviewed_applications(call, by=manager, count=6)
    ]
    job, _created = decisions_confirm_start(decisions=decisions, by=factories.decision_maker())

    _results, errors = run_together([lambda: job_run(job.pk), lambda: job_run(job.pk)])

    assert errors == []
    job.refresh_from_db()
    assert job.result["counts"] == {"confirmed": 6, "skipped": 0, "refused": 0}
    assert (job.state, job.done) == (JobState.DONE, 6)
    assert Decision.objects.filter(status=DecisionStatus.CONFIRMED).count() == 6
    assert ApplicationTransition.objects.filter(name="approve").count() == 6
