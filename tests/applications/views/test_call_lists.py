"""The call editor's checklist section (the call's eligibility checklist and reasons for
ineligibility), the review reminder's lead time in the review section, and the pages that read
the call's lists: the eligibility check on the case page and the proposal's reasons."""

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.enums import DecisionOutcome
from applications.models import AuditEntry, EligibilityCheck
from applications.services.calls import call_lists_update
from applications.services.decisions import decision_propose
from applications.services.transitions import application_check_eligibility
from grants.models import Call, EligibilityCheckItem, IneligibilityReasonItem
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return factories.programme_manager(language="en")


def edit_url(call, section="checklist"):
    return reverse("applications:call_edit", args=[call.pk, section])


def posted(response, **rows) -> dict:
    """The checklist section's formsets as the page shows them, submitted unchanged, with
    ``rows``: per prefix, a list of new rows (dicts) appended or ``{index: {...}}`` changes."""
    data = {}
    for formset in response.context["formsets"]:
        forms = [
            {
                "key": form.initial.get("key", ""),
                "label_sv": form.initial.get("label_sv", ""),
                "label_en": form.initial.get("label_en", ""),
            }
            for form in formset.initial_forms
        ]
        change = rows.get(formset.prefix, [])
        if isinstance(change, dict):
            for index, values in change.items():
                forms[index].update(values)
        else:
            forms.extend(change)
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(forms))
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(len(formset.initial_forms))
        for index, form in enumerate(forms):
            for name, value in form.items():
                data[f"{formset.prefix}-{index}-{name}"] = value
    return data


def stored(call):
    return (
        list(EligibilityCheckItem.objects.filter(call=call).values_list("key", "label_sv")),
        list(IneligibilityReasonItem.objects.filter(call=call).values_list("key", "is_active")),
    )


def test_the_checklist_section_shows_todays_lists_with_their_keys_fixed(client, manager):
    call = factories.CallFactory()
    client.force_login(manager)
    response = client.get(edit_url(call))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Eligibility checklist: every item is ticked before review starts" in page
    assert "Reasons for rejecting an application as ineligible" in page
    checklist, reasons = response.context["formsets"]
    assert [form.initial["key"] for form in checklist.initial_forms] == [
        "organisation",
        "amount",
        "budget",
        "period",
        "content",
    ]
    assert checklist.initial_forms[0].fields["key"].disabled is True
    assert checklist.extra_forms[0].fields["key"].disabled is False
    assert len(reasons.initial_forms) == 5


