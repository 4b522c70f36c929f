"""Decisions through the services: propose, confirm, send back, the budget, release.

A programme manager proposes; a decision maker who is not the proposer confirms or sends back.
Only confirmation moves the application and makes the letter (after commit). The four-eyes
rule and the permission table are in test_decision_rules.py, immutability in
test_decision_immutability.py.
"""

import datetime as dt

import pytest
import rules
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from applications.enums import ApplicationState, DecisionOutcome, DecisionStatus
from applications.models import Application, Decision, DecisionLetter, DecisionRelease
from applications.selectors.decisions import call_committed_amount, effective_decision
from applications.services.decisions import (
    decision_confirm,
    decision_propose,
    decision_release,
    decision_send_back,
    decisions_confirm_batch,
    decisions_release_for_call,
)
from applications.services.transitions import application_complete_review
from applications.services.working_copy import application_update
from tests import factories

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def reviewed(call, programme_manager):
    """One application to ``call``, reviewed, requesting 500 000 kr."""
    (application,) = factories.reviewed_applications(call, by=programme_manager)
    return application


def _confirm(decision, by, capture):
    """Confirm and run what was queued after commit (the letter, and the release and email)."""
    with capture(execute=True):
        return decision_confirm(decision=decision, by=by)


# -- propose ---------------------------------------------------------------------------------


def test_programme_manager_proposes_an_approval_of_a_reviewed_application(
    reviewed, programme_manager
):
    decision = decision_propose(
        application=reviewed,
        by=programme_manager,
        outcome=DecisionOutcome.APPROVED,
        granted_amount=450_000,
        conditions="  Report twice.  ",
        justification="  Strong plan for the hub.  ",
        feedback="The reference group liked the evaluation plan.",
    )

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.PROPOSED
    assert decision.outcome == DecisionOutcome.APPROVED
    assert decision.granted_amount == 450_000
    assert decision.conditions == "Report twice."
    assert decision.justification == "Strong plan for the hub."
    assert decision.feedback == "The reference group liked the evaluation plan."
    assert decision.reason_code == ""
    assert decision.language == reviewed.language
    assert decision.proposed_by == programme_manager
    assert decision.decided_by is None
    assert decision.letter_data is None
    reviewed.refresh_from_db()
    assert reviewed.state == ApplicationState.REVIEWED
    assert list(reviewed.transitions.values_list("name", flat=True).order_by("pk")) == [
        "submit",
        "start_review",
        "complete_review",
    ]


def test_proposing_a_rejection_records_no_amount(reviewed, programme_manager):
    decision = decision_propose(
        application=reviewed,
        by=programme_manager,
        outcome=DecisionOutcome.REJECTED,
        granted_amount=300_000,
        justification="Weaker than the others.",
    )

    assert decision.granted_amount == 0


def test_proposing_ineligible_straight_from_submitted_records_the_reason_code(
    call, programme_manager
):
    application = factories.submitted_application(call)

    decision = decision_propose(
        application=application,
        by=programme_manager,
        outcome=DecisionOutcome.REJECTED_INELIGIBLE,
        reason_code="organisation",
        justification="A private company may not apply.",
    )

    assert decision.outcome == DecisionOutcome.REJECTED_INELIGIBLE
    assert decision.reason_code == "organisation"
    assert decision.granted_amount == 0
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


@pytest.mark.parametrize("role", ["decision_maker", "applicant", "reviewer", "superuser"])
def test_only_a_programme_manager_may_propose(role, reviewed):
    user = {
        "decision_maker": factories.decision_maker,
        "applicant": lambda: factories.applicant_for(reviewed, is_admin=True),
        "reviewer": lambda: factories.PanelMemberFactory(call=reviewed.call).user,
        "superuser": lambda: factories.UserFactory(is_superuser=True, is_staff=True),
    }[role]()

    with pytest.raises(PermissionDenied):
        factories.proposed_decision(reviewed, by=user)

    assert Decision.objects.count() == 0


