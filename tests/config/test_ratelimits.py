"""Rate limits (config/ratelimits.py) on sign-up, password reset, invitations and autosave."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from applications.models import User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def low_limits(settings):
    settings.RATELIMITS = {
        "signup": "2/h",
        "password_reset": "2/h",
        "invitation_send": "2/h",
        "invitation_accept": "2/h",
        "autosave": "2/m",
    }


def _client(language="en", **defaults) -> Client:
    client = Client(**defaults)
    client.cookies["samverket_language"] = language
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


SIGNUP = {
    "full_name": "Eva Ek",
    "password1": "correct horse battery",
    "password2": "wrong",
    "language": "en",
}


def test_signup_over_the_limit_gets_the_429_page_in_english_and_nothing_is_made():
    client = _client()
    for number in range(2):
        response = client.post(
            reverse("applications:signup"), {**SIGNUP, "email": f"e{number}@x.se"}
        )
        assert response.status_code == 200  # the form, with its error

    response = client.post(
        reverse("applications:signup"),
        {**SIGNUP, "password2": SIGNUP["password1"], "email": "e@x.se"},
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    text = _text(response)
    assert "<h1>Too many attempts</h1>" in text
    assert re.search(r"Please wait \d+ minutes? and try again\.", text)
    assert "Go to the start page" in text
    assert not User.objects.filter(email="e@x.se").exists()


def test_the_limit_is_per_client_address_and_in_swedish():
    for _ in range(2):
        _client("sv", REMOTE_ADDR="203.0.113.7").post(reverse("applications:signup"), SIGNUP)

    refused = _client("sv", REMOTE_ADDR="203.0.113.7").post(reverse("applications:signup"), SIGNUP)
    other = _client("sv", REMOTE_ADDR="198.51.100.20").post(reverse("applications:signup"), SIGNUP)

    assert refused.status_code == 429
    assert "<h1>För många försök</h1>" in _text(refused)
    assert re.search(r"Vänta \d+ minut(er)? och försök igen\.", _text(refused))
    assert other.status_code == 200


def test_showing_the_signup_page_is_not_counted():
    client = _client()
    for _ in range(5):
        assert client.get(reverse("applications:signup")).status_code == 200


def test_password_reset_over_the_limit_sends_no_email(mailoutbox):
    user = factories.UserFactory(email="anna@example.se")
    client = _client()
    for _ in range(2):
        client.post(reverse("password_reset"), {"email": user.email})
    assert len(mailoutbox) == 2

    response = client.post(reverse("password_reset"), {"email": user.email})

    assert response.status_code == 429
    assert len(mailoutbox) == 2


def test_sending_invitations_is_limited_per_person():
    admin = factories.MembershipFactory(is_admin=True)
    client = _client()
    client.force_login(admin.user)
    url = reverse("applications:organisation_invite", args=[admin.organisation_id])
    for _ in range(2):
        assert client.post(url, {"email": "not an address"}).status_code == 400

    assert client.post(url, {"email": "kollega@example.se"}).status_code == 429


@pytest.mark.parametrize(
    "name", ["applications:invitation_accept", "reviews:panel_invitation_accept"]
)
def test_guessing_invitation_links_is_limited(name):
    client = _client()
    for number in range(2):
        url = reverse(name, args=[f"guess{number}"])
        assert client.get(url).status_code == 404

    url = reverse(name, args=["guess3"])
    assert client.get(url).status_code == 429


def test_autosave_over_the_limit_answers_429_json_the_script_shows(application, applicant):
    client = _client()
    client.force_login(applicant)
    url = reverse("applications:autosave", args=[application.pk])
    for _ in range(2):
        client.post(url, {"title": "x"}, headers={"X-Requested-With": "fetch"})

    response = client.post(url, {"title": "x"}, headers={"X-Requested-With": "fetch"})

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    [message] = json.loads(response.content)["errors"]
    # In the person's own language (the factory's applicant: Swedish).
    assert message.startswith("För många sparningar på kort tid: din text finns kvar i den här")
    assert re.search(r"Vänta \d+ minut(er)? och försök igen\.$", message)


def test_a_request_without_a_peer_address_is_counted_not_refused_with_a_500():
    # gunicorn on a Unix socket behind nginx without TRUSTED_PROXIES: REMOTE_ADDR is empty.
    client = _client(REMOTE_ADDR="")
    for _ in range(2):
        assert client.post(reverse("applications:signup"), SIGNUP).status_code == 200
    assert client.post(reverse("applications:signup"), SIGNUP).status_code == 429
