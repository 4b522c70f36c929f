"""Production settings, gunicorn and the session's limits.

The settings are read from the environment only, so production is tested by running
``config/settings.py`` (and ``manage.py``, and gunicorn) with a production-like environment:
debug off, a real secret key, and nothing else unless a test says so.
"""

import datetime as dt
import http.client
import json
import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation

from config.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from tests import factories
from tests.paths import ROOT_DIR

ROOT = ROOT_DIR
SETTINGS_FILE = ROOT / "config" / "settings.py"
KEY = secrets.token_urlsafe(50)
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def production_environment(tmp_path: Path, **extra: str) -> dict:
    """What a production process would run with, minimal: nothing from this test run leaks in
    (no DATABASE_URL, no test settings module)."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": KEY,
        "DJANGO_ALLOWED_HOSTS": "bidrag.example.se",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        # The rate limits' counts, shared by every web process (docs/deploy.md).
        "CACHE_URL": "redis://127.0.0.1:6379/1",
    }
    (tmp_path / "home").mkdir(exist_ok=True)
    environment.update(extra)
    return environment


def manage(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_environment(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_under(monkeypatch, **environment: str) -> dict:
    """``config/settings.py`` run in this process with only these variables set."""
    for name in list(os.environ):
        if name.startswith(("DJANGO_", "SESSION_", "LOG_", "DATABASE_", "AWS_", "CLAM")):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE), run_name="samverket_settings_under_test")


# -- manage.py check --deploy -------------------------------------------------------------------


def test_check_deploy_has_no_warnings_with_production_environment(tmp_path):
    finished = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_warns_when_the_rate_limit_cache_is_per_process(tmp_path):
    finished = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", CACHE_URL="locmemcache://"
    )

    assert finished.returncode == 1
    assert "samverket.W001" in finished.stderr
    assert "Set CACHE_URL to a cache every web process shares" in finished.stderr


def test_check_deploy_warns_when_debug_is_on(tmp_path):
    # The test above would pass vacuously if --deploy checked nothing.
    finished = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", DJANGO_DEBUG="true")

    assert finished.returncode == 1
    assert "security.W018" in finished.stderr


def test_check_deploy_fails_when_malware_scanning_is_turned_off(tmp_path):
    finished = manage(tmp_path, "check", "--deploy", CLAMAV_ENABLED="false")

    assert finished.returncode == 1
    assert "samverket.E001" in finished.stderr
    assert "Malware scanning of attachments is off" in finished.stderr


def test_malware_scanning_is_on_in_production_and_off_with_debug(monkeypatch):
    production = settings_under(monkeypatch, DJANGO_SECRET_KEY=KEY)
    debug = settings_under(monkeypatch, DJANGO_DEBUG="true")

    assert (production["CLAMAV_ENABLED"], debug["CLAMAV_ENABLED"]) == (True, False)
    assert production["CLAMD_SOCKET"] == "/var/run/clamav/clamd.ctl"


def test_the_web_server_refuses_to_start_without_a_secret_key(tmp_path):
    finished = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env=production_environment(tmp_path, DJANGO_SECRET_KEY=""),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 1
    last_line = finished.stderr.strip().splitlines()[-1]
    assert last_line == (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is not set. "
        "With DJANGO_DEBUG off (production) it must be 50 or more random characters, e.g. from "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`; "
        "for development on your own machine, set DJANGO_DEBUG=true instead."
    )


def test_check_deploy_reports_a_missing_secret_key(tmp_path):
    finished = manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY=""
    )

    assert finished.returncode == 1
    assert "security.W009" in finished.stderr


def test_commands_that_sign_nothing_run_without_a_secret_key(tmp_path):
    # A fresh clone, no environment: a developer can still check the migrations.
    finished = manage(tmp_path, "makemigrations", "--check", "--dry-run", DJANGO_SECRET_KEY="")

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "No changes detected"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        # Fixed keys, not random ones: pytest-xdist's workers must collect the same test ids.
        ("insecure-dev-key-change-me-" + "x" * 32, "DJANGO_SECRET_KEY is a development key."),
        (
            "django-insecure-Q2xrT9vKp3Lm8sWn4Zb7Yc1Hd6Jf0Ga5Re2Tu9Io3Pa8Sd4Fg7Hj1Kl6",
            "DJANGO_SECRET_KEY is a development key.",
        ),
        ("Vq3Lm8sWn4Zb7Yc1Hd6Jf0Ga5Re2Tu9Io3P", "DJANGO_SECRET_KEY is too weak"),
        ("abcd" * 20, "DJANGO_SECRET_KEY is too weak"),
    ],
)
def test_production_refuses_an_unsafe_secret_key(monkeypatch, key, problem):
    with pytest.raises(ImproperlyConfigured) as refused:
        settings_under(monkeypatch, DJANGO_DEBUG="false", DJANGO_SECRET_KEY=key)

    assert str(refused.value).startswith(problem)


def test_development_runs_without_a_secret_key(monkeypatch):
    settings = settings_under(monkeypatch, DJANGO_DEBUG="true")

    assert settings["SECRET_KEY"].startswith("insecure-dev-key")


def test_production_defaults_are_secure(monkeypatch):
    settings = settings_under(monkeypatch, DJANGO_DEBUG="false", DJANGO_SECRET_KEY=KEY)

    assert {
        name: settings[name]
        for name in [
            "DEBUG",
            "SECURE_SSL_REDIRECT",
            "SECURE_REDIRECT_EXEMPT",
            "SECURE_PROXY_SSL_HEADER",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_HSTS_PRELOAD",
            "SECURE_CONTENT_TYPE_NOSNIFF",
            "SECURE_REFERRER_POLICY",
            "SECURE_CROSS_ORIGIN_OPENER_POLICY",
            "X_FRAME_OPTIONS",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SESSION_COOKIE_AGE",
            "SESSION_MAX_AGE",
            "SESSION_EXPIRE_AT_BROWSER_CLOSE",
            "LOG_FORMAT",
        ]
    } == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_REDIRECT_EXEMPT": [r"^health/$"],
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_AGE": 3600,
        "SESSION_MAX_AGE": 12 * 3600,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "LOG_FORMAT": "json",
    }
    assert settings["STORAGES"]["staticfiles"] == {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    }


def test_development_defaults_are_convenient(monkeypatch):
    settings = settings_under(monkeypatch, DJANGO_DEBUG="true")

    assert (
        settings["SECURE_SSL_REDIRECT"],
        settings["SECURE_HSTS_SECONDS"],
        settings["SESSION_COOKIE_SECURE"],
        settings["LOG_FORMAT"],
        settings["STORAGES"]["staticfiles"]["BACKEND"],
    ) == (False, 0, False, "text", "django.contrib.staticfiles.storage.StaticFilesStorage")


def test_each_secure_default_can_be_changed_from_the_environment(monkeypatch):
    settings = settings_under(
        monkeypatch,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=KEY,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_SECURE_HSTS_SECONDS="300",
        DJANGO_SECURE_HSTS_PRELOAD="false",
        SESSION_IDLE_TIMEOUT="1800",
        SESSION_MAX_AGE="3600",
        SESSION_EXPIRE_AT_BROWSER_CLOSE="false",
        LOG_FORMAT="text",
        DJANGO_STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
    )

    assert (
        settings["SECURE_SSL_REDIRECT"],
        settings["SESSION_COOKIE_SECURE"],
        settings["CSRF_COOKIE_SECURE"],
        settings["SECURE_HSTS_SECONDS"],
        settings["SECURE_HSTS_PRELOAD"],
        settings["SESSION_COOKIE_AGE"],
        settings["SESSION_MAX_AGE"],
        settings["SESSION_EXPIRE_AT_BROWSER_CLOSE"],
        settings["LOG_FORMAT"],
        settings["STORAGES"]["staticfiles"]["BACKEND"],
    ) == (
        False,
        False,
        False,
        300,
        False,
        1800,
        3600,
        False,
        "text",
        "django.contrib.staticfiles.storage.StaticFilesStorage",
    )


def test_unknown_log_format_is_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be json or text, not 'xml'"):
        settings_under(monkeypatch, DJANGO_DEBUG="true", LOG_FORMAT="xml")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Kort1!", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("4829105736", "This password is entirely numeric."),
        ("anna.lindqvist", "The password is too similar to the email address."),
    ],
)
def test_password_rules_refuse_weak_passwords(password, message):
    user = factories.UserFactory.build(email="anna.lindqvist@ostersund.se")

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_password(password, user)

    assert message in refused.value.messages


def test_password_rules_accept_a_long_passphrase():
    user = factories.UserFactory.build(email="anna.lindqvist@ostersund.se")

    assert validate_password("grön kaffekopp vid Storsjön", user) is None


# -- session limits -----------------------------------------------------------------------------


@pytest.fixture
def production_session_limits(settings):
    """The production defaults (the test settings keep sessions for 8 hours)."""
    settings.SESSION_COOKIE_AGE = 3600
    settings.SESSION_MAX_AGE = 12 * 3600


@pytest.fixture
def logged_in(client, production_session_limits):
    """An applicant logged in at NOW; the clock is frozen and can be moved."""
    user = factories.MembershipFactory().user
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(user)
        yield clock


def _dashboard(client):
    return client.get(reverse("applications:dashboard"))


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_session_ends_after_an_hour_without_a_request(client, logged_in):
    logged_in.move_to(NOW + HOUR - dt.timedelta(seconds=1))
    assert _dashboard(client).status_code == 200

    logged_in.move_to(NOW + 2 * HOUR)
    assert _is_login_redirect(_dashboard(client))


@pytest.mark.django_db
def test_activity_keeps_the_session_alive(client, logged_in):
    for minutes in (50, 100, 150, 200):
        logged_in.move_to(NOW + dt.timedelta(minutes=minutes))
        assert _dashboard(client).status_code == 200, minutes


@pytest.mark.django_db
def test_session_is_saved_at_most_once_a_minute(client, logged_in):
    session = Session.objects.get()
    expiry_at_login = session.expire_date

    logged_in.move_to(NOW + dt.timedelta(seconds=59))
    _dashboard(client)
    assert Session.objects.get().expire_date == expiry_at_login

    logged_in.move_to(NOW + dt.timedelta(seconds=60))
    _dashboard(client)
    assert Session.objects.get().expire_date == NOW + dt.timedelta(seconds=60) + HOUR


@pytest.mark.django_db
def test_session_ends_after_twelve_hours_however_active(client, logged_in):
    for minutes in range(50, 12 * 60, 50):
        logged_in.move_to(NOW + dt.timedelta(minutes=minutes))
        assert _dashboard(client).status_code == 200, minutes

    logged_in.move_to(NOW + 12 * HOUR)
    response = _dashboard(client)

    assert _is_login_redirect(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_starts_the_session_clock(client, logged_in):
    started = int(NOW.timestamp())

    assert (client.session[SESSION_STARTED_KEY], client.session[SESSION_SEEN_KEY]) == (
        started,
        started,
    )


@pytest.mark.django_db
def test_session_from_before_the_limits_gets_its_clock(client, logged_in):
    session = client.session
    del session[SESSION_STARTED_KEY]
    session.save()
    logged_in.move_to(NOW + dt.timedelta(minutes=5))

    assert _dashboard(client).status_code == 200
    assert client.session[SESSION_STARTED_KEY] == int(NOW.timestamp()) + 300


@pytest.mark.django_db
def test_session_cookie_ends_with_the_browser(client, production_session_limits, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    user = factories.MembershipFactory().user

    response = client.post(
        reverse("login"), {"username": user.email, "password": "correct horse battery"}
    )

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert (cookie["max-age"], cookie["expires"], cookie["httponly"]) == ("", "", True)


# -- gunicorn -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str, **headers: str) -> tuple[int, dict, bytes]:
    """One GET, redirects not followed."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        client.request("GET", path, headers=headers)
        response = client.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        client.close()


