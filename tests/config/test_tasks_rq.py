"""The Redis queue (django-tasks-rq) as an alternative to the database queue.

The test process enqueues through ``TASKS_BACKEND=django_tasks_rq.RQBackend`` into the local
Redis (127.0.0.1:6379, a database number of its own, emptied before and after), and the tasks
are run by the worker production runs: ``manage.py rqworker --job-class django_tasks_rq.Job``
in a separate process with production settings (``config.settings``), in burst mode, against
the test database, the test's media directory and a file email backend. Nothing is mocked:
the worker forks a work horse per job, as it does in production.
"""

import datetime as dt
import email
import email.policy
import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import django_rq
import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone, translation
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from applications import tasks
from applications.models import Decision, DecisionLetter, DecisionRelease
from applications.services.decisions import decision_confirm
from applications.services.transitions import application_submit
from tests import factories
from tests.paths import ROOT_DIR

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = ROOT_DIR
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
LETTER_TASK = "applications.tasks.generate_decision_letter"
RECEIPT_TASK = "applications.tasks.send_submission_receipt"
DECISION_READY_TASK = "applications.tasks.send_decision_ready"


def _redis_db() -> int:
    """A database number of this test process's own (13, 14, … per xdist worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 13 + int(worker.removeprefix("gw") or 0) % 3


@pytest.fixture
def redis_url():
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{_redis_db()}"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        message = f"Redis is not running on {REDIS_HOST}:{REDIS_PORT} (.ci/ensure-services.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def rq_queue(redis_url, settings):
    """The test process enqueues on RQ; returns the queue the tasks land in."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    return django_rq.get_queue("default")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _database_url() -> str:
    """The test database, as a URL the worker process can open."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or "postgres"
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{conf['NAME']}"


def run_worker(redis_url: str, mail_dir: Path, *, media_root=None, with_scheduler=False):
    """``manage.py rqworker --burst`` in its own process with production settings; it works
    until the queue is empty (new tasks enqueued by tasks included) and exits."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": _database_url(),
        "TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "REDIS_URL": redis_url,
        "DJANGO_MEDIA_ROOT": str(media_root or django_settings.MEDIA_ROOT),
        # Four slashes: django-environ drops the first one of the path.
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "SITE_URL": "http://testserver",
        "LOG_LEVEL": "WARNING",
    }
    environment.pop("AWS_STORAGE_BUCKET_NAME", None)
    command = [sys.executable, "manage.py", "rqworker", "--burst"]
    command += ["--job-class", "django_tasks_rq.Job", "default"]
    if with_scheduler:
        command.insert(3, "--with-scheduler")
    finished = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=180
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished


def sent_mail(mail_dir: Path) -> list[email.message.EmailMessage]:
    """Every message the file backend wrote, in the order written."""
    messages = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def _confirmed_decision() -> Decision:
    """An approval confirmed through the services, committed: the letter task is queued."""
    presenter = factories.programme_manager(full_name="Per Holm")
    decider = factories.decision_maker(full_name="Eva Lind")
    (application,) = factories.reviewed_applications(
        factories.CallFactory(), by=presenter, language="en"
    )
    decision = factories.proposed_decision(application, by=presenter, granted_amount=450_000)
    decision_confirm(decision=decision, by=decider)
    return Decision.objects.select_related("application").get(pk=decision.pk)


def _queued(queue) -> list[tuple[str, dict]]:
    return [(job.func_name, job.kwargs) for job in queue.get_jobs()]


