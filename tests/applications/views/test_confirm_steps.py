"""Confirm steps for irreversible actions: the page's button asks first (a POST that changes
nothing and answers with a confirm page), the confirm page's POST does it."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from applications.enums import (
    ApplicationState,
    DecisionStatus,
    PaymentStatus,
    ReportKind,
    ReportStatus,
)
from applications.models import Decision, DecisionRelease
from applications.services.decisions import decision_confirm
from applications.services.follow_up import payment_mark_paid, report_approve
from applications.services.letters import decision_letter_generate
from reviews.enums import ReviewStatus
from reviews.models import Review
from reviews.services.assignments import assignment_add
from tests import factories

pytestmark = pytest.mark.django_db

ASK = {"confirm_step": "ask"}


def text_of(response) -> str:
    text = html.unescape(strip_tags(response.content.decode()))
    return " ".join(text.replace("\u00a0", " ").split())


def confirm_form(response) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
    """The confirm page's form: its action, its hidden fields (but the token), its buttons."""
    page = response.content.decode()
    form = re.search(r'<form method="post" action="([^"]+)" novalidate>(.*?)</form>', page, re.S)
    assert form, "no confirm form"
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))
    buttons = re.findall(
        r'<button type="submit" class="([^"]+)"[^>]*>([^<]+)</button>', form.group(2)
    )
    return (
        form.group(1),
        [(name, value) for name, value in hidden if name != "csrfmiddlewaretoken"],
        buttons,
    )


def follow_messages(client, response) -> list[str]:
    assert response.status_code == 302
    return [str(m) for m in client.get(response["Location"]).context["messages"]]


# -- confirming a decision -----------------------------------------------------------------------


@pytest.fixture
def manager():
    return factories.programme_manager(language="en")


@pytest.fixture
def decider():
    return factories.decision_maker(language="en")


@pytest.fixture
def proposal(manager):
    (application,) = factories.reviewed_applications(factories.CallFactory(), by=manager)
    return factories.proposed_decision(application, by=manager)


def test_the_decisions_page_asks_before_confirming(client, decider, proposal):
    client.force_login(decider)
    page = client.get(reverse("applications:decisions")).content.decode()
    url = reverse("applications:decision_confirm", args=[proposal.pk])
    assert re.search(
        rf'action="{url}" novalidate>[^<]*<input type="hidden" name="csrfmiddlewaretoken"[^>]*>'
        r'<input type="hidden" name="confirm_step" value="ask">',
        page,
    )


def test_confirming_a_decision_asks_first_and_changes_nothing(client, decider, proposal):
    client.force_login(decider)
    url = reverse("applications:decision_confirm", args=[proposal.pk])
    number = proposal.application.registration_number

    asked = client.post(url, ASK)

    assert asked.status_code == 200
    assert f"Confirm the decision for {number}?" in text_of(asked)
    assert "A confirmed decision is final" in text_of(asked)
    assert confirm_form(asked) == (
        url,
        [],
        [("button button--warning", "Yes, confirm the decision")],
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (DecisionStatus.PROPOSED, None)


def test_the_confirmed_post_confirms_the_decision(client, decider, proposal):
    client.force_login(decider)
    url = reverse("applications:decision_confirm", args=[proposal.pk])
    action, hidden, _buttons = confirm_form(client.post(url, ASK))

    response = client.post(action, dict(hidden))

    number = proposal.application.registration_number
    assert follow_messages(client, response) == [
        f"The decision for {number} is confirmed. Its letter is being made."
    ]
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (DecisionStatus.CONFIRMED, decider)


def test_asking_is_refused_to_whoever_may_not_confirm(client, manager, proposal):
    client.force_login(manager)
    url = reverse("applications:decision_confirm", args=[proposal.pk])
    assert client.post(url, ASK).status_code == 403


def test_confirming_selected_decisions_asks_first_with_the_selection(
    client, manager, decider, django_capture_on_commit_callbacks
):
    call = factories.CallFactory()
    first, second = factories.reviewed_applications(call, by=manager, count=2)
    decisions = [factories.proposed_decision(a, by=manager) for a in (first, second)]
    client.force_login(decider)
    url = reverse("applications:decisions_confirm_selected")

    asked = client.post(url, {**ASK, "decision": [d.pk for d in decisions]})

    numbers = sorted([first.registration_number, second.registration_number])
    assert f"Confirm the decisions for {numbers[0]}, {numbers[1]}?" in text_of(asked)
    action, hidden, buttons = confirm_form(asked)
    assert (action, hidden) == (
        url,
        [("decision", str(decisions[0].pk)), ("decision", str(decisions[1].pk))],
    )
    assert buttons == [("button button--warning", "Yes, confirm the decisions")]
    assert set(Decision.objects.values_list("status", flat=True)) == {DecisionStatus.PROPOSED}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action, {"decision": [value for _name, value in hidden]})
    # The confirmation runs as a background job (issue 15): its page has the result.
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    assert "2 decisions confirmed" in page
    assert set(Decision.objects.values_list("status", flat=True)) == {DecisionStatus.CONFIRMED}


