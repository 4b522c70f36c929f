"""OpenID Connect logins against a real provider (tests/oidc_provider.py): the whole
authorisation-code flow with PKCE, and every way a login must be refused.

The Django test client plays the browser on our side and ``requests`` on the provider's side
(its login page, where the test picks a person); the browser tests click the same pages.
"""

import base64
import datetime as dt
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse

from applications.login_security import assurance, oidc
from applications.models import ExternalIdentity, User
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from tests import factories
from tests.oidc_provider import CLIENTS, LOA3, code_flow, start_provider

pytestmark = pytest.mark.django_db


def _start(client, provider="eid", next_url=""):
    url = reverse(f"oidc_{provider}_login")
    response = client.get(f"{url}?{urlencode({'next': next_url})}" if next_url else url)
    assert response.status_code == 302
    return response["Location"]


def _callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _login(client, account, provider="eid", next_url=""):
    callback = code_flow(_start(client, provider, next_url), account)
    return client.get(_callback_path(callback))


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_authorisation_request_carries_pkce_state_nonce_and_the_strong_acr(
    client, oidc_settings, oidc_provider
):
    query = parse_qs(urlsplit(_start(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["acr_values"] == [" ".join(oidc_settings.OIDC_EID_STRONG_ACR)]
    assert query["redirect_uri"] == ["http://testserver/account/e-id/callback/"]


def test_first_eid_login_makes_the_account_and_is_strong(client, oidc_settings, oidc_provider):
    response = _login(client, "anna")

    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    user = User.objects.get(email="anna@example.se")
    assert user.full_name == "Anna Andersson"
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.provider, identity.issuer, identity.subject) == (
        "eid",
        oidc_provider.issuer,
        "anna",
    )
    # Only a keyed hash of the personal identity number, never the number.
    assert len(identity.personal_number_hash) == 64
    assert "198112289874" not in identity.personal_number_hash
    assert int(client.session["_auth_user_id"]) == user.pk
    record = client.session[assurance.SESSION_KEY]
    assert (record["method"], record["acr"], record["amr"]) == ("eid", LOA3, ["bankid"])
    request = response.wsgi_request
    assert assurance.is_strong_login(request)


def test_the_second_eid_login_finds_the_same_account_by_issuer_and_subject(
    client, oidc_settings, oidc_provider
):
    _login(client, "anna")
    user = User.objects.get(email="anna@example.se")
    user.email = "anna.new@example.se"  # the account's email changed: the identity still matches
    user.save()
    client.logout()

    _login(client, "anna")

    assert int(client.session["_auth_user_id"]) == user.pk
    assert User.objects.count() == 1
    assert ExternalIdentity.objects.count() == 1


def test_a_logged_in_person_links_the_eid_to_their_account(client, oidc_settings, oidc_provider):
    user = factories.UserFactory(email="someone@example.se")
    client.force_login(user)
    assert client.session[assurance.SESSION_KEY]["method"] == "password"

    response = _login(client, "anna", next_url="/start/")

    assert response["Location"] == "/start/"
    assert ExternalIdentity.objects.get(subject="anna").user == user
    assert client.session[assurance.SESSION_KEY]["method"] == "eid"
    assert not User.objects.filter(email="anna@example.se").exists()


def test_an_eid_whose_email_has_an_account_is_not_linked_without_logging_in(
    client, oidc_settings, oidc_provider
):
    factories.UserFactory(email="anna@example.se")

    response = _login(client, "anna")

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert ExternalIdentity.objects.count() == 0
    assert _messages(response) == [
        "Det finns redan ett konto med e-postadressen anna@example.se. Logga in med dess lösenord "
        "först och logga sedan in med e-legitimation för att koppla den."
    ]


def test_an_eid_without_email_asks_for_one_and_then_makes_the_account(
    client, oidc_settings, oidc_provider
):
    response = _login(client, "cecilia", next_url="/start/")

    assert response["Location"] == reverse("oidc_email")
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 0
    page = client.get(reverse("oidc_email"))
    assert "Välkommen, Cecilia Ek." in page.content.decode()

    response = client.post(reverse("oidc_email"), {"email": "Cecilia@Example.se"})

    assert response["Location"] == "/start/"
    user = User.objects.get()
    assert (user.email, user.full_name) == ("cecilia@example.se", "Cecilia Ek")
    assert ExternalIdentity.objects.get(user=user).subject == "cecilia"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert assurance.is_strong_login(response.wsgi_request)
    # The pending login is spent: the page now sends to the login page.
    assert client.get(reverse("oidc_email"))["Location"] == reverse("login")


def test_the_email_page_refuses_an_email_that_has_an_account(client, oidc_settings, oidc_provider):
    factories.UserFactory(email="taken@example.se")
    _login(client, "cecilia")

    response = client.post(reverse("oidc_email"), {"email": "taken@example.se"})
    bad = client.post(reverse("oidc_email"), {"email": "not an email"})

    assert response.status_code == 400
    assert "Det finns redan ett konto med e-postadressen taken@example.se." in (
        response.content.decode()
    )
    assert bad.status_code == 400
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session


def test_the_email_page_without_a_pending_login_sends_to_the_login_page(client):
    assert client.get(reverse("oidc_email"))["Location"] == reverse("login")
    assert client.post(reverse("oidc_email"), {"email": "a@b.se"})["Location"] == reverse("login")


def test_an_expired_pending_login_makes_no_account(client, oidc_settings, oidc_provider):
    _login(client, "cecilia")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=11)

    with time_machine.travel(later):
        response = client.post(reverse("oidc_email"), {"email": "cecilia@example.se"})

    assert response["Location"] == reverse("login")
    assert User.objects.count() == 0


def test_a_weak_eid_login_is_not_strong(client, oidc_settings, oidc_provider):
    _login(client, "bertil")

    assert client.session[assurance.SESSION_KEY]["acr"].endswith("loa2")
    assert User.objects.filter(email="bertil@example.se").exists()
    response = client.get(reverse("start"))
    assert not assurance.is_strong_login(response.wsgi_request)


def test_staff_sso_maps_groups_to_roles_and_skips_totp_when_it_asserts_mfa(
    client, oidc_settings, oidc_provider
):
    response = _login(client, "pm", provider="staff")

    assert response.status_code == 302
    user = User.objects.get(email="petra@agency.example")
    assert set(user.groups.values_list("name", flat=True)) == {PROGRAMME_MANAGERS}
    record = client.session[assurance.SESSION_KEY]
    assert (record["method"], record["amr"]) == ("staff", ["pwd", "mfa"])
    # No TOTP page: the agency's provider asked for the second factor.
    assert client.get(reverse("applications:manage_list")).status_code == 200


def test_staff_sso_without_mfa_still_asks_for_totp(client, oidc_settings, oidc_provider):
    _login(client, "dm", provider="staff")

    user = User.objects.get(email="david@agency.example")
    assert set(user.groups.values_list("name", flat=True)) == {DECISION_MAKERS}
    response = client.get(reverse("applications:manage_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))


def test_staff_sso_links_an_existing_staff_account_and_removes_a_role_no_longer_asserted(
    client, oidc_settings, oidc_provider
):
    existing = factories.UserFactory(
        email="petra@agency.example", groups=[PROGRAMME_MANAGERS, DECISION_MAKERS]
    )

    _login(client, "pm", provider="staff")

    assert ExternalIdentity.objects.get(subject="pm").user == existing
    assert set(existing.groups.values_list("name", flat=True)) == {PROGRAMME_MANAGERS}


def test_staff_sso_never_links_to_whoever_is_logged_in(client, oidc_settings, oidc_provider):
    applicant = factories.UserFactory(email="someone@example.se")
    client.force_login(applicant)

    _login(client, "pm", provider="staff")

    petra = User.objects.get(email="petra@agency.example")
    assert int(client.session["_auth_user_id"]) == petra.pk
    assert not applicant.groups.exists()
    assert not applicant.external_identities.exists()


def test_refused_consent_is_refused_with_a_message(client, oidc_settings, oidc_provider):
    callback = code_flow(_start(client), None)
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]

    response = client.get(_callback_path(callback))

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert _messages(response) == ["Inloggningen avbröts eller nekades."]


def test_a_wrong_state_is_refused(client, oidc_settings, oidc_provider):
    callback = code_flow(_start(client), "anna")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    forged = urlencode({"code": query["code"][0], "state": "not-the-state-we-sent"})

    response = client.get(f"{parts.path}?{forged}")

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 0


def test_a_callback_from_another_browser_session_is_refused(client, oidc_settings, oidc_provider):
    """The state and nonce live in the session that started the login: a code sent to a
    different session (a login CSRF) matches nothing."""
    callback = code_flow(_start(client), "anna")
    other = client.__class__()
    other.get(reverse("login"))

    response = other.get(_callback_path(callback))

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in other.session
    assert User.objects.count() == 0


def test_a_wrong_nonce_is_refused(client, oidc_settings, oidc_provider):
    callback = code_flow(_start(client), "anna")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    session = client.session
    session["oidc_states"][state]["nonce"] = "another-nonce"
    session.save()

    response = client.get(_callback_path(callback))

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 0


def test_a_wrong_pkce_verifier_is_refused_by_the_provider(client, oidc_settings, oidc_provider):
    callback = code_flow(_start(client), "anna")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    session = client.session
    session["oidc_states"][state]["code_verifier"] = "x" * 64
    session.save()

    response = client.get(_callback_path(callback))

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_code_is_used_once(client, oidc_settings, oidc_provider):
    callback = code_flow(_start(client), "anna")
    client.get(_callback_path(callback))
    client.logout()

    response = client.get(_callback_path(callback))

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_failed_callbacks_do_not_lock_out_the_address(client, oidc_settings, oidc_provider):
    """django-axes counts password guesses; a failed OIDC callback has no login name and would
    count against the address alone."""
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        callback = code_flow(_start(client), "anna")
        state = parse_qs(urlsplit(callback).query)["state"][0]
        session = client.session
        session["oidc_states"][state]["nonce"] = "another-nonce"
        session.save()
        assert client.get(_callback_path(callback))["Location"] == reverse("login")

    response = _login(client, "anna")

    assert response.status_code == 302
    assert User.objects.filter(email="anna@example.se").exists()
    assert AccessAttempt.objects.count() == 0


def test_an_id_token_signed_with_another_key_is_refused(client, oidc_settings, oidc_provider):
    """The provider's token checked against another provider's keys: the signature fails."""
    other = start_provider(oidc_provider.redirect_uris)
    try:
        oidc_settings.OIDC_PROVIDERS = {
            "eid": oidc_provider.settings_for("eid", jwks=other.jwks_url),
        }
        response = _login(client, "anna")
    finally:
        other.stop()

    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 0


def test_an_id_token_from_another_issuer_is_refused(client, oidc_settings, oidc_provider):
    oidc_settings.OIDC_PROVIDERS = {
        "eid": oidc_provider.settings_for("eid", issuer="http://127.0.0.1:1"),
    }

    response = _login(client, "anna")

    assert response["Location"] == reverse("login")
    assert User.objects.count() == 0


def _staff_id_token(client, oidc_provider) -> tuple[str, str]:
    """A real id_token for the staff client, fetched as our backend would, and its nonce."""
    callback = code_flow(_start(client, "staff"), "pm")
    query = parse_qs(urlsplit(callback).query)
    entry = client.session["oidc_states"][query["state"][0]]
    client_id, secret = CLIENTS["staff"]
    response = requests.post(
        f"{oidc_provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": "http://testserver/account/sso/callback/",
            "client_id": client_id,
            "client_secret": secret,
            "code_verifier": entry["code_verifier"],
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["id_token"], entry["nonce"]


def test_the_backend_accepts_a_real_id_token_and_refuses_it_for_another_client(
    client, oidc_settings, oidc_provider
):
    token, nonce = _staff_id_token(client, oidc_provider)
    assert oidc.StaffSsoBackend().verify_token(token, nonce=nonce)["sub"] == "pm"

    oidc_settings.OIDC_PROVIDERS = {
        "staff": {**oidc_provider.settings_for("staff"), "OIDC_RP_CLIENT_ID": "someone-else"}
    }
    with pytest.raises(SuspiciousOperation, match="another client"):
        oidc.StaffSsoBackend().verify_token(token, nonce=nonce)


def test_the_backend_refuses_an_expired_id_token(client, oidc_settings, oidc_provider):
    token, nonce = _staff_id_token(client, oidc_provider)

    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    with time_machine.travel(later), pytest.raises(jwt.ExpiredSignatureError):
        oidc.StaffSsoBackend().verify_token(token, nonce=nonce)


def test_the_backend_refuses_a_tampered_id_token(client, oidc_settings, oidc_provider):
    token, nonce = _staff_id_token(client, oidc_provider)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    with pytest.raises(SuspiciousOperation):
        oidc.StaffSsoBackend().verify_token(f"{header}.{forged}.{signature}", nonce=nonce)


def test_the_login_pages_are_404_when_no_provider_is_configured(client, settings):
    settings.OIDC_PROVIDERS = {}
    for name in ("oidc_eid_login", "oidc_eid_callback", "oidc_staff_login", "oidc_staff_callback"):
        assert client.get(reverse(name)).status_code == 404
