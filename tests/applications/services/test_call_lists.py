"""A call's own eligibility checklist and reasons for ineligibility: today's lists as the
default, changed through ``call_lists_update`` (audited), an entry in use only taken off the
list, and the checks, decisions and letters reading the call's lists."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from applications.enums import ApplicationState, DecisionOutcome
from applications.letters.render import letter_context
from applications.models import AuditEntry, EligibilityCheck
from applications.selectors.audit import audit_log_rows
from applications.services.calls import call_copy, call_create, call_lists_update
from applications.services.decisions import decision_confirm, decision_propose
from applications.services.transitions import (
    application_check_eligibility,
    application_start_review,
)
from grants.models import Call, EligibilityCheckItem, IneligibilityReasonItem
from tests.factories import (
    CallFactory,
    decision_maker,
    programme_manager,
    submitted_application,
)

pytestmark = pytest.mark.django_db

TODAYS_CHECKLIST = ["organisation", "amount", "budget", "period", "content"]
TODAYS_REASONS = ["organisation", "amount", "period", "aim", "incomplete"]


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in their English form (the Swedish is the catalogue's)."""
    with translation.override("en"):
        yield


@pytest.fixture
def manager():
    return programme_manager()


def entry(key, sv, en=""):
    return {"key": key, "label_sv": sv, "label_en": en}


def listed(call):
    """The call's checklist and reasons as ``(key, label_sv, active)``, as stored."""
    return (
        [
            (row.key, row.label_sv, row.is_active)
            for row in EligibilityCheckItem.objects.filter(call=call)
        ],
        [
            (row.key, row.label_sv, row.is_active)
            for row in IneligibilityReasonItem.objects.filter(call=call)
        ],
    )


def todays(call):
    """The call's lists as the editor shows them, as entries to send back."""
    return {
        "checklist": [entry(i.key, i.label_sv, i.label_en) for i in call.checklist()],
        "reasons": [entry(r.key, r.label_sv, r.label_en) for r in call.reasons_for_ineligibility()],
    }


def test_a_call_without_lists_of_its_own_reads_todays_in_both_languages():
    call = CallFactory()
    assert [item.key for item in call.checklist()] == TODAYS_CHECKLIST
    assert [reason.key for reason in call.reasons_for_ineligibility()] == TODAYS_REASONS
    first = call.checklist()[0]
    assert (first.label_sv, first.label_en) == (
        "Organisationen är av ett slag som får söka",
        "The organisation is of a kind that may apply",
    )
    assert call.reason_label("aim", "sv") == "Projektet ligger utanför utlysningens syfte"
    assert call.reason_label("aim") == "The project is outside the call's aim"
    assert call.reason_label("no-such") == "no-such"


def test_a_new_call_gets_todays_lists_as_its_own_rows(manager):
    now = timezone.now()
    call = call_create(
        by=manager,
        values={
            "slug": "rum-2027",
            "title_sv": "Rum",
            "summary_sv": "Kort.",
            "description_sv": "Text.",
            "opens_at": now,
            "closes_at": now + timezone.timedelta(days=30),
            "budget": 1_000_000,
            "max_amount": 100_000,
        },
    )
    items, reasons = listed(call)
    assert [key for key, _sv, _active in items] == TODAYS_CHECKLIST
    assert [key for key, _sv, _active in reasons] == TODAYS_REASONS
    assert items[2] == ("budget", "Budgeten är rimlig och går ihop", True)


def test_a_copy_takes_the_lists_on_the_source_and_not_those_taken_off(manager):
    source = CallFactory()
    lists = todays(source)
    lists["checklist"] = [entry("kind", "Rätt slags organisation"), entry("rooms", "Rummen finns")]
    call_lists_update(call=source, by=manager, **lists)
    copy = call_copy(
        source=source,
        by=manager,
        slug="kopia",
        title_sv="Kopia",
        opens_at=source.opens_at,
        closes_at=source.closes_at,
    )
    assert listed(copy)[0] == [
        ("kind", "Rätt slags organisation", True),
        ("rooms", "Rummen finns", True),
    ]
    assert [key for key, _sv, _active in listed(copy)[1]] == TODAYS_REASONS


