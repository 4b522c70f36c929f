"""The decision screens: propose (one, or many from the ranking), confirm, send back, confirm
selected, release held decisions, and the decision on the application pages.

Every view: the allowed role succeeds, every other role is refused; the proposer cannot confirm
by any path; bad input gives a clear message and changes nothing.
"""

import pytest
from django.urls import reverse

from applications.enums import ApplicationState, DecisionOutcome, DecisionStatus
from applications.models import Decision, DecisionLetter, DecisionRelease
from applications.rules import DECISION_MAKERS
from reviews.services.assignments import assignment_add
from reviews.services.decisions import decisions_propose_from_ranking
from reviews.services.reviewing import consensus_comment_save
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme_manager():
    """Reads English, so assertions read the message ids whatever catalogue is compiled."""
    return factories.programme_manager(language="en", full_name="Petra Presenter")


@pytest.fixture
def decision_maker():
    return factories.decision_maker(language="en", full_name="Dag Decider")


@pytest.fixture
def reviewed(programme_manager):
    """One reviewed application (500 000 kr requested) in a call with a 6 000 000 kr budget."""
    call = factories.CallFactory()
    return factories.reviewed_applications(call, by=programme_manager)[0]


@pytest.fixture
def proposal(reviewed, programme_manager):
    return factories.proposed_decision(reviewed, by=programme_manager)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _follow_messages(client, response) -> list[str]:
    assert response.status_code == 302
    return _messages(client.get(response["Location"]))


def _reviewer():
    return factories.PanelMemberFactory().user


def _job_outcomes(client, response) -> dict[str, tuple[str, str]]:
    """A batch confirmation's job, reached by its 303: registration number → (outcome, reason)."""
    from applications.models import BackgroundJob

    assert response.status_code == 303
    assert client.get(response["Location"]).status_code == 200
    job = BackgroundJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    return {i["number"]: (i["outcome"], i["reason"]) for i in job.result["items"].values()}


# -- proposing one ----------------------------------------------------------------------------


