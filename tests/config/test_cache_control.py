"""Private pages are never cached: ``Cache-Control: private, no-store`` on every response to a
logged-in user and under the private prefixes, unless the view set its own (the public
register's JSON and CSV keep their five minutes)."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

PRIVATE = "private, no-store"


def test_the_application_page_is_not_cached(client, applicant, application):
    client.force_login(applicant)

    response = client.get(reverse("applications:detail", args=[application.pk]))

    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_the_profile_page_is_not_cached(client, applicant):
    client.force_login(applicant)

    response = client.get(reverse("applications:profile"))

    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


def test_the_case_list_and_its_export_are_not_cached(client, programme_manager):
    factories.submitted_application()
    client.force_login(programme_manager)

    page = client.get(reverse("applications:manage_list"))
    export = client.post(reverse("applications:manage_export"))

    assert (page.status_code, export.status_code) == (200, 200)
    assert page["Cache-Control"] == PRIVATE
    assert export["Cache-Control"] == PRIVATE


def test_the_ranking_page_is_not_cached(client, programme_manager, call):
    client.force_login(programme_manager)

    response = client.get(reverse("reviews:ranking", args=[call.slug]))

    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


@pytest.mark.parametrize("path", ["/applications/", "/manage/applications/", "/review/"])
def test_a_private_page_refused_to_an_anonymous_visitor_is_not_cached(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Cache-Control"] == PRIVATE


def test_a_view_that_sets_its_own_cache_control_keeps_it(client, applicant, application):
    client.force_login(applicant)

    edit = client.get(reverse("applications:edit", args=[application.pk]))

    assert edit.status_code == 200
    assert "no-store" in edit["Cache-Control"]
    assert "private" in edit["Cache-Control"]


@pytest.mark.parametrize("name", ["applications:register_json", "applications:register_csv"])
def test_the_public_register_keeps_its_public_cache_also_for_a_logged_in_user(
    client, applicant, name
):
    client.force_login(applicant)

    response = client.get(reverse(name))

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"


def test_a_public_page_to_an_anonymous_visitor_is_left_cacheable(client):
    response = client.get(reverse("grants:call_list"))

    assert response.status_code == 200
    assert "Cache-Control" not in response


def test_a_public_page_to_a_logged_in_user_is_not_cached(client, applicant):
    client.force_login(applicant)

    response = client.get(reverse("grants:call_list"))

    assert response["Cache-Control"] == PRIVATE
