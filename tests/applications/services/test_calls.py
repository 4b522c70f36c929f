"""The call editor's service: the rules, four eyes, copying, the public change history and the
audit entries. Every refusal leaves the call as it was."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from applications.audit import audit_verify_chain
from applications.models import AuditEntry
from applications.services.calls import call_copy, call_create, call_publish, call_update
from grants.models import Call, CallChange
from tests.factories import (
    CallFactory,
    CriterionFactory,
    HubFactory,
    UserFactory,
    approved_grant,
    decision_maker,
    programme_manager,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in their English form (the Swedish is the catalogue's)."""
    with translation.override("en"):
        yield


NOW = timezone.now()


def new_values(**overrides) -> dict:
    values = {
        "slug": "rum-2027",
        "title_sv": "Digitala mötesrum för regioner",
        "summary_sv": "Stöd för att pröva digitala mötesrum.",
        "description_sv": "## Vad\n\nMötesrum.",
        "opens_at": NOW + dt.timedelta(days=1),
        "closes_at": NOW + dt.timedelta(days=30),
        "budget": 2_000_000,
        "max_amount": 200_000,
    }
    values.update(overrides)
    return values


def entries(call, action):
    return list(
        AuditEntry.objects.filter(object_type="grants.call", object_id=call.pk, action=action)
    )


def snapshot(call) -> dict:
    fresh = Call.objects.get(pk=call.pk)
    return {f.name: getattr(fresh, f.name) for f in Call._meta.concrete_fields}


# -- creating ------------------------------------------------------------------------------------


def test_a_programme_manager_creates_a_draft_with_its_audit_entry():
    manager = programme_manager()
    call = call_create(by=manager, values=new_values())
    assert call.is_published is False
    assert call.created_by == manager and call.changed_by == manager
    [entry] = entries(call, "call.create")
    assert entry.actor == manager
    assert entry.data["changes"]["budget"] == {"before": None, "after": 2_000_000}
    assert entry.data["texts_changed"] == ["description_sv", "summary_sv", "title_sv"]
    assert "Mötesrum" not in str(entry.data)  # texts by name only
    assert audit_verify_chain().ok


@pytest.mark.parametrize("who", ["applicant", "decision_maker"])
def test_only_a_programme_manager_creates_a_call(who):
    user = UserFactory() if who == "applicant" else decision_maker()
    with pytest.raises(PermissionDenied):
        call_create(by=user, values=new_values())
    assert not Call.objects.filter(slug="rum-2027").exists()


def test_closing_before_opening_is_refused():
    with pytest.raises(ValidationError) as error:
        call_create(
            by=programme_manager(),
            values=new_values(
                closes_at=NOW + dt.timedelta(days=1), opens_at=NOW + dt.timedelta(days=2)
            ),
        )
    assert error.value.message_dict["closes_at"] == ["The call must close after it opens."]
    assert not Call.objects.filter(slug="rum-2027").exists()
    assert not AuditEntry.objects.exists()


def test_a_maximum_above_the_budget_is_refused():
    with pytest.raises(ValidationError) as error:
        call_create(by=programme_manager(), values=new_values(max_amount=3_000_000))
    assert error.value.message_dict["max_amount"] == [
        "The maximum per application cannot exceed the budget."
    ]
    assert not Call.objects.filter(slug="rum-2027").exists()


def test_a_slug_already_taken_is_refused():
    CallFactory(slug="rum-2027")
    with pytest.raises(ValidationError) as error:
        call_create(by=programme_manager(), values=new_values())
    assert "slug" in error.value.message_dict
    assert Call.objects.filter(slug="rum-2027").count() == 1


# -- changing ------------------------------------------------------------------------------------


def test_a_change_is_audited_with_before_and_after_and_texts_by_name():
    manager = programme_manager()
    call = CallFactory(is_published=False, created_by=manager)
    other = programme_manager()
    call_update(
        call=call,
        by=other,
        values={
            "acceptance_days": 45,
            "description_sv": "Ny text",
            "hold_decisions_for_release": True,
        },
    )
    call.refresh_from_db()
    assert call.acceptance_days == 45 and call.changed_by == other
    [entry] = entries(call, "call.change")
    assert entry.actor == other
    assert entry.data == {
        "changes": {
            "acceptance_days": {"before": 30, "after": 45},
            "hold_decisions_for_release": {"before": False, "after": True},
        },
        "texts_changed": ["description_sv"],
        "reason_given": False,
    }


def test_saving_without_a_change_writes_nothing():
    call = CallFactory(is_published=False)
    call_update(call=call, by=programme_manager(), values={"budget": call.budget})
    assert entries(call, "call.change") == []


def test_a_decision_maker_cannot_change_a_call():
    call = CallFactory()
    before = snapshot(call)
    with pytest.raises(PermissionDenied):
        call_update(call=call, by=decision_maker(), values={"budget": 1})
    assert snapshot(call) == before


