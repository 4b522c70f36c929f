"""Background jobs (issue 15): a batch of confirmations, letter runs and large exports run by the
task worker while the page that started them shows progress and, at the end, the result."""

import pytest
from django.urls import reverse

from applications.enums import DecisionStatus, JobKind, JobState
from applications.models import ApplicationTransition, BackgroundJob, Decision, DecisionLetter
from applications.services.decisions import decisions_confirm_run, decisions_confirm_start
from applications.services.jobs import job_run
from tests import factories

pytestmark = pytest.mark.django_db


def _proposals(manager, *, count=2, budget=100_000_000):
    call = factories.CallFactory(budget=budget)
    applications = factories.reviewed_applications(call, by=manager, count=count)
    return [factories.proposed_decision(a, by=manager) for a in applications]


def _post_confirm(client, decisions):
    return client.post(
        reverse("applications:decisions_confirm_selected"), {"decision": [d.pk for d in decisions]}
    )


def test_batch_confirm_starts_a_job_and_goes_to_its_page(
    client, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    decisions = _proposals(programme_manager, count=3)
    client.force_login(decision_maker)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_confirm(client, decisions)

    job = BackgroundJob.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("applications:job_detail", args=[job.pk])
    assert (job.kind, job.state, job.total, job.done) == (
        JobKind.BATCH_CONFIRMATION,
        JobState.DONE,
        3,
        3,
    )
    assert job.result["counts"] == {"confirmed": 3, "skipped": 0, "refused": 0}
    assert set(Decision.objects.values_list("status", flat=True)) == {DecisionStatus.CONFIRMED}
    assert DecisionLetter.objects.count() == 3
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    # Swedish, the decision maker's language: "12 av 500".
    assert "<span data-job-text>3 av 3</span>" in html
    assert '<progress id="job-progress" max="3" value="3">' in html
    assert '<p aria-live="polite" data-job-state>Status: Klart</p>' in html
    assert "3 beslut fastställda" in html
    for decision in decisions:
        assert decision.application.registration_number in html
    # The page is about a stored row: a reload shows the same.
    assert client.get(response["Location"]).content.decode().count("3 av 3") == 2


def test_starting_the_same_batch_twice_is_one_job(programme_manager, decision_maker, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    decisions = _proposals(programme_manager, count=2)

    first, created = decisions_confirm_start(decisions=decisions, by=decision_maker)
    again, created_again = decisions_confirm_start(
        decisions=list(reversed(decisions)), by=decision_maker
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert BackgroundJob.objects.count() == 1
    assert first.state == JobState.QUEUED


def test_a_job_run_twice_by_the_worker_does_no_work_twice(
    programme_manager, decision_maker, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    decisions = _proposals(programme_manager, count=2)
    job, _created = decisions_confirm_start(decisions=decisions, by=decision_maker)

    job_run(job.pk)
    job.refresh_from_db()
    first_result = job.result
    # The worker retried the task, as after a crash before the task's end was recorded.
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING, finished_at=None)
    job_run(job.pk)
    job.refresh_from_db()

    assert job.result == first_result
    assert job.result["counts"] == {"confirmed": 2, "skipped": 0, "refused": 0}
    assert Decision.objects.filter(status=DecisionStatus.CONFIRMED).count() == 2
    from applications.models import ApplicationTransition

    assert ApplicationTransition.objects.filter(name="approve").count() == 2


def test_a_decision_confirmed_before_the_job_reaches_it_is_skipped(
    programme_manager, decision_maker, settings
):
    from applications.services.decisions import decision_confirm

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    first, second = _proposals(programme_manager, count=2)
    job, _created = decisions_confirm_start(decisions=[first, second], by=decision_maker)
    decision_confirm(decision=first, by=factories.decision_maker())

    job_run(job.pk)
    job.refresh_from_db()

    assert job.result["counts"] == {"confirmed": 1, "skipped": 1, "refused": 0}
    assert job.result["items"][str(first.pk)]["outcome"] == "skipped"
    assert (job.state, job.done, job.total) == (JobState.DONE, 2, 2)


def test_progress_is_counted_after_each_decision(programme_manager, decision_maker, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    decisions = _proposals(programme_manager, count=3)
    job, _created = decisions_confirm_start(decisions=decisions, by=decision_maker)
    seen = []
    from django.db.models.signals import post_save

    def record(sender, instance, **kwargs):
        seen.append(BackgroundJob.objects.get(pk=job.pk).done)

    # The confirmation's transition is logged inside its transaction, before the job's count
    # moves on in the same transaction.
    post_save.connect(record, sender=ApplicationTransition)
    try:
        decisions_confirm_run(BackgroundJob.objects.get(pk=job.pk))
    finally:
        post_save.disconnect(record, sender=ApplicationTransition)

    # When each decision is confirmed, the job counts those before it.
    assert seen == [0, 1, 2]
    assert BackgroundJob.objects.get(pk=job.pk).done == 3


def test_refused_decisions_are_reported_with_their_reason(
    client, programme_manager, django_capture_on_commit_callbacks
):
    first, second = _proposals(programme_manager, count=2, budget=800_000)
    client.force_login(factories.decision_maker(language="en"))

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_confirm(client, [first, second])

    job = BackgroundJob.objects.get()
    refused = [item for item in job.result["items"].values() if item["outcome"] == "refused"]
    assert job.result["counts"] == {"confirmed": 1, "skipped": 0, "refused": 1}
    assert refused == [
        {
            "number": sorted([first, second], key=lambda d: d.application.registration_number)[
                1
            ].application.registration_number,
            "application": refused[0]["application"],
            "outcome": "refused",
            "reason": "Confirming this would exceed the call's budget: 300\u00a0000 kr remain of "
            "800\u00a0000 kr, and the decision grants 500\u00a0000 kr.",
        }
    ]
    html = client.get(response["Location"]).content.decode()
    assert "1 not confirmed" in html
    assert "Confirming this would exceed the call&#x27;s budget" in html


def test_the_proposer_is_refused_within_the_job(
    client, programme_manager, django_capture_on_commit_callbacks
):
    both = factories.decision_maker(language="en")
    both.groups.add(*programme_manager.groups.all())
    call = factories.CallFactory(budget=100_000_000)
    (application,) = factories.reviewed_applications(call, by=programme_manager, count=1)
    own = factories.proposed_decision(application, by=both)
    client.force_login(both)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_confirm(client, [own])

    job = BackgroundJob.objects.get()
    assert response.status_code == 303
    assert job.result["items"][str(own.pk)]["reason"] == (
        "You may not confirm a decision you proposed."
    )
    own.refresh_from_db()
    assert own.status == DecisionStatus.PROPOSED


def test_a_programme_manager_crafting_the_post_gets_403(client, programme_manager):
    decisions = _proposals(programme_manager, count=1)
    client.force_login(programme_manager)

    assert _post_confirm(client, decisions).status_code == 403
    assert BackgroundJob.objects.count() == 0
    assert Decision.objects.get().status == DecisionStatus.PROPOSED


def test_other_users_cannot_see_someones_job(client, programme_manager, decision_maker):
    decisions = _proposals(programme_manager, count=1)
    job, _created = decisions_confirm_start(decisions=decisions, by=decision_maker)
    urls = [
        reverse("applications:job_detail", args=[job.pk]),
        reverse("applications:job_progress", args=[job.pk]),
    ]
    for user in (programme_manager, factories.MembershipFactory().user):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404
    # Another decision maker may follow a batch of confirmations.
    client.force_login(factories.decision_maker())
    assert client.get(urls[0]).status_code == 200


def test_progress_answers_json_for_the_script(client, programme_manager, decision_maker, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    decisions = _proposals(programme_manager, count=2)
    job, _created = decisions_confirm_start(decisions=decisions, by=decision_maker)
    client.force_login(decision_maker)

    data = client.get(reverse("applications:job_progress", args=[job.pk])).json()
    page = client.get(reverse("applications:job_detail", args=[job.pk])).content.decode()

    assert data == {
        "state": "queued",
        "state_text": "Status: Väntar på att starta",
        "done": 0,
        "total": 2,
        "text": "0 av 2",
        "finished": False,
    }
    assert f'data-progress-url="{reverse("applications:job_progress", args=[job.pk])}"' in page
    assert "samverket/js/job.js" in page
    assert f'<a href="{reverse("applications:job_detail", args=[job.pk])}">Uppdatera</a>' in page


# -- exports above the threshold -----------------------------------------------------------------


def _export_lines(content: bytes) -> list[str]:
    return content.decode("utf-8-sig").splitlines()


def test_a_case_list_export_above_the_threshold_becomes_a_job_with_its_download(
    client, settings, programme_manager, django_capture_on_commit_callbacks
):
    settings.EXPORT_IN_BACKGROUND_ABOVE = 2
    call = factories.CallFactory()
    for _i in range(3):
        factories.submitted_application(call)
    client.force_login(programme_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:manage_export"), {"call": call.pk})

    job = BackgroundJob.objects.get()
    assert response.status_code == 303
    assert response["Location"] == reverse("applications:job_detail", args=[job.pk])
    assert (job.kind, job.state, job.total, job.done) == (JobKind.EXPORT, JobState.DONE, 3, 3)
    page = client.get(response["Location"]).content.decode()
    download_url = reverse("applications:job_download", args=[job.pk])
    assert f'href="{download_url}"' in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="applications-')
    lines = _export_lines(b"".join(download.streaming_content))
    assert len(lines) == 4  # the header and three rows
    # The same file as the direct download makes.
    settings.EXPORT_IN_BACKGROUND_ABOVE = 2000
    direct = client.post(reverse("applications:manage_export"), {"call": call.pk})
    assert _export_lines(b"".join(direct.streaming_content)) == lines


def test_an_export_below_the_threshold_stays_a_direct_download(client, settings, programme_manager):
    settings.EXPORT_IN_BACKGROUND_ABOVE = 3
    call = factories.CallFactory()
    for _i in range(3):
        factories.submitted_application(call)
    client.force_login(programme_manager)

    response = client.post(reverse("applications:manage_export"), {"call": call.pk})

    assert response.status_code == 200
    assert len(_export_lines(b"".join(response.streaming_content))) == 4
    assert BackgroundJob.objects.count() == 0


def test_only_the_one_who_started_an_export_may_download_it(
    client, settings, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    settings.EXPORT_IN_BACKGROUND_ABOVE = 0
    factories.submitted_application()
    client.force_login(programme_manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:manage_export"))
    job = BackgroundJob.objects.get()
    colleague = factories.programme_manager()

    for user in (colleague, decision_maker):
        client.force_login(user)
        assert client.get(reverse("applications:job_detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("applications:job_download", args=[job.pk])).status_code == 404


def test_the_same_export_asked_twice_is_one_job(client, settings, programme_manager):
    settings.EXPORT_IN_BACKGROUND_ABOVE = 0
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    one, other_call = factories.CallFactory(), factories.CallFactory()
    factories.submitted_application(one)
    factories.submitted_application(other_call)
    client.force_login(programme_manager)

    first = client.post(reverse("applications:manage_export"), {"call": one.pk})
    second = client.post(reverse("applications:manage_export"), {"call": one.pk})
    other = client.post(reverse("applications:manage_export"), {"call": other_call.pk})

    assert first["Location"] == second["Location"] != other["Location"]
    assert BackgroundJob.objects.count() == 2


def test_a_large_ranking_export_is_a_job_registered_by_reviews(
    client, settings, programme_manager, django_capture_on_commit_callbacks
):
    settings.EXPORT_IN_BACKGROUND_ABOVE = 1
    call = factories.CallFactory()
    factories.reviewed_applications(call, by=programme_manager, count=2)
    client.force_login(programme_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviews:ranking_export", args=[call.slug, "csv"]))

    job = BackgroundJob.objects.get()
    assert response.status_code == 303
    assert (job.state, job.call, job.params["export"]) == (JobState.DONE, call, "ranking")
    download = client.get(reverse("applications:job_download", args=[job.pk]))
    assert len(_export_lines(b"".join(download.streaming_content))) == 3


# -- a call's letter run -------------------------------------------------------------------------


def _held_decisions(manager, *, count):
    """Confirmed decisions of a call that holds them; no letter made (the tasks never ran)."""
    from applications.services.decisions import decision_confirm

    call = factories.CallFactory(budget=100_000_000, hold_decisions_for_release=True)
    applications = factories.reviewed_applications(call, by=manager, count=count)
    decider = factories.decision_maker()
    decisions = [
        decision_confirm(decision=factories.proposed_decision(a, by=manager), by=decider)
        for a in applications
    ]
    return call, decisions


def test_a_letter_run_makes_the_missing_letters_and_counts_them(
    client, programme_manager, django_capture_on_commit_callbacks
):
    from applications.services.letters import decision_letter_generate

    call, decisions = _held_decisions(programme_manager, count=3)
    decision_letter_generate(decisions[0].pk)  # one letter exists already
    client.force_login(programme_manager)
    page = client.get(reverse("applications:decisions_release")).content.decode()
    url = reverse("applications:decisions_letter_run", args=[call.slug])
    assert f'action="{url}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    job = BackgroundJob.objects.get()
    assert response.status_code == 303
    assert (job.kind, job.state, job.call, job.done, job.total) == (
        JobKind.LETTER_RUN,
        JobState.DONE,
        call,
        3,
        3,
    )
    assert DecisionLetter.objects.count() == 3
    html = client.get(response["Location"]).content.decode()
    assert "3 av 3 brev är gjorda." in html
    # Held: making the letters releases nothing.
    assert not Decision.objects.filter(release__isnull=False).exists()


def test_a_letter_run_run_again_makes_no_letter_twice(programme_manager, settings):
    from applications.services.letters import letters_run_start

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    call, decisions = _held_decisions(programme_manager, count=2)
    job, created = letters_run_start(call=call, by=programme_manager)
    again, created_again = letters_run_start(call=call, by=programme_manager)
    assert (created, created_again, again.pk) == (True, False, job.pk)

    job_run(job.pk)
    letters = dict(DecisionLetter.objects.values_list("decision_id", "sha256"))
    BackgroundJob.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    job_run(job.pk)

    assert dict(DecisionLetter.objects.values_list("decision_id", "sha256")) == letters
    assert len(letters) == 2
    assert BackgroundJob.objects.get(pk=job.pk).done == 2


def test_a_letter_run_is_the_programme_managers(client, programme_manager, decision_maker):
    call, _decisions = _held_decisions(programme_manager, count=1)
    client.force_login(decision_maker)
    url = reverse("applications:decisions_letter_run", args=[call.slug])
    assert client.post(url).status_code == 403
    assert BackgroundJob.objects.count() == 0


def test_a_job_that_lost_its_worker_is_failed_and_the_work_starts_again(
    programme_manager, decision_maker, settings
):
    import datetime as dt

    from django.utils import timezone

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    decisions = _proposals(programme_manager, count=1)
    stuck, _created = decisions_confirm_start(decisions=decisions, by=decision_maker)
    BackgroundJob.objects.filter(pk=stuck.pk).update(
        state=JobState.RUNNING, created_at=timezone.now() - dt.timedelta(hours=7)
    )

    fresh, created = decisions_confirm_start(decisions=decisions, by=decision_maker)

    stuck.refresh_from_db()
    assert created and fresh.pk != stuck.pk
    assert (stuck.state, stuck.error) == (
        JobState.FAILED,
        "Jobbet blev inte klart i tid och stoppades. Starta det igen.",
    )
    # Its task, should it run after all, does nothing.
    job_run(stuck.pk)
    assert Decision.objects.get().status == DecisionStatus.PROPOSED


def test_the_recent_jobs_list_shows_ones_own_jobs_only(client, programme_manager, decision_maker):
    mine = BackgroundJob.objects.create(
        kind=JobKind.EXPORT, key="export:mine", started_by=programme_manager
    )
    BackgroundJob.objects.create(
        kind=JobKind.EXPORT, key="export:theirs", started_by=decision_maker
    )
    client.force_login(programme_manager)

    html = client.get(reverse("applications:jobs_mine")).content.decode()

    assert html.count('href="/manage/jobs/') == 1
    assert f'href="{reverse("applications:job_detail", args=[mine.pk])}"' in html


@pytest.mark.parametrize("jobs", [1, 6])
def test_the_recent_jobs_list_costs_the_same_whatever_the_number_of_jobs(
    client, programme_manager, django_assert_num_queries, jobs
):
    for i in range(jobs):
        BackgroundJob.objects.create(
            kind=JobKind.EXPORT, key=f"export:{i}", started_by=programme_manager
        )
    client.force_login(programme_manager)
    # session, user, the two-factor device, groups, the jobs, the menu's panel-membership check
    with django_assert_num_queries(6):
        response = client.get(reverse("applications:jobs_mine"))
    assert len(response.context["jobs"]) == jobs


def test_the_job_page_costs_the_same_whatever_the_number_of_items(
    client, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    counts = []
    for size in (1, 5):
        decisions = _proposals(programme_manager, count=size)
        with django_capture_on_commit_callbacks(execute=True):
            job, _created = decisions_confirm_start(decisions=decisions, by=decision_maker)
        client.force_login(decision_maker)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("applications:job_detail", args=[job.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_failed_job_says_so_in_words_without_a_stack_trace(client, decision_maker):
    from applications.services.jobs import job_runner_register

    def broken(job):
        raise ValueError("secret detail of the failure")

    job_runner_register("test_broken", broken)
    job = BackgroundJob.objects.create(
        kind=JobKind.BATCH_CONFIRMATION,
        key="confirm:broken",
        started_by=decision_maker,
        params={"runner": "test_broken", "language": "sv"},
    )
    job_run(job.pk)
    client.force_login(decision_maker)

    html = client.get(reverse("applications:job_detail", args=[job.pk])).content.decode()

    assert "Status: Misslyckades" in html
    assert "Jobbet avbröts på grund av ett fel. Starta det igen." in html
    assert "secret detail" not in html
    assert "Traceback" not in html