def test_labels_order_and_new_entries_are_saved_and_audited_before_and_after(manager):
    call = CallFactory()
    lists = todays(call)
    lists["checklist"] = [
        entry("content", "Ansökan är komplett", "The application is complete"),
        *lists["checklist"][:4],
        entry("rooms", "Det finns mötesrum", "There are meeting rooms"),
    ]
    call_lists_update(call=call, by=manager, **lists)
    items, reasons = listed(call)
    assert [key for key, _sv, _active in items] == [
        "content",
        "organisation",
        "amount",
        "budget",
        "period",
        "rooms",
    ]
    assert items[0] == ("content", "Ansökan är komplett", True)
    assert [key for key, _sv, _active in reasons] == TODAYS_REASONS
    assert Call.objects.get(pk=call.pk).changed_by == manager
    (audit,) = AuditEntry.objects.filter(action="call.change", object_id=call.pk)
    assert set(audit.data) == {"checklist"}  # the reasons did not change
    assert audit.data["checklist"]["before"][4] == {
        "key": "content",
        "label_sv": "Ansökan är komplett och ligger inom utlysningens syfte",
        "label_en": "The application is complete and within the call's aim",
        "active": True,
    }
    assert audit.data["checklist"]["after"][5] == {
        "key": "rooms",
        "label_sv": "Det finns mötesrum",
        "label_en": "There are meeting rooms",
        "active": True,
    }
    (row,) = audit_log_rows([audit])
    (detail,) = row.details
    assert detail.label == "Eligibility checklist"
    assert detail.value.endswith("; rooms (Det finns mötesrum)")


def test_saving_the_lists_unchanged_records_nothing(manager):
    call = CallFactory()
    call_lists_update(call=call, by=manager, **todays(call))
    assert not AuditEntry.objects.filter(action="call.change").exists()
    assert Call.objects.get(pk=call.pk).changed_by is None


def test_an_unused_entry_left_out_is_deleted(manager):
    call = CallFactory()
    lists = todays(call)
    lists["reasons"] = [r for r in lists["reasons"] if r["key"] != "incomplete"]
    call_lists_update(call=call, by=manager, **lists)
    assert [key for key, _sv, _active in listed(call)[1]] == TODAYS_REASONS[:4]


def test_an_item_a_check_used_is_only_taken_off_and_still_shows_and_comes_back(manager):
    call = CallFactory()
    application = submitted_application(call)
    application_check_eligibility(
        application=application, by=manager, items=dict.fromkeys(TODAYS_CHECKLIST, True)
    )
    lists = todays(call)
    lists["checklist"] = [i for i in lists["checklist"] if i["key"] != "budget"]
    call_lists_update(call=call, by=manager, **lists)
    items = listed(call)[0]
    assert ("budget", "Budgeten är rimlig och går ihop", False) in items
    assert [item.key for item in Call.objects.get(pk=call.pk).checklist()] == [
        "organisation",
        "amount",
        "period",
        "content",
    ]
    check = EligibilityCheck.objects.get(application=application)
    assert check.items["budget"] is True  # what was recorded stays
    assert check.passed is True

    lists["checklist"].append(entry("budget", "Budgeten går ihop"))
    call_lists_update(call=call, by=manager, **lists)
    assert listed(call)[0][-1] == ("budget", "Budgeten går ihop", True)


def test_a_reason_a_decision_used_is_only_taken_off_and_its_decision_and_letter_still_read_it(
    manager,
):
    call = CallFactory()
    application = submitted_application(call)
    decision = decision_propose(
        application=application,
        by=manager,
        outcome=DecisionOutcome.REJECTED_INELIGIBLE,
        justification="Fel slags organisation.",
        reason_code="organisation",
    )
    lists = todays(call)
    lists["reasons"] = [r for r in lists["reasons"] if r["key"] != "organisation"]
    call_lists_update(call=call, by=manager, **lists)
    assert ("organisation", "Organisationen får inte söka i utlysningen", False) in listed(call)[1]
    assert "organisation" not in [r.key for r in call.reasons_for_ineligibility()]
    decision.refresh_from_db()
    assert decision.reason_label == "The organisation may not apply to this call"
    confirmed = decision_confirm(decision=decision, by=decision_maker())
    assert confirmed.letter_data["reason_label"] == "Organisationen får inte söka i utlysningen"
    assert letter_context(confirmed.letter_data)["reason_label"] == (
        "Organisationen får inte söka i utlysningen"
    )