def test_the_budget_cannot_go_below_what_is_granted():
    application = approved_grant()
    call = application.call
    before = snapshot(call)
    with pytest.raises(ValidationError) as error:
        call_update(
            call=call,
            by=programme_manager(),
            values={"budget": 499_999, "max_amount": 400_000},
            reason="Budget cut",
        )
    assert error.value.message_dict["budget"] == [
        "The budget cannot be lower than what the call has already granted (500\u00a0000 kr)."
    ]
    assert snapshot(call) == before
    assert not CallChange.objects.filter(call=call).exists()
    assert entries(call, "call.change") == []


def test_the_budget_may_go_down_to_what_is_granted():
    application = approved_grant()
    call = call_update(
        call=application.call,
        by=programme_manager(),
        values={"budget": 500_000, "max_amount": 500_000},
        reason="Budget cut",
    )
    assert call.budget == 500_000


def test_a_published_call_needs_a_reason_to_change_what_applicants_rely_on():
    call = CallFactory(is_published=True)
    before = snapshot(call)
    with pytest.raises(ValidationError) as error:
        call_update(
            call=call,
            by=programme_manager(),
            values={"closes_at": call.closes_at + dt.timedelta(days=3)},
        )
    assert error.value.message_dict["reason"][0].startswith("This call is published: say why")
    assert snapshot(call) == before
    assert not CallChange.objects.exists()


@pytest.mark.parametrize(
    "values",
    [
        {"budget": 7_000_000},
        {"max_amount": 500_000},
        {"eligible_kinds": ["municipality"]},
    ],
    ids=["budget", "maximum", "eligibility"],
)
def test_every_change_that_touches_applicants_needs_a_reason(values):
    call = CallFactory(is_published=True)
    before = snapshot(call)
    with pytest.raises(ValidationError) as error:
        call_update(call=call, by=programme_manager(), values=values)
    assert list(error.value.message_dict) == ["reason"]
    assert snapshot(call) == before
    assert entries(call, "call.change") == []


def test_other_changes_to_a_published_call_need_no_reason():
    call = CallFactory(is_published=True)
    call_update(call=call, by=programme_manager(), values={"acceptance_days": 14})
    assert Call.objects.get(pk=call.pk).acceptance_days == 14
    assert not CallChange.objects.exists()


def test_a_published_call_change_with_a_reason_is_on_the_public_history():
    call = CallFactory(is_published=True, budget=6_000_000, max_amount=600_000)
    later = call.closes_at + dt.timedelta(days=3)
    call_update(
        call=call,
        by=programme_manager(),
        values={"closes_at": later, "budget": 7_000_000, "acceptance_days": 20},
        reason="The portal was down for a day.",
    )
    [change] = CallChange.objects.filter(call=call)
    assert change.reason == "The portal was down for a day."
    assert [item["field"] for item in change.changes] == ["closes_at", "budget"]
    assert change.rows[1]["before"] == "6\u00a0000\u00a0000\u00a0kr"
    assert change.rows[1]["after"] == "7\u00a0000\u00a0000\u00a0kr"
    [entry] = entries(call, "call.change")
    assert entry.data["reason_given"] is True
    assert "portal" not in str(entry.data)


def test_a_draft_changes_without_a_reason_or_public_history():
    call = CallFactory(is_published=False)
    call_update(call=call, by=programme_manager(), values={"budget": 5_000_000})
    assert not CallChange.objects.exists()


def test_hubs_are_changed_and_audited_by_id():
    call = CallFactory(is_published=False, hubs=[])
    hub = HubFactory()
    call_update(call=call, by=programme_manager(), values={}, hubs=[hub])
    assert list(call.hubs.all()) == [hub]
    [entry] = entries(call, "call.change")
    assert entry.data["hubs"] == {"before": [], "after": [hub.pk]}


def test_a_payment_plan_that_does_not_add_up_is_refused():
    call = CallFactory(is_published=False)
    before = snapshot(call)
    with pytest.raises(ValidationError) as error:
        call_update(
            call=call,
            by=programme_manager(),
            values={
                "payment_plan": [
                    {"share": 50, "after": "acceptance"},
                    {"share": 40, "after": "final_report"},
                ]
            },
        )
    assert error.value.message_dict["payment_plan"] == [
        "The instalments' shares must add up to exactly 100 per cent."
    ]
    assert snapshot(call) == before


# -- copying -------------------------------------------------------------------------------------


def test_a_copy_takes_every_setting_text_hub_and_criterion_as_a_draft():
    source = CallFactory(
        acceptance_days=21,
        hold_decisions_for_release=True,
        appeal_text_sv="Överklaga inom tre veckor.",
        payment_plan=[{"share": 100, "after": "acceptance"}],
        report_measures=[{"key": "rooms", "label_sv": "Rum", "label_en": "Rooms"}],
    )
    CriterionFactory(call=source, name_sv="Relevans", weight=2, threshold=3)
    manager = programme_manager()
    copy = call_copy(
        source=source,
        by=manager,
        slug="kopia",
        title_sv="Kopia",
        opens_at=NOW + dt.timedelta(days=10),
        closes_at=NOW + dt.timedelta(days=40),
    )
    assert copy.is_published is False and copy.published_at is None
    assert copy.created_by == manager
    assert (copy.acceptance_days, copy.hold_decisions_for_release) == (21, True)
    assert copy.appeal_text_sv == "Överklaga inom tre veckor."
    assert copy.payment_plan == source.payment_plan
    assert copy.report_measures == source.report_measures
    assert copy.description_sv == source.description_sv
    assert list(copy.hubs.all()) == list(source.hubs.all())
    [criterion] = copy.criteria.all()
    assert (criterion.name_sv, criterion.weight, criterion.threshold) == ("Relevans", 2, 3)
    [entry] = entries(copy, "call.copy")
    assert entry.data["copied_from"] == source.pk


