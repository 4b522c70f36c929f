"""The session warning's server side: how long a session has, on every logged-in page, and the
keep-alive endpoint that starts the idle time again (WCAG 2.2.1)."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from config.middleware import SESSION_SEEN_KEY
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
KEEP_ALIVE = reverse("session_keep_alive")


@pytest.fixture
def logged_in(client, settings):
    """An applicant logged in at NOW with the production limits; the clock can be moved."""
    settings.SESSION_COOKIE_AGE = 3600
    settings.SESSION_MAX_AGE = 12 * 3600
    settings.SESSION_WARNING_BEFORE = 300
    user = factories.MembershipFactory().user
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(user)
        yield clock


def keep_alive(client, **headers):
    return client.post(KEEP_ALIVE, headers={"x-requested-with": "fetch", **headers})


def test_a_logged_in_page_carries_the_seconds_left_and_the_warning(client, logged_in):
    logged_in.move_to(NOW + 30 * dt.timedelta(seconds=1))

    html = client.get(reverse("applications:dashboard")).content.decode()

    # Seen at login, 30 s ago (the session is noted active at most once a minute).
    assert 'data-seconds-left="3570" data-warn-before="300"' in html
    assert '<dialog id="session-timeout"' in html
    assert "Fortsätt vara inloggad" in html
    assert f'action="{KEEP_ALIVE}"' in html


def test_an_anonymous_page_tells_the_script_to_clear_local_copies(client):
    html = client.get(reverse("grants:call_list")).content.decode()

    assert '<div id="session-timeout" data-anonymous hidden></div>' in html
    assert "<dialog" not in html


def test_keep_alive_starts_the_idle_time_again(client, logged_in):
    logged_in.move_to(NOW + 50 * MINUTE)

    response = keep_alive(client)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert json.loads(response.content) == {"authenticated": True, "seconds_left": 3600}
    assert client.session[SESSION_SEEN_KEY] == int((NOW + 50 * MINUTE).timestamp())
    # Without the keep-alive the session would have ended at NOW + 1 h; now it lasts.
    logged_in.move_to(NOW + 50 * MINUTE + 59 * MINUTE)
    assert client.get(reverse("applications:dashboard")).status_code == 200


def test_without_keep_alive_the_session_ends_at_the_idle_timeout(client, logged_in):
    logged_in.move_to(NOW + HOUR + MINUTE)

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_keep_alive_never_goes_past_the_session_s_longest_life(client, logged_in):
    for minutes in range(50, 12 * 60 - 10, 50):
        logged_in.move_to(NOW + minutes * MINUTE)
        assert json.loads(keep_alive(client).content)["authenticated"] is True, minutes
    logged_in.move_to(NOW + 12 * HOUR - 10 * MINUTE)

    answer = json.loads(keep_alive(client).content)

    assert answer == {"authenticated": True, "seconds_left": 600}


def test_keep_alive_for_an_ended_session_says_so_and_changes_nothing(client):
    response = keep_alive(client)

    assert response.status_code == 200
    assert json.loads(response.content) == {"authenticated": False}
    assert SESSION_SEEN_KEY not in client.session


def test_keep_alive_is_post_only(client, logged_in):
    assert client.get(KEEP_ALIVE).status_code == 405


def test_keep_alive_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.MembershipFactory().user)

    assert client.post(KEEP_ALIVE).status_code == 403


def test_keep_alive_is_rate_limited_per_person(client, logged_in, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "session_keep_alive": "2/h"}

    assert keep_alive(client).status_code == 200
    assert keep_alive(client).status_code == 200
    refused = keep_alive(client)

    assert refused.status_code == 429
