"""Signing needs a strong login: accepting a grant after a password login is refused (page and
service), after a strong e-ID login (through the real provider) it works. Also the
applicants' password login switch and the assurance record itself."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from applications.enums import ApplicationState
from applications.login_security import assurance
from applications.models import Acceptance
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.follow_up import application_accept_grant
from tests import factories
from tests.applications.views.test_follow_up import accept_post, text_of
from tests.oidc_provider import LOA2, LOA3, code_flow

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py UserFactory's


@pytest.fixture
def approved():
    return factories.approved_grant(language="en")


@pytest.fixture
def signatory(approved):
    return factories.applicant_for(approved, is_signatory=True, user__language="en")


def _eid_login(client, account: str, next_url: str):
    start = client.get(reverse("oidc_eid_login"), {"next": next_url})
    callback = urlsplit(code_flow(start["Location"], account))
    return client.get(f"{callback.path}?{callback.query}")


def test_a_password_login_sees_the_e_id_button_instead_of_the_acceptance_form(
    client, oidc_settings, approved, signatory
):
    client.force_login(signatory)
    url = reverse("applications:follow_up", args=[approved.pk])

    page = client.get(url)

    body = text_of(page)
    assert "needs a login with e-legitimation. You logged in another way." in body
    assert 'name="confirm"' not in page.content.decode()
    link = f'href="{reverse("oidc_eid_login")}?next=%2Fapplications%2F{approved.pk}%2Fgrant%2F"'
    assert link in page.content.decode()


def test_a_password_login_posting_the_acceptance_is_sent_to_the_e_id(
    client, oidc_settings, approved, signatory
):
    client.force_login(signatory)

    response = client.post(
        reverse("applications:accept_grant", args=[approved.pk]), accept_post(approved)
    )

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("oidc_eid_login")
    assert parse_qs(location.query)["next"] == [f"/applications/{approved.pk}/grant/"]
    approved.refresh_from_db()
    assert approved.state == ApplicationState.APPROVED
    assert not Acceptance.objects.exists()


def test_the_signatory_logs_in_with_e_id_and_accepts(client, oidc_settings, approved, signatory):
    """Logged in with a password, the signatory logs in with e-ID (linking it) and signs."""
    client.force_login(signatory)
    url = reverse("applications:follow_up", args=[approved.pk])

    response = _eid_login(client, "anna", url)

    assert response["Location"] == url
    assert signatory.external_identities.get().subject == "anna"
    page = client.get(url)
    assert 'name="confirm"' in page.content.decode()
    response = client.post(
        reverse("applications:accept_grant", args=[approved.pk]), accept_post(approved)
    )
    assert response["Location"] == url
    approved.refresh_from_db()
    assert approved.state == ApplicationState.FOLLOW_UP
    assert Acceptance.objects.get().accepted_by == signatory


def test_a_weak_e_id_login_may_not_sign(client, oidc_settings, approved, signatory):
    client.force_login(signatory)
    _eid_login(client, "bertil", "/start/")

    response = client.post(
        reverse("applications:accept_grant", args=[approved.pk]), accept_post(approved)
    )

    assert urlsplit(response["Location"]).path == reverse("oidc_eid_login")
    assert not Acceptance.objects.exists()


def test_the_service_refuses_without_a_strong_login(settings, approved, signatory):
    settings.SIGNING_REQUIRES_STRONG_LOGIN = True
    text = acceptance_text(approved, effective_decision(approved))

    with pytest.raises(ValidationError) as error:
        application_accept_grant(application=approved, by=signatory, text=text)

    assert error.value.code == "strong_login"
    approved.refresh_from_db()
    assert approved.state == ApplicationState.APPROVED
    assert not Acceptance.objects.exists()
    application_accept_grant(application=approved, by=signatory, text=text, strong_login=True)
    approved.refresh_from_db()
    assert approved.state == ApplicationState.FOLLOW_UP


# -- the assurance record ------------------------------------------------------------------------


def _request(record=None):
    request = RequestFactory().get("/")
    request.session = {} if record is None else {assurance.SESSION_KEY: record}
    return request


@pytest.mark.parametrize(
    ("record", "strong", "second_factor"),
    [
        (None, False, False),
        ({"method": "password", "acr": LOA3}, False, False),
        ({"method": "eid", "acr": LOA3}, True, True),
        ({"method": "eid", "acr": LOA2}, False, False),
        ({"method": "staff", "acr": LOA3, "amr": ["pwd"]}, False, False),
        ({"method": "staff", "acr": "", "amr": ["pwd", "otp"]}, False, True),
        ("not a record", False, False),
    ],
)
def test_which_logins_are_strong_and_which_passed_a_second_factor(
    settings, record, strong, second_factor
):
    request = _request(record)
    assert assurance.is_strong_login(request) is strong
    assert assurance.second_factor_passed(request) is second_factor


def test_an_acr_listed_for_staff_mfa_passes_the_second_factor(settings):
    settings.OIDC_STAFF_MFA_ACR = ["urn:agency:mfa"]
    assert assurance.second_factor_passed(_request({"method": "staff", "acr": "urn:agency:mfa"}))


def test_mark_login_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="unknown login method"):
        assurance.mark_login(_request(), "carrier-pigeon")


def test_a_password_login_through_the_page_is_marked_password(client):
    user = factories.UserFactory()

    client.post(reverse("login"), {"username": user.email, "password": PASSWORD})

    assert client.session[assurance.SESSION_KEY]["method"] == "password"


# -- PASSWORD_LOGIN_FOR_APPLICANTS -------------------------------------------------------------


def test_applicants_may_not_log_in_with_a_password_when_the_agency_turns_it_off(client, settings):
    settings.PASSWORD_LOGIN_FOR_APPLICANTS = False
    settings.OIDC_PROVIDERS = {}
    user = factories.UserFactory(language="en")

    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert (
        "Logga in med e-legitimation. Sökande loggar inte in med e-post och lösenord."
        in response.content.decode()
    )


def test_staff_keep_their_password_login_when_applicants_lose_theirs(client, settings):
    settings.PASSWORD_LOGIN_FOR_APPLICANTS = False
    manager = factories.programme_manager()

    response = client.post(reverse("login"), {"username": manager.email, "password": PASSWORD})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == manager.pk


def test_the_login_page_shows_the_buttons_of_the_configured_providers(client, oidc_settings):
    page = client.get(reverse("login")).content.decode()

    assert "Logga in med e-legitimation" in page
    assert "Logga in med myndighetens konto" in page
    assert f'href="{reverse("oidc_eid_login")}"' in page


def test_the_login_page_has_no_buttons_without_providers(client, settings):
    settings.OIDC_PROVIDERS = {}
    page = client.get(reverse("login")).content.decode()

    assert "e-legitimation" not in page
    assert "myndighetens konto" not in page
