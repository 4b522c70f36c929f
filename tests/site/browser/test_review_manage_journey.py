"""A programme manager runs review of a call in a real browser: the calls page, the panel
(inviting one more reviewer), conflicts, automatic assignment with a shortfall, a refused and a
successful manual assignment, one application's reviews and the ranking, with axe on every page."""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from applications.enums import EligibilityItem
from applications.services.transitions import (
    application_check_eligibility,
    application_start_review,
    application_submit,
)
from reviews.models import Assignment, PanelInvitation
from reviews.services.conflicts import Declaration, conflicts_declare
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in_review(call, manager, organisation_names):
    applications = [
        factories.ApplicationFactory(
            call=call, organisation=factories.OrganisationFactory(name=name), title=f"Trial {name}"
        )
        for name in organisation_names
    ]
    for application in applications:
        application_submit(application=application, by=factories.applicant_for(application))
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=1)):
        for application in applications:
            application_check_eligibility(
                application=application,
                by=manager,
                items=dict.fromkeys(EligibilityItem.values, True),
            )
            application_start_review(application=application, by=manager)
    for application in applications:
        application.refresh_from_db()
    return applications


def _submit(page, name: str):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_a_programme_manager_assigns_reviewers_and_opens_the_ranking(page, live_url, login, axe):
    manager = factories.programme_manager(language="en", full_name="Maria Ek")
    call = factories.CallFactory(
        slug="pilot", title_en="Pilot call", reviewers_per_application=2, min_reviews=1
    )
    factories.CriterionFactory(call=call, name_en="Relevance", weight=2)
    factories.CriterionFactory(call=call, name_en="Feasibility", weight=1)
    krokom, umea = _in_review(call, manager, ["Krokoms kommun", "Umeå kommun"])
    anna = factories.PanelMemberFactory(
        call=call,
        user=factories.UserFactory(full_name="Anna Alm"),
        employer_orgnr=krokom.organisation.orgnr,
        employer_name="Krokoms kommun",
    )
    bo = factories.PanelMemberFactory(call=call, user=factories.UserFactory(full_name="Bo Berg"))
    cilla = factories.PanelMemberFactory(
        call=call, user=factories.UserFactory(full_name="Cilla Cederlund")
    )
    for member, applications in ((anna, [krokom, umea]), (bo, [krokom, umea]), (cilla, [umea])):
        conflicts_declare(
            member=member,
            by=member.user,
            declarations=[Declaration(a.pk, False) for a in applications],
        )

    login(manager)

    # The calls page, with the criteria.
    page.goto(live_url("reviews:manage_calls"))
    expect(page.locator("h1")).to_have_text("Review of calls")
    expect(page.get_by_role("rowheader", name="Relevance")).to_be_visible()
    axe(page)

    # The panel: invite one more reviewer; a bad address first.
    page.get_by_role("link", name=re.compile(r"^Panel\b.*Pilot call")).click()
    expect(page.locator("h1")).to_have_text("Panel: Pilot call")
    axe(page)
    page.get_by_label("Email address of the reviewer").fill("not an address")
    _submit(page, "Send the invitation")
    expect(page.locator(".error-summary")).to_contain_text("Enter a valid email address.")
    axe(page)
    page.get_by_label("Email address of the reviewer").fill("dan@example.se")
    _submit(page, "Send the invitation")
    expect(page.locator(".messages")).to_contain_text("An invitation was sent to dan@example.se.")
    assert PanelInvitation.objects.get().email == "dan@example.se"
    axe(page)

    # Conflicts: the employer match is named, Cilla has not declared for Krokom.
    page.get_by_role("link", name="Conflicts of interest").first.click()
    expect(page.locator("main")).to_contain_text("employer match")
    axe(page)

    # Automatic assignment: Krokom gets only Bo, and the manager is told why.
    page.get_by_role("link", name="Assignments").first.click()
    axe(page)
    _submit(page, "Assign automatically")
    messages = page.locator(".messages")
    expect(messages).to_contain_text("3 assignments were made.")
    expect(messages).to_contain_text(
        f"{krokom.registration_number} lacks 1 reviewer. Of the panel, 1 have a conflict of "
        "interest, 1 have not declared and 0 were removed by hand."
    )
    axe(page)

    # A manual add of Anna to Krokom is refused, clearly; Bo to Umeå works.
    page.get_by_label(f"Add a reviewer to {krokom.registration_number}").select_option(
        label="Anna Alm (conflict of interest)"
    )
    with page.expect_navigation():
        page.get_by_role("button", name=f"Add a reviewer to {krokom.registration_number}").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "Anna Alm has a conflict of interest with this application."
    )
    axe(page)
    assert not Assignment.objects.filter(member=anna, application=krokom).exists()
    umea_assigned = set(
        Assignment.objects.filter(application=umea).values_list("member_id", flat=True)
    )
    unassigned = next(m for m in (anna, bo, cilla) if m.pk not in umea_assigned)
    page.get_by_label(f"Add a reviewer to {umea.registration_number}").select_option(
        label=unassigned.user.full_name
    )
    with page.expect_navigation():
        page.get_by_role("button", name=f"Add a reviewer to {umea.registration_number}").click()
    expect(page.locator(".messages")).to_contain_text(
        f"{unassigned.user.full_name} was assigned to {umea.registration_number}."
    )
    assert Assignment.objects.filter(application=umea, removed_at=None).count() == 3
    axe(page)

    # One application's reviews, then the ranking.
    page.get_by_role("link", name=re.compile(f"^Reviews.*{umea.registration_number}")).click()
    expect(page.locator("h1")).to_contain_text(f"Reviews of {umea.registration_number}")
    axe(page)
    page.goto(live_url("reviews:ranking", call.slug))
    expect(page.locator("h1")).to_be_visible()
    axe(page)
