"""A programme manager makes a call in a real browser, through the pages only (no /admin/):
a new draft, its follow-up section with the payment plan, its eligibility checklist (an item
reworded, one added, an empty list refused), the preview; a decision maker publishes it and it
is on the public list. axe on every page."""

import pytest
from playwright.sync_api import expect

from grants.models import Call
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit(page, name: str):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_a_manager_creates_a_call_and_a_decision_maker_publishes_it(page, live_url, login, axe):
    factories.HubFactory(name="Samverket Umeå")
    manager = factories.programme_manager(language="en", full_name="Maria Ek")
    login(manager)

    page.goto(live_url("applications:call_list"))
    axe(page)
    with page.expect_navigation():
        page.get_by_role("link", name="New call").click()
    axe(page)
    page.get_by_label("Short name in addresses").fill("rooms-2030")
    page.get_by_label("Title (Swedish)").fill("Digitala mötesrum 2030")
    page.get_by_label("Title (English)").fill("Digital meeting rooms 2030")
    page.get_by_label("Summary (Swedish)").fill("Stöd för digitala mötesrum i regioner.")
    page.get_by_label("Call text (Swedish)").fill("## Vem får söka\n\n- regioner\n- kommuner")
    page.get_by_label("Opens at").fill("2026-01-01T08:00")
    page.get_by_label("Closes at").fill("2030-03-01T12:00")
    page.get_by_label("Budget (kr)").fill("2000000")
    page.get_by_label("Maximum per application (kr)").fill("3000000")
    _submit(page, "Save as draft")
    # Refused: the maximum above the budget, said on the field; nothing saved.
    expect(page.locator(".error-summary")).to_contain_text(
        "The maximum per application cannot exceed the budget."
    )
    assert not Call.objects.filter(slug="rooms-2030").exists()
    axe(page)
    page.get_by_label("Maximum per application (kr)").fill("200000")
    _submit(page, "Save as draft")
    expect(page.get_by_role("heading", level=1)).to_have_text("Digital meeting rooms 2030")
    expect(page.get_by_text("A second person publishes the call")).to_be_visible()
    axe(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Follow-up: payments, reports, reminders").click()
    axe(page)
    page.get_by_label("Days before a report is due that a reminder is sent").fill("7")
    page.locator("#id_plan-0-share").fill("100")
    page.locator("#id_plan-0-after").select_option("acceptance")
    page.locator("#id_plan-1-DELETE").check()
    _submit(page, "Save")
    expect(page.get_by_text("The call was saved.")).to_be_visible()
    call = Call.objects.get(slug="rooms-2030")
    assert call.payment_plan == [{"share": 100, "after": "acceptance"}]
    assert call.reminder_days_before == 7

    with page.expect_navigation():
        page.get_by_role("link", name="Eligibility checklist and reasons for ineligibility").click()
    axe(page)
    expect(page.locator("#id_checklist-0-key")).to_be_disabled()
    for index in range(5):
        page.locator(f"#id_checklist-{index}-DELETE").check()
    _submit(page, "Save")
    # Refused: an empty checklist, said on the list; nothing changed.
    expect(page.locator(".error-summary")).to_contain_text(
        "The eligibility checklist needs at least one item."
    )
    assert [item.key for item in Call.objects.get(slug="rooms-2030").checklist()] == [
        "organisation",
        "amount",
        "budget",
        "period",
        "content",
    ]
    axe(page)
    for index in range(5):
        page.locator(f"#id_checklist-{index}-DELETE").uncheck()
    page.locator("#id_checklist-2-label_en").fill("The budget adds up")
    page.locator("#id_checklist-5-key").fill("rooms")
    page.locator("#id_checklist-5-label_sv").fill("Det finns mötesrum att pröva")
    page.locator("#id_checklist-5-label_en").fill("There are meeting rooms to try")
    _submit(page, "Save")
    expect(page.get_by_text("The call was saved.")).to_be_visible()
    checklist = Call.objects.get(slug="rooms-2030").checklist()
    assert [(item.key, item.label_en) for item in checklist][2:] == [
        ("budget", "The budget adds up"),
        ("period", "The project period is within the call's limits"),
        ("content", "The application is complete and within the call's aim"),
        ("rooms", "There are meeting rooms to try"),
    ]

    with page.expect_navigation():
        page.get_by_role("link", name="Eligibility and hubs").click()
    axe(page)
    page.get_by_label("Samverket Umeå").check()
    _submit(page, "Save")

    with page.expect_navigation():
        page.get_by_role("link", name="Preview the public page").click()
    expect(page.locator(".markdown h3")).to_have_text("Vem får söka")
    axe(page)

    page.context.clear_cookies()
    login(factories.decision_maker(language="en"))
    page.goto(live_url("applications:call_manage", call.pk))
    axe(page)
    _submit(page, "Publish the call")
    expect(page.get_by_text("The call is published.")).to_be_visible()
    axe(page)

    page.goto(live_url("grants:call_list"))
    expect(page.get_by_role("link", name="Digital meeting rooms 2030")).to_be_visible()
    axe(page)
    call.refresh_from_db()
    assert call.is_published and call.created_by == manager
