"""The ranking page in a real browser: accessible (axe, WCAG 2.1 AA) with the funding line and a
disagreement flag on screen."""

import pytest
from playwright.sync_api import expect

from applications.enums import BudgetCategory
from reviews.services.assignments import assignment_add
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ranked_call():
    """Three applications, two reviewers: the first fits, the second (the reviewers disagree)
    does not fit in what is left, the third fits below it."""
    manager = factories.programme_manager(language="en")
    call = factories.CallFactory(budget=1_000_000, max_amount=600_000, disagreement_spread=2)
    relevance = factories.CriterionFactory(call=call, name_en="Relevance", weight=2, threshold=3)
    feasibility = factories.CriterionFactory(call=call, name_en="Feasibility", weight=1)
    applications = [
        factories.submitted_application(
            call,
            title=f"Trial {i}",
            requested_amount=amount,
            budget=[(BudgetCategory.HUB, "Hub membership", amount)],
        )
        for i, amount in enumerate([500_000, 600_000, 400_000], start=1)
    ]
    factories.start_review(applications, by=manager)
    members = [factories.PanelMemberFactory(call=call) for _ in range(2)]
    scores = [[(6, 3), (5, 5)], [(7, 7), (4, 1)], [(4, 4), (4, 7)]]
    for m, member in enumerate(members):
        factories.declare_none(member, applications)
        for application, pairs in zip(applications, scores, strict=True):
            assignment = assignment_add(member=member, application=application, by=manager)
            score_a, score_b = pairs[m]
            factories.submit_review(assignment, {relevance: score_a, feasibility: score_b})
    return call, manager


def test_ranking_page_is_accessible_with_the_funding_line_and_a_disagreement(
    page, live_url, login, axe, ranked_call
):
    call, manager = ranked_call
    login(manager)
    page.goto(live_url("reviews:ranking", call.slug))

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ranking: {call.title_en}")
    line = page.locator("tr.funding-line")
    expect(line).to_be_visible()
    used, budget = "900\u00a0000\u00a0kr", "1\u00a0000\u00a0000\u00a0kr"
    expect(line).to_contain_text(f"Funding line: {used} of {budget} committed")
    expect(page.locator("tbody tr.ranking-row").nth(1)).to_contain_text("disagreement")
    expect(page.locator("tbody tr.ranking-row").nth(1)).to_contain_text("Does not fit")
    expect(page.get_by_role("columnheader", name="Mean score")).to_be_visible()
    axe(page)


def test_ranking_pages_are_accessible_and_lead_to_the_funding_line(
    page, live_url, login, axe, ranked_call, monkeypatch
):
    from reviews.views import ranking as ranking_views

    monkeypatch.setattr(ranking_views, "ROWS_PER_PAGE", 2)  # three rows: the line on page 2
    call, manager = ranked_call
    login(manager)
    page.goto(live_url("reviews:ranking", call.slug))

    expect(page.locator("tbody tr.ranking-row")).to_have_count(2)
    expect(page.locator("tr.funding-line")).to_have_count(0)
    pages = page.get_by_role("navigation", name="Pages of the ranking")
    expect(pages.locator('[aria-current="page"]')).to_have_text("Page 1")
    axe(page)

    page.get_by_role("link", name="The funding line is on page 2.").click()
    expect(page.locator("p.ranking__shown")).to_contain_text("Ranks 3–3 of 3.")
    expect(page.locator("tr.funding-line")).to_be_visible()
    expect(pages.locator('[aria-current="page"]')).to_have_text("Page 2")
    axe(page)

    page.get_by_role("link", name="Show every row on one page").click()
    expect(page.locator("tbody tr.ranking-row")).to_have_count(3)
    expect(page.locator("tr.funding-line")).to_be_visible()
