"""The lock-out behind a proxy: counted by the client's address from X-Forwarded-For, read only
when the connection comes from a trusted proxy (config/client_address.py)."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py UserFactory's
LOGIN = reverse("login")
PROXY = "127.0.0.1"  # nginx on the same machine, as docs/deploy.md sets it up


@pytest.fixture(autouse=True)
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = [PROXY, "10.0.0.0/8"]
    settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"


@pytest.fixture
def anna():
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        yield factories.UserFactory(email="anna@example.se")


def _login(forwarded_for: str, password: str, *, peer: str = PROXY):
    client = Client(REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded_for)
    return client, client.post(LOGIN, {"username": "anna@example.se", "password": password})


def test_an_attackers_failures_do_not_lock_out_the_person_from_another_address(anna):
    for _ in range(5):
        _client, response = _login("8.8.4.4", "wrong password")
    assert response.status_code == 429  # the attacker's address is locked

    client, response = _login("1.0.0.1", PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("anna@example.se", "8.8.4.4")


def test_the_address_the_proxy_saw_counts_not_what_the_client_wrote_before_it(anna):
    # The attacker sends "X-Forwarded-For: 1.0.0.1" (Anna's address) hoping to lock her out;
    # nginx appends the address it saw, 8.8.4.4.
    for _ in range(5):
        _login("1.0.0.1, 8.8.4.4", "wrong password")

    client, response = _login("1.0.0.1", PASSWORD)

    assert response.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "8.8.4.4"


def test_two_trusted_proxies_a_load_balancer_then_nginx(anna):
    # The load balancer (10.0.0.5) adds the client, nginx adds the load balancer.
    for _ in range(5):
        _login("8.8.4.4, 10.0.0.5", "wrong password")

    _client, response = _login("1.0.0.1, 10.0.0.5", PASSWORD)

    assert response.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "8.8.4.4"


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(anna):
    # Straight to gunicorn, not through the proxy: each request claims another address.
    for number in range(5):
        _login(f"192.0.2.{number}", "wrong password", peer="203.0.113.9")

    _client, response = _login("1.0.0.1", PASSWORD, peer="203.0.113.9")

    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"


def test_without_a_trusted_proxy_the_header_is_never_read(anna, settings):
    settings.TRUSTED_PROXIES = []
    for number in range(5):
        _login(f"192.0.2.{number}", "wrong password")

    assert AccessAttempt.objects.get().ip_address == PROXY
