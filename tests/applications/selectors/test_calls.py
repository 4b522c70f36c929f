"""Reads of the call editor: a call's history in sentences, and its budget facts."""

import pytest
from django.utils import translation

from applications.selectors.audit import audit_log_rows
from applications.selectors.calls import call_budget_facts, call_history
from applications.services.calls import call_update
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_calls_history_reads_as_labels_and_values():
    call = factories.CallFactory(is_published=False, budget=6_000_000, max_amount=600_000)
    manager = factories.programme_manager()
    call_update(
        call=call,
        by=manager,
        values={"budget": 5_000_000, "hold_decisions_for_release": True, "title_sv": "Ny"},
    )
    with translation.override("en"):
        [row] = audit_log_rows(call_history(call))
        details = {detail.label: detail.value for detail in row.details}
    assert row.action == "Call changed"
    assert row.subject == f"Call: {call.title_en}"
    assert details["Changed"] == (
        "Budget (kr): 6\u00a0000\u00a0000\u00a0kr → 5\u00a0000\u00a0000\u00a0kr; "
        "Hold decisions until released: No → Yes"
    )
    assert details["Texts changed"] == "Title (Swedish)"
    assert details["Reason given"] == "No"


def test_the_budget_facts_follow_the_budget_rule():
    application = factories.approved_grant()
    facts = call_budget_facts(application.call)
    assert facts == {
        "committed": application.requested_amount,
        "remaining": application.call.budget - application.requested_amount,
    }
