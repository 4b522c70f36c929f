"""A reviewer's journey in a real browser: accept the panel invitation, declare conflicts of
interest (one conflict, none for the rest), then score and submit the two applications assigned,
never seeing the conflicted one again; axe checks every page on the way."""

import base64
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from playwright.sync_api import expect

from applications.enums import ApplicationState
from reviews.enums import ConflictGround, ReviewStatus
from reviews.models import ConflictDeclaration, PanelMember, Review
from reviews.services.assignments import assignments_auto
from reviews.services.panel import panel_invite
from tests import factories
from tests.reviews.views.test_reviewer import in_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _click(page, selector: str):
    with page.expect_navigation():
        page.locator(selector).click()


def test_reviewer_joins_declares_and_reviews_two_applications(page, live_url, login, axe):
    call = factories.CallFactory(
        slug="samverket",
        title_sv="Samverket: pröva coworking",
        reviewers_per_application=1,
        min_reviews=1,
    )
    relevance = factories.CriterionFactory(
        call=call, name_sv="Relevans", guidance_sv="Hur väl passar projektet utlysningen?", weight=2
    )
    feasibility = factories.CriterionFactory(call=call, name_sv="Genomförbarhet", weight=1)
    manager = factories.programme_manager()
    conflicted, first, second = in_review(call, manager, 3, with_attachment=True)
    reviewer = factories.UserFactory(email="granskare@example.se", full_name="Greta Granskare")
    invitation = panel_invite(call=call, by=manager, email=reviewer.email)

    # The invitation: log in and come back, then join with the employer's number.
    invitation_url = live_url("reviews:panel_invitation_accept", invitation.token)
    page.goto(invitation_url)
    expect(page.locator("main")).to_contain_text("Samverket: pröva coworking")
    axe(page)
    login(reviewer, next_url=reverse("reviews:panel_invitation_accept", args=[invitation.token]))
    expect(page).to_have_url(invitation_url)
    axe(page)
    page.fill("#id_employer_orgnr", "5560360793")
    page.fill("#id_employer_name", "Konsultbolaget AB")
    _click(page, "#accept-invitation")
    # Now a reviewer: before any application, an authenticator app, then on to the declaration.
    expect(page).to_have_url(
        live_url(
            "two_factor_setup",
            query=urlencode({"next": reverse("reviews:declare", args=[call.slug])}),
        )
    )
    axe(page)
    secret = page.locator("code.otp-secret").inner_text().replace(" ", "")
    page.fill("#id_otp_token", f"{TOTP(base64.b32decode(secret)).token():06d}")
    _click(page, "main form button[type=submit]")
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    axe(page)
    _click(page, "main .actions a")
    expect(page).to_have_url(live_url("reviews:declare", call.slug))
    member = PanelMember.objects.get(user=reviewer)
    assert member.employer_orgnr == "556036-0793"

    # Declare: only organisations and titles are shown; one conflict, none for the rest.
    main = page.locator("main")
    for application in (conflicted, first, second):
        expect(main).to_contain_text(application.organisation.name)
        expect(main).to_contain_text(application.versions.get().content["title"])
    expect(main).not_to_contain_text(first.summary)
    axe(page)
    page.check(f"#id_a{conflicted.pk}-decision_1")
    page.check(f"#id_a{conflicted.pk}-ground_2")
    page.fill(f"#id_a{conflicted.pk}-comment", "Jag sitter i kommunens styrelse.")
    page.check(f"#id_a{first.pk}-decision_0")
    page.check(f"#id_a{second.pk}-decision_0")
    _click(page, "#save-declarations")
    expect(page).to_have_url(live_url("reviews:dashboard"))
    declaration = ConflictDeclaration.objects.get(member=member, has_conflict=True)
    assert (declaration.application_id, declaration.ground) == (
        conflicted.pk,
        ConflictGround.REPRESENTATIVE,
    )
    axe(page)

    # The programme manager assigns; the conflicted application goes to no one.
    result = assignments_auto(call=call, by=manager)
    assert sorted(a.application_id for a in result.created) == [first.pk, second.pk]
    page.reload()
    expect(page.locator("main table tbody tr")).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text(conflicted.registration_number)
    axe(page)

    for application, scores in ((first, (6, 4)), (second, (3, 5))):
        page.goto(live_url("reviews:dashboard"))
        with page.expect_navigation():
            page.get_by_role("link", name=application.registration_number).click()
        version = application.versions.get()
        expect(page.locator("main")).to_contain_text(version.sha256)
        expect(page.locator("main")).to_contain_text(version.content["title"])
        expect(page.locator("main a", has_text="plan.pdf")).to_have_attribute(
            "href", re.compile(rf"^/review/applications/{application.pk}/attachments/\d+/$")
        )
        axe(page)
        # A draft first, with one score missing, then the rest and submit.
        page.check(f"#id_score_{relevance.pk}_{scores[0] - 1}")
        page.fill("#id_comment_for_applicant", "En tydlig plan med realistisk budget.")
        _click(page, "#save-draft")
        assert Review.objects.get(assignment__application=application).status == "draft"
        expect(page.locator(f"#id_score_{relevance.pk}_{scores[0] - 1}")).to_be_checked()
        axe(page)
        page.check(f"#id_score_{feasibility.pk}_{scores[1] - 1}")
        page.fill("#id_internal_comment", "Stark förankring i ledningen.")
        page.check("input[name=recommendation][value=fund]")
        _click(page, "#submit-review")
        # A submitted review is locked: a confirm page first, with the review to read again.
        assert Review.objects.get(assignment__application=application).status == "draft"
        axe(page)
        _click(page, "button[name=action][value=submit]")
        review = Review.objects.get(assignment__application=application)
        assert review.status == ReviewStatus.SUBMITTED
        assert {s.criterion_id: s.value for s in review.scores.all()} == {
            relevance.pk: scores[0],
            feasibility.pk: scores[1],
        }
        expect(page.locator("#review-form")).to_have_count(0)
        expect(page.locator("main")).to_contain_text("En tydlig plan med realistisk budget.")
        axe(page)
        application.refresh_from_db()
        assert application.state == ApplicationState.REVIEWED

    # The conflicted application is nowhere to be seen: not listed, and its page is a 404.
    page.goto(live_url("reviews:dashboard"))
    expect(page.locator("main")).not_to_contain_text(conflicted.registration_number)
    response = page.goto(live_url("reviews:review", conflicted.pk))
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(conflicted.versions.get().content["title"])
