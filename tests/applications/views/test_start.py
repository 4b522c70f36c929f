"""Where each role lands after logging in."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("start"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_applicant_lands_on_their_applications(client, applicant):
    client.force_login(applicant)
    assert client.get(reverse("start")).url == reverse("applications:dashboard")


@pytest.mark.parametrize("role", [factories.programme_manager, factories.decision_maker])
def test_agency_staff_land_on_case_handling(client, role):
    client.force_login(role())
    assert client.get(reverse("start")).url == reverse("applications:manage_list")


def test_a_reviewer_lands_on_their_reviews(client):
    member = factories.PanelMemberFactory()
    client.force_login(member.user)
    assert client.get(reverse("start")).url == reverse("reviews:dashboard")


def test_a_reviewer_who_also_applies_lands_on_their_applications(client, applicant, call):
    factories.PanelMemberFactory(user=applicant, call=call)
    client.force_login(applicant)
    assert client.get(reverse("start")).url == reverse("applications:dashboard")
