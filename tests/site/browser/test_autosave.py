"""Autosave and the restore offer in a real browser on a section page, and the accessibility
of the applicant's other pages (the whole edit page, preview with errors, the task list,
dashboard, withdraw, call, version)."""

import re

import pytest
from playwright.sync_api import expect

from applications.services.transitions import application_submit
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_section_page_autosaves_and_is_accessible(page, live_url, login, axe):
    application = factories.ApplicationFactory()
    user = factories.applicant_for(application, user__language="en")
    login(user)
    page.goto(live_url("applications:edit", application.pk))  # all parts on one page
    axe(page)
    page.goto(live_url("applications:edit_part", application.pk, "project"))
    axe(page)
    page.fill("#id_title", "Typed in the browser")
    page.locator("#id_summary").focus()  # blur the title
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"Saved at \d\d:\d\d"))
    application.refresh_from_db()
    assert application.title == "Typed in the browser"
    # Type without saving, reload: the restore offer appears.
    page.evaluate("document.getElementById('id_summary').value = 'Unsaved words'")
    page.dispatch_event("#id_summary", "input")
    page.goto(live_url("applications:edit_part", application.pk, "project"))
    expect(page.locator("#autosave-restore")).to_be_visible()
    page.click("[data-autosave-restore]")
    expect(page.locator("#id_summary")).to_have_value("Unsaved words")
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"Saved at \d\d:\d\d"))
    application.refresh_from_db()
    assert application.summary == "Unsaved words"
    # The other parts' pages do not offer this page's local copy.
    page.goto(live_url("applications:edit_part", application.pk, "section-1"))
    expect(page.locator("#autosave-restore")).to_be_hidden()
    page.fill("#id_participants", "")
    page.locator("#id_what_to_try").focus()
    expect(page.locator("#autosave-status")).to_have_text(re.compile(r"Saved at \d\d:\d\d"))
    application.refresh_from_db()
    assert application.answers.get("participants") is None
    assert application.summary == "Unsaved words"
    # Error summary page is accessible too.
    page.goto(live_url("applications:preview", application.pk))
    axe(page)
    page.goto(live_url("applications:detail", application.pk))
    axe(page)
    page.goto(live_url("applications:dashboard"))
    axe(page)
    page.goto(live_url("applications:withdraw", application.pk))
    page.click("button.button--danger")
    axe(page)


def test_public_and_version_pages_are_accessible(page, live_url, login, axe):
    application = factories.ApplicationFactory()
    user = factories.applicant_for(application, user__language="en")

    application_submit(application=application, by=user)
    login(user)
    page.goto(live_url("grants:call_detail", application.call.slug))
    axe(page)
    page.goto(live_url("applications:version_detail", application.pk, 1))
    axe(page)
