"""``/health/``: database, storage and task queue, for load balancers and monitoring."""

import datetime as dt

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse

from applications import tasks
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/health/"
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ_QUEUE = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


def _without_durations(body: dict) -> dict:
    """The body with each check's duration_ms checked for type and dropped."""
    checks = {}
    for name, result in body["checks"].items():
        result = dict(result)
        assert isinstance(result.pop("duration_ms"), float)
        checks[name] = result
    return {**body, "checks": checks}


def test_url_is_health():
    assert reverse("health") == URL


def test_all_checks_pass_on_sqlite_and_local_files(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert _without_durations(response.json()) == {
        "status": "ok",
        "checks": {
            "database": {"status": "ok"},
            "storage": {"status": "ok"},
            "tasks": {"status": "ok", "backend": "ImmediateBackend"},
        },
    }


def test_is_never_cached_and_sets_no_cookie(client):
    response = client.get(URL)

    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert response.cookies == {}


def test_needs_no_login_and_tells_a_logged_in_person_nothing_more(client):
    anonymous = client.get(URL).json()
    client.force_login(factories.programme_manager())
    logged_in = client.get(URL).json()

    assert _without_durations(logged_in) == _without_durations(anonymous)


def test_leaves_nothing_in_the_storage(client):
    client.get(URL)
    client.get(URL)

    directories, files = default_storage.listdir("health")
    assert (directories, files) == ([], [])


def test_answers_head_and_refuses_post(client):
    assert client.head(URL).status_code == 200
    assert client.post(URL).status_code == 405


def test_is_answered_over_plain_http_when_the_site_redirects_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(URL).status_code == 200
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (301, "https://testserver/")


def test_unwritable_storage_fails_with_503_naming_only_the_error_class(client, settings, tmp_path):
    # A location below a regular file cannot be created, not even by root.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }

    response = client.get(URL)

    assert response.status_code == 503
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    body = _without_durations(response.json())
    assert body == {
        "status": "fail",
        "checks": {
            "database": {"status": "ok"},
            "storage": {"status": "fail", "error": "NotADirectoryError"},
            "tasks": {"status": "ok", "backend": "ImmediateBackend"},
        },
    }
    assert str(tmp_path) not in response.content.decode()


def test_failed_check_is_logged_with_its_error(client, settings, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }

    client.get(URL)

    [record] = [r for r in caplog.records if r.name == "config.health"]
    assert record.getMessage() == "health check storage failed"
    assert record.exc_info[0] is NotADirectoryError


@pytest.mark.s3
def test_all_checks_pass_on_s3_and_the_probe_is_deleted(client, s3_storage, s3_server):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.json()["checks"]["storage"]["status"] == "ok"
    listed = s3_server.client().list_objects_v2(Bucket=s3_storage, Prefix="health/")
    assert listed["KeyCount"] == 0


@pytest.mark.s3
def test_missing_bucket_fails_with_503(client, s3_storage, s3_server):
    s3_server.client().delete_bucket(Bucket=s3_storage)

    response = client.get(URL)

    assert response.status_code == 503
    assert _without_durations(response.json())["checks"]["storage"] == {
        "status": "fail",
        "error": "NoSuchBucket",
    }


def test_database_queue_reports_waiting_tasks_and_the_oldest_wait(client, settings):
    settings.TASKS = DB_QUEUE
    application = factories.ApplicationFactory()
    with time_machine.travel(NOW, tick=False) as clock:
        tasks.send_withdrawal_notice.enqueue(application_id=application.pk)
        tasks.send_withdrawal_notice.using(run_after=NOW + dt.timedelta(minutes=10)).enqueue(
            application_id=application.pk
        )

        clock.move_to(NOW + dt.timedelta(seconds=90))
        early = client.get(URL)
        clock.move_to(NOW + dt.timedelta(minutes=11))
        late = client.get(URL)

    assert early.status_code == 200
    assert _without_durations(early.json())["checks"]["tasks"] == {
        "status": "ok",
        "backend": "database",
        "waiting": 1,  # the deferred one is not due yet
        "oldest_waiting_seconds": 90,
    }
    # Due a minute ago, the deferred task has waited one minute; the first, eleven.
    assert _without_durations(late.json())["checks"]["tasks"] == {
        "status": "ok",
        "backend": "database",
        "waiting": 2,
        "oldest_waiting_seconds": 660,
    }


def test_empty_database_queue_is_ok(client, settings):
    settings.TASKS = DB_QUEUE

    response = client.get(URL)

    assert _without_durations(response.json())["checks"]["tasks"] == {
        "status": "ok",
        "backend": "database",
        "waiting": 0,
        "oldest_waiting_seconds": 0,
    }


def test_rq_queue_pings_redis(client, settings):
    settings.TASKS = RQ_QUEUE
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/0"}}

    response = client.get(URL)

    assert response.status_code == 200
    assert _without_durations(response.json())["checks"]["tasks"] == {
        "status": "ok",
        "backend": "rq",
    }


def test_unreachable_redis_fails_with_503(client, settings):
    settings.TASKS = RQ_QUEUE
    # Port 9 (discard) is closed on loopback.
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:9/0", "SOCKET_TIMEOUT": 2}}

    response = client.get(URL)

    assert response.status_code == 503
    assert _without_durations(response.json())["checks"]["tasks"] == {
        "status": "fail",
        "error": "ConnectionError",
    }
