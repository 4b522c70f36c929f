"""Where each role lands after logging in, and the start page with each role's work waiting."""

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from applications.enums import ReportStatus
from applications.models import Report
from applications.selectors.worklists import LIMIT, worklists_for
from applications.services.decisions import decision_confirm, decision_send_back
from applications.services.transitions import application_return_for_completion
from reviews.services.assignments import assignment_add
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py UserFactory's
START_PAGE = reverse("applications:start_page")
NOW = dt.datetime(2026, 11, 20, 9, 0, 0, tzinfo=dt.UTC)  # the start of a 30-second step


def sections(user) -> dict[str, list]:
    """``part key/section key`` → the section's rows, for ``user``'s start page."""
    return {
        f"{part['key']}/{section['key']}": section["rows"]
        for part in worklists_for(user)
        for section in part["sections"]
    }


def counts(user) -> dict[str, int]:
    return {
        f"{part['key']}/{section['key']}": section["count"]
        for part in worklists_for(user)
        for section in part["sections"]
    }


def page_links(response, part: str, section: str) -> list[str]:
    """The addresses the rows of one section of the rendered start page link to."""
    html = response.content.decode()
    block = re.search(
        rf'<div class="worklist" id="worklist-{part}-{section}">(.*?)</div>', html, re.S
    )
    assert block, f"no section {part}/{section} on the page"
    return re.findall(r'<li class="worklist__row"><a href="([^"]+)"', block.group(1))


# -- landing after login -------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("start"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_visitor_is_sent_to_log_in_from_the_start_page(client):
    response = client.get(START_PAGE)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={START_PAGE}"


@pytest.mark.parametrize(
    "make",
    [
        lambda: factories.MembershipFactory().user,
        factories.programme_manager,
        lambda: factories.PanelMemberFactory().user,
        factories.UserFactory,
    ],
    ids=["applicant", "programme manager", "reviewer", "new account"],
)
def test_each_role_but_the_decision_maker_lands_on_the_start_page(client, make):
    client.force_login(make())
    assert client.get(reverse("start")).url == START_PAGE
    assert client.get(START_PAGE).status_code == 200


def test_the_decision_maker_lands_on_the_decisions_waiting(client):
    client.force_login(factories.decision_maker())
    assert client.get(reverse("start")).url == reverse("applications:decisions")


def test_a_programme_manager_who_also_decides_lands_on_the_start_page(client):
    from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS

    client.force_login(factories.UserFactory(groups=[PROGRAMME_MANAGERS, DECISION_MAKERS]))
    assert client.get(reverse("start")).url == START_PAGE


def test_an_applicant_logging_in_by_password_lands_on_the_start_page(client):
    applicant = factories.MembershipFactory().user
    response = client.post(reverse("login"), {"username": applicant.email, "password": PASSWORD})
    assert response.url == reverse("start")
    assert client.get(response.url).url == START_PAGE


def test_an_applicant_logging_in_with_next_lands_there(client):
    applicant = factories.MembershipFactory().user
    target = reverse("applications:profile")
    response = client.post(
        f"{reverse('login')}?{urlencode({'next': target})}",
        {"username": applicant.email, "password": PASSWORD, "next": target},
    )
    assert response.url == target


