"""The applicant's task list and a short section page in a real browser: statuses in words,
axe clean and no wider than the window at 1280 and 375 px. With ``DOCS_SCREENSHOTS=1`` the
task list is saved as docs/images/task-list.png."""

import pytest
from playwright.sync_api import expect

from tests import factories

from .conftest import assert_no_horizontal_overflow, docs_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def application():
    call = factories.CallFactory(title_sv="Samverket: pröva coworking", max_amount=600_000)
    # Half done: the project and the budget are complete, the trial only begun.
    return factories.ApplicationFactory(
        call=call, title="Hybridarbete i Östersund", expected_results="", participants=None
    )


def _at_each_width(page, axe, url):
    for width, height in ((375, 800), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(url)
        axe(page)
        assert_no_horizontal_overflow(page)


def test_the_task_list_and_a_section_page_at_each_width(page, live_url, login, axe, application):
    login(factories.applicant_for(application, is_admin=True, is_signatory=True))
    task_list = live_url("applications:detail", application.pk)
    _at_each_width(page, axe, task_list)
    statuses = page.locator(".task-list__status")
    expect(statuses).to_have_text(
        ["Klar", "Påbörjad", "Klar", "Klar", "Klar", "Kan inte skickas in än"]
    )
    expect(page.locator("main")).to_contain_text("Du har gjort klart 4 av 5 delar.")
    docs_screenshot(page, "task-list.png")

    page.get_by_role("link", name="Försöket").click()
    expect(page.locator("h1")).to_have_text("Försöket")
    expect(page.locator("main")).to_contain_text("Del 2 av 5")
    _at_each_width(page, axe, live_url("applications:edit_part", application.pk, "section-1"))
    _at_each_width(page, axe, live_url("applications:edit_part", application.pk, "attachments"))
