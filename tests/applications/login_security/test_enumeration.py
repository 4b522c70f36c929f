"""No account enumeration: logging in and asking for a new password answer the same whether
or not an account has the address."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
KNOWN = "anna@example.se"
UNKNOWN = "nobody@example.se"


@pytest.fixture(autouse=True)
def anna():
    return factories.UserFactory(email=KNOWN, language="en")


def _client() -> Client:
    client = Client()
    client.cookies["samverket_language"] = "en"
    return client


def _page(response) -> str:
    """The page without what differs between any two requests (the CSRF token, the request
    id) or repeats what was typed."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    text = text.replace(KNOWN, "ADDRESS").replace(UNKNOWN, "ADDRESS")
    return re.sub(r"\s+", " ", text)


def test_login_answers_the_same_for_an_unknown_address_and_a_wrong_password():
    wrong_password = _client().post(LOGIN, {"username": KNOWN, "password": "wrong password"})
    unknown = _client().post(LOGIN, {"username": UNKNOWN, "password": "wrong password"})

    assert wrong_password.status_code == unknown.status_code == 200
    assert _page(wrong_password) == _page(unknown)
    assert "Please enter a correct email address and password." in _page(unknown)


def test_an_inactive_account_with_the_right_password_answers_as_a_wrong_password(anna):
    anna.is_active = False
    anna.save()
    inactive = _client().post(LOGIN, {"username": KNOWN, "password": "correct horse battery"})
    unknown = _client().post(LOGIN, {"username": UNKNOWN, "password": "correct horse battery"})

    assert _page(inactive) == _page(unknown)


def test_an_unknown_address_is_paused_like_a_known_one():
    known, unknown = _client(), _client()
    for _ in range(5):
        locked_known = known.post(LOGIN, {"username": KNOWN, "password": "wrong"})
        locked_unknown = unknown.post(LOGIN, {"username": UNKNOWN, "password": "wrong"})

    assert locked_known.status_code == locked_unknown.status_code == 429
    assert _page(locked_known) == _page(locked_unknown)


def test_password_reset_answers_the_same_and_sends_nothing_in_the_request(settings, mailoutbox):
    # With tasks queued (not run inline), the request itself sends no email for either address:
    # the answer takes as long for an address with an account as for one without.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    from django_tasks import default_task_backend

    known = _client().post(reverse("password_reset"), {"email": KNOWN}, follow=True)
    unknown = _client().post(reverse("password_reset"), {"email": UNKNOWN}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert _page(known) == _page(unknown)
    assert mailoutbox == []
    [queued] = default_task_backend.results
    assert queued.task.name == "send_password_reset"
    assert queued.kwargs["domain"] == "testserver"


def test_the_queued_reset_email_is_sent_by_the_worker_in_the_persons_language(mailoutbox):
    # The test settings run tasks inline, as a worker would.
    _client().post(reverse("password_reset"), {"email": KNOWN})

    [email] = mailoutbox
    assert email.to == [KNOWN]
    assert "http://testserver/account/reset/" in email.body
    assert "Choose a new password by opening this link" in email.body
