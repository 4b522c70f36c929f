"""e-ID and agency SSO logins in a real browser, against the real test provider
(tests/oidc_provider.py): the whole authorisation-code flow with PKCE, through the provider's
own login page. An applicant logs in with e-ID for the first time; a signatory logged in with a
password is sent to the e-ID to accept a grant and signs; a programme manager logs in through
the agency's SSO, gets the role from the groups claim and is not asked for a TOTP code (the SSO
asserted MFA). axe on our pages (the provider's page is not ours)."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from applications.enums import ApplicationState
from applications.models import ExternalIdentity, User
from applications.rules import PROGRAMME_MANAGERS
from tests import factories
from tests.oidc_provider import GROUP_MAP, PERSONAL_NUMBER_CLAIM, start_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def browser_oidc_provider(live_server):
    provider = start_provider(
        [
            f"{live_server.url}/account/e-id/callback/",
            f"{live_server.url}/account/sso/callback/",
        ]
    )
    yield provider
    provider.stop()


@pytest.fixture
def extra_allowed_hosts(browser_oidc_provider):
    return [urlsplit(browser_oidc_provider.issuer).netloc]


@pytest.fixture(autouse=True)
def _providers(settings, browser_oidc_provider):
    settings.OIDC_PROVIDERS = {
        "eid": browser_oidc_provider.settings_for("eid"),
        "staff": browser_oidc_provider.settings_for("staff"),
    }
    settings.OIDC_EID_PERSONAL_NUMBER_CLAIM = PERSONAL_NUMBER_CLAIM
    settings.OIDC_STAFF_GROUP_MAP = GROUP_MAP
    settings.SIGNING_REQUIRES_STRONG_LOGIN = True


def _at_provider(page, provider, person: str):
    """On the provider's login page (PKCE was sent), pick the person."""
    expect(page).to_have_url(f"{provider.issuer}/interaction/" + page.url.rsplit("/", 1)[-1])
    with page.expect_navigation():
        page.get_by_role("button", name=f"Log in as {person}").click()