def test_programme_manager_proposes_a_decision_from_the_case_page(
    client, programme_manager, reviewed
):
    client.force_login(programme_manager)
    url = reverse("applications:decision_propose", args=[reviewed.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["granted_amount"] == 500_000

    response = client.post(
        url,
        {
            "outcome": "approved",
            "granted_amount": "450000",
            "conditions": "Report by March.",
            "justification": "Strong on every criterion.",
            "feedback": "Well argued.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("applications:manage_detail", args=[reviewed.pk])
    decision = Decision.objects.get(application=reviewed)
    assert (decision.status, decision.outcome, decision.granted_amount) == (
        DecisionStatus.PROPOSED,
        DecisionOutcome.APPROVED,
        450_000,
    )
    assert (decision.conditions, decision.feedback, decision.proposed_by) == (
        "Report by March.",
        "Well argued.",
        programme_manager,
    )
    reviewed.refresh_from_db()
    assert reviewed.state == ApplicationState.REVIEWED  # nothing moves before confirmation


def test_propose_from_the_reviews_page_prefills_the_reviewers_comments(client, programme_manager):
    call = factories.CallFactory(reviewers_per_application=2, min_reviews=2)
    criterion = factories.CriterionFactory(call=call)
    application = factories.applications_in_review(call, by=programme_manager)[0]
    for name, comment in [("Bo", "Second comment."), ("Alva", "First comment.")]:
        member = factories.PanelMemberFactory(call=call, user__full_name=name)
        factories.declare_none(member, [application])
        assignment = assignment_add(member=member, application=application, by=programme_manager)
        factories.submit_review(assignment, {criterion: 5}, comment=comment)
    client.force_login(programme_manager)
    url = reverse("reviews:decision_propose", args=[application.pk])

    form = client.get(url).context["form"]
    assert form.initial["feedback"] == "First comment.\n\nSecond comment."

    consensus_comment_save(
        application=application, by=programme_manager, text="The panel's summary."
    )
    assert client.get(url).context["form"].initial["feedback"] == "The panel's summary."


def test_a_submitted_application_can_only_be_proposed_as_ineligible(client, programme_manager):
    application = factories.submitted_application()
    client.force_login(programme_manager)
    url = reverse("applications:decision_propose", args=[application.pk])
    form = client.get(url).context["form"]
    assert [value for value, _label in form.fields["outcome"].choices] == ["rejected_ineligible"]

    response = client.post(
        url,
        {"outcome": "rejected_ineligible", "reason_code": "aim", "justification": "Off aim."},
    )

    assert response.status_code == 302
    decision = Decision.objects.get(application=application)
    assert (decision.outcome, decision.reason_code, decision.granted_amount) == (
        "rejected_ineligible",
        "aim",
        0,
    )


def test_granting_more_than_requested_is_refused_with_a_message_and_nothing_saved(
    client, programme_manager, reviewed
):
    client.force_login(programme_manager)
    response = client.post(
        reverse("applications:decision_propose", args=[reviewed.pk]),
        {"outcome": "approved", "granted_amount": "600000", "justification": "Good."},
    )
    assert response.status_code == 400
    assert response.context["errors"] == [
        "The granted amount cannot be more than the 500\u00a0000 kr applied for."
    ]
    assert "There is a problem" in response.content.decode()
    assert not Decision.objects.exists()


def test_a_proposal_without_justification_shows_the_field_error(
    client, programme_manager, reviewed
):
    client.force_login(programme_manager)
    response = client.post(
        reverse("applications:decision_propose", args=[reviewed.pk]),
        {"outcome": "rejected", "justification": ""},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"justification": ["This field is required."]}
    assert not Decision.objects.exists()


def test_the_propose_page_says_when_a_proposal_is_already_waiting(
    client, programme_manager, proposal
):
    client.force_login(programme_manager)
    response = client.get(reverse("applications:decision_propose", args=[proposal.application_id]))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert response.context["blocked"] == (
        "A proposed decision is already waiting for confirmation."
    )


@pytest.mark.parametrize("name", ["applications:decision_propose", "reviews:decision_propose"])
def test_only_programme_managers_may_open_the_propose_pages(client, reviewed, name):
    url = reverse(name, args=[reviewed.pk])
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"{reverse('login')}?next={url}")
    for user, status in [
        (factories.decision_maker(), 403),
        (factories.applicant_for(reviewed), 403),
        (factories.MembershipFactory().user, 404),
        (_reviewer(), 404),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status
        assert client.post(url, {"outcome": "rejected", "justification": "x"}).status_code == (
            status
        )
    assert not Decision.objects.exists()


# -- previews ---------------------------------------------------------------------------------


def test_preview_renders_a_pdf_and_saves_nothing(client, programme_manager, reviewed):
    client.force_login(programme_manager)
    response = client.post(
        reverse("applications:decision_preview", args=[reviewed.pk]),
        {"outcome": "approved", "granted_amount": "450000", "justification": "Good."},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert not Decision.objects.exists()


def test_preview_with_bad_input_shows_the_form_again(client, programme_manager, reviewed):
    client.force_login(programme_manager)
    response = client.post(
        reverse("applications:decision_preview", args=[reviewed.pk]), {"outcome": "approved"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"justification": ["This field is required."]}


def test_preview_is_refused_to_everyone_but_programme_managers(client, reviewed):
    url = reverse("applications:decision_preview", args=[reviewed.pk])
    data = {"outcome": "rejected", "justification": "x"}
    assert client.post(url, data).status_code == 302
    for user, status in [
        (factories.decision_maker(), 403),
        (factories.applicant_for(reviewed), 403),
        (factories.MembershipFactory().user, 404),
    ]:
        client.force_login(user)
        assert client.post(url, data).status_code == status
    assert client.get(url).status_code == 405


def test_a_waiting_proposal_can_be_previewed_by_agency_staff_only(client, decision_maker, proposal):
    url = reverse("applications:decision_proposal_preview", args=[proposal.pk])
    client.force_login(decision_maker)
    response = client.get(url)
    assert (response.status_code, response.content[:5]) == (200, b"%PDF-")
    client.force_login(factories.applicant_for(proposal.application))
    assert client.get(url).status_code == 403
    for user in (factories.MembershipFactory().user, _reviewer()):
        client.force_login(user)
        assert client.get(url).status_code == 404


# -- the decisions list -------------------------------------------------------------------------


def test_decision_maker_sees_the_proposal_with_its_facts_and_actions(
    client, decision_maker, proposal
):
    client.force_login(decision_maker)
    response = client.get(reverse("applications:decisions"))
    html = response.content.decode()
    assert response.status_code == 200
    number = proposal.application.registration_number
    assert f"Confirm the decision for {number}" in html
    assert f"Send back the proposal for {number}" in html
    assert f"Select {number} for confirmation" in html
    assert "Petra Presenter" in html
    assert "500\u00a0000\u00a0kr" in html
    assert reverse("applications:decision_proposal_preview", args=[proposal.pk]) in html


def test_the_proposer_sees_their_proposal_without_confirm_buttons(
    client, programme_manager, proposal
):
    programme_manager.groups.add(*_group(DECISION_MAKERS))  # may decide, but not this one
    client.force_login(programme_manager)
    html = client.get(reverse("applications:decisions")).content.decode()
    assert "You proposed this decision." in html
    assert "Confirm the decision for" not in html
    assert 'id="confirm-selected"' not in html


def _group(name):
    from django.contrib.auth.models import Group

    return [Group.objects.get(name=name)]


def test_the_decisions_list_is_refused_to_applicants_and_reviewers(client, proposal):
    url = reverse("applications:decisions")
    assert client.get(url)["Location"] == f"{reverse('login')}?next={url}"
    for user in (factories.applicant_for(proposal.application), _reviewer()):
        client.force_login(user)
        assert client.get(url).status_code == 403


def _proposals(count: int, manager):
    call = factories.CallFactory(budget=100_000_000)
    for application in factories.reviewed_applications(call, by=manager, count=count):
        factories.proposed_decision(application, by=manager)


def _decisions_queries(client, django_assert_num_queries, user, expected_rows):
    # session, user, the two-factor device, groups, the decisions with their applications,
    # calls, organisations and presenters, the calls' reasons for ineligibility, the committed
    # sums per call, the menu's panel-membership check
    with django_assert_num_queries(8):
        response = client.get(reverse("applications:decisions"))
    assert response.context["count"] == expected_rows


def test_decisions_list_query_count_with_three_proposals(
    client, programme_manager, decision_maker, django_assert_num_queries
):
    _proposals(3, programme_manager)
    client.force_login(decision_maker)
    _decisions_queries(client, django_assert_num_queries, decision_maker, 3)


def test_decisions_list_query_count_does_not_grow_with_twenty_proposals(
    client, programme_manager, decision_maker, django_assert_num_queries
):
    _proposals(20, programme_manager)
    client.force_login(decision_maker)
    _decisions_queries(client, django_assert_num_queries, decision_maker, 20)


# -- confirming and sending back --------------------------------------------------------------


def test_decision_maker_confirms_and_the_letter_follows(
    client, decision_maker, proposal, django_capture_on_commit_callbacks
):
    client.force_login(decision_maker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:decision_confirm", args=[proposal.pk]))
    number = proposal.application.registration_number
    assert _follow_messages(client, response) == [
        f"The decision for {number} is confirmed. Its letter is being made."
    ]
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (DecisionStatus.CONFIRMED, decision_maker)
    proposal.application.refresh_from_db()
    assert proposal.application.state == ApplicationState.APPROVED
    assert DecisionLetter.objects.filter(decision=proposal).exists()


def test_the_proposer_cannot_confirm_by_any_path(
    client, programme_manager, proposal, django_capture_on_commit_callbacks
):
    programme_manager.groups.add(*_group(DECISION_MAKERS))
    client.force_login(programme_manager)

    assert (
        client.post(reverse("applications:decision_confirm", args=[proposal.pk])).status_code == 403
    )
    back = client.post(
        reverse("applications:decision_send_back", args=[proposal.pk]),
        {f"back{proposal.pk}-comment": "Mine."},
    )
    assert back.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:decisions_confirm_selected"), {"decision": [proposal.pk]}
        )
    number = proposal.application.registration_number
    assert _job_outcomes(client, response) == {
        number: ("refused", "You may not confirm a decision you proposed.")
    }
    proposal.refresh_from_db()
    assert proposal.status == DecisionStatus.PROPOSED


def test_programme_managers_applicants_and_reviewers_cannot_confirm(client, proposal):
    url = reverse("applications:decision_confirm", args=[proposal.pk])
    assert client.post(url).status_code == 302  # to the login page
    for user, status in [
        (factories.programme_manager(), 403),
        (factories.applicant_for(proposal.application), 403),
        (factories.MembershipFactory().user, 404),
        (_reviewer(), 404),
    ]:
        client.force_login(user)
        assert client.post(url).status_code == status
    client.force_login(factories.programme_manager())
    # Only a decision maker may start a batch (issue 15): a crafted POST is refused at once.
    response = client.post(
        reverse("applications:decisions_confirm_selected"), {"decision": [proposal.pk]}
    )
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == DecisionStatus.PROPOSED


def test_confirm_is_post_only(client, decision_maker, proposal):
    client.force_login(decision_maker)
    assert client.get(reverse("applications:decision_confirm", args=[proposal.pk])).status_code == (
        405
    )


def test_confirm_selected_reports_each_decision_and_refuses_what_exceeds_the_budget(
    client, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(budget=800_000)
    first, second = factories.reviewed_applications(call, by=programme_manager, count=2)
    decisions = [factories.proposed_decision(a, by=programme_manager) for a in (first, second)]
    client.force_login(decision_maker)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:decisions_confirm_selected"),
            {"decision": [d.pk for d in decisions]},
        )

    assert _job_outcomes(client, response) == {
        first.registration_number: ("confirmed", ""),
        second.registration_number: (
            "refused",
            "Confirming this would exceed the call's budget: 300\u00a0000 kr remain of "
            "800\u00a0000 kr, and the decision grants 500\u00a0000 kr.",
        ),
    }
    statuses = list(
        Decision.objects.order_by("application__registration_number").values_list(
            "status", flat=True
        )
    )
    assert statuses == [DecisionStatus.CONFIRMED, DecisionStatus.PROPOSED]


def test_confirm_selected_without_a_selection_says_so(client, decision_maker, proposal):
    client.force_login(decision_maker)
    response = client.post(reverse("applications:decisions_confirm_selected"), {})
    assert _follow_messages(client, response) == ["Select at least one decision to confirm."]


def test_confirm_selected_is_refused_to_applicants(client, proposal):
    client.force_login(factories.applicant_for(proposal.application))
    url = reverse("applications:decisions_confirm_selected")
    assert client.post(url, {"decision": [proposal.pk]}).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == DecisionStatus.PROPOSED


def test_confirming_twice_says_it_is_not_waiting(client, decision_maker, proposal):
    client.force_login(decision_maker)
    url = reverse("applications:decision_confirm", args=[proposal.pk])
    _follow_messages(client, client.post(url))
    number = proposal.application.registration_number
    assert _follow_messages(client, client.post(url)) == [
        f"{number} was not confirmed: This decision is not waiting for confirmation."
    ]


def test_decision_maker_sends_a_proposal_back_with_a_comment(client, decision_maker, proposal):
    client.force_login(decision_maker)
    response = client.post(
        reverse("applications:decision_send_back", args=[proposal.pk]),
        {f"back{proposal.pk}-comment": "Lower the amount."},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.sent_back_comment, proposal.sent_back_by) == (
        DecisionStatus.SENT_BACK,
        "Lower the amount.",
        decision_maker,
    )


def test_sending_back_without_a_comment_shows_the_error_and_changes_nothing(
    client, decision_maker, proposal
):
    client.force_login(decision_maker)
    response = client.post(
        reverse("applications:decision_send_back", args=[proposal.pk]),
        {f"back{proposal.pk}-comment": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'id="id_back{proposal.pk}-comment_error"' in html
    proposal.refresh_from_db()
    assert proposal.status == DecisionStatus.PROPOSED


def test_send_back_is_refused_to_programme_managers_and_applicants(client, proposal):
    url = reverse("applications:decision_send_back", args=[proposal.pk])
    data = {f"back{proposal.pk}-comment": "No."}
    for user, status in [
        (factories.programme_manager(), 403),
        (factories.applicant_for(proposal.application), 403),
        (factories.MembershipFactory().user, 404),
    ]:
        client.force_login(user)
        assert client.post(url, data).status_code == status
    proposal.refresh_from_db()
    assert proposal.status == DecisionStatus.PROPOSED


def test_a_sent_back_application_can_be_proposed_again(client, programme_manager, proposal):
    from applications.services.decisions import decision_send_back

    decision_send_back(decision=proposal, by=factories.decision_maker(), comment="No.")
    client.force_login(programme_manager)
    page = client.get(reverse("applications:decision_propose", args=[proposal.application_id]))
    assert page.context["form"] is not None
    assert (
        "Sent back"
        in client.get(
            reverse("applications:manage_detail", args=[proposal.application_id])
        ).content.decode()
    )


# -- the outbox -----------------------------------------------------------------------------------


@pytest.fixture
def held(programme_manager, decision_maker, django_capture_on_commit_callbacks):
    """A confirmed decision with its letter, held for release by its call."""
    call = factories.CallFactory(hold_decisions_for_release=True)
    application = factories.reviewed_applications(call, by=programme_manager)[0]
    decision = factories.proposed_decision(application, by=programme_manager)
    from applications.services.decisions import decision_confirm

    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=decision, by=decision_maker)
    return decision


def test_release_page_shows_what_is_held_and_releases_it(
    client, programme_manager, held, django_capture_on_commit_callbacks
):
    client.force_login(programme_manager)
    page = client.get(reverse("applications:decisions_release"))
    assert [(row["held"], row["ready"], row["released"]) for row in page.context["calls"]] == [
        (1, 1, 0)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:decisions_release_call", args=[held.application.call.slug])
        )
    assert _follow_messages(client, response) == ["1 decision was released to its applicant."]
    assert DecisionRelease.objects.filter(decision=held, released_by=programme_manager).exists()
    page = client.get(reverse("applications:decisions_release"))
    assert [(row["held"], row["ready"], row["released"]) for row in page.context["calls"]] == [
        (0, 0, 1)
    ]


def test_release_is_refused_to_decision_makers_and_applicants(client, held):
    urls = [
        reverse("applications:decisions_release"),
        reverse("applications:decisions_release_call", args=[held.application.call.slug]),
    ]
    for user in (factories.decision_maker(), factories.applicant_for(held.application)):
        client.force_login(user)
        assert client.get(urls[0]).status_code == 403
        assert client.post(urls[1]).status_code == 403
    assert not DecisionRelease.objects.exists()


# -- the application pages ------------------------------------------------------------------------


def test_the_applicant_sees_the_decision_only_once_released(
    client, programme_manager, held, django_capture_on_commit_callbacks
):
    applicant = factories.applicant_for(held.application)
    applicant.language = "en"
    applicant.save()
    client.force_login(applicant)
    url = reverse("applications:detail", args=[held.application_id])
    letter_url = reverse("applications:decision_letter", args=[held.application_id, held.pk])
    before = client.get(url).content.decode()
    assert "Download the decision letter" not in before
    assert letter_url not in before

    from applications.services.decisions import decisions_release_for_call

    with django_capture_on_commit_callbacks(execute=True):
        decisions_release_for_call(call=held.application.call, by=programme_manager)
    html = client.get(url).content.decode()
    assert letter_url in html
    assert "Dag Decider" in html and "Petra Presenter" in html
    assert "500\u00a0000\u00a0kr" in html
    assert client.get(letter_url).status_code == 200


def test_the_case_page_lists_the_decisions_and_offers_a_correction(client, programme_manager, held):
    client.force_login(programme_manager)
    html = client.get(
        reverse("applications:manage_detail", args=[held.application_id])
    ).content.decode()
    assert "Not yet (held for release)." in html
    assert "Dag Decider" in html
    assert "Propose a correction" in html
    assert reverse("applications:decision_propose", args=[held.application_id]) in html


def test_a_correction_keeps_the_outcome_and_supersedes_the_decision(
    client, programme_manager, held
):
    client.force_login(programme_manager)
    url = reverse("applications:decision_propose", args=[held.application_id])
    form = client.get(url).context["form"]
    assert [value for value, _label in form.fields["outcome"].choices] == ["approved"]
    response = client.post(
        url, {"outcome": "approved", "granted_amount": "400000", "justification": "Corrected."}
    )
    assert response.status_code == 302
    correction = Decision.objects.get(status=DecisionStatus.PROPOSED)
    assert (correction.supersedes, correction.granted_amount) == (held, 400_000)


# -- proposing from the ranking -----------------------------------------------------------------


@pytest.fixture
def meeting(programme_manager):
    """Three reviewed applications ranked 1–3 (600 000, 500 000, 300 000 kr) and one in review,
    in a call with 1 000 000 kr: the first and third fit, the second does not."""
    call = factories.CallFactory(
        budget=1_000_000, max_amount=600_000, reviewers_per_application=1, min_reviews=1
    )
    criterion = factories.CriterionFactory(call=call)
    applications = [
        factories.submitted_application(
            call,
            requested_amount=amount,
            budget=[("hub", "Hub", amount)],
        )
        for amount in (600_000, 500_000, 300_000, 100_000)
    ]
    factories.start_review(applications, by=programme_manager)
    member = factories.PanelMemberFactory(call=call)
    factories.declare_none(member, applications)
    for application, score in zip(applications[:3], (7, 6, 5), strict=True):
        assignment = assignment_add(member=member, application=application, by=programme_manager)
        factories.submit_review(assignment, {criterion: score}, comment=f"Score {score}.")
    consensus_comment_save(application=applications[0], by=programme_manager, text="Consensus.")
    return call, applications


def test_decisions_are_proposed_from_the_ranking(client, programme_manager, meeting):
    call, applications = meeting
    client.force_login(programme_manager)
    response = client.post(
        reverse("reviews:ranking_propose", args=[call.slug]),
        {"approve_justification": "Above the line.", "reject_justification": "Below the line."},
    )

    numbers = [a.registration_number for a in applications]
    assert _follow_messages(client, response) == [
        "2 approvals and 1 rejections were proposed. A decision maker confirms them on the "
        "decisions page.",
        f"1 application was skipped: {numbers[3]} (review is not complete).",
    ]
    proposed = {
        d.application_id: (d.outcome, d.granted_amount, d.justification, d.feedback)
        for d in Decision.objects.all()
    }
    assert proposed == {
        applications[0].pk: ("approved", 600_000, "Above the line.", "Consensus."),
        applications[1].pk: ("rejected", 0, "Below the line.", "Score 6."),
        applications[2].pk: ("approved", 300_000, "Above the line.", "Score 5."),
    }

    again = decisions_propose_from_ranking(
        call=call, by=programme_manager, approve_justification="a", reject_justification="b"
    )
    assert again.proposed == []
    assert [(s.registration_number, s.reason) for s in again.skipped] == [
        (numbers[0], "a proposed decision is already waiting"),
        (numbers[1], "a proposed decision is already waiting"),
        (numbers[2], "a proposed decision is already waiting"),
        (numbers[3], "review is not complete"),
    ]


def test_the_ranking_shows_the_propose_form_and_each_rows_decision(
    client, programme_manager, meeting
):
    call, applications = meeting
    factories.proposed_decision(applications[0], by=programme_manager)
    client.force_login(programme_manager)
    response = client.get(reverse("reviews:ranking", args=[call.slug]))
    html = response.content.decode()
    assert "Propose decisions from the ranking" in html
    assert response.context["reviewed_count"] == 2
    assert "Proposed: <span" in html
    assert reverse("reviews:decision_propose", args=[applications[1].pk]) in html
    assert reverse("reviews:decision_propose", args=[applications[3].pk]) not in html


def test_the_ranking_offers_no_proposing_to_decision_makers(client, decision_maker, meeting):
    call, _applications = meeting
    client.force_login(decision_maker)
    html = client.get(reverse("reviews:ranking", args=[call.slug])).content.decode()
    assert "Propose decisions from the ranking" not in html
    response = client.post(
        reverse("reviews:ranking_propose", args=[call.slug]),
        {"approve_justification": "a", "reject_justification": "b"},
    )
    assert response.status_code == 403
    assert not Decision.objects.exists()


def test_proposing_from_the_ranking_is_refused_to_applicants_and_anonymous(client, meeting):
    call, applications = meeting
    url = reverse("reviews:ranking_propose", args=[call.slug])
    data = {"approve_justification": "a", "reject_justification": "b"}
    assert client.post(url, data).status_code == 302
    client.force_login(factories.applicant_for(applications[0]))
    assert client.post(url, data).status_code == 403
    assert not Decision.objects.exists()


def test_proposing_from_the_ranking_needs_both_justifications(client, programme_manager, meeting):
    call, _applications = meeting
    client.force_login(programme_manager)
    response = client.post(
        reverse("reviews:ranking_propose", args=[call.slug]),
        {"approve_justification": "Above.", "reject_justification": ""},
    )
    assert response.status_code == 400
    assert response.context["propose_form"].errors == {
        "reject_justification": ["This field is required."]
    }
    assert not Decision.objects.exists()


def test_the_ranking_service_refuses_users_who_may_not_propose(decision_maker, meeting):
    from django.core.exceptions import PermissionDenied

    call, _applications = meeting
    with pytest.raises(PermissionDenied):
        decisions_propose_from_ranking(
            call=call, by=decision_maker, approve_justification="a", reject_justification="b"
        )


def test_a_batch_of_proposals_confirmed_at_once(
    client, programme_manager, decision_maker, meeting, django_capture_on_commit_callbacks
):
    call, applications = meeting
    decisions_propose_from_ranking(
        call=call, by=programme_manager, approve_justification="a", reject_justification="b"
    )
    client.force_login(decision_maker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:decisions_confirm_selected"),
            {"decision": list(Decision.objects.values_list("pk", flat=True))},
        )
    outcomes = _job_outcomes(client, response)
    assert [outcome for outcome, _reason in outcomes.values()] == ["confirmed"] * 3
    assert DecisionLetter.objects.count() == 3
    states = {a.pk: a.state for a in type(applications[0]).objects.filter(call=call)}
    assert [states[a.pk] for a in applications] == ["approved", "rejected", "approved", "in_review"]


def test_a_large_batch_returns_with_the_letters_left_to_the_task_worker(
    client, settings, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    """Confirming many only queues their job; the job queues one letter task each; no letter is
    made in the request or in the job."""
    from django_tasks import default_task_backend

    from applications.models import BackgroundJob
    from applications.services.jobs import job_run

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    call = factories.CallFactory(budget=100_000_000)
    applications = factories.reviewed_applications(call, by=programme_manager, count=30)
    ids = [factories.proposed_decision(a, by=programme_manager).pk for a in applications]
    client.force_login(decision_maker)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:decisions_confirm_selected"), {"decision": ids}
        )

    assert response.status_code == 303
    assert [r.task.name for r in default_task_backend.results] == ["run_background_job"]
    assert Decision.objects.filter(status=DecisionStatus.CONFIRMED).count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        job = job_run(BackgroundJob.objects.get().pk)

    assert job.result["counts"] == {"confirmed": 30, "skipped": 0, "refused": 0}
    assert DecisionLetter.objects.count() == 0
    queued = [r.task.name for r in default_task_backend.results]
    assert queued.count("generate_decision_letter") == 30
