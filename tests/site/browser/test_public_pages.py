"""The public pages in a real browser: accessible (axe, WCAG 2.1 AA) and in Swedish format."""

import datetime as dt
import zoneinfo

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


@pytest.fixture
def call():
    # 14:00 in Stockholm is 13:00 UTC in March: the page must show Stockholm time.
    return factories.CallFactory(
        slug="samverket-coworking",
        title_sv="Samverket: pröva coworking och hybridarbete",
        title_en="Samverket: try coworking and hybrid work",
        opens_at=dt.datetime(2026, 1, 12, 8, 0, tzinfo=STOCKHOLM),
        closes_at=dt.datetime(2030, 3, 15, 14, 0, tzinfo=STOCKHOLM),
        budget=6_000_000,
        max_amount=600_000,
    )


def test_call_list_is_accessible_and_shows_the_deadline_in_swedish(page, live_url, axe, call):
    page.goto(live_url("grants:call_list"))

    assert page.locator("h1").count() == 1
    card = page.locator("li.card", has_text=call.title_sv)
    assert card.locator("time").first.inner_text() == "15 mars 2030 14:00"
    assert "600\u00a0000\u00a0kr" in card.inner_text()
    axe(page)


def test_call_detail_is_accessible_and_shows_the_deadline_in_swedish(page, live_url, axe, call):
    page.goto(live_url("grants:call_detail", call.slug))

    assert page.locator("h1").inner_text() == call.title_sv
    times = page.locator("dl.facts time").all_inner_texts()
    assert times == ["12 januari 2026 08:00", "15 mars 2030 14:00"]
    facts = page.locator("dl.facts").inner_text()
    assert "6\u00a0000\u00a0000\u00a0kr" in facts
    assert "600\u00a0000\u00a0kr" in facts
    axe(page)


def test_login_page_is_accessible(page, live_url, axe):
    page.goto(live_url("login"))

    assert page.locator("h1").count() == 1
    assert page.locator("input[name=username]").is_visible()
    axe(page)


def test_login_page_with_errors_is_accessible(page, live_url, axe):
    page.goto(live_url("login"))
    page.locator("input[name=username]").fill("nobody@example.se")
    page.locator("input[name=password]").fill("wrong password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    assert page.locator(".error-summary").is_visible()
    axe(page)


def test_login_helper_logs_in_through_the_form(page, login):
    user = factories.UserFactory()

    login(user)

    assert page.locator("form[action='/account/logout/'] button[type=submit]").is_visible()
    assert page.locator("a[href='/account/login/']").count() == 0