def test_an_applicant_logs_in_with_e_id_for_the_first_time(
    page, live_url, axe, browser_oidc_provider
):
    page.goto(live_url("login"))
    axe(page)
    page.get_by_role("link", name="Logga in med e-legitimation").click()
    page.wait_for_url(f"{browser_oidc_provider.issuer}/interaction/*")
    assert "code_challenge" not in page.url  # sent in the authorisation request, not shown here

    _at_provider(page, browser_oidc_provider, "Anna Andersson")

    page.wait_for_url(live_url("applications:start_page"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe(page)
    user = User.objects.get(email="anna@example.se")
    assert user.full_name == "Anna Andersson"
    assert ExternalIdentity.objects.get(user=user).subject == "anna"


def test_a_signatory_is_sent_to_the_e_id_to_accept_and_signs(
    page, live_url, axe, browser_oidc_provider
):
    approved = factories.approved_grant()
    signatory = factories.applicant_for(approved, is_signatory=True)
    grant_url = live_url("applications:follow_up", approved.pk)
    page.goto(live_url("login", query=f"next={urlsplit(grant_url).path}"))
    page.get_by_label("E-postadress").fill(signatory.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form").get_by_role("button", name="Logga in").click()
    page.wait_for_url(grant_url)
    expect(page.get_by_text("du har loggat in på ett annat sätt", exact=False)).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Logga in med e-legitimation för att tacka ja").click()
    _at_provider(page, browser_oidc_provider, "Anna Andersson")

    page.wait_for_url(grant_url)
    page.get_by_role("checkbox").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Tacka ja till bidraget").click()
    approved.refresh_from_db()
    assert approved.state == ApplicationState.FOLLOW_UP
    assert ExternalIdentity.objects.get(subject="anna").user == signatory


def test_a_programme_manager_logs_in_through_the_agency_sso_without_a_totp_code(
    page, live_url, axe, browser_oidc_provider
):
    page.goto(live_url("login"))
    page.get_by_role("link", name="Logga in med myndighetens konto").click()
    _at_provider(page, browser_oidc_provider, "Petra Manager (mfa)")

    page.wait_for_url(live_url("applications:start_page"))
    axe(page)
    user = User.objects.get(email="petra@agency.example")
    assert list(user.groups.values_list("name", flat=True)) == [PROGRAMME_MANAGERS]


def test_refusing_at_the_provider_ends_on_the_login_page_with_a_message(
    page, live_url, browser_oidc_provider
):
    page.goto(live_url("login"))
    page.get_by_role("link", name="Logga in med e-legitimation").click()
    page.wait_for_url(f"{browser_oidc_provider.issuer}/interaction/*")
    with page.expect_navigation():
        page.get_by_role("button", name="Refuse").click()

    page.wait_for_url(live_url("login"))
    expect(page.get_by_text("Inloggningen avbröts eller nekades.")).to_be_visible()
    assert not User.objects.exists()


def test_a_first_e_id_login_without_an_email_asks_for_one(
    page, live_url, axe, browser_oidc_provider
):
    page.goto(live_url("login"))
    page.get_by_role("link", name="Logga in med e-legitimation").click()
    _at_provider(page, browser_oidc_provider, "Cecilia Ek (no email)")

    page.wait_for_url(live_url("oidc_email"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Din e-postadress")
    axe(page)
    page.get_by_label("E-postadress").fill("cecilia@example.se")
    with page.expect_navigation():
        page.get_by_role("button", name="Skapa mitt konto").click()

    page.wait_for_url(live_url("applications:start_page"))
    assert User.objects.get(email="cecilia@example.se").full_name == "Cecilia Ek"


def test_an_e_id_applicant_registers_an_organisation_the_agency_verifies_and_signs_its_grant(
    page, live_url, axe, login, browser_oidc_provider
):
    """The whole of "who speaks for an organisation": Anna logs in with e-ID (the address the
    provider asserts counts as verified), registers her municipality, which stays pending; a
    programme manager verifies it and confirms her as its first signatory; she accepts the
    grant after a strong login."""
    page.goto(live_url("login"))
    page.get_by_role("link", name="Logga in med e-legitimation").click()
    _at_provider(page, browser_oidc_provider, "Anna Andersson")
    page.wait_for_url(live_url("applications:start_page"))
    anna = User.objects.get(email="anna@example.se")
    assert anna.email_verified

    page.goto(live_url("applications:organisation_register"))
    page.locator("#id_orgnr").fill("212000-2379")
    page.locator("#id_name").fill("Ånge kommun")
    page.locator("#id_kind").select_option("municipality")
    page.locator("#id_county").select_option(index=1)
    with page.expect_navigation():
        page.locator("main form").first.locator("button[type=submit]").click()
    organisation = anna.organisations.get()
    assert organisation.verification_status == "pending"
    expect(page.locator("main")).to_contain_text("Ånge kommun")
    axe(page)

    manager = factories.programme_manager()
    page.context.clear_cookies()
    login(manager, next_url=urlsplit(live_url("applications:organisation_checks")).path)
    page.goto(live_url("applications:organisation_checks"))
    axe(page)
    verify = page.locator(f"form[action$='/{organisation.pk}/verify/']")
    verify.get_by_role("checkbox").check()  # Anna, its administrator, may sign
    verify.locator("textarea").fill("Checked against the organisation register.")
    with page.expect_navigation():
        verify.locator("button[type=submit]").click()
    organisation.refresh_from_db()
    assert organisation.verification_status == "verified"
    assert organisation.memberships.get(user=anna).is_signatory

    approved = factories.approved_grant(organisation=organisation)
    grant_path = urlsplit(live_url("applications:follow_up", approved.pk)).path
    page.context.clear_cookies()
    page.goto(live_url("login", query=f"next={grant_path}"))
    page.get_by_role("link", name="Logga in med e-legitimation").click()
    _at_provider(page, browser_oidc_provider, "Anna Andersson")
    page.wait_for_url(live_url("applications:follow_up", approved.pk))
    axe(page)
    page.get_by_role("checkbox").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Tacka ja till bidraget").click()
    approved.refresh_from_db()
    assert approved.state == ApplicationState.FOLLOW_UP