def test_a_manager_rewords_an_item_and_adds_one_and_it_is_on_the_call_history(client, manager):
    call = factories.CallFactory()
    client.force_login(manager)
    page = client.get(edit_url(call))
    data = posted(
        page,
        checklist=[{"key": "rooms", "label_sv": "Det finns mötesrum", "label_en": "Rooms exist"}],
    )
    data["checklist-2-label_sv"] = "Budgeten går ihop"
    data["checklist-0-key"] = "changed"  # a fixed key: what is sent is ignored
    response = client.post(edit_url(call), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:call_manage", args=[call.pk])
    items, _reasons = stored(call)
    assert items == [
        ("organisation", "Organisationen är av ett slag som får söka"),
        ("amount", "Det sökta beloppet ryms inom utlysningens högsta belopp"),
        ("budget", "Budgeten går ihop"),
        ("period", "Projektperioden ligger inom utlysningens ramar"),
        ("content", "Ansökan är komplett och ligger inom utlysningens syfte"),
        ("rooms", "Det finns mötesrum"),
    ]
    client.force_login(factories.programme_manager(language="en"))
    history = client.get(reverse("applications:call_history", args=[call.pk])).content.decode()
    assert "Eligibility checklist" in history
    assert "rooms (Det finns mötesrum)" in history


def test_removing_every_item_is_refused_on_the_list_with_nothing_changed(client, manager):
    call = factories.CallFactory()
    call_lists_update(
        call=call,
        by=manager,
        checklist=[
            {"key": i.key, "label_sv": i.label_sv, "label_en": i.label_en} for i in call.checklist()
        ],
        reasons=[{"key": "aim", "label_sv": "Utanför syftet", "label_en": ""}],
    )
    before = stored(call)
    audited = AuditEntry.objects.filter(action="call.change").count()
    client.force_login(manager)
    data = posted(client.get(edit_url(call)))
    for index in range(5):
        data[f"checklist-{index}-DELETE"] = "on"
    response = client.post(edit_url(call), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The eligibility checklist needs at least one item." in page
    assert "error-summary" in page
    assert stored(call) == before
    assert AuditEntry.objects.filter(action="call.change").count() == audited


def test_a_key_given_twice_is_refused_with_nothing_changed(client, manager):
    call = factories.CallFactory()
    client.force_login(manager)
    data = posted(
        client.get(edit_url(call)),
        reasons=[{"key": "aim", "label_sv": "Igen", "label_en": ""}],
    )
    response = client.post(edit_url(call), data)
    assert response.status_code == 200
    assert "Each key can be on the list once: aim." in response.content.decode()
    assert stored(call) == ([], [])


def test_a_malformed_key_is_refused_on_its_field(client, manager):
    call = factories.CallFactory()
    client.force_login(manager)
    data = posted(
        client.get(edit_url(call)),
        checklist=[{"key": "Mötesrum", "label_sv": "Rum", "label_en": ""}],
    )
    response = client.post(edit_url(call), data)
    assert response.status_code == 200
    assert "Use small letters, digits, hyphens and underscores only." in (response.content.decode())
    assert stored(call) == ([], [])


def test_a_reason_in_use_removed_in_the_editor_is_taken_off_and_listed_as_such(client, manager):
    call = factories.CallFactory()
    application = factories.submitted_application(call)
    decision_propose(
        application=application,
        by=manager,
        outcome=DecisionOutcome.REJECTED_INELIGIBLE,
        justification="Utanför syftet.",
        reason_code="aim",
    )
    client.force_login(manager)
    data = posted(client.get(edit_url(call)))
    data["reasons-3-DELETE"] = "on"  # aim
    assert client.post(edit_url(call), data).status_code == 302
    assert stored(call)[1] == [
        ("organisation", True),
        ("amount", True),
        ("period", True),
        ("incomplete", True),
        ("aim", False),
    ]
    page = client.get(edit_url(call)).content.decode()
    assert "Taken off the list, kept for the checks and decisions that used them" in page
    assert "aim (The project is outside the call&#x27;s aim)" in page
    staff_page = client.get(reverse("applications:manage_detail", args=[application.pk]))
    assert "The project is outside the call&#x27;s aim" in staff_page.content.decode()


@pytest.mark.parametrize("role", ["decision_maker", "reviewer", "applicant"])
def test_only_a_programme_manager_opens_or_saves_the_checklist_section(client, role):
    call = factories.CallFactory()
    user = {
        "decision_maker": lambda: factories.decision_maker(),
        "reviewer": lambda: factories.PanelMemberFactory(call=call).user,
        "applicant": lambda: factories.applicant_for(factories.ApplicationFactory(call=call)),
    }[role]()
    client.force_login(user)
    assert client.get(edit_url(call)).status_code == 403
    response = client.post(
        edit_url(call),
        {
            "checklist-TOTAL_FORMS": "1",
            "checklist-INITIAL_FORMS": "0",
            "checklist-0-key": "rooms",
            "checklist-0-label_sv": "Rum",
            "reasons-TOTAL_FORMS": "1",
            "reasons-INITIAL_FORMS": "0",
            "reasons-0-key": "aim",
            "reasons-0-label_sv": "Syfte",
        },
    )
    assert response.status_code == 403
    assert stored(call) == ([], [])


def test_the_review_section_saves_the_review_reminder_lead_time(client, manager):
    call = factories.CallFactory(is_published=False)
    client.force_login(manager)
    page = client.get(edit_url(call, "review"))
    assert "Days before reviews are due that reviewers are reminded" in page.content.decode()
    data = {
        name: ("" if value is None else value)
        for name, value in page.context["form"].initial.items()
        if name != "review_due_at"
    }
    data["review_due_at"] = ""
    data["review_reminder_days_before"] = "5"
    assert client.post(edit_url(call, "review"), data).status_code == 302
    assert Call.objects.get(pk=call.pk).review_reminder_days_before == 5
    data["review_reminder_days_before"] = "-1"
    refused = client.post(edit_url(call, "review"), data)
    assert refused.status_code == 200
    assert "Ensure this value is greater than or equal to 0." in refused.content.decode()
    assert Call.objects.get(pk=call.pk).review_reminder_days_before == 5


def test_the_case_page_checks_the_calls_own_items(client, manager):
    call = factories.CallFactory()
    call_lists_update(
        call=call,
        by=manager,
        checklist=[{"key": "rooms", "label_sv": "Rum finns", "label_en": "There are rooms"}],
        reasons=[{"key": "aim", "label_sv": "Utanför syftet", "label_en": ""}],
    )
    application = factories.submitted_application(call)
    client.force_login(manager)
    page = client.get(reverse("applications:manage_detail", args=[application.pk]))
    assert [field.name for field in page.context["eligibility_form"].item_fields()] == ["rooms"]
    assert "There are rooms" in page.content.decode()
    response = client.post(
        reverse("applications:manage_eligibility", args=[application.pk]),
        {"eligibility-rooms": "on", "eligibility-budget": "on"},
    )
    assert response.status_code == 302
    check = EligibilityCheck.objects.get(application=application)
    assert (check.items, check.passed) == ({"rooms": True}, True)


def test_a_check_made_before_an_item_was_taken_off_still_shows_it(client, manager):
    call = factories.CallFactory()
    application = factories.submitted_application(call)
    application_check_eligibility(
        application=application,
        by=manager,
        items=dict.fromkeys(["organisation", "amount", "budget", "period", "content"], True),
    )
    call_lists_update(
        call=call,
        by=manager,
        checklist=[
            {"key": i.key, "label_sv": i.label_sv, "label_en": i.label_en}
            for i in call.checklist()
            if i.key != "budget"
        ],
        reasons=[
            {"key": r.key, "label_sv": r.label_sv, "label_en": r.label_en}
            for r in call.reasons_for_ineligibility()
        ],
    )
    client.force_login(manager)
    page = client.get(reverse("applications:manage_detail", args=[application.pk]))
    checklist = page.context["checklist"]
    assert checklist[-1] == {
        "label": "The budget is reasonable and adds up",
        "ticked": True,
        "inactive": True,
    }
    assert "(no longer on the call's checklist)" in page.content.decode()
    assert [field.name for field in page.context["eligibility_form"].item_fields()] == [
        "organisation",
        "amount",
        "period",
        "content",
    ]


def test_the_proposal_offers_the_calls_reasons_only(client, manager):
    call = factories.CallFactory()
    call_lists_update(
        call=call,
        by=manager,
        checklist=[{"key": "rooms", "label_sv": "Rum finns", "label_en": ""}],
        reasons=[{"key": "no-rooms", "label_sv": "Inga rum", "label_en": "No rooms"}],
    )
    application = factories.submitted_application(call)
    client.force_login(manager)
    url = reverse("applications:decision_propose", args=[application.pk])
    page = client.get(url)
    assert page.context["form"].fields["reason_code"].choices == [
        ("", "(not ineligible)"),
        ("no-rooms", "No rooms"),
    ]
    refused = client.post(
        url,
        {"outcome": "rejected_ineligible", "reason_code": "aim", "justification": "Off aim."},
    )
    assert refused.status_code == 400
    assert "Select a valid choice. aim is not one of the available choices." in (
        refused.content.decode()
    )
    assert not application.decisions.exists()
    client.post(
        url,
        {"outcome": "rejected_ineligible", "reason_code": "no-rooms", "justification": "No."},
    )
    assert application.decisions.get().reason_code == "no-rooms"


def test_the_admin_shows_a_calls_lists_but_cannot_change_them(admin_client, manager):
    call = factories.CallFactory()
    call_lists_update(
        call=call,
        by=manager,
        checklist=[{"key": "rooms", "label_sv": "Rum finns", "label_en": ""}],
        reasons=[{"key": "aim", "label_sv": "Utanför syftet", "label_en": ""}],
    )
    response = admin_client.get(reverse("admin:grants_call_change", args=[call.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rum finns" in page and "Utanför syftet" in page
    assert 'name="checklist_items-0-label_sv"' not in page


def test_reviews_due_before_the_call_closes_are_refused_on_the_page_with_nothing_changed(
    client, manager
):
    call = factories.CallFactory(is_published=False)
    client.force_login(manager)
    page = client.get(edit_url(call, "review"))
    data = {
        name: ("" if value is None else value)
        for name, value in page.context["form"].initial.items()
    }
    data["review_due_at"] = timezone.localtime(
        call.closes_at - timezone.timedelta(days=1)
    ).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(edit_url(call, "review"), data)
    assert refused.status_code == 200
    assert "Reviews can only be due after the call closes." in refused.content.decode()
    assert Call.objects.get(pk=call.pk).review_due_at is None
    assert not AuditEntry.objects.filter(action="call.change").exists()