def test_a_decision_takes_only_a_reason_the_call_offers_now_with_its_label_in_the_letter(
    manager,
):
    call = CallFactory()
    lists = todays(call)
    lists["reasons"] = [entry("no-rooms", "Det saknas mötesrum", "There are no meeting rooms")]
    call_lists_update(call=call, by=manager, **lists)
    application = submitted_application(call)
    with pytest.raises(ValidationError) as refused:
        decision_propose(
            application=application,
            by=manager,
            outcome=DecisionOutcome.REJECTED_INELIGIBLE,
            justification="Utanför syftet.",
            reason_code="aim",  # one of today's defaults, not this call's
        )
    assert refused.value.messages == ["Choose the reason the application is ineligible."]
    assert not application.decisions.exists()
    decision = decision_propose(
        application=application,
        by=manager,
        outcome=DecisionOutcome.REJECTED_INELIGIBLE,
        justification="Inga rum.",
        reason_code="no-rooms",
    )
    assert decision.reason_label == "There are no meeting rooms"
    confirmed = decision_confirm(decision=decision, by=decision_maker())
    assert confirmed.letter_data["reason_code"] == "no-rooms"
    assert confirmed.letter_data["reason_label"] == "Det saknas mötesrum"  # the letter is Swedish


def test_a_letter_frozen_before_calls_had_their_own_reasons_reads_as_before():
    data = {
        "reason_code": "aim",
        "decided_on": "2026-05-01",
        "period": {"start": None, "end": None},
        "reporting": {"final_report_due": None},
    }
    with translation.override("sv"):
        assert letter_context(data)["reason_label"] == "Projektet ligger utanför utlysningens syfte"


def test_the_check_records_the_calls_items_and_review_waits_for_an_item_added_since(manager):
    call = CallFactory()
    lists = todays(call)
    lists["checklist"] = [entry("kind", "Rätt slags organisation")]
    call_lists_update(call=call, by=manager, **lists)
    application = submitted_application(call)
    check = application_check_eligibility(
        application=application,
        by=manager,
        items={"kind": True, "budget": True},  # budget is not on this call's checklist
    )
    assert check.items == {"kind": True}
    assert check.passed is True

    lists["checklist"].append(entry("rooms", "Rummen finns"))
    call_lists_update(call=call, by=manager, **lists)
    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timezone.timedelta(minutes=1))
    application.refresh_from_db()
    assert EligibilityCheck.objects.get(pk=check.pk).passed is False
    with pytest.raises(ValidationError) as refused:
        application_start_review(application=application, by=manager)
    assert refused.value.messages == ["Tick every item of the eligibility checklist first."]
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"checklist": []},
            "checklist",
            "The eligibility checklist needs at least one item.",
        ),
        (
            {"reasons": []},
            "reasons",
            "Give at least one reason for rejecting an application as ineligible.",
        ),
        (
            {"checklist": [entry("rooms", "Rum"), entry("rooms", "Rum igen")]},
            "checklist",
            "Each key can be on the list once: rooms.",
        ),
        (
            {"reasons": [entry("Inga Rum", "Inga rum")]},
            "reasons",
            "A key is 1 to 20 small letters, digits, hyphens or underscores: Inga Rum is not.",
        ),
        (
            {"checklist": [entry("rooms", "  ")]},
            "checklist",
            "Each entry needs its Swedish label.",
        ),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(manager, change, field, message):
    call = CallFactory()
    call_lists_update(call=call, by=manager, **todays(call))  # stored rows to compare
    before = listed(call)
    with pytest.raises(ValidationError) as refused:
        call_lists_update(call=call, by=manager, **{**todays(call), **change})
    assert refused.value.message_dict == {field: [message]}
    assert listed(call) == before
    assert not AuditEntry.objects.filter(action="call.change").exists()


def test_only_a_programme_manager_changes_the_lists():
    call = CallFactory()
    with pytest.raises(PermissionDenied):
        call_lists_update(call=call, by=decision_maker(), **todays(call))
    assert listed(call) == ([], [])


def test_the_migrations_lists_are_todays_defaults_as_the_catalogue_reads_them():
    """The data migration wrote today's labels out; they are the ones a call without rows
    reads, so existing and new calls start alike."""
    import importlib

    from grants.enums import EligibilityItem, IneligibilityReason
    from grants.models import default_list_labels

    migration = importlib.import_module("grants.migrations.0009_call_eligibility_lists")
    assert default_list_labels(EligibilityItem) == migration.CHECKLIST
    assert default_list_labels(IneligibilityReason) == migration.REASONS