@pytest.mark.parametrize("outcome", [DecisionOutcome.APPROVED, DecisionOutcome.REJECTED])
def test_approval_and_rejection_are_refused_before_review(outcome, call, programme_manager):
    application = factories.submitted_application(call)

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(application, by=programme_manager, outcome=outcome)

    assert refused.value.messages == [
        "This decision cannot be proposed while the application is “Submitted”."
    ]
    assert Decision.objects.count() == 0


def test_approval_is_refused_while_the_application_is_in_review(call, programme_manager):
    (application,) = factories.applications_in_review(call, by=programme_manager)

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(application, by=programme_manager)

    assert refused.value.messages == [
        "This decision cannot be proposed while the application is “In review”."
    ]


def test_ineligible_is_refused_after_review(reviewed, programme_manager):
    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(
            reviewed, by=programme_manager, outcome=DecisionOutcome.REJECTED_INELIGIBLE
        )

    assert refused.value.messages == [
        "This decision cannot be proposed while the application is “Reviewed”."
    ]
    assert Decision.objects.count() == 0


@pytest.mark.parametrize("reason_code", ["", "no-such-reason"])
def test_ineligible_needs_a_reason_code(reason_code, call, programme_manager):
    application = factories.submitted_application(call)

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(
            application,
            by=programme_manager,
            outcome=DecisionOutcome.REJECTED_INELIGIBLE,
            reason_code=reason_code,
        )

    assert refused.value.messages == ["Choose the reason the application is ineligible."]
    assert Decision.objects.count() == 0


@pytest.mark.parametrize("justification", ["", "   \n  "])
def test_justification_is_required(justification, reviewed, programme_manager):
    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(reviewed, by=programme_manager, justification=justification)

    assert refused.value.messages == ["Write the reasons for the decision."]
    assert Decision.objects.count() == 0


def test_an_unknown_outcome_is_refused(reviewed, programme_manager):
    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(reviewed, by=programme_manager, outcome="maybe")

    assert refused.value.messages == ["Choose an outcome."]


@pytest.mark.parametrize("amount", [0, None, -5])
def test_an_approval_grants_at_least_one_krona(amount, reviewed, programme_manager):
    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(reviewed, by=programme_manager, granted_amount=amount)

    assert refused.value.messages == ["An approval grants an amount of at least 1 kr."]
    assert Decision.objects.count() == 0


@pytest.mark.parametrize("amount", [1, 500_000])
def test_an_approval_grants_between_one_krona_and_the_requested_amount(
    amount, reviewed, programme_manager
):
    decision = factories.proposed_decision(reviewed, by=programme_manager, granted_amount=amount)

    assert decision.granted_amount == amount


def test_an_approval_above_the_requested_amount_is_refused(reviewed, programme_manager):
    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(reviewed, by=programme_manager, granted_amount=500_001)

    assert refused.value.messages == [
        f"The granted amount cannot be more than the 500{NBSP}000 kr applied for."
    ]
    assert Decision.objects.count() == 0


def test_the_limit_is_the_submitted_versions_amount_not_the_working_copys(call, programme_manager):
    """Edits after submission that were never submitted count for nothing."""
    application = factories.submitted_application(call)
    applicant = factories.applicant_for(application)
    application_update(application=application, by=applicant, data={"requested_amount": 550_000})
    factories.start_review([application], by=programme_manager)
    application_complete_review(application=application, by=programme_manager)
    application.refresh_from_db()
    assert application.requested_amount == 550_000

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(application, by=programme_manager, granted_amount=550_000)

    assert refused.value.messages == [
        f"The granted amount cannot be more than the 500{NBSP}000 kr applied for."
    ]
    decision = factories.proposed_decision(
        application, by=programme_manager, granted_amount=500_000
    )
    assert decision.granted_amount == 500_000


def test_one_open_proposal_per_application(reviewed, programme_manager):
    first = factories.proposed_decision(reviewed, by=programme_manager)

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(
            reviewed, by=factories.programme_manager(), outcome=DecisionOutcome.REJECTED
        )

    assert refused.value.messages == ["A proposed decision is already waiting for confirmation."]
    assert list(Decision.objects.all()) == [first]


