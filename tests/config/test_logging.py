"""Logs: one JSON object per line, every record with its request's id, one line per request."""

import io
import json
import logging
import re

import pytest
from django.urls import reverse
from pythonjsonlogger.json import JsonFormatter

from config import log
from tests import factories

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_lines():
    """The real output of the site's configured log handler (the test settings log JSON, as
    production does), for the length of a test: a list of parsed lines, filled as logged."""
    [console] = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler.formatter, JsonFormatter)
    ]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(console.formatter)
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    root = logging.getLogger()
    root.addHandler(handler)

    class Lines(list):
        def read(self):
            self[:] = [json.loads(line) for line in buffer.getvalue().splitlines()]
            return self

    yield Lines()
    root.removeHandler(handler)


def _request_lines(lines):
    return [line for line in lines.read() if line["logger"] == "samverket.request"]


def test_each_request_gets_an_id_in_its_response_and_its_log_line(client, log_lines):
    response = client.get("/health/")

    request_id = response["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)
    [line] = _request_lines(log_lines)
    assert set(line) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "user_id",
    }
    assert {key: line[key] for key in line if key not in {"time", "duration_ms"}} == {
        "level": "INFO",
        "logger": "samverket.request",
        "message": "GET /health/ 200",
        "request_id": request_id,
        "method": "GET",
        "path": "/health/",
        "status": 200,
        "user_id": None,
    }
    assert isinstance(line["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["time"])


def test_two_requests_get_different_ids(client):
    assert client.get("/health/")["X-Request-ID"] != client.get("/health/")["X-Request-ID"]


@pytest.mark.parametrize(
    "incoming",
    [
        "3f2b8c1e-5d4a-4b7e-9c1f-0a2b3c4d5e6f",
        "0af7651916cd43dd8448eb211c80319c",
        "req_01HZX.8Q9R:2",
        "a",
    ],
)
def test_a_well_formed_incoming_id_is_kept(client, log_lines, incoming):
    response = client.get("/health/", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] == incoming
    assert [line["request_id"] for line in _request_lines(log_lines)] == [incoming]


@pytest.mark.parametrize(
    "incoming",
    ["", "two words", "<script>", "x" * 129, "-starts-with-a-dash", "ends\nwith a line"],
)
def test_a_malformed_incoming_id_is_replaced(client, log_lines, incoming):
    response = client.get("/health/", headers={"X-Request-ID": incoming})

    assert HEX_ID.fullmatch(response["X-Request-ID"])
    assert [line["request_id"] for line in _request_lines(log_lines)] == [response["X-Request-ID"]]


def test_the_line_names_the_logged_in_user(client, log_lines):
    user = factories.MembershipFactory().user
    client.force_login(user)

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 200
    [line] = _request_lines(log_lines)
    assert (line["path"], line["status"], line["user_id"]) == ("/applications/", 200, user.pk)


def test_the_path_is_logged_without_its_query_string(client, log_lines):
    client.get("/health/?search=Anna+Andersson")

    [line] = _request_lines(log_lines)
    assert (line["path"], line["message"]) == ("/health/", "GET /health/ 200")


def test_records_logged_during_a_request_carry_its_id(client, settings, tmp_path, log_lines):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }

    response = client.get("/health/", headers={"X-Request-ID": "incident-42"})

    assert response.status_code == 503
    lines = log_lines.read()
    [failure] = [line for line in lines if line["logger"] == "config.health"]
    assert (failure["level"], failure["message"], failure["request_id"]) == (
        "ERROR",
        "health check storage failed",
        "incident-42",
    )
    # The traceback stays inside its one JSON line.
    assert failure["exc_info"].startswith("Traceback (most recent call last):")
    assert "NotADirectoryError" in failure["exc_info"]
    # Django's own warning about the 503 carries the id too.
    assert {line["logger"]: line["request_id"] for line in lines} == {
        "config.health": "incident-42",
        "django.request": "incident-42",
        "samverket.request": "incident-42",
    }


def test_records_outside_a_request_have_a_dash(log_lines):
    logging.getLogger("applications.tasks").warning("a worker's line")

    [line] = log_lines.read()
    assert (line["logger"], line["message"], line["request_id"]) == (
        "applications.tasks",
        "a worker's line",
        "-",
    )


def test_extra_fields_are_kept(log_lines):
    logging.getLogger("applications").info("letter stored", extra={"decision_id": 7})

    [line] = log_lines.read()
    assert (line["message"], line["decision_id"]) == ("letter stored", 7)


def test_text_format_for_development_shows_the_request_id():
    record = logging.LogRecord(
        "samverket.request", logging.INFO, __file__, 1, "GET / 200", (), None
    )
    token = log.request_id_var.set("abc123")
    try:
        log.RequestIdFilter().filter(record)
    finally:
        log.request_id_var.reset(token)
    formatter = logging.Formatter(log.formatters()["text"]["format"])

    assert formatter.format(record).endswith(" INFO samverket.request [abc123] GET / 200")


def test_settings_log_json_through_the_request_id_filter(settings):
    console = settings.LOGGING["handlers"]["console"]

    assert (console["formatter"], console["filters"]) == ("json", ["request_id"])
    assert settings.LOGGING["filters"]["request_id"] == {"()": "config.log.RequestIdFilter"}
