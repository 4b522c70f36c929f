"""The season's daily work as tasks (issue 15): each runs once a day, recorded as a job."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from applications.daily_tasks import daily_job, daily_job_run
from applications.enums import ApplicationState, JobKind, JobState
from applications.models import Application, BackgroundJob
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_days_job_runs_once_that_day_and_again_the_next(django_capture_on_commit_callbacks):
    application = factories.approved_grant()
    late = application.accept_by + dt.timedelta(days=1)
    noon = dt.datetime.combine(late, dt.time(12), tzinfo=timezone.get_current_timezone())

    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(noon, tick=False):
        job, ran = daily_job_run("lapse_unaccepted_grants")
        again, ran_again = daily_job_run("lapse_unaccepted_grants")
    with time_machine.travel(noon + dt.timedelta(days=1), tick=False):
        _next, ran_next_day = daily_job_run("lapse_unaccepted_grants")

    assert (ran, ran_again, ran_next_day) == (True, False, True)
    assert again.pk == job.pk
    assert (job.kind, job.state, job.key, job.started_by) == (
        JobKind.DAILY,
        JobState.DONE,
        f"daily:lapse_unaccepted_grants:{late.isoformat()}",
        None,
    )
    assert job.result["counts"] == {"lapsed": 1}
    assert BackgroundJob.objects.get(
        key__endswith=(late + dt.timedelta(days=1)).isoformat()
    ).result["counts"] == {"lapsed": 0}
    assert Application.objects.get(pk=application.pk).state == ApplicationState.CLOSED


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("lapse_unaccepted_grants", "lapse_unaccepted_grants"),
        ("send_follow_up_reminders", "send_follow_up_reminders"),
        ("anonymise_expired_personal_data", "anonymise_expired_personal_data"),
        ("scan_attachments", "scan_attachments"),
        ("send_review_reminders", "send_review_reminders"),
    ],
)
def test_each_daily_command_enqueues_its_task_once_a_day(
    command, name, django_capture_on_commit_callbacks
):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(command, "--enqueue", stdout=out)
        call_command(command, "--enqueue", stdout=StringIO())

    # The test settings' ImmediateBackend runs the queued task at once: one row for the day.
    job = BackgroundJob.objects.get()
    assert "Queued" in out.getvalue()
    assert (job.key, job.state) == (
        f"daily:{name}:{timezone.localdate().isoformat()}",
        JobState.DONE,
    )


def test_a_failed_days_job_may_run_again_that_day():
    calls = []

    def flaky(day):
        calls.append(day)
        if len(calls) == 1:
            raise RuntimeError("the service is down")
        return {"done": 1}

    daily_job("test_flaky", flaky)
    first, _ran = daily_job_run("test_flaky", day="2026-12-01")
    second, ran = daily_job_run("test_flaky", day="2026-12-01")

    # No one started it: the page's text is in the site's language, Swedish; no stack trace.
    assert (first.state, first.error) == (
        JobState.FAILED,
        "Jobbet avbröts på grund av ett fel. Starta det igen.",
    )
    assert (ran, second.state, second.result["counts"]) == (True, JobState.DONE, {"done": 1})
    assert len(calls) == 2


def test_a_days_job_page_is_for_programme_managers(client):
    job, _ran = daily_job_run("send_review_reminders", day="2026-12-01")
    url = reverse("applications:job_detail", args=[job.pk])
    client.force_login(factories.programme_manager())
    page = client.get(url)
    assert page.status_code == 200
    assert "send_review_reminders: review_reminders 0" in page.content.decode()
    client.force_login(factories.decision_maker())
    assert client.get(url).status_code == 404


def test_prune_job_files_removes_files_older_than_the_days_given():
    user = factories.programme_manager()
    jobs = []
    for age in (8, 6):
        job = BackgroundJob(
            kind=JobKind.EXPORT,
            key=f"export:test:{age}",
            state=JobState.DONE,
            started_by=user,
            finished_at=timezone.now() - dt.timedelta(days=age),
            result={"filename": "x.csv"},
        )
        job.file.save(f"x{age}.csv", ContentFile(b"a;b\n"), save=False)
        job.save()
        jobs.append(job)
    old_name = jobs[0].file.name
    storage = jobs[0].file.storage
    out = StringIO()

    call_command("prune_job_files", "--days", "7", stdout=out)

    old, recent = (BackgroundJob.objects.get(pk=job.pk) for job in jobs)
    assert out.getvalue().strip() == "Removed 1 job files older than 7 days."
    assert (old.file.name, old.result["file_removed"]) == ("", True)
    assert not storage.exists(old_name)
    assert recent.file and storage.exists(recent.file.name)
