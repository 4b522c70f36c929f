"""The applicant's submit side in a real browser: budget lines added and removed without a
save and their live total, check answers with its Change links, the declaration refused and
then given, and the confirmation page with the registration number. axe checks each page at
1280 and 375 px, and none of them is wider than the window."""

import re

import pytest
from playwright.sync_api import expect

from applications.enums import ApplicationState
from tests import factories

from .conftest import docs_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def _no_horizontal_overflow(page):
    """document.documentElement.scrollWidth <= window.innerWidth, naming what sticks out."""
    widths = page.evaluate(
        """() => [
            document.documentElement.scrollWidth,
            window.innerWidth,
            Array.from(document.querySelectorAll("body *"))
                .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 8)
                .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`),
        ]"""
    )
    scroll, inner, culprits = widths
    assert scroll <= inner, f"{page.url} is {scroll} px wide in {inner} px: {culprits}"


def _check(page, axe):
    axe(page)
    _no_horizontal_overflow(page)


def _at_each_width(page, axe, url):
    """The page at 375 px (a phone) and back at 1280 px, checked at both."""
    for width, height in ((375, 800), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(url)
        _check(page, axe)


@pytest.fixture
def application():
    call = factories.CallFactory(title_sv="Samverket: pröva coworking", max_amount=600_000)
    return factories.ApplicationFactory(call=call, title="Hybridarbete i Östersund")


@pytest.fixture
def applicant(application):
    return factories.applicant_for(application, is_admin=True, is_signatory=True)


def test_budget_rows_check_answers_declaration_and_confirmation(
    page, live_url, login, axe, application, applicant
):
    login(applicant)
    edit_url = live_url("applications:edit_part", application.pk, "budget")
    _at_each_width(page, axe, edit_url)
    summary = page.locator("[data-budget-summary]")
    expect(summary).to_have_text(
        f"Budgetraderna blir sammanlagt 500{NBSP}000{NBSP}kr. Det är det sökta beloppet."
    )
    # Without a save the "save for more lines" hint is gone: lines come from the button.
    expect(page.get_by_text("Behöver du fler rader?")).to_be_hidden()

    # Five rows on the page (two lines and three empty ones): a sixth one, without a save.
    page.get_by_role("button", name="Lägg till en rad till").click()
    expect(page.locator("[data-budget-row]:visible")).to_have_count(6)
    assert page.input_value("#id_budget-TOTAL_FORMS") == "6"
    expect(page.locator("#id_budget-5-category")).to_be_focused()
    page.select_option("#id_budget-5-category", "travel")
    page.fill("#id_budget-5-description", "Resor till hubben")
    page.fill("#id_budget-5-amount", "100 000 kr")
    page.locator("#id_budget-5-amount").blur()
    # Read as the server reads it, shown with the thousands apart.
    expect(page.locator("#id_budget-5-amount")).to_have_value(f"100{NBSP}000")
    expect(page.locator("[data-budget-total]")).to_have_text(f"600{NBSP}000{NBSP}kr")
    expect(summary).to_have_text(
        f"Budgetraderna blir sammanlagt 600{NBSP}000{NBSP}kr. Det är 100{NBSP}000{NBSP}kr mer "
        f"än det sökta beloppet, 500{NBSP}000{NBSP}kr."
    )

    # One more line, then removed again without a save.
    page.get_by_role("button", name="Lägg till en rad till").click()
    page.fill("#id_budget-6-amount", "50000")
    expect(page.locator("[data-budget-total]")).to_have_text(f"650{NBSP}000{NBSP}kr")
    page.get_by_role("button", name="Ta bort rad 7").click()
    expect(page.locator("[data-budget-row]:visible")).to_have_count(6)
    expect(page.locator("[data-budget-total]")).to_have_text(f"600{NBSP}000{NBSP}kr")
    expect(page.get_by_role("button", name="Lägg till en rad till")).to_be_focused()

    page.fill("#id_requested_amount", "600 000")
    page.locator("#id_requested_amount").blur()
    expect(summary).to_have_text(
        f"Budgetraderna blir sammanlagt 600{NBSP}000{NBSP}kr. Det är det sökta beloppet."
    )
    _check(page, axe)

    # Back on the task list, then check answers: a Change link per part, the total, the
    # declaration.
    with page.expect_navigation():
        page.get_by_role("button", name="Spara och fortsätt").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/$"))
    expect(page.locator("#task-status-budget")).to_have_text("Klar")
    page.get_by_role("link", name="Granska och skicka in").click()
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/preview/$"))
    assert sorted(application.budget_lines.values_list("amount", flat=True)) == [
        100_000,
        200_000,
        300_000,
    ]
    expect(page.locator("h1")).to_have_text("Kontrollera dina uppgifter innan du skickar in")
    changes = page.locator(".check-answers").get_by_role("link", name=re.compile(r"^Ändra "))
    expect(changes).to_have_count(5)
    expect(page.get_by_role("link", name="Ändra belopp och budget")).to_have_attribute(
        "href", f"/applications/{application.pk}/edit/budget/"
    )
    expect(page.locator("main")).to_contain_text("0 kr: de stämmer överens")
    _check(page, axe)

    # Submitting without the declaration is refused, with the error summary and nothing sent.
    with page.expect_navigation():
        page.get_by_role("button", name="Skicka in ansökan").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]")).to_contain_text("Kryssa i rutan")
    assert page.title().startswith("Fel:")
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    _check(page, axe)

    page.get_by_label(
        "Jag intygar att uppgifterna är riktiga och att jag får skicka in ansökan för "
        "organisationens räkning"
    ).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Skicka in ansökan").click()
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/submitted/$"))
    expect(page.locator("h1")).to_have_text("Ansökan inskickad")
    expect(page.locator(".confirmation-panel__number")).to_have_text(
        application.registration_number
    )
    expect(page.locator("main")).to_contain_text(
        f"Vi har skickat ett kvitto till {applicant.email}"
    )
    expect(page.locator("main")).not_to_contain_text(application.versions.get().sha256)
    _at_each_width(page, axe, live_url("applications:submitted", application.pk))
    docs_screenshot(page, "confirmation.png")
    _at_each_width(page, axe, live_url("applications:preview", application.pk))
