"""Each role logs in through the real pages and lands on its start page (the decision maker on
the decisions waiting), at a desktop's and a phone's width: axe finds nothing, the page does
not scroll sideways, and the menu marks where the person is."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.services.transitions import application_return_for_completion
from reviews.services.assignments import assignment_add
from tests import factories

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)


def _applicant():
    organisation = factories.OrganisationFactory()
    applicant = factories.MembershipFactory(organisation=organisation, user__language="en").user
    factories.ApplicationFactory(organisation=organisation, title="Coworking in Östersund")
    returned = factories.submitted_application(organisation=organisation)
    application_return_for_completion(
        application=returned,
        by=factories.programme_manager(),
        message="Add the travel budget.",
        deadline=timezone.now() + dt.timedelta(days=10),
    )
    factories.grant_in_follow_up(organisation=organisation)
    return applicant, "Start page"


def _reviewer():
    manager = factories.programme_manager()
    call = factories.CallFactory(review_due_at=timezone.now() - dt.timedelta(days=1))
    member = factories.PanelMemberFactory(call=call, user=factories.UserFactory(language="en"))
    applications = factories.applications_in_review(call, by=manager, count=2)
    factories.declare_none(member, applications)
    for application in applications:
        assignment_add(member=member, application=application, by=manager)
    return member.user, "Start page"


def _programme_manager():
    manager = factories.programme_manager(language="en")
    factories.submitted_application()
    grant = factories.grant_in_follow_up()
    factories.complete_report(grant.reports.get(), by=grant.signatory)
    return manager, "Start page"


def _decision_maker():
    manager = factories.programme_manager()
    (application,) = factories.reviewed_applications(factories.CallFactory(), by=manager)
    factories.proposed_decision(application, by=manager)
    return factories.decision_maker(language="en"), "Decisions waiting for confirmation"


ROLES = {
    "applicant": (_applicant, "Start page"),
    "reviewer": (_reviewer, "Start page"),
    "programme manager": (_programme_manager, "Start page"),
    "decision maker": (_decision_maker, "Decisions"),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_start_page(page, login, axe, role):
    make, current = ROLES[role]
    user, heading = make()
    login(user)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.locator(".site-nav a[aria-current=page]")).to_have_text(current)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{role} at {width} px: {overflow} px sideways"
        axe(page)
