"""Two rules of deciding: an approval below a threshold needs a reason on record, and a returned
application whose completion deadline passed can be rejected as ineligible."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from applications.enums import ApplicationState, DecisionOutcome
from applications.models import AuditEntry, Decision
from applications.services.decisions import decision_confirm
from applications.services.transitions import (
    application_complete_review,
    application_return_for_completion,
)
from reviews.models import Assignment
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def pm():
    return factories.programme_manager()


@pytest.fixture
def dm():
    return factories.decision_maker()


def _reviewed_with_score(pm, score: int, *, threshold=3):
    """An application reviewed once, scoring ``score`` on a criterion whose threshold is 3."""
    call = factories.CallFactory(reviewers_per_application=1, min_reviews=1)
    criterion = factories.CriterionFactory(call=call, name_en="Relevance", threshold=threshold)
    (application,) = factories.applications_in_review(call, by=pm)
    member = factories.PanelMemberFactory(call=call)
    factories.declare_none(member, [application])
    assignment = Assignment.objects.create(member=member, application=application)
    factories.submit_review(assignment, {criterion: score})
    application.refresh_from_db()
    if application.state == S.IN_REVIEW:  # the minimum of reviews may complete it by itself
        application_complete_review(application=application, by=pm)
        application.refresh_from_db()
    assert application.state == S.REVIEWED
    return application, criterion


def test_an_approval_below_a_threshold_is_refused_without_a_reason(pm):
    application, _criterion = _reviewed_with_score(pm, 2)

    with pytest.raises(ValidationError) as refused:
        factories.proposed_decision(application, by=pm)

    assert "below the threshold for Relevance" in refused.value.messages[0]
    assert "give the reason for overriding the threshold" in refused.value.messages[0]
    assert not Decision.objects.filter(application=application).exists()


def test_with_a_reason_it_is_proposed_confirmed_and_on_record(pm, dm):
    application, _criterion = _reviewed_with_score(pm, 2)

    decision = factories.proposed_decision(
        application, by=pm, threshold_override="Unikt pilotprojekt i glesbygd."
    )
    decision_confirm(decision=decision, by=dm)

    decision.refresh_from_db()
    assert decision.threshold_override == "Unikt pilotprojekt i glesbygd."
    application.refresh_from_db()
    assert application.state == S.APPROVED
    propose = AuditEntry.objects.get(action="decision.propose", object_id=decision.pk)
    assert propose.data["below_threshold"] is True


def test_a_rejection_below_the_threshold_needs_no_reason(pm):
    application, _criterion = _reviewed_with_score(pm, 2)

    decision = factories.proposed_decision(application, by=pm, outcome="rejected")

    assert decision.threshold_override == ""


def test_an_approval_above_the_thresholds_needs_no_reason(pm):
    application, _criterion = _reviewed_with_score(pm, 4)

    decision = factories.proposed_decision(application, by=pm)

    assert decision.threshold_override == ""
    assert AuditEntry.objects.get(action="decision.propose").data["below_threshold"] is False


def test_confirming_refuses_an_approval_that_fell_below_a_threshold_after_it_was_proposed(pm, dm):
    application, criterion = _reviewed_with_score(pm, 3)
    decision = factories.proposed_decision(application, by=pm)
    criterion.threshold = 4  # the call's threshold raised after the proposal
    criterion.save(update_fields=["threshold"])

    with pytest.raises(ValidationError, match="gives no reason for approving it all the same"):
        decision_confirm(decision=decision, by=dm)

    application.refresh_from_db()
    assert application.state == S.REVIEWED
    assert Decision.objects.get(pk=decision.pk).status == "proposed"


# -- a returned application left uncompleted -----------------------------------------------------


def _returned(pm, *, days: int):
    application = factories.submitted_application()
    deadline = timezone.now() + dt.timedelta(days=days)
    application_return_for_completion(
        application=application, by=pm, message="Bifoga budgeten.", deadline=deadline
    )
    application.refresh_from_db()
    return application, deadline


def test_a_returned_application_cannot_be_rejected_before_its_completion_deadline(pm):
    application, _deadline = _returned(pm, days=7)

    with pytest.raises(ValidationError, match="has until"):
        factories.proposed_decision(application, by=pm, outcome="rejected_ineligible")

    assert not Decision.objects.filter(application=application).exists()


def test_after_the_completion_deadline_it_is_rejected_as_ineligible(pm, dm):
    application, deadline = _returned(pm, days=7)

    with time_machine.travel(deadline + dt.timedelta(minutes=1)):
        decision = factories.proposed_decision(application, by=pm, outcome="rejected_ineligible")
        decision_confirm(decision=decision, by=dm)

    application.refresh_from_db()
    assert application.state == S.REJECTED
    assert decision.outcome == DecisionOutcome.REJECTED_INELIGIBLE