def test_receipt_email_is_queued_on_redis_after_commit_and_sent_by_the_rq_worker(
    rq_queue, redis_url, tmp_path
):
    application = factories.ApplicationFactory(language="en", contact_email="kontakt@example.se")
    applicant = factories.applicant_for(application, is_admin=True)

    version = application_submit(application=application, by=applicant)

    assert _queued(rq_queue) == [(RECEIPT_TASK, {"version_id": version.pk})]
    (job_id,) = rq_queue.job_ids
    assert tasks.send_submission_receipt.get_backend().get_result(job_id).status == "READY"

    run_worker(redis_url, tmp_path)

    assert rq_queue.count == 0
    assert tasks.send_submission_receipt.get_backend().get_result(job_id).status == "SUCCESSFUL"
    application.refresh_from_db()
    (receipt,) = sent_mail(tmp_path)
    assert receipt["Subject"] == f"Application received: {application.registration_number}"
    assert sorted(receipt["To"].addresses[i].addr_spec for i in range(2)) == sorted(
        ["kontakt@example.se", applicant.email]
    )
    assert version.sha256 in receipt.get_body(("plain",)).get_content()


def test_rolled_back_submit_queues_nothing_on_redis(rq_queue):
    application = factories.ApplicationFactory()
    applicant = factories.applicant_for(application)

    with pytest.raises(RuntimeError), transaction.atomic():
        application_submit(application=application, by=applicant)
        raise RuntimeError("the request fails after the submit")

    assert rq_queue.count == 0


def test_letter_is_made_by_the_rq_worker_stored_with_its_sha256_and_the_email_follows(
    rq_queue, redis_url, tmp_path
):
    decision = _confirmed_decision()
    number = decision.application.registration_number
    assert (LETTER_TASK, {"decision_id": decision.pk}) in _queued(rq_queue)

    run_worker(redis_url, tmp_path)

    letter = DecisionLetter.objects.get(decision=decision)
    with letter.file.open("rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == letter.sha256
    assert len(pdf) == letter.size
    assert DecisionRelease.objects.filter(decision=decision).exists()
    # A long non-ASCII subject is folded onto its own line in the file; strip() unfolds it.
    assert [m["Subject"].strip() for m in sent_mail(tmp_path)] == [
        f"Application received: {number}",
        # To the decision maker (in Swedish, her language) when the approval was proposed.
        f"Ett förslag till beslut om {number} väntar på dig",
        f"Decision on your application {number}: approved",
    ]
    assert rq_queue.count == 0
    assert FailedJobRegistry(queue=rq_queue).count == 0


def test_failed_letter_is_retried_later_through_the_rq_scheduler(rq_queue, redis_url, tmp_path):
    """Storage fails (the media directory lies under a plain file), the task schedules its
    retry two minutes later (``supports_defer``), and a worker with the scheduler runs it when
    its time has come, on working storage."""
    decision = _confirmed_decision()
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media directory should be")
    mail_dir = tmp_path / "mail"

    before = timezone.now()
    run_worker(redis_url, mail_dir, media_root=blocker / "media")
    after = timezone.now()

    assert not DecisionLetter.objects.filter(decision=decision).exists()
    failed = FailedJobRegistry(queue=rq_queue)
    (failed_id,) = failed.get_job_ids()
    assert rq_queue.fetch_job(failed_id).func_name == LETTER_TASK
    scheduled = ScheduledJobRegistry(queue=rq_queue)
    (retry_id,) = scheduled.get_job_ids()
    retry = rq_queue.fetch_job(retry_id)
    assert (retry.func_name, retry.kwargs) == (
        LETTER_TASK,
        {"decision_id": decision.pk, "attempt": 2},
    )
    due = scheduled.get_scheduled_time(retry)
    delay = dt.timedelta(minutes=2)
    assert before + delay - dt.timedelta(seconds=1) <= due <= after + delay

    # The retry's time has come: the scheduler moves it to the queue and the worker runs it.
    scheduled.schedule(retry, timezone.now() - dt.timedelta(seconds=1))
    run_worker(redis_url, mail_dir, with_scheduler=True)

    letter = DecisionLetter.objects.get(decision=decision)
    with letter.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == letter.sha256
    assert scheduled.count == 0
    assert [m["Subject"] for m in sent_mail(mail_dir)][-1] == (
        f"Decision on your application {decision.application.registration_number}: approved"
    )
