"""A refused form, in a real browser: the page opens on its one error summary, above the <h1>
and within the first screen, focused, with "Fel:" before the page's title, and axe finds
nothing (the form-rendering layer, config/forms.py and templates/forms/)."""

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _assert_opens_on_the_summary(page):
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    box = summary.bounding_box()
    assert box["y"] < page.viewport_size["height"]
    h1 = page.locator("h1").bounding_box()
    assert box["y"] < h1["y"]
    assert page.title().startswith("Fel: ")


def test_a_refused_sign_up_opens_on_the_error_summary(page, live_url, axe):
    page.goto(live_url("applications:signup"))
    assert not page.title().startswith("Fel:")
    expect(page.locator("#error-summary")).to_have_count(0)
    page.locator("main form").get_by_role("button").last.click()

    _assert_opens_on_the_summary(page)
    # Nothing was checked by the browser (novalidate): the server's Swedish message is shown.
    expect(page.locator("#error-summary")).to_contain_text("Detta fält måste fyllas i.")
    # A link of the summary takes the person to the field it names.
    link = page.locator("#error-summary a").first
    target = link.get_attribute("href")
    link.click()
    expect(page.locator(target)).to_be_focused()
    axe(page)


def test_a_refused_return_on_the_long_staff_case_page_opens_on_the_summary(
    page, live_url, login, axe
):
    application = factories.submitted_application()
    manager = factories.programme_manager()
    login(manager)
    page.goto(live_url("applications:manage_detail", application.pk))
    form = page.locator("form").filter(has=page.locator("textarea[name=return-message]"))
    form.get_by_role("button").click()

    _assert_opens_on_the_summary(page)
    expect(page.locator("#error-summary a")).to_have_count(2)
    axe(page)