# -- releasing the outbox ------------------------------------------------------------------------


def test_releasing_held_decisions_asks_first_then_releases(client, manager, decider):
    call = factories.CallFactory(hold_decisions_for_release=True)
    (application,) = factories.reviewed_applications(call, by=manager)
    decision = decision_confirm(
        decision=factories.proposed_decision(application, by=manager), by=decider
    )
    decision_letter_generate(decision.pk)
    client.force_login(manager)
    page = client.get(reverse("applications:decisions_release")).content.decode()
    assert '<input type="hidden" name="confirm_step" value="ask">' in page
    url = reverse("applications:decisions_release_call", args=[call.slug])

    asked = client.post(url, ASK)

    assert asked.status_code == 200
    assert f"Release 1 decision of {call.title}?" in text_of(asked)
    assert confirm_form(asked) == (
        url,
        [],
        [("button button--warning", "Yes, release the decisions")],
    )
    assert not DecisionRelease.objects.exists()

    response = client.post(url)
    assert follow_messages(client, response) == ["1 decision was released to its applicant."]
    assert DecisionRelease.objects.filter(decision=decision).exists()


# -- closing a grant -----------------------------------------------------------------------------


def _closable_grant(manager):
    """A grant in follow-up with its final report approved and every instalment paid."""
    grant = factories.grant_in_follow_up(language="en")
    today = timezone.localdate()
    payment_mark_paid(payment=grant.payments.get(position=1), by=manager, paid_on=today)
    report = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(report, by=grant.signatory)
    report_approve(report=report, by=manager)
    for payment in grant.payments.filter(status=PaymentStatus.DUE):
        payment_mark_paid(payment=payment, by=manager, paid_on=today)
    return grant


def test_closing_a_grant_asks_first_then_closes(
    client, manager, django_capture_on_commit_callbacks
):
    grant = _closable_grant(manager)
    client.force_login(manager)
    page = client.get(reverse("applications:manage_follow_up", args=[grant.pk])).content.decode()
    url = reverse("applications:manage_close", args=[grant.pk])
    assert re.search(
        rf'action="{url}" novalidate>.*?name="confirm_step" value="ask">\s*'
        r'<button type="submit" class="button button--warning">',
        page,
        re.S,
    )

    asked = client.post(url, ASK)

    assert asked.status_code == 200
    assert f"Close the grant {grant.registration_number}?" in text_of(asked)
    assert "A closed grant cannot be reopened" in text_of(asked)
    assert confirm_form(asked) == (url, [], [("button button--warning", "Yes, close the grant")])
    grant.refresh_from_db()
    assert grant.state == ApplicationState.FOLLOW_UP

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert follow_messages(client, response) == [
        "The grant is closed. The closing letter is being made and the applicant is emailed."
    ]
    grant.refresh_from_db()
    assert grant.state == ApplicationState.CLOSED


def test_asking_to_close_is_refused_to_a_decision_maker(client, manager, decider):
    grant = _closable_grant(manager)
    client.force_login(decider)
    assert (
        client.post(reverse("applications:manage_close", args=[grant.pk]), ASK).status_code == 403
    )


# -- submitting a review -------------------------------------------------------------------------


@pytest.fixture
def assignment(manager):
    call = factories.CallFactory()
    factories.CriterionFactory(call=call, name_en="Feasibility")
    (application,) = factories.applications_in_review(call, by=manager)
    member = factories.PanelMemberFactory(call=call, user=factories.UserFactory(language="en"))
    factories.declare_none(member, [application])
    return assignment_add(member=member, application=application, by=manager)