def _database_url() -> str:
    """The test database, committed to (transactional_db), for another process to use."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    login = params["USER"] + (f":{quote(params['PASSWORD'])}" if params["PASSWORD"] else "")
    return f"postgres://{login}@{params['HOST']}:{params['PORT']}/{params['NAME']}"


@pytest.mark.timeout(240)
def test_gunicorn_serves_the_site_with_its_configuration(transactional_db, tmp_path):
    factories.CallFactory(title_sv="Coworkingprov i Östersund")
    port = _free_port()
    environment = production_environment(
        tmp_path,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=_database_url(),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG="-",
        LOG_LEVEL="INFO",
    )
    environment.pop("XDG_RUNTIME_DIR", None)
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert collected.returncode == 0, collected.stderr

    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _headers, _body = _get(port, "/health/")
                break
            except OSError:
                assert server.poll() is None, stderr.read_text()
                assert time.monotonic() < deadline, stderr.read_text()
                time.sleep(0.2)

        health = _get(port, "/health/", **{"X-Request-ID": "probe-from-the-balancer"})
        insecure_home = _get(port, "/")
        home = _get(port, "/", **{"X-Forwarded-Proto": "https"})
        stylesheet = home[2].decode().split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        css = _get(port, stylesheet, **{"X-Forwarded-Proto": "https"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    status, headers, body = health
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    assert headers["X-Request-ID"] == "probe-from-the-balancer"
    # Plain HTTP is sent to HTTPS (the health check is exempt).
    assert (insecure_home[0], insecure_home[1]["Location"]) == (301, f"https://127.0.0.1:{port}/")
    # Through the proxy (X-Forwarded-Proto: https): the page, its headers, hashed static files.
    status, headers, body = home
    assert status == 200
    page = body.decode()
    assert "Coworkingprov i Östersund" in page
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in headers["Content-Security-Policy"].split("; ")
    # The stylesheet's name carries its hash (the manifest storage), so it is cached for ever.
    assert stylesheet.startswith("/static/samverket/css/site.") and stylesheet != (
        "/static/samverket/css/site.css"
    )
    status, headers, _body = css
    assert status == 200
    assert "immutable" in headers["Cache-Control"]

    # No control socket in the home directory.
    assert list((tmp_path / "home").iterdir()) == []
    # Every log line is JSON; the access log and the site's own line carry the request id.
    out_lines = [json.loads(line) for line in stdout.read_text().splitlines()]
    err_lines = [json.loads(line) for line in stderr.read_text().splitlines()]
    access = [line for line in out_lines if line["logger"] == "gunicorn.access"]
    assert any(
        '"GET /health/ HTTP/1.1" 200' in line["message"]
        and line["message"].endswith("request_id=probe-from-the-balancer")
        for line in access
    ), access
    [site_line] = [
        line
        for line in err_lines
        if line["logger"] == "samverket.request" and line["request_id"] == "probe-from-the-balancer"
    ]
    assert (site_line["method"], site_line["path"], site_line["status"]) == (
        "GET",
        "/health/",
        200,
    )
    assert any(line["logger"] == "gunicorn.error" for line in err_lines)
