"""Decision letters on S3, as production stores them, against a local S3 server over HTTP.

The storage options come from config/settings.py itself (tests/s3.py); the fixtures
``s3_server`` and ``s3_storage`` are in tests/conftest.py. Failures here are real ones: the
bucket the storage names does not exist (yet), so S3 answers NoSuchBucket, and the letter task
retries through the real task queue and worker (``manage.py db_worker``).
"""

import datetime as dt
import hashlib
import io
import re
import urllib.error
import urllib.request
import uuid

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from applications import tasks
from applications.enums import ApplicationState, DecisionStatus
from applications.models import Decision, DecisionLetter, DecisionRelease
from applications.services.decisions import decision_confirm
from applications.services.letters import decision_letter_generate
from tests import factories
from tests.concurrency import run_together

pytestmark = [pytest.mark.django_db, pytest.mark.s3]

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
LETTER_TASK = "applications.tasks.generate_decision_letter"
NOTHING_RUNS = {
    "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def missing_bucket(s3_server, settings):
    """The default storage on S3, naming a bucket that does not exist until the test makes it.

    Returns the bucket's name.
    """
    from tests.s3 import production_storages

    bucket = f"samverket-later-{uuid.uuid4().hex[:12]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": production_storages(bucket=bucket, endpoint_url=s3_server.endpoint_url)[
            "default"
        ],
    }
    return bucket


def _confirmed_decision(capture=None):
    """An approval confirmed through the services; the letter task runs if ``capture``."""
    presenter = factories.programme_manager(full_name="Per Holm")
    decider = factories.decision_maker(full_name="Eva Lind")
    (application,) = factories.reviewed_applications(
        factories.CallFactory(), by=presenter, language="en"
    )
    decision = factories.proposed_decision(application, by=presenter, granted_amount=450_000)
    if capture is None:
        decision_confirm(decision=decision, by=decider)
    else:
        with capture(execute=True):
            decision_confirm(decision=decision, by=decider)
    return Decision.objects.select_related("application").get(pk=decision.pk)


def _object(s3_server, bucket: str, key: str) -> bytes:
    return s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def _keys(s3_server, bucket: str) -> list[str]:
    listed = s3_server.client().list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_letter_lands_in_the_bucket_under_an_unguessable_key_and_reads_back_byte_equal(
    s3_storage, s3_server, django_capture_on_commit_callbacks
):
    decision = _confirmed_decision(django_capture_on_commit_callbacks)
    letter = DecisionLetter.objects.get(decision=decision)

    assert re.fullmatch(r"letters/[0-9a-f]{32}/[0-9a-f]{32}\.pdf", letter.file.name)
    assert decision.application.registration_number not in letter.file.name
    assert _keys(s3_server, s3_storage) == [letter.file.name]
    in_bucket = _object(s3_server, s3_storage, letter.file.name)
    with letter.file.open("rb") as handle:
        assert handle.read() == in_bucket
    assert hashlib.sha256(in_bucket).hexdigest() == letter.sha256
    assert len(in_bucket) == letter.size
    text = " ".join(PdfReader(io.BytesIO(in_bucket)).pages[0].extract_text().split())
    assert decision.application.registration_number in text.replace("\u00a0", " ")


def test_stored_letter_is_not_public(s3_storage, s3_server, django_capture_on_commit_callbacks):
    decision = _confirmed_decision(django_capture_on_commit_callbacks)
    key = DecisionLetter.objects.get(decision=decision).file.name

    try:
        urllib.request.urlopen(f"{s3_server.endpoint_url}/{s3_storage}/{key}", timeout=10)  # noqa: S310
    except urllib.error.HTTPError as error:
        status = error.code
    else:
        status = 200
    assert status == 403


def test_letter_download_streams_the_object_from_the_bucket(
    s3_storage, s3_server, client, django_capture_on_commit_callbacks
):
    decision = _confirmed_decision(django_capture_on_commit_callbacks)
    client.force_login(factories.applicant_for(decision.application))
    from django.urls import reverse

    response = client.get(
        reverse("applications:decision_letter", args=[decision.application_id, decision.pk])
    )

    assert response.status_code == 200
    key = DecisionLetter.objects.get(decision=decision).file.name
    assert b"".join(response.streaming_content) == _object(s3_server, s3_storage, key)


def test_storage_failure_leaves_the_decision_confirmed_without_a_letter_and_a_rerun_makes_it(
    missing_bucket, s3_server
):
    decision = _confirmed_decision()  # the task is not run: called by hand below

    with pytest.raises(Exception, match="NoSuchBucket"):
        decision_letter_generate(decision.pk)

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.CONFIRMED
    assert decision.application.state == ApplicationState.APPROVED
    assert not DecisionLetter.objects.filter(decision=decision).exists()
    assert not DecisionRelease.objects.filter(decision=decision).exists()

    s3_server.create_bucket(missing_bucket)
    letter = decision_letter_generate(decision.pk)

    assert DecisionLetter.objects.get(decision=decision) == letter
    assert _keys(s3_server, missing_bucket) == [letter.file.name]
    stored = _object(s3_server, missing_bucket, letter.file.name)
    assert hashlib.sha256(stored).hexdigest() == letter.sha256
    assert DecisionRelease.objects.filter(decision=decision).exists()