def test_a_copy_with_its_closing_before_opening_is_refused():
    source = CallFactory()
    with pytest.raises(ValidationError):
        call_copy(
            source=source,
            by=programme_manager(),
            slug="kopia",
            title_sv="Kopia",
            opens_at=NOW + dt.timedelta(days=10),
            closes_at=NOW + dt.timedelta(days=9),
        )
    assert not Call.objects.filter(slug="kopia").exists()


# -- four eyes -----------------------------------------------------------------------------------


def test_the_creator_cannot_publish_their_own_call():
    manager = programme_manager()
    call = call_create(by=manager, values=new_values())
    with pytest.raises(ValidationError) as error:
        call_publish(call=call, by=manager)
    assert error.value.messages[0].startswith("A second person publishes a call")
    call.refresh_from_db()
    assert call.is_published is False and call.published_at is None
    assert entries(call, "call.publish") == []


def test_whoever_changed_the_call_last_cannot_publish_it():
    call = call_create(by=programme_manager(), values=new_values())
    editor = programme_manager()
    call_update(call=call, by=editor, values={"acceptance_days": 10})
    with pytest.raises(ValidationError):
        call_publish(call=call, by=editor)
    assert Call.objects.get(pk=call.pk).is_published is False


@pytest.mark.parametrize("second", ["programme_manager", "decision_maker"])
def test_a_second_person_publishes(second):
    manager = programme_manager()
    call = call_create(by=manager, values=new_values())
    publisher = programme_manager() if second == "programme_manager" else decision_maker()
    call_publish(call=call, by=publisher)
    call.refresh_from_db()
    assert call.is_published is True
    assert call.published_by == publisher and call.published_at is not None
    [entry] = entries(call, "call.publish")
    assert entry.actor == publisher and entry.data == {"created_by": manager.pk}


def test_an_applicant_cannot_publish():
    call = call_create(by=programme_manager(), values=new_values())
    with pytest.raises(PermissionDenied):
        call_publish(call=call, by=UserFactory())
    assert Call.objects.get(pk=call.pk).is_published is False


def test_a_published_call_is_not_published_again():
    call = CallFactory(is_published=True)
    with pytest.raises(ValidationError) as error:
        call_publish(call=call, by=decision_maker())
    assert error.value.messages == ["This call is already published."]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {
                "project_start_earliest": dt.date(2027, 6, 1),
                "project_end_latest": dt.date(2027, 5, 31),
            },
            "project_end_latest",
            "The latest project end must be after the earliest project start.",
        ),
        (
            {"review_due_at": "closes"},
            "review_due_at",
            "Reviews can only be due after the call closes.",
        ),
        (
            {"reviewers_per_application": 0, "min_reviews": 0},
            "reviewers_per_application",
            "Each application needs at least one reviewer.",
        ),
        (
            {"min_reviews": 0},
            "min_reviews",
            "At least one review is needed to complete review.",
        ),
        (
            {"acceptance_days": 0},
            "acceptance_days",
            "A grantee needs at least one day to accept a grant.",
        ),
        (
            {"personal_data_retention_years": 0},
            "personal_data_retention_years",
            "Personal data is kept at least one year after a case is closed.",
        ),
    ],
)
def test_an_unworkable_setting_is_refused_on_its_field_and_nothing_changes(values, field, message):
    call = CallFactory(is_published=False)
    if values.get("review_due_at") == "closes":
        values = {"review_due_at": call.closes_at}
    before = snapshot(call)
    with pytest.raises(ValidationError) as refused:
        call_update(call=call, by=programme_manager(), values=values)
    assert refused.value.message_dict[field] == [message]
    assert snapshot(call) == before
    assert entries(call, "call.change") == []


def test_workable_settings_at_their_limits_are_saved():
    call = CallFactory(is_published=False)
    values = {
        "project_start_earliest": dt.date(2027, 1, 1),
        "project_end_latest": dt.date(2027, 1, 2),
        "review_due_at": call.closes_at + dt.timedelta(minutes=1),
        "reviewers_per_application": 1,
        "min_reviews": 1,
        "acceptance_days": 1,
        "personal_data_retention_years": 1,
        "review_reminder_days_before": 0,
    }
    call_update(call=call, by=programme_manager(), values=values)
    fresh = Call.objects.get(pk=call.pk)
    assert {name: getattr(fresh, name) for name in values} == values
