"""Two tabs on one application in a real browser: tab 1 saves; tab 2's autosave and then its
save are refused with the message, nothing of tab 1's is lost, and the conflict page (tab 1's
text in the form, tab 2's beside it) is accessible."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STALE = (
    "This was saved from another tab or by a colleague after you opened the page. "
    "Nothing from this page has been saved."
)


def test_an_older_tab_cannot_undo_a_newer_save(page, live_url, login, axe):
    application = factories.ApplicationFactory(title="First title", summary="First summary")
    user = factories.applicant_for(application, user__language="en")
    login(user)
    edit = live_url("applications:edit_part", application.pk, "project")
    page.goto(edit)
    tab_2 = page.context.new_page()
    tab_2.goto(edit)
    autosaves = []
    tab_2.on("request", lambda r: autosaves.append(r.url) if "/autosave/" in r.url else None)

    # Tab 1 saves a new title on the project's page, and is back on the task list.
    page.fill("#id_title", "Tab 1's title")
    page.click("button[name=action][value=save]")
    expect(page.locator(".messages")).to_contain_text("“About the project” saved at")
    application.refresh_from_db()
    saved_by_tab_1 = application.edit_version  # its autosave on leaving the field, then the save
    assert application.title == "Tab 1's title"

    # Tab 2, opened before that save, autosaves: refused, and the message is announced.
    tab_2.fill("#id_summary", "Tab 2's summary")
    tab_2.locator("#id_period_start").focus()  # blur the summary
    expect(tab_2.locator("#autosave-status")).to_contain_text(STALE)
    assert len(autosaves) == 1
    application.refresh_from_db()
    assert (application.title, application.summary) == ("Tab 1's title", "First summary")

    # No more background saves from tab 2 after the conflict.
    tab_2.fill("#id_summary", "Tab 2's summary, more typing")
    tab_2.locator("#id_period_end").focus()
    tab_2.wait_for_timeout(500)
    assert len(autosaves) == 1

    # Its Save and continue shows tab 1's text in the form and tab 2's beside it.
    tab_2.click("button[name=action][value=save]")
    conflict = tab_2.locator("#edit-conflict")
    expect(conflict).to_contain_text(STALE)
    expect(conflict).to_contain_text("Tab 2's summary, more typing")
    expect(tab_2.locator("#id_title")).to_have_value("Tab 1's title")
    expect(tab_2.locator("#id_summary")).to_have_value("First summary")
    expect(tab_2.locator("h1")).to_have_text("About the project")
    axe(tab_2)
    application.refresh_from_db()
    assert (application.title, application.summary, application.edit_version) == (
        "Tab 1's title",
        "First summary",
        saved_by_tab_1,
    )

    # Keeping tab 2's summary: copied into the form, saved; tab 1's title stays.
    tab_2.fill("#id_summary", "Tab 2's summary")
    tab_2.click("button[name=action][value=save]")
    expect(tab_2.locator(".messages")).to_contain_text(
        re.compile(r"“About the project” saved at \d\d:\d\d")
    )
    application.refresh_from_db()
    assert (application.title, application.summary) == ("Tab 1's title", "Tab 2's summary")