def _review_data(assignment, action) -> dict:
    criterion = assignment.application.call.criteria.get()
    return {
        f"score_{criterion.pk}": "6",
        "comment_for_applicant": "A clear plan.",
        "internal_comment": "",
        "recommendation": "fund",
        "edit_version": "0",
        "action": action,
    }


def test_the_review_page_asks_before_submitting(client, assignment):
    client.force_login(assignment.member.user)
    page = client.get(reverse("reviews:review", args=[assignment.application_id])).content.decode()
    assert 'name="action" value="ask_submit" class="button" id="submit-review"' in page


def test_submitting_a_review_asks_first_shows_it_and_saves_nothing(client, assignment):
    client.force_login(assignment.member.user)
    url = reverse("reviews:review", args=[assignment.application_id])
    data = _review_data(assignment, "ask_submit")

    asked = client.post(url, data)

    assert asked.status_code == 200
    text = text_of(asked)
    number = assignment.application.registration_number
    assert f"Submit your review of {number}?" in text
    assert "A submitted review is locked: you cannot change it afterwards." in text
    assert "Feasibility 6 Recommendation Fund Comment for the applicant A clear plan." in text
    action, hidden, buttons = confirm_form(asked)
    assert action == url
    assert hidden == [(name, value) for name, value in data.items() if name != "action"]
    assert buttons == [
        ("button button--warning", "Yes, submit the review"),
        ("button button--secondary", "No, save it as a draft"),
    ]
    assert not Review.objects.exists()


def test_the_confirmed_post_submits_the_review(client, assignment):
    client.force_login(assignment.member.user)
    url = reverse("reviews:review", args=[assignment.application_id])
    _action, hidden, _buttons = confirm_form(
        client.post(url, _review_data(assignment, "ask_submit"))
    )

    response = client.post(url, {**dict(hidden), "action": "submit"})

    assert follow_messages(client, response) == ["Your review has been submitted. Thank you."]
    assert Review.objects.get().status == ReviewStatus.SUBMITTED


def test_the_confirm_page_can_save_a_draft_instead(client, assignment):
    client.force_login(assignment.member.user)
    url = reverse("reviews:review", args=[assignment.application_id])
    _action, hidden, _buttons = confirm_form(
        client.post(url, _review_data(assignment, "ask_submit"))
    )

    response = client.post(url, {**dict(hidden), "action": "save"})

    assert follow_messages(client, response) == ["Your draft has been saved."]
    review = Review.objects.get()
    assert (review.status, review.comment_for_applicant) == (ReviewStatus.DRAFT, "A clear plan.")


def test_asking_with_a_bad_score_shows_the_form_again(client, assignment):
    client.force_login(assignment.member.user)
    url = reverse("reviews:review", args=[assignment.application_id])
    data = _review_data(assignment, "ask_submit")
    criterion = assignment.application.call.criteria.get()
    data[f"score_{criterion.pk}"] = "99"

    response = client.post(url, data)

    assert response.status_code == 400
    assert "Submit your review of" not in text_of(response)
    assert not Review.objects.exists()


# -- approving a report --------------------------------------------------------------------------


def test_approving_a_report_asks_first_then_approves(client, manager):
    grant = factories.grant_in_follow_up(language="en")
    report = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(report, by=grant.signatory)
    client.force_login(manager)
    page = client.get(
        reverse("applications:manage_report", args=[grant.pk, report.pk])
    ).content.decode()
    assert '<input type="hidden" name="confirm_step" value="ask">' in page
    url = reverse("applications:manage_report_approve", args=[grant.pk, report.pk])

    asked = client.post(url, {**ASK, "approve-comment": "Thank you."})

    assert asked.status_code == 200
    assert f"Approve Final report of {grant.registration_number}?" in text_of(asked)
    assert "The grant is settled" in text_of(asked)
    assert confirm_form(asked) == (
        url,
        [("approve-comment", "Thank you.")],
        [("button button--warning", "Yes, approve the report")],
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    _action, hidden, _buttons = confirm_form(asked)
    response = client.post(url, dict(hidden))
    assert follow_messages(client, response) == [
        "Final report was approved. The applicant is emailed."
    ]
    report.refresh_from_db()
    assert (report.status, report.review_comment) == (ReportStatus.APPROVED, "Thank you.")
