"""Every role's main pages in the demo's world, at 1280 px and at 375 px: axe finds nothing and
the document never scrolls sideways (a wide table scrolls inside its own labelled box); the
ranking at 1280 px shows its decision column without scrolling.

The applicant's edit and preview pages are left to the tests of the application form, whose
pages they are."""

import pytest
from playwright.sync_api import expect

from applications.enums import ReportStatus
from applications.models import Report
from grants.enums import SitePageSlug
from reviews.models import Assignment

from .conftest import assert_no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 375, "height": 800}}
DEMO_CALL, PILOT_CALL, FOLLOW_UP_CALL = (
    "samverket-coworking-hybridarbete",
    "samverket-pilot-2026",
    "samverket-2025",
)


def _applicant_pages(w):
    submitted = w.application("2026-00001")
    grant = w.application("2025-00003")  # Östersund's grant in follow-up
    report = grant.reports.order_by("pk").first()
    pages = [
        ("applications:dashboard",),
        ("applications:detail", submitted.pk),
        ("applications:version_detail", submitted.pk, 1),
        ("applications:detail", w.application("2026-00005").pk),  # in review
        ("applications:follow_up", grant.pk),
        ("applications:organisation_detail", submitted.organisation_id),
        ("applications:profile",),
        ("applications:my_data",),
        ("grants:call_list",),
        ("grants:call_detail", DEMO_CALL),
        ("applications:register",),
        *[("applications:site_page", slug) for slug in SitePageSlug.values],
    ]
    if report is not None:
        pages.append(("applications:report_edit", grant.pk, report.pk))
    return pages


def _manager_pages(w):
    call = w.calls[DEMO_CALL]
    grant = w.application("2025-00003")
    pages = [
        ("applications:manage_list",),
        ("applications:manage_detail", w.application("2026-00001").pk),
        ("applications:manage_detail", grant.pk),
        ("applications:late_exceptions",),
        ("applications:organisation_checks",),
        ("applications:decisions",),
        ("applications:decisions_release",),
        ("applications:decision_propose", w.application("2026-00007").pk),
        ("applications:audit_log",),
        ("applications:call_list",),
        ("applications:call_manage", call.pk),
        ("applications:call_edit", call.pk, "follow-up"),
        ("applications:call_history", call.pk),
        ("applications:follow_up_overview",),
        ("applications:manage_follow_up", grant.pk),
        ("applications:site_pages_manage",),
        ("reviews:manage_calls",),
        ("reviews:panel", PILOT_CALL),
        ("reviews:conflicts", PILOT_CALL),
        ("reviews:assignments", PILOT_CALL),
        ("reviews:criteria", PILOT_CALL),
        ("reviews:application_reviews", w.application("2026-00005").pk),
        ("reviews:ranking", PILOT_CALL),
    ]
    report = Report.objects.filter(status=ReportStatus.SUBMITTED).order_by("pk").first()
    if report is not None:
        pages.append(("applications:manage_report", report.application_id, report.pk))
    return pages


def _decision_maker_pages(w):
    return [
        ("applications:decisions",),
        ("applications:manage_list",),
        ("applications:manage_detail", w.application("2026-00007").pk),
        ("reviews:ranking", PILOT_CALL),
        ("applications:follow_up_overview",),
    ]


def _reviewer_pages(w):
    reviewer = w.people["reviewer"]
    assignments = Assignment.objects.filter(member__user=reviewer, removed_at=None)
    return [
        ("reviews:dashboard",),
        ("reviews:declare", PILOT_CALL),
        *[("reviews:review", a.application_id) for a in assignments.order_by("pk")[:2]],
        ("applications:profile",),
    ]


ROLES = {
    "applicant": _applicant_pages,
    "manager": _manager_pages,
    "decider": _decision_maker_pages,
    "reviewer": _reviewer_pages,
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_of_the_role_fits_the_screen_and_passes_axe(
    page, live_url, login, axe, demo_world, role, width
):
    pages = ROLES[role](demo_world)
    page.set_viewport_size(WIDTHS[width])
    login(demo_world.people[role], password=demo_world.password)

    for name, *args in pages:
        response = page.goto(live_url(name, *args))
        assert response.status == 200, f"{name} {args}: {response.status}"
        assert_no_horizontal_overflow(page)
        axe(page)


def test_the_ranking_at_1280_px_shows_the_decision_column_without_scrolling(
    page, live_url, login, demo_world
):
    login(demo_world.people["manager"], password=demo_world.password)
    page.goto(live_url("reviews:ranking", PILOT_CALL))

    decision = page.get_by_role("columnheader", name="Beslut", exact=True)
    expect(decision).to_be_visible()
    box = decision.bounding_box()
    assert box["x"] + box["width"] <= page.viewport_size["width"]
    wrap = page.locator(".table-wrap").filter(has=page.locator("table.ranking"))
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    # The criterion means are behind each row's disclosure, and open on a click.
    details = page.locator("tr.ranking-row").first.locator("details.ranking-details")
    expect(details.locator("dl")).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator("dl")).to_be_visible()
    expect(details).to_contain_text("Medelvärde: ")
    # With every row's details open the table still fits: nothing to scroll to.
    for row_details in page.locator("tr.ranking-row details.ranking-details").all():
        if not row_details.evaluate("el => el.open"):
            row_details.locator("summary").click()
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    box = decision.bounding_box()
    assert box["x"] + box["width"] <= page.viewport_size["width"]
    assert_no_horizontal_overflow(page)


def test_a_wide_table_at_375_px_scrolls_in_a_focusable_labelled_box(
    page, live_url, login, demo_world
):
    page.set_viewport_size(WIDTHS["mobile"])
    login(demo_world.people["manager"], password=demo_world.password)
    page.goto(live_url("reviews:ranking", PILOT_CALL))

    wrap = page.locator(".table-wrap").filter(has=page.locator("table.ranking"))
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    expect(wrap).to_have_attribute("tabindex", "0")
    expect(wrap).to_have_attribute("role", "region")
    expect(wrap).to_have_attribute("aria-label", "Rangordning")
    wrap.focus()
    page.keyboard.press("ArrowRight")
    # The browser scrolls smoothly: wait for the box to have moved.
    page.wait_for_function(
        "() => document.querySelector('.table-wrap:has(table.ranking)').scrollLeft > 0"
    )
    assert_no_horizontal_overflow(page)
