"""Lock-out after repeated failed logins (django-axes, settings in config/settings.py)."""

import datetime as dt
import logging
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py UserFactory's
NOW = dt.datetime(2026, 11, 20, 9, 0, 0, tzinfo=dt.UTC)
LOGIN = reverse("login")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def anna():
    return factories.UserFactory(email="anna@example.se", language="en")


def _english_client(**defaults) -> Client:
    client = Client(**defaults)
    client.cookies["samverket_language"] = "en"
    return client


def _post_login(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def _fail(client, email, times):
    return [_post_login(client, email, "wrong password").status_code for _ in range(times)]


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_username_and_the_right_password_is_refused(anna, frozen):
    client = _english_client()
    assert _fail(client, anna.email, 4) == [200, 200, 200, 200]
    response = _post_login(client, anna.email, "wrong password")
    assert response.status_code == 429
    assert "<h1>Logging in is paused</h1>" in _text(response)

    response = _post_login(client, anna.email, PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)


def test_four_failures_do_not_lock_and_a_success_starts_the_count_again(anna, frozen):
    client = _english_client()
    _fail(client, anna.email, 4)
    assert _post_login(client, anna.email, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert _fail(client, anna.email, 4) == [200, 200, 200, 200]
    assert _post_login(client, anna.email, PASSWORD).status_code == 302


def test_the_lock_counts_the_email_address_however_it_is_typed(anna, frozen):
    client = _english_client()
    for email in ("anna@example.se", "ANNA@example.se", " Anna@Example.se", "anna@EXAMPLE.SE"):
        _post_login(client, email, "wrong password")
    assert _post_login(client, "Anna@example.se", "wrong password").status_code == 429
    assert _post_login(client, anna.email, PASSWORD).status_code == 429


def test_the_lock_is_for_that_username_from_that_address_only(anna, frozen):
    client = _english_client(REMOTE_ADDR="203.0.113.7")
    _fail(client, anna.email, 5)
    # Someone else, from the same address, is not locked out.
    other = factories.UserFactory()
    assert _post_login(client, other.email, PASSWORD).status_code == 302
    # Nor is Anna at her own desk: a stranger guessing cannot lock her out of her account.
    desk = _english_client(REMOTE_ADDR="198.51.100.20")
    assert _post_login(desk, anna.email, PASSWORD).status_code == 302


def test_the_lock_ends_after_thirty_minutes_and_failures_meanwhile_do_not_extend_it(anna, frozen):
    client = _english_client()
    _fail(client, anna.email, 5)
    frozen.shift(dt.timedelta(minutes=29))
    assert _post_login(client, anna.email, "wrong password").status_code == 429
    assert _post_login(client, anna.email, PASSWORD).status_code == 429
    frozen.shift(dt.timedelta(minutes=1, seconds=1))
    response = _post_login(client, anna.email, PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_the_locked_page_in_english(anna, frozen):
    client = _english_client()
    _fail(client, anna.email, 5)
    response = _post_login(client, anna.email, PASSWORD)
    assert response.status_code == 429
    assert response["Content-Language"] == "en"
    text = _text(response)
    assert '<html lang="en">' in text
    assert (
        "The password was wrong 5 times in a row, so to protect the account we have paused "
        "logging in with it from here."
    ) in text
    assert "You can try again in 30 minutes." in text
    assert f'href="{reverse("password_reset")}"' in text


def test_the_locked_page_in_swedish(anna, frozen):
    client = Client()  # no language chosen: Swedish
    _fail(client, anna.email, 5)
    response = _post_login(client, anna.email, PASSWORD)
    assert response.status_code == 429
    assert response["Content-Language"] == "sv"
    text = _text(response)
    assert '<html lang="sv">' in text
    with translation.override("sv"):
        heading = gettext("Logging in is paused")
    assert f"<h1>{heading}</h1>" in text


def test_the_lockout_is_logged(anna, frozen, caplog):
    client = _english_client(REMOTE_ADDR="203.0.113.7")
    with caplog.at_level(logging.WARNING, logger="applications.security"):
        _fail(client, anna.email, 5)
    records = [r for r in caplog.records if r.name == "applications.security"]
    assert [r.getMessage() for r in records] == [
        "Login locked: 5 failed attempts for 'anna@example.se' from 203.0.113.7; "
        "locked for 30 minutes."
    ]
    assert (records[0].event, records[0].username, records[0].ip_address) == (
        "login_locked",
        "anna@example.se",
        "203.0.113.7",
    )


def test_the_admin_login_is_locked_too(frozen):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    client = _english_client()
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": admin.email, "password": "wrong"})
    response = client.post(reverse("admin:login"), {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 429
    assert not _logged_in(client)


def test_password_reset_is_not_blocked_and_lifts_the_lock(anna, frozen, mailoutbox):
    client = _english_client()
    _fail(client, anna.email, 5)

    response = client.post(reverse("password_reset"), {"email": anna.email})
    assert (response.status_code, response.url) == (302, reverse("password_reset_done"))
    link = re.search(r"http://testserver(/account/reset/\S+/)", mailoutbox[0].body).group(1)
    set_password_url = client.get(link).url
    new_password = "a new and long passphrase"
    response = client.post(
        set_password_url, {"new_password1": new_password, "new_password2": new_password}
    )
    assert (response.status_code, response.url) == (302, reverse("password_reset_complete"))

    response = _post_login(client, anna.email, new_password)
    assert response.status_code == 302
    assert _logged_in(client)
