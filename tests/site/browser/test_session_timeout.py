"""The warning before the session ends (WCAG 2.2.1) and the local copies cleared at logout, in a
real browser, with a session of a few seconds."""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL_COPY = "samverket-application-1"
OTHER_KEY = "some-other-site-key"


def keep_local_copies(page) -> None:
    """What autosave.js leaves behind while someone types (and a key of no concern to us)."""
    page.evaluate(
        f"""() => {{
            localStorage.setItem("{LOCAL_COPY}", JSON.stringify({{savedAt: Date.now(),
                fields: [["contact_name", "Karin Berg"], ["contact_phone", "070-123 45 67"]]}}));
            localStorage.setItem("{OTHER_KEY}", "kept");
        }}"""
    )


def stored(page, key: str):
    return page.evaluate(f'() => localStorage.getItem("{key}")')


def test_the_warning_keeps_the_session_and_logout_clears_the_local_copies(
    page, live_url, login, axe, settings
):
    settings.SESSION_COOKIE_AGE = 30
    settings.SESSION_WARNING_BEFORE = 26  # the warning about 4 s after the page loads
    application = factories.ApplicationFactory()
    login(factories.applicant_for(application))
    page.goto(live_url("applications:dashboard"))
    keep_local_copies(page)

    dialog = page.locator("#session-timeout")
    expect(dialog).to_be_visible(timeout=15_000)
    expect(dialog.get_by_role("heading", level=2)).to_have_text("Du loggas snart ut")
    expect(page.locator("#session-timeout-text")).to_contain_text("loggas du ut")
    stay = dialog.get_by_role("button", name="Fortsätt vara inloggad")
    expect(stay).to_be_focused()
    axe(page, context="#session-timeout")

    with page.expect_response(live_url("session_keep_alive")) as answer:
        stay.click()
    assert answer.value.json() == {"authenticated": True, "seconds_left": 30}
    expect(dialog).to_be_hidden()
    assert stored(page, LOCAL_COPY) is not None  # still logged in: the copy stays

    # The session lives on past the first end, thanks to the keep-alive.
    page.wait_for_timeout(2_000)
    page.goto(live_url("applications:dashboard"))
    assert "/account/login/" not in page.url

    with page.expect_navigation():
        page.get_by_role("button", name="Logga ut").click()
    assert stored(page, LOCAL_COPY) is None
    assert stored(page, OTHER_KEY) == "kept"


def test_when_the_time_runs_out_the_page_says_so_and_keeps_nothing(page, live_url, login, settings):
    settings.SESSION_COOKIE_AGE = 8
    settings.SESSION_WARNING_BEFORE = 4
    application = factories.ApplicationFactory()
    login(factories.applicant_for(application))
    page.goto(live_url("applications:dashboard"))
    keep_local_copies(page)

    dialog = page.locator("#session-timeout")
    expect(dialog.get_by_role("heading", level=2)).to_have_text("Du har loggats ut", timeout=15_000)
    login_link = dialog.get_by_role("link", name="Logga in igen")
    expect(login_link).to_be_focused()
    assert stored(page, LOCAL_COPY) is None
    assert stored(page, OTHER_KEY) == "kept"

    with page.expect_navigation():
        login_link.click()
    assert "/account/login/" in page.url


def test_an_anonymous_page_clears_local_copies_left_behind(page, live_url):
    page.goto(live_url("grants:call_list"))
    keep_local_copies(page)

    page.goto(live_url("grants:call_list"))

    assert stored(page, LOCAL_COPY) is None
    assert stored(page, OTHER_KEY) == "kept"


def test_the_pages_about_the_service_and_their_editor_are_accessible(page, live_url, login, axe):
    import importlib

    from django.apps import apps as django_apps

    # A browser test's database is emptied between tests: the data migration's rows are put
    # back by running its function again (it only adds what is missing). Never by migrating
    # back and forth: that unapplies every later migration that depends on grants' and leaves
    # the other apps' tables behind for the next tests.
    importlib.import_module("grants.migrations.0008_site_page_default_texts").seed_pages(
        django_apps, None
    )
    for slug in ("accessibility", "privacy", "cookies", "contact"):
        page.goto(live_url("applications:site_page", slug))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe(page)
    login(factories.programme_manager())
    page.goto(live_url("applications:site_pages_manage"))
    axe(page)
    page.goto(live_url("applications:site_page_edit", "accessibility"))
    axe(page)
    page.fill("#id_body_sv", "")
    with page.expect_navigation():
        page.get_by_role("button", name="Spara").click()
    expect(page).to_have_title("Fel: Redigera: Tillgänglighetsredogörelse – Samverket Grants")
    axe(page)


def test_an_autosave_moves_the_warning_on_as_the_server_does(
    page, live_url, login, settings, monkeypatch
):
    # The save is activity (the server's idle time starts again), so the page's clock follows:
    # a warning already shown closes, and nobody is told to stay logged in while writing.
    # The server notes activity once a minute; here, with a 30-second session, every second.
    monkeypatch.setattr("config.middleware.SESSION_ACTIVITY_RESOLUTION", 1)
    settings.SESSION_COOKIE_AGE = 30
    settings.SESSION_WARNING_BEFORE = 26  # the warning about 4 s after the page loads
    application = factories.ApplicationFactory()
    login(factories.applicant_for(application))
    page.goto(live_url("applications:edit_part", application.pk, "project"))
    dialog = page.locator("#session-timeout")
    expect(dialog).to_be_visible(timeout=15_000)

    # The page behind the modal warning is inert to the mouse and keyboard: the change an
    # autosave sends is made from script, as typing would make it.
    with page.expect_response(live_url("applications:autosave", application.pk)) as answer:
        page.evaluate(
            """() => {
                const title = document.querySelector("[name=title]");
                title.value = "Hybridarbete i hubben";
                title.dispatchEvent(new Event("input", {bubbles: true}));
                title.dispatchEvent(new FocusEvent("focusout", {bubbles: true}));
            }"""
        )
    assert answer.value.json()["session_seconds_left"] == 30
    expect(dialog).to_be_hidden()