@pytest.mark.django_db(transaction=True)
def test_letter_task_retries_later_through_the_queue_when_s3_fails(
    missing_bucket, s3_server, settings
):
    """The real chain: confirm → queued task → worker → NoSuchBucket → a retry queued for
    later → the bucket appears → the worker, later, makes the letter and the email follows."""
    settings.TASKS = DATABASE_QUEUE
    decision = _confirmed_decision()  # committed: the letter task is in the queue
    (queued,) = DBTaskResult.objects.filter(task_path=LETTER_TASK)
    assert queued.args_kwargs["kwargs"] == {"decision_id": decision.pk}

    call_command("db_worker", batch=True, queue_name="default", verbosity=0)

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.CONFIRMED
    assert not DecisionLetter.objects.filter(decision=decision).exists()
    first, retry = DBTaskResult.objects.filter(task_path=LETTER_TASK).order_by("enqueued_at")
    assert first.status == "FAILED"
    assert "NoSuchBucket" in first.traceback
    assert retry.status == "READY"
    assert retry.args_kwargs["kwargs"] == {"decision_id": decision.pk, "attempt": 2}
    # Two minutes after the failure (2 ** attempt), not at once.
    delay = dt.timedelta(minutes=2)
    assert first.started_at + delay <= retry.run_after <= first.finished_at + delay

    s3_server.create_bucket(missing_bucket)
    call_command("db_worker", batch=True, queue_name="default", verbosity=0)
    assert not DecisionLetter.objects.filter(decision=decision).exists()  # not due yet

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        call_command("db_worker", batch=True, queue_name="default", verbosity=0)

    letter = DecisionLetter.objects.get(decision=decision)
    assert _keys(s3_server, missing_bucket) == [letter.file.name]
    assert DecisionRelease.objects.filter(decision=decision).exists()
    number = decision.application.registration_number
    assert [m.subject for m in mail.outbox] == [
        f"Application received: {number}",  # the receipt, from the first worker run
        # To the decision maker (in Swedish, her language) when the approval was proposed.
        f"Ett förslag till beslut om {number} väntar på dig",
        f"Decision on your application {number}: approved",
    ]
    assert list(
        DBTaskResult.objects.exclude(task_path__endswith="send_submission_receipt")
        .order_by("enqueued_at")
        .values_list("task_path", "status")
    ) == [
        ("applications.tasks.send_decision_proposed", "SUCCESSFUL"),
        (LETTER_TASK, "FAILED"),
        (LETTER_TASK, "SUCCESSFUL"),
        ("applications.tasks.send_decision_ready", "SUCCESSFUL"),
    ]


def test_letter_task_gives_up_after_its_attempts_without_harming_the_decision(
    missing_bucket, s3_server, django_capture_on_commit_callbacks
):
    # The test backend has no deferred run, so every retry runs at once and all fail.
    decision = _confirmed_decision(django_capture_on_commit_callbacks)

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.CONFIRMED
    assert not DecisionLetter.objects.filter(decision=decision).exists()
    assert mail.outbox == []

    s3_server.create_bucket(missing_bucket)
    tasks.generate_decision_letter.enqueue(decision_id=decision.pk)

    assert DecisionLetter.objects.filter(decision=decision).exists()


def test_two_workers_generating_at_once_store_one_letter(s3_storage, s3_server, settings):
    settings.TASKS = NOTHING_RUNS
    decision = _confirmed_decision()

    first = decision_letter_generate(decision.pk)
    second = decision_letter_generate(decision.pk)

    assert first.pk == second.pk
    assert DecisionLetter.objects.filter(decision=decision).count() == 1
    assert _keys(s3_server, s3_storage) == [first.file.name]


@pytest.mark.django_db(transaction=True)
def test_two_workers_generating_concurrently_store_one_letter(s3_storage, s3_server, settings):
    """Each thread has its own database connection, released together by a barrier: on
    PostgreSQL the decision's row lock, on SQLite the immediate transaction, makes the second
    find the first one's letter."""
    settings.TASKS = NOTHING_RUNS
    decision = _confirmed_decision()
    results, errors = run_together(
        [lambda: decision_letter_generate(decision.pk).pk for _ in range(2)]
    )

    assert errors == []
    letter = DecisionLetter.objects.get(decision=decision)
    assert results == [letter.pk, letter.pk]
    assert _keys(s3_server, s3_storage) == [letter.file.name]
