"""The decision meeting in a real browser: a programme manager proposes a call's decisions from
the ranking, a decision maker confirms them, and the applicant downloads the letter; axe on
every page visited."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from reviews.services.assignments import assignment_add
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting():
    """Two reviewed applications in a call of 800 000 kr: the first fits, the second does not."""
    manager = factories.programme_manager(language="en", full_name="Petra Presenter")
    call = factories.CallFactory(
        budget=800_000, max_amount=600_000, reviewers_per_application=1, min_reviews=1
    )
    criterion = factories.CriterionFactory(call=call, name_en="Relevance")
    applications = [
        factories.submitted_application(
            call, title=f"Trial {i}", requested_amount=amount, budget=[("hub", "Hub", amount)]
        )
        for i, amount in enumerate([500_000, 400_000], start=1)
    ]
    factories.start_review(applications, by=manager)
    member = factories.PanelMemberFactory(call=call)
    factories.declare_none(member, applications)
    for application, value in zip(applications, (7, 5), strict=True):
        assignment = assignment_add(member=member, application=application, by=manager)
        factories.submit_review(assignment, {criterion: value}, comment="Clear and feasible.")
    return call, manager, applications


def test_decisions_proposed_from_the_ranking_confirmed_and_the_letter_downloaded(
    page, live_url, login, axe, meeting
):
    call, manager, applications = meeting
    decider = factories.decision_maker(language="en", full_name="Dag Decider")
    applicant = factories.applicant_for(applications[0], is_admin=True, is_signatory=True)
    applicant.language = "en"
    applicant.save()

    # The programme manager proposes from the ranking.
    login(manager)
    page.goto(live_url("reviews:ranking", call.slug))
    expect(page.get_by_role("heading", name="Propose decisions from the ranking")).to_be_visible()
    axe(page)
    page.get_by_label("Justification for the approvals (above the funding line)").fill(
        "Ranked above the funding line."
    )
    page.get_by_label("Justification for the rejections (below the funding line)").fill(
        "Ranked below the funding line; the budget does not reach."
    )
    page.get_by_role("button", name="Propose the decisions").click()
    expect(page.get_by_text("1 approvals and 1 rejections were proposed.")).to_be_visible()
    expect(page.locator("tbody tr.ranking-row").first).to_contain_text("Proposed: Approved")
    axe(page)

    # A decision maker confirms both.
    login(decider)
    page.goto(live_url("applications:decisions"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Decisions waiting for confirmation")
    axe(page)
    for application in applications:
        page.get_by_label(f"Select {application.registration_number} for confirmation").check()
    page.get_by_role("button", name="Confirm the selected decisions").click()
    # Confirmed decisions are final: the confirm page names them first.
    numbers = ", ".join(sorted(a.registration_number for a in applications))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Confirm the decisions for {numbers}?"
    )
    axe(page)
    page.get_by_role("button", name="Yes, confirm the decisions").click()
    # The batch runs as a background job; its page shows the progress and the result.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmation of selected decisions")
    expect(page.get_by_text("2 decisions confirmed")).to_be_visible()
    expect(page.locator("[data-job-text]")).to_have_text("2 of 2")
    axe(page)
    page.goto(live_url("applications:decisions"))
    expect(page.get_by_text("No proposed decision is waiting for confirmation.")).to_be_visible()
    axe(page)

    # The applicant reads the decision and downloads the letter.
    login(applicant)
    page.goto(live_url("applications:detail", applications[0].pk))
    decision = page.locator("section", has=page.get_by_role("heading", name="Decision"))
    expect(decision).to_contain_text("Approved")
    expect(decision).to_contain_text("500\u00a0000\u00a0kr")
    expect(decision).to_contain_text("Dag Decider")
    expect(decision).to_contain_text("Petra Presenter")
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the decision letter (PDF)").click()
    letter = Path(download.value.path()).read_bytes()
    assert letter.startswith(b"%PDF-")
    assert applications[0].registration_number in download.value.suggested_filename
