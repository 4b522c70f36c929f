"""What every request pays before the view: the middleware stack, pinned in queries.

A trivial view (it returns "ok" and reads nothing) behind the whole MIDDLEWARE, for each kind
of visitor: anonymous, an applicant logged in with a password, and staff who passed the
second factor. benchmarks/request_floor.py measures the same requests' CPU time.
"""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.test_request_floor")]


def trivial(request):
    return HttpResponse("ok")


urlpatterns = [path("floor/", trivial, name="floor"), path("", include("config.urls"))]


def _queries(client, url="/floor/") -> list[str]:
    client.get(url)  # the first request of a session may save it; count a steady one
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def _tables(queries: list[str]) -> list[str]:
    """The table each query reads first, in order."""
    return [sql.split(" FROM ", 1)[1].split()[0].strip('"') for sql in queries]


def test_an_anonymous_request_asks_the_database_nothing(client):
    assert _queries(client) == []


def test_an_applicants_request_asks_the_session_the_user_and_the_roles_once(client):
    client.force_login(factories.UserFactory())

    queries = _queries(client)

    assert _tables(queries[:2]) == ["django_session", "applications_user"]
    # Then the groups, the panel seats and the memberships (the menu's), in one query: no
    # second factor needed.
    assert len(queries) == 3
    assert '"auth_group"' in queries[2]
    assert '"reviews_panelmember"' in queries[2]
    assert '"applications_membership"' in queries[2]


def test_a_verified_staff_request_asks_the_session_the_user_and_the_device(client):
    client.force_login(factories.programme_manager())

    assert _tables(_queries(client)) == [
        "django_session",
        "applications_user",
        "otp_totp_totpdevice",
    ]


def test_a_reviewer_not_yet_verified_is_still_sent_to_the_second_factor(client):
    """The roles asked in one query still find a seat on a panel made after login."""
    from reviews.models import PanelMember

    reviewer = factories.UserFactory()
    client.force_login(reviewer)
    assert client.get("/floor/").status_code == 200
    PanelMember.objects.create(call=factories.CallFactory(), user=reviewer)

    response = client.get("/floor/")

    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/setup/?next=%2Ffloor%2F"


def test_an_applicant_in_a_group_is_asked_for_the_second_factor_from_the_next_request(client):
    from django.contrib.auth.models import Group

    from applications.rules import PROGRAMME_MANAGERS

    applicant = factories.UserFactory()
    client.force_login(applicant)
    assert client.get("/floor/").status_code == 200
    applicant.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))

    assert client.get("/floor/").status_code == 302
