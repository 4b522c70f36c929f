"""A grant's follow-up in a real browser: the signatory accepts, the programme manager records
the first instalment, the signatory writes and submits the final report (spending less than was
paid), the programme manager approves it, records the repayment and closes the grant, and the
closing letter is downloaded; the public register and the overview on the way. axe checks every
page visited."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from applications.enums import ApplicationState
from applications.models import Application
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _click(page, name: str, *, role: str = "button"):
    with page.expect_navigation():
        page.get_by_role(role, name=name).click()


@pytest.fixture
def grant():
    """An approval of 500 000 kr released to the applicant (budget: hub 300 000, project lead
    200 000), in English, with a signatory and a programme manager who speak English."""
    call = factories.CallFactory(title_en="Coworking 2027", slug="coworking-2027")
    application = factories.approved_grant(call, title="Hub days in Östersund", language="en")
    signatory = factories.MembershipFactory(
        organisation=application.organisation,
        is_admin=True,
        is_signatory=True,
        user__full_name="Sigrid Signatory",
        user__language="en",
    ).user
    manager = factories.programme_manager(language="en", full_name="Petra Programme")
    return application, signatory, manager


def test_a_grant_is_accepted_reported_settled_and_closed(page, live_url, login, axe, grant):
    application, signatory, manager = grant
    number = application.registration_number

    # The signatory reads the conditions and accepts.
    login(signatory)
    page.goto(live_url("applications:follow_up", application.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Grant {number}")
    axe(page)
    page.get_by_label(
        f"I have signing authority for {application.organisation.name} and accept the grant on "
        "the conditions above."
    ).check()
    _click(page, "Accept the grant")
    expect(page.get_by_text("You have accepted the grant.")).to_be_visible()
    expect(page.get_by_text("Accepted by Sigrid Signatory")).to_be_visible()
    axe(page)

    # The programme manager finds the overview and records the first instalment as paid.
    login(manager)
    page.goto(live_url("applications:follow_up_overview"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up overview")
    expect(page.get_by_role("img", name="Grants per stage")).to_be_visible()
    axe(page)
    page.goto(live_url("applications:manage_follow_up", application.pk))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Follow-up {number}")
    axe(page)
    _click(page, "Mark instalment 1 as paid")
    expect(page.get_by_text("Instalment 1 was recorded as paid.")).to_be_visible()
    axe(page)

    # The signatory writes the final report: 350 000 kr spent of the 400 000 kr paid.
    login(signatory)
    page.goto(live_url("applications:follow_up", application.pk))
    _click(page, "Final report", role="link")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Final report: {number}")
    axe(page)
    page.get_by_label("What was done").fill("Twenty employees worked from the hub.")
    page.get_by_label("What the organisation learnt").fill("Fewer commutes, better meetings.")
    page.get_by_label("Employees taking part").fill("20")
    page.get_by_label("Days used at the hub").fill("180")
    page.get_by_label("Participants' satisfaction (1–5)").fill("4,5")
    page.get_by_label("Spent on “Hub membership” (kr)").fill("200000")
    page.get_by_label("Spent on “Project lead” (kr)").fill("150000")
    page.get_by_label("Total spent (kr)").fill("350000")
    _click(page, "Submit the report")
    expect(page.get_by_text("The report was submitted to")).to_be_visible()
    axe(page)

    # The programme manager approves it: the last instalment is cancelled, 50 000 kr reclaimed.
    login(manager)
    page.goto(live_url("applications:manage_follow_up", application.pk))
    _click(page, "Review: Final report", role="link")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Final report: {number}")
    axe(page)
    page.get_by_label("Comment to the applicant (optional)").fill("Thank you, clear report.")
    _click(page, "Approve the report")
    # Approving settles the grant for good: a confirm page first.
    axe(page)
    _click(page, "Yes, approve the report")
    expect(page.get_by_text("Final report was approved. The applicant is emailed.")).to_be_visible()
    claims = page.locator("section", has=page.get_by_role("heading", name="Repayment claims"))
    expect(claims).to_contain_text("50\u00a0000\u00a0kr")
    expect(page.get_by_text("A repayment has not been received yet.")).to_be_visible()
    axe(page)

    # The money comes back, and the grant is closed with its closing letter.
    _click(page, "Mark as received")
    expect(page.get_by_text("The repayment was recorded as received.")).to_be_visible()
    axe(page)
    _click(page, "Close the grant")
    # Closing cannot be undone: a confirm page first, and nothing closed yet.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Close the grant {application.registration_number}?"
    )
    assert Application.objects.get(pk=application.pk).state == ApplicationState.FOLLOW_UP
    axe(page)
    _click(page, "Yes, close the grant")
    expect(page.get_by_text("The grant is closed.")).to_be_visible()
    expect(page.get_by_role("link", name="Download the closing letter (PDF)")).to_be_visible()
    axe(page)
    assert Application.objects.get(pk=application.pk).state == ApplicationState.CLOSED

    # The overview counts it closed.
    page.goto(live_url("applications:follow_up_overview"))
    stages = page.get_by_role("img", name="Grants per stage")
    expect(stages).to_contain_text("Closed")
    axe(page)

    # The signatory downloads the closing letter.
    login(signatory)
    page.goto(live_url("applications:follow_up", application.pk))
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the closing letter (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    # Anyone reads it in the public register.
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "samverket_language", "value": "en", "url": live_url("applications:register")}]
    )
    page.goto(live_url("applications:register"))
    project = page.get_by_role("article", name="Hub days in Östersund")
    expect(project).to_contain_text(number)
    expect(project).to_contain_text("500\u00a0000\u00a0kr")
    expect(project).to_contain_text("Closed")
    expect(page.get_by_text("Sigrid Signatory")).to_have_count(0)
    axe(page)