def _password_and_code(client, user, *, next_url=""):
    """The real login: the password page, then the second factor's page, as a browser follows
    the redirects; returns where the code's page sends the person."""
    device = factories.TOTPDeviceFactory(user=user)
    login = reverse("login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    after_password = client.post(login, data).url
    to_verify = client.get(after_password)
    assert to_verify.url.startswith(reverse("two_factor_verify"))
    verify_next = re.search(r"next=([^&]+)", to_verify.url).group(1)
    from urllib.parse import unquote

    verified = client.post(
        reverse("two_factor_verify"),
        {"otp_token": factories.totp_code(device, NOW), "next": unquote(verify_next)},
    )
    return verified.url


@pytest.mark.parametrize(
    ("make", "lands"),
    [
        (factories.programme_manager, START_PAGE),
        (factories.decision_maker, reverse("applications:decisions")),
        (lambda: factories.PanelMemberFactory().user, START_PAGE),
    ],
    ids=["programme manager", "decision maker", "reviewer"],
)
def test_staff_and_reviewers_land_on_their_page_after_the_second_factor(client, make, lands):
    user = make()
    with time_machine.travel(NOW, tick=False):
        after_code = _password_and_code(client, user)
        assert after_code == reverse("start")
        assert client.get(after_code).url == lands
        assert client.get(lands).status_code == 200


def test_the_second_factor_keeps_the_next_the_login_was_asked_for(client):
    manager = factories.programme_manager()
    target = reverse("applications:follow_up_overview")
    with time_machine.travel(NOW, tick=False):
        assert _password_and_code(client, manager, next_url=target) == target


# -- the applicant's worklist --------------------------------------------------------------------


def _applicant_world():
    """One organisation with a draft, an application returned for completion, an approved grant
    to accept and a grant in follow-up with its final report due; and another organisation's
    draft, which its member never sees."""
    organisation = factories.OrganisationFactory()
    applicant = factories.MembershipFactory(organisation=organisation).user
    manager = factories.programme_manager()
    draft = factories.ApplicationFactory(organisation=organisation, title="Our draft")
    returned = factories.submitted_application(organisation=organisation)
    application_return_for_completion(
        application=returned,
        by=manager,
        message="Add the budget for travel.",
        deadline=timezone.now() + dt.timedelta(days=10),
    )
    returned.refresh_from_db()
    to_accept = factories.approved_grant(organisation=organisation)
    in_follow_up = factories.grant_in_follow_up(organisation=organisation)
    factories.ApplicationFactory()  # another organisation's
    return applicant, draft, returned, to_accept, in_follow_up


def test_the_applicant_sees_what_their_organisations_have_to_do():
    applicant, draft, returned, to_accept, in_follow_up = _applicant_world()
    report = Report.objects.get(application=in_follow_up)

    assert sections(applicant) == {
        "applicant/drafts": [draft],
        "applicant/returned": [returned],
        "applicant/accept": [to_accept],
        "applicant/reports": [report],
    }


def test_the_applicants_start_page_links_to_each_item(client):
    applicant, draft, returned, to_accept, in_follow_up = _applicant_world()
    report = Report.objects.get(application=in_follow_up)
    client.force_login(applicant)
    response = client.get(START_PAGE)

    assert page_links(response, "applicant", "drafts") == [
        reverse("applications:detail", args=[draft.pk])
    ]
    assert page_links(response, "applicant", "returned") == [
        reverse("applications:detail", args=[returned.pk])
    ]
    assert page_links(response, "applicant", "accept") == [
        reverse("applications:follow_up", args=[to_accept.pk])
    ]
    assert page_links(response, "applicant", "reports") == [
        reverse("applications:report_edit", args=[in_follow_up.pk, report.pk])
    ]
    for href in [
        href
        for key in ("drafts", "returned", "accept", "reports")
        for href in page_links(response, "applicant", key)
    ]:
        assert client.get(href).status_code == 200, href


def test_a_submitted_report_is_no_longer_due():
    applicant, _draft, _returned, _to_accept, in_follow_up = _applicant_world()
    report = Report.objects.get(application=in_follow_up)
    factories.complete_report(report, by=in_follow_up.signatory)
    assert report.status == ReportStatus.SUBMITTED
    assert sections(applicant)["applicant/reports"] == []


# -- the reviewer's worklist ---------------------------------------------------------------------


def _reviewer_world():
    """A reviewer on two calls' panels: one call's reviews were due yesterday, the other's in a
    week; one review in each, and a third, submitted, that is no longer waiting."""
    manager = factories.programme_manager()
    now = timezone.now()
    late_call = factories.CallFactory(review_due_at=now - dt.timedelta(days=1))
    due_call = factories.CallFactory(review_due_at=now + dt.timedelta(days=7))
    user = factories.UserFactory()
    late_member = factories.PanelMemberFactory(call=late_call, user=user)
    due_member = factories.PanelMemberFactory(call=due_call, user=user)
    late_app, done_app = factories.applications_in_review(late_call, by=manager, count=2)
    (due_app,) = factories.applications_in_review(due_call, by=manager)
    factories.declare_none(late_member, [late_app, done_app])
    factories.declare_none(due_member, [due_app])
    criterion = factories.CriterionFactory(call=late_call)
    late = assignment_add(member=late_member, application=late_app, by=manager)
    done = assignment_add(member=late_member, application=done_app, by=manager)
    due = assignment_add(member=due_member, application=due_app, by=manager)
    factories.submit_review(done, {criterion: 5})
    return user, manager, late, due


def test_the_reviewer_sees_reviews_late_and_due():
    user, _manager, late, due = _reviewer_world()
    assert sections(user) == {
        "reviewer/declarations": [],
        "reviewer/late": [late],
        "reviewer/due": [due],
    }


def test_the_reviewer_sees_the_panels_with_conflicts_left_to_declare(client):
    call = factories.CallFactory()
    member = factories.PanelMemberFactory(call=call)
    first, _second = factories.submitted_application(call), factories.submitted_application(call)
    factories.declare_none(member, [first])
    declarations = sections(member.user)["reviewer/declarations"]
    assert [(m.pk, m.declared, m.in_scope) for m in declarations] == [(member.pk, 1, 2)]
    client.force_login(member.user)
    response = client.get(START_PAGE)
    assert page_links(response, "reviewer", "declarations") == [
        reverse("reviews:declare", args=[call.slug])
    ]
    assert client.get(reverse("reviews:declare", args=[call.slug])).status_code == 200


def test_the_reviewers_start_page_links_to_each_review(client):
    user, _manager, late, due = _reviewer_world()
    client.force_login(user)
    response = client.get(START_PAGE)
    assert page_links(response, "reviewer", "late") == [
        reverse("reviews:review", args=[late.application_id])
    ]
    assert page_links(response, "reviewer", "due") == [
        reverse("reviews:review", args=[due.application_id])
    ]
    assert client.get(page_links(response, "reviewer", "late")[0]).status_code == 200


# -- the programme manager's worklist ------------------------------------------------------------


def _manager_world():
    """A new submission (and one already checked, in review, not waiting), a submitted final
    report, a proposal sent back (and one sent back then proposed again, not waiting), a held
    call with a confirmed decision not released, and a late review."""
    manager = factories.programme_manager()
    decider = factories.decision_maker()
    new = factories.submitted_application()
    late_call = factories.CallFactory(review_due_at=timezone.now() - dt.timedelta(days=2))
    (in_review,) = factories.applications_in_review(late_call, by=manager)
    member = factories.PanelMemberFactory(call=late_call)
    factories.declare_none(member, [in_review])
    late = assignment_add(member=member, application=in_review, by=manager)

    grant = factories.grant_in_follow_up()
    report = Report.objects.get(application=grant)
    factories.complete_report(report, by=grant.signatory)

    call = factories.CallFactory()
    back, again = factories.reviewed_applications(call, by=manager, count=2)
    sent_back = decision_send_back(
        decision=factories.proposed_decision(back, by=manager), by=decider, comment="Lower it."
    )
    decision_send_back(
        decision=factories.proposed_decision(again, by=manager), by=decider, comment="Check."
    )
    factories.proposed_decision(again, by=manager)

    held_call = factories.CallFactory(hold_decisions_for_release=True)
    (held,) = factories.reviewed_applications(held_call, by=manager)
    decision_confirm(decision=factories.proposed_decision(held, by=manager), by=decider)
    return manager, new, report, sent_back, held_call, late


def test_the_programme_manager_sees_the_work_waiting():
    manager, new, report, sent_back, held_call, late = _manager_world()
    found = sections(manager)
    assert found == {
        "programme_manager/eligibility": [new],
        "programme_manager/reports": [report],
        "programme_manager/sent_back": [sent_back],
        "programme_manager/outbox": [held_call],
        "late_reviews/late_reviews": [late],
    }
    assert found["programme_manager/outbox"][0].held == 1
    assert counts(manager)["programme_manager/outbox"] == 1


def test_the_programme_managers_start_page_links_to_each_item(client):
    manager, new, report, sent_back, _held_call, late = _manager_world()
    client.force_login(manager)
    response = client.get(START_PAGE)
    expected = {
        "eligibility": [reverse("applications:manage_detail", args=[new.pk])],
        "reports": [reverse("applications:manage_report", args=[report.application_id, report.pk])],
        "sent_back": [reverse("applications:manage_detail", args=[sent_back.application_id])],
        "outbox": [reverse("applications:decisions_release")],
    }
    for key, links in expected.items():
        assert page_links(response, "programme_manager", key) == links, key
        for href in links:
            assert client.get(href).status_code == 200, href
    assert page_links(response, "late_reviews", "late_reviews") == [
        reverse("reviews:application_reviews", args=[late.application_id])
    ]


# -- the decision maker's worklist ---------------------------------------------------------------


def test_the_decision_maker_sees_the_proposals_waiting(client):
    manager = factories.programme_manager()
    decider = factories.decision_maker()
    (application,) = factories.reviewed_applications(factories.CallFactory(), by=manager)
    proposal = factories.proposed_decision(application, by=manager)
    assert sections(decider) == {"decision_maker/waiting": [proposal]}
    client.force_login(decider)
    response = client.get(START_PAGE)
    assert page_links(response, "decision_maker", "waiting") == [
        f"{reverse('applications:decisions')}#decision-{proposal.pk}-heading"
    ]


def test_a_person_without_a_role_is_shown_how_to_begin(client):
    user = factories.UserFactory()
    assert worklists_for(user) == []
    client.force_login(user)
    html = client.get(START_PAGE).content.decode()
    assert f'href="{reverse("applications:organisation_register")}"' in html


def test_a_section_shows_the_first_rows_and_counts_them_all():
    organisation = factories.OrganisationFactory()
    applicant = factories.MembershipFactory(organisation=organisation).user
    call = factories.CallFactory()
    factories.ApplicationFactory.create_batch(LIMIT + 2, organisation=organisation, call=call)
    drafts = next(s for s in worklists_for(applicant)[0]["sections"] if s["key"] == "drafts")
    assert (drafts["count"], len(drafts["rows"]), drafts["more"]) == (LIMIT + 2, LIMIT, True)
    assert drafts["more_url"] == reverse("applications:dashboard")


# -- the query counts do not grow with the rows --------------------------------------------------


# The session, the user, the menu's roles, then a count and a page of rows per section.
APPLICANT_QUERIES = 12  # the roles, memberships included, in one query
# Staff and reviewers: the groups, the roles and the memberships in one query (load_roles).
REVIEWER_QUERIES = 11
PROGRAMME_MANAGER_QUERIES = 13
DECISION_MAKER_QUERIES = 7  # one of them the call's reasons for ineligibility


def _queries(client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        assert client.get(START_PAGE).status_code == 200


def test_the_applicants_start_page_queries_do_not_grow_with_rows(client, django_assert_num_queries):
    applicant, *_ = _applicant_world()
    client.force_login(applicant)
    _queries(client, django_assert_num_queries, APPLICANT_QUERIES)
    organisation = applicant.memberships.get().organisation
    factories.ApplicationFactory.create_batch(3, organisation=organisation)
    factories.grant_in_follow_up(organisation=organisation)
    factories.approved_grant(organisation=organisation)
    _queries(client, django_assert_num_queries, APPLICANT_QUERIES)


def test_the_reviewers_start_page_queries_do_not_grow_with_rows(client, django_assert_num_queries):
    user, manager, late, due = _reviewer_world()
    client.force_login(user)
    _queries(client, django_assert_num_queries, REVIEWER_QUERIES)
    call = factories.CallFactory(review_due_at=timezone.now() + dt.timedelta(days=3))
    # Fetched again: ``user`` keeps the seats it had when the rules first asked.
    member = type(factories.PanelMemberFactory(call=call, user=user)).objects.get(call=call)
    more = factories.applications_in_review(call, by=manager, count=3)
    factories.declare_none(member, more)
    for application in more:
        assignment_add(member=member, application=application, by=manager)
    _queries(client, django_assert_num_queries, REVIEWER_QUERIES)


def test_the_programme_managers_start_page_queries_do_not_grow_with_rows(
    client, django_assert_num_queries
):
    manager, *_ = _manager_world()
    client.force_login(manager)
    _queries(client, django_assert_num_queries, PROGRAMME_MANAGER_QUERIES)
    _manager_world_again(manager)
    _queries(client, django_assert_num_queries, PROGRAMME_MANAGER_QUERIES)


def _manager_world_again(manager):
    """More of every kind of row the programme manager's start page shows."""
    factories.submitted_application()
    factories.submitted_application()
    decider = factories.decision_maker()
    grant = factories.grant_in_follow_up()
    factories.complete_report(Report.objects.get(application=grant), by=grant.signatory)
    (back,) = factories.reviewed_applications(factories.CallFactory(), by=manager)
    decision_send_back(
        decision=factories.proposed_decision(back, by=manager), by=decider, comment="Again."
    )
    held_call = factories.CallFactory(hold_decisions_for_release=True)
    (held,) = factories.reviewed_applications(held_call, by=manager)
    decision_confirm(decision=factories.proposed_decision(held, by=manager), by=decider)


def test_the_decision_makers_start_page_queries_do_not_grow_with_rows(
    client, django_assert_num_queries
):
    manager = factories.programme_manager()
    decider = factories.decision_maker()
    call = factories.CallFactory()
    (first_app,) = factories.reviewed_applications(call, by=manager)
    factories.proposed_decision(first_app, by=manager)
    client.force_login(decider)
    _queries(client, django_assert_num_queries, DECISION_MAKER_QUERIES)
    more = factories.reviewed_applications(factories.CallFactory(), by=manager, count=3)
    for application in more:
        factories.proposed_decision(application, by=manager)
    _queries(client, django_assert_num_queries, DECISION_MAKER_QUERIES)