def test_a_decided_application_takes_only_a_correction(
    reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    _confirm(decision, decision_maker, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(reviewed, by=programme_manager, granted_amount=400_000)

    assert refused.value.messages == [
        "This application has been decided. Propose a correction instead."
    ]
    correction = factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=400_000, supersedes=decision
    )
    assert correction.supersedes == decision
    assert correction.status == DecisionStatus.PROPOSED


def test_a_correction_keeps_the_outcome(
    reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    _confirm(decision, decision_maker, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(
            reviewed, by=programme_manager, outcome=DecisionOutcome.REJECTED, supersedes=decision
        )

    assert refused.value.messages == [
        "A correction keeps the outcome; a different outcome needs a new application."
    ]
    assert Decision.objects.count() == 1


def test_only_a_confirmed_decision_of_the_same_application_can_be_corrected(
    call, programme_manager
):
    first, second = factories.reviewed_applications(call, by=programme_manager, count=2)
    proposed = factories.proposed_decision(first, by=programme_manager)

    for application in (first, second):
        with pytest.raises(ValidationError) as refused:
            factories.proposed_decision(application, by=programme_manager, supersedes=proposed)
        assert refused.value.messages == [
            "Only a confirmed decision of this application can be corrected."
        ]
    assert list(Decision.objects.all()) == [proposed]


def test_a_corrected_decision_cannot_be_corrected_again(
    reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    _confirm(decision, decision_maker, django_capture_on_commit_callbacks)
    correction = factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=400_000, supersedes=decision
    )
    _confirm(correction, decision_maker, django_capture_on_commit_callbacks)

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(
            reviewed, by=programme_manager, granted_amount=300_000, supersedes=decision
        )

    assert refused.value.messages == ["This decision has already been corrected."]
    again = factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=300_000, supersedes=correction
    )
    assert again.supersedes == correction


def test_a_second_correction_waits_for_the_first_proposal(
    reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    _confirm(decision, decision_maker, django_capture_on_commit_callbacks)
    factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=400_000, supersedes=decision
    )

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(
            reviewed, by=programme_manager, granted_amount=300_000, supersedes=decision
        )

    assert refused.value.messages == ["A proposed decision is already waiting for confirmation."]


# -- confirm ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "transition", "state"),
    [
        (DecisionOutcome.APPROVED, "approve", ApplicationState.APPROVED),
        (DecisionOutcome.REJECTED, "reject", ApplicationState.REJECTED),
    ],
)
def test_confirming_moves_the_reviewed_application_with_one_log_row(
    outcome, transition, state, reviewed, programme_manager, decision_maker
):
    decision = factories.proposed_decision(
        reviewed, by=programme_manager, outcome=outcome, justification="The reasons."
    )

    confirmed = decision_confirm(decision=decision, by=decision_maker)

    reviewed.refresh_from_db()
    assert reviewed.state == state
    log = reviewed.transitions.filter(name=transition)
    assert [(t.source, t.target, t.actor, t.comment) for t in log] == [
        (ApplicationState.REVIEWED, state, decision_maker, "The reasons.")
    ]
    confirmed.refresh_from_db()
    assert confirmed.status == DecisionStatus.CONFIRMED
    assert confirmed.decided_by == decision_maker
    assert confirmed.proposed_by == programme_manager
    assert confirmed.confirmed_at is not None
    assert confirmed.decided_on == timezone.localdate(confirmed.confirmed_at)


def test_confirming_ineligible_rejects_the_submitted_application(
    call, programme_manager, decision_maker
):
    application = factories.submitted_application(call)
    decision = factories.proposed_decision(
        application,
        by=programme_manager,
        outcome=DecisionOutcome.REJECTED_INELIGIBLE,
        justification="Outside the aim.",
    )

    decision_confirm(decision=decision, by=decision_maker)

    application.refresh_from_db()
    assert application.state == ApplicationState.REJECTED
    log = application.transitions.filter(name="reject_ineligible")
    assert [(t.source, t.target, t.actor, t.comment) for t in log] == [
        (ApplicationState.SUBMITTED, ApplicationState.REJECTED, decision_maker, "Outside the aim.")
    ]


def test_confirming_a_correction_does_not_move_the_application(
    reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    _confirm(decision, decision_maker, django_capture_on_commit_callbacks)
    correction = factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=400_000, supersedes=decision
    )

    decision_confirm(decision=correction, by=decision_maker)

    decision.refresh_from_db()
    reviewed.refresh_from_db()
    assert reviewed.state == ApplicationState.APPROVED
    assert reviewed.transitions.filter(name="approve").count() == 1
    correction.refresh_from_db()
    assert correction.status == DecisionStatus.CONFIRMED
    assert correction.letter_data["granted_amount"] == 400_000
    assert correction.letter_data["corrects"] == {
        "decided_on": decision.decided_on.isoformat(),
        "granted_amount": 500_000,
    }


@pytest.mark.parametrize("appealable", [True, False])
def test_letter_data_freezes_what_the_letter_shows(appealable, programme_manager):
    call = factories.CallFactory(decision_appealable=appealable, final_report_days=60)
    (application,) = factories.reviewed_applications(
        call,
        by=programme_manager,
        organisation=factories.OrganisationFactory(
            name="Östersunds kommun", address="Rådhusgatan 44, 831 82 Östersund"
        ),
    )
    programme_manager.full_name = "Petra Presenter"
    programme_manager.save()
    decider = factories.decision_maker(full_name="Dag Decider")
    decision = factories.proposed_decision(
        application,
        by=programme_manager,
        granted_amount=450_000,
        conditions="Report twice.",
        justification="Strong plan.",
        feedback="Clear budget.",
    )

    decision_confirm(decision=decision, by=decider)

    decision.refresh_from_db()
    version = application.versions.get()
    assert decision.letter_data == {
        "agency": "Innovationsmyndigheten (demo)",
        "agency_address": "Box 100, 101 23 Stockholm (demo)",
        "terms_url": "https://bidrag.example.se/allmanna-villkor",
        "registration_number": application.registration_number,
        "decided_on": timezone.localdate().isoformat(),
        "language": application.language,
        "outcome": "approved",
        "granted_amount": 450_000,
        "requested_amount": 500_000,
        "reason_code": "",
        "organisation": {
            "name": "Östersunds kommun",
            "orgnr": application.organisation.orgnr,
            "address": "Rådhusgatan 44, 831 82 Östersund",
        },
        "title": application.title,
        "period": {"start": "2027-02-01", "end": "2027-12-31"},
        "call": {"slug": call.slug, "title_sv": call.title_sv, "title_en": call.title_en},
        "version": {"number": 1, "sha256": version.sha256},
        "conditions": "Report twice.",
        "justification": "Strong plan.",
        "feedback": "Clear budget.",
        "appealable": appealable,
        "appeal_text": "",
        "legal_basis": "",
        "letter_wording": call.letter_wording_sv,
        "reporting": {
            "final_report_due": "2028-02-29",
            "reports": [{"kind": "final", "number": 1, "due_on": "2028-02-29"}],
        },
        "acceptance": {
            "accepted": False,
            "accept_by": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "days": 30,
            "url": f"http://testserver/applications/{application.pk}/grant/accept/",
        },
        "payment_plan": [
            {
                "position": 1,
                "share": 80,
                "trigger": "acceptance",
                "report_number": None,
                "amount": 360_000,
            },
            {
                "position": 2,
                "share": 20,
                "trigger": "final_report",
                "report_number": None,
                "amount": 90_000,
            },
        ],
        "decided_by": "Dag Decider",
        "presented_by": "Petra Presenter",
        "case_officer": {
            "name": "Petra Presenter",
            "email": programme_manager.email,
            "phone": programme_manager.phone,
        },
        "corrects": None,
    }


def test_letter_data_is_made_from_the_submitted_version_and_stays_unchanged(
    call, programme_manager, decision_maker
):
    application = factories.submitted_application(call, title="The submitted title")
    application_update(
        application=application,
        by=factories.applicant_for(application),
        data={"title": "An edit never submitted", "period_end": dt.date(2027, 6, 30)},
    )
    factories.start_review([application], by=programme_manager)
    application_complete_review(application=application, by=programme_manager)
    decision = factories.proposed_decision(application, by=programme_manager)
    decision_confirm(decision=decision, by=decision_maker)
    decision.refresh_from_db()
    frozen = decision.letter_data
    assert frozen["title"] == "The submitted title"
    assert frozen["period"] == {"start": "2027-02-01", "end": "2027-12-31"}

    Application.objects.filter(pk=application.pk).update(
        title="Changed later", requested_amount=1, period_end=dt.date(2027, 3, 1)
    )
    application.organisation.name = "Renamed kommun"
    application.organisation.save()

    decision.refresh_from_db()
    assert decision.letter_data == frozen
    assert decision.letter_data["organisation"]["name"] != "Renamed kommun"


def test_the_letter_is_made_only_after_the_confirmation_commits(
    reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)

    with django_capture_on_commit_callbacks() as queued:
        decision_confirm(decision=decision, by=decision_maker)
    assert len(queued) == 1
    assert DecisionLetter.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        queued[0]()

    letter = DecisionLetter.objects.get()
    assert letter.decision == decision
    with letter.file.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"


def test_a_sent_back_or_confirmed_decision_cannot_be_confirmed(
    reviewed, programme_manager, decision_maker
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    decision_send_back(decision=decision, by=decision_maker, comment="Lower amount.")

    with pytest.raises(ValidationError) as refused:
        decision_confirm(decision=decision, by=decision_maker)
    assert refused.value.messages == ["This decision is not waiting for confirmation."]

    second = factories.proposed_decision(reviewed, by=programme_manager, granted_amount=400_000)
    decision_confirm(decision=second, by=decision_maker)
    for service in (decision_confirm, decision_send_back):
        kwargs = {"comment": "Again."} if service is decision_send_back else {}
        with pytest.raises(ValidationError) as refused:
            service(decision=second, by=factories.decision_maker(), **kwargs)
        assert refused.value.messages == ["This decision is not waiting for confirmation."]
    reviewed.refresh_from_db()
    assert reviewed.transitions.filter(name="approve").count() == 1


# -- send back -------------------------------------------------------------------------------


def test_sending_back_records_who_when_and_why_and_leaves_the_application(
    reviewed, programme_manager, decision_maker
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)

    decision_send_back(decision=decision, by=decision_maker, comment="  Lower it.  ")

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.SENT_BACK
    assert decision.sent_back_by == decision_maker
    assert decision.sent_back_at is not None
    assert decision.sent_back_comment == "Lower it."
    assert decision.decided_by is None
    reviewed.refresh_from_db()
    assert reviewed.state == ApplicationState.REVIEWED


@pytest.mark.parametrize("comment", ["", "  "])
def test_sending_back_needs_a_comment(comment, reviewed, programme_manager, decision_maker):
    decision = factories.proposed_decision(reviewed, by=programme_manager)

    with pytest.raises(ValidationError) as refused:
        decision_send_back(decision=decision, by=decision_maker, comment=comment)

    assert refused.value.messages == ["Say why the proposal is sent back."]
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.PROPOSED
    assert decision.sent_back_by is None


def test_after_sending_back_a_new_proposal_can_be_made_and_confirmed(
    reviewed, programme_manager, decision_maker
):
    first = factories.proposed_decision(reviewed, by=programme_manager)
    decision_send_back(decision=first, by=decision_maker, comment="Lower it.")

    second = factories.proposed_decision(reviewed, by=programme_manager, granted_amount=400_000)
    decision_confirm(decision=second, by=decision_maker)

    assert effective_decision(reviewed) == second
    first.refresh_from_db()
    assert first.status == DecisionStatus.SENT_BACK


# -- budget ----------------------------------------------------------------------------------


@pytest.fixture
def small_call():
    """A call with 900 000 kr to give, 500 000 kr at most per application."""
    return factories.CallFactory(budget=900_000, max_amount=500_000)


def test_confirmations_up_to_exactly_the_budget_pass(small_call, programme_manager, decision_maker):
    first, second = factories.reviewed_applications(small_call, by=programme_manager, count=2)
    decision_confirm(
        decision=factories.proposed_decision(first, by=programme_manager, granted_amount=500_000),
        by=decision_maker,
    )

    decision_confirm(
        decision=factories.proposed_decision(second, by=programme_manager, granted_amount=400_000),
        by=decision_maker,
    )

    assert call_committed_amount(small_call) == 900_000


def test_one_krona_over_the_budget_is_refused_showing_what_remains(
    small_call, programme_manager, decision_maker
):
    first, second = factories.reviewed_applications(small_call, by=programme_manager, count=2)
    decision_confirm(
        decision=factories.proposed_decision(first, by=programme_manager, granted_amount=500_000),
        by=decision_maker,
    )
    over = factories.proposed_decision(second, by=programme_manager, granted_amount=400_001)

    with pytest.raises(ValidationError) as refused:
        decision_confirm(decision=over, by=decision_maker)

    assert refused.value.messages == [
        f"Confirming this would exceed the call's budget: 400{NBSP}000 kr remain of "
        f"900{NBSP}000 kr, and the decision grants 400{NBSP}001 kr."
    ]
    over.refresh_from_db()
    assert over.status == DecisionStatus.PROPOSED
    assert over.decided_by is None
    second.refresh_from_db()
    assert second.state == ApplicationState.REVIEWED
    assert not second.transitions.filter(name="approve").exists()
    assert call_committed_amount(small_call) == 500_000


def test_rejections_do_not_count_against_the_budget(small_call, programme_manager, decision_maker):
    first, second, third = factories.reviewed_applications(
        small_call, by=programme_manager, count=3
    )
    decision_confirm(
        decision=factories.proposed_decision(first, by=programme_manager, granted_amount=500_000),
        by=decision_maker,
    )
    decision_confirm(
        decision=factories.proposed_decision(second, by=programme_manager, granted_amount=400_000),
        by=decision_maker,
    )

    decision_confirm(
        decision=factories.proposed_decision(
            third, by=programme_manager, outcome=DecisionOutcome.REJECTED
        ),
        by=decision_maker,
    )

    third.refresh_from_db()
    assert third.state == ApplicationState.REJECTED
    assert call_committed_amount(small_call) == 900_000


def test_other_calls_do_not_count_against_the_budget(small_call, programme_manager, decision_maker):
    (elsewhere,) = factories.reviewed_applications(factories.CallFactory(), by=programme_manager)
    decision_confirm(
        decision=factories.proposed_decision(elsewhere, by=programme_manager),
        by=decision_maker,
    )
    first, second = factories.reviewed_applications(small_call, by=programme_manager, count=2)

    for application, amount in ((first, 500_000), (second, 400_000)):
        decision_confirm(
            decision=factories.proposed_decision(
                application, by=programme_manager, granted_amount=amount
            ),
            by=decision_maker,
        )

    assert call_committed_amount(small_call) == 900_000


def test_a_correction_counts_only_the_difference(small_call, programme_manager, decision_maker):
    first, second = factories.reviewed_applications(small_call, by=programme_manager, count=2)
    one = factories.proposed_decision(first, by=programme_manager, granted_amount=500_000)
    two = factories.proposed_decision(second, by=programme_manager, granted_amount=400_000)
    for decision in (one, two):
        decision_confirm(decision=decision, by=decision_maker)

    # The budget is used up, yet a correction may move within what its decision had.
    down = factories.proposed_decision(
        first, by=programme_manager, granted_amount=450_000, supersedes=one
    )
    decision_confirm(decision=down, by=decision_maker)
    assert call_committed_amount(small_call) == 850_000

    over = factories.proposed_decision(
        second, by=programme_manager, granted_amount=450_001, supersedes=two
    )
    with pytest.raises(ValidationError) as refused:
        decision_confirm(decision=over, by=decision_maker)
    assert refused.value.messages == [
        f"Confirming this would exceed the call's budget: 450{NBSP}000 kr remain of "
        f"900{NBSP}000 kr, and the decision grants 450{NBSP}001 kr."
    ]
    decision_send_back(decision=over, by=decision_maker, comment="Too much.")

    up = factories.proposed_decision(
        second, by=programme_manager, granted_amount=450_000, supersedes=two
    )
    decision_confirm(decision=up, by=decision_maker)
    assert call_committed_amount(small_call) == 900_000


def test_after_the_budget_is_lowered_below_what_is_granted_only_a_lower_correction_passes(
    small_call, programme_manager, decision_maker
):
    first, second, third = factories.reviewed_applications(
        small_call, by=programme_manager, count=3
    )
    one = factories.proposed_decision(first, by=programme_manager, granted_amount=400_000)
    two = factories.proposed_decision(second, by=programme_manager, granted_amount=400_000)
    for decision in (one, two):
        decision_confirm(decision=decision, by=decision_maker)
    small_call.budget = 700_000
    small_call.save()

    new = factories.proposed_decision(third, by=programme_manager, granted_amount=1)
    with pytest.raises(ValidationError) as refused:
        decision_confirm(decision=new, by=decision_maker)
    assert refused.value.messages == [
        f"Confirming this would exceed the call's budget: 0 kr remain of "
        f"700{NBSP}000 kr, and the decision grants 1 kr."
    ]

    up = factories.proposed_decision(
        first, by=programme_manager, granted_amount=400_001, supersedes=one
    )
    with pytest.raises(ValidationError) as refused:
        decision_confirm(decision=up, by=decision_maker)
    assert refused.value.messages == [
        f"Confirming this would exceed the call's budget: 400{NBSP}000 kr remain of "
        f"700{NBSP}000 kr, and the decision grants 400{NBSP}001 kr."
    ]
    decision_send_back(decision=up, by=decision_maker, comment="Lower it.")

    down = factories.proposed_decision(
        first, by=programme_manager, granted_amount=350_000, supersedes=one
    )
    decision_confirm(decision=down, by=decision_maker)
    assert call_committed_amount(small_call) == 750_000


def test_batch_confirm_confirms_those_that_fit_and_reports_the_rest(
    small_call, programme_manager, decision_maker
):
    applications = factories.reviewed_applications(small_call, by=programme_manager, count=4)
    proposals = [
        factories.proposed_decision(a, by=programme_manager, granted_amount=amount)
        for a, amount in zip(applications, [400_000, 400_000, 200_000, 100_000], strict=True)
    ]

    results = decisions_confirm_batch(decisions=proposals, by=decision_maker)

    assert [(d.pk, message) for d, message in results] == [
        (proposals[0].pk, ""),
        (proposals[1].pk, ""),
        (
            proposals[2].pk,
            f"Confirming this would exceed the call's budget: 100{NBSP}000 kr remain of "
            f"900{NBSP}000 kr, and the decision grants 200{NBSP}000 kr.",
        ),
        (proposals[3].pk, ""),
    ]
    statuses = dict(Decision.objects.values_list("pk", "status"))
    assert [statuses[d.pk] for d in proposals] == [
        DecisionStatus.CONFIRMED,
        DecisionStatus.CONFIRMED,
        DecisionStatus.PROPOSED,
        DecisionStatus.CONFIRMED,
    ]
    assert call_committed_amount(small_call) == 900_000


def test_batch_confirm_queues_the_letters_and_returns(
    small_call, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    applications = factories.reviewed_applications(small_call, by=programme_manager, count=3)
    proposals = [
        factories.proposed_decision(a, by=programme_manager, outcome=DecisionOutcome.REJECTED)
        for a in applications
    ]

    with django_capture_on_commit_callbacks() as queued:
        results = decisions_confirm_batch(decisions=proposals, by=decision_maker)

    assert [message for _, message in results] == ["", "", ""]
    assert len(queued) == 3
    assert DecisionLetter.objects.count() == 0


# -- release and the outbox ------------------------------------------------------------------


def _decided(call, *, pm, dm, capture, count=1):
    applications = factories.reviewed_applications(call, by=pm, count=count)
    decisions = []
    for application in applications:
        decision = factories.proposed_decision(application, by=pm, granted_amount=100_000)
        _confirm(decision, dm, capture)
        decision.refresh_from_db()
        decisions.append(decision)
    return decisions


def _applicant_sees(decision) -> bool:
    member = decision.application.organisation.memberships.first().user
    fresh = Decision.objects.select_related("application").get(pk=decision.pk)
    return rules.has_perm("applications.view_decision", member, fresh)


def test_without_holding_the_letter_task_releases_and_emails_at_once(
    programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(hold_decisions_for_release=False)

    (decision,) = _decided(
        call, pm=programme_manager, dm=decision_maker, capture=django_capture_on_commit_callbacks
    )

    release = DecisionRelease.objects.get()
    assert release.decision == decision
    assert release.released_by is None
    assert DecisionLetter.objects.filter(decision=decision).count() == 1
    assert len(mail.outbox) == 1
    member = decision.application.organisation.memberships.get().user
    assert set(mail.outbox[0].to) == {decision.application.contact_email, member.email}
    assert _applicant_sees(decision)


def test_held_decisions_wait_in_the_outbox_until_the_programme_manager_releases_them(
    programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(hold_decisions_for_release=True)
    decisions = _decided(
        call,
        pm=programme_manager,
        dm=decision_maker,
        capture=django_capture_on_commit_callbacks,
        count=2,
    )

    assert DecisionLetter.objects.count() == 2
    assert DecisionRelease.objects.count() == 0
    assert mail.outbox == []
    assert [_applicant_sees(d) for d in decisions] == [False, False]

    with pytest.raises(PermissionDenied):
        decisions_release_for_call(call=call, by=decision_maker)
    assert DecisionRelease.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        counts = decisions_release_for_call(call=call, by=programme_manager)

    assert counts == (2, 0)
    assert len(mail.outbox) == 2
    assert [_applicant_sees(d) for d in decisions] == [True, True]
    assert set(DecisionRelease.objects.values_list("released_by", flat=True)) == {
        programme_manager.pk
    }


def test_releasing_twice_emails_once(
    programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(hold_decisions_for_release=True)
    (decision,) = _decided(
        call, pm=programme_manager, dm=decision_maker, capture=django_capture_on_commit_callbacks
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = decisions_release_for_call(call=call, by=programme_manager)
    with django_capture_on_commit_callbacks(execute=True):
        second = decisions_release_for_call(call=call, by=programme_manager)
        again = decision_release(decision=decision, by=programme_manager)

    assert first == (1, 0)
    assert second == (0, 0)
    assert again is None
    assert DecisionRelease.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_held_decision_without_its_letter_yet_is_counted_as_waiting(
    programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(hold_decisions_for_release=True)
    ready_application, pending_application = factories.reviewed_applications(
        call, by=programme_manager, count=2
    )
    ready = factories.proposed_decision(ready_application, by=programme_manager)
    _confirm(ready, decision_maker, django_capture_on_commit_callbacks)
    pending = factories.proposed_decision(pending_application, by=programme_manager)
    with django_capture_on_commit_callbacks():  # the letter task is queued, never run
        decision_confirm(decision=pending, by=decision_maker)

    with django_capture_on_commit_callbacks(execute=True):
        counts = decisions_release_for_call(call=call, by=programme_manager)

    assert counts == (1, 1)
    assert list(DecisionRelease.objects.values_list("decision", flat=True)) == [ready.pk]
    assert len(mail.outbox) == 1


def test_releasing_needs_the_programme_manager_right(
    programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(hold_decisions_for_release=True)
    (decision,) = _decided(
        call, pm=programme_manager, dm=decision_maker, capture=django_capture_on_commit_callbacks
    )
    applicant = decision.application.organisation.memberships.get().user
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)

    for user in (decision_maker, applicant, superuser):
        with pytest.raises(PermissionDenied):
            decision_release(decision=decision, by=user)
        with pytest.raises(PermissionDenied):
            decisions_release_for_call(call=call, by=user)

    assert DecisionRelease.objects.count() == 0
    assert mail.outbox == []
