"""The applicant's pages: dashboard, application page, editing, autosave, preview, submit,
withdraw and the submitted versions. Every view: the allowed role succeeds, the others are
refused (anonymous → login, another organisation → 404, agency staff → 403 or redirect)."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.enums import ApplicationState, BudgetCategory
from applications.models import Application, ApplicationVersion, Attachment
from applications.services.transitions import (
    application_return_for_completion,
    application_submit,
    application_withdraw,
)
from applications.services.working_copy import attachment_add
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState
# An hour before the deadline: sessions last 8 hours, so tests can step past the deadline.
NOW = dt.datetime(2027, 1, 15, 10, 0, tzinfo=dt.UTC)  # 11:00 in Stockholm
CLOSES = dt.datetime(2027, 1, 15, 11, 0, tzinfo=dt.UTC)  # 12:00 in Stockholm
DECLARED = {"declaration": "on"}
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def call():
    return factories.CallFactory(opens_at=NOW - dt.timedelta(days=10), closes_at=CLOSES)


@pytest.fixture
def applicant(application):
    # English, so messages are their ids whatever the Swedish translations come to say.
    return factories.applicant_for(
        application, is_admin=True, is_signatory=True, user__language="en"
    )


@pytest.fixture
def member(client, applicant):
    client.force_login(applicant)
    return applicant


def login(client, user):
    client.force_login(user)
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def edit_payload(application, **overrides) -> dict:
    """What the edit form posts for the application as it is, with some fields changed."""
    data = {
        "title": application.title,
        "summary": application.summary,
        "what_to_try": application.answers.get("what_to_try", ""),
        "hub": application.hub_id or "",
        "participants": application.answers.get("participants", ""),
        "period_start": application.period_start.isoformat() if application.period_start else "",
        "period_end": application.period_end.isoformat() if application.period_end else "",
        "expected_results": application.answers.get("expected_results", ""),
        "requested_amount": application.requested_amount or "",
        "contact_name": application.contact_name,
        "contact_email": application.contact_email,
        "contact_phone": application.contact_phone,
        "language": application.language,
        "edit_version": application.edit_version,
    }
    lines = list(application.budget_lines.all())
    data.update(
        {
            "budget-TOTAL_FORMS": len(lines) + 3,
            "budget-INITIAL_FORMS": len(lines),
            "budget-MIN_NUM_FORMS": 0,
            "budget-MAX_NUM_FORMS": 1000,
        }
    )
    for i, line in enumerate(lines):
        data[f"budget-{i}-category"] = line.category
        data[f"budget-{i}-description"] = line.description
        data[f"budget-{i}-amount"] = line.amount
    data.update(overrides)
    return data


def budget_of(application) -> list[tuple]:
    return list(application.budget_lines.values_list("category", "description", "amount"))


def submit(application, by) -> ApplicationVersion:
    return application_submit(application=application, by=by)


def set_state(application, state):
    # The state field is protected on the instance; tests put an application in a state
    # directly when the way there is not what is being tested.
    Application.objects.filter(pk=application.pk).update(state=state)
    application.refresh_from_db()


# -- dashboard ---------------------------------------------------------------------------------


def test_dashboard_lists_own_organisations_and_their_applications(client, application, member):
    submit(application, member)
    application.refresh_from_db()
    other = factories.ApplicationFactory(title="Someone else's")
    response = client.get(reverse("applications:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["applications"]) == [application]
    assert list(response.context["organisations"]) == [application.organisation]
    assert reverse("applications:organisation_detail", args=[application.organisation.pk]) in html
    assert application.registration_number in html
    assert 'class="tag tag--submitted"' in html
    assert "15 January 2027 12:00" in html
    assert other.title not in html


def test_dashboard_offers_to_register_an_organisation_to_a_person_without_one(client):
    login(client, factories.UserFactory())
    html = client.get(reverse("applications:dashboard")).content.decode()
    assert reverse("applications:organisation_register") in html


def test_dashboard_anonymous_is_sent_to_login(client):
    response = client.get(reverse("applications:dashboard"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('applications:dashboard')}"


def test_dashboard_query_count_does_not_grow_with_applications(
    client, application, member, django_assert_num_queries
):
    url = reverse("applications:dashboard")
    client.get(url)  # warm the session
    with django_assert_num_queries(6):
        client.get(url)
    for _ in range(4):
        factories.ApplicationFactory(organisation=application.organisation, call=application.call)
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["applications"]) == 5


# -- the application page ---------------------------------------------------------------------


def test_detail_shows_state_number_deadline_versions_and_history(client, application, member):
    version = submit(application, member)
    application.refresh_from_db()
    response = client.get(reverse("applications:detail", args=[application.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="tag tag--submitted"' in html
    assert application.registration_number in html
    assert "15 January 2027 12:00" in html
    # The hash is in the receipt and the version download, not on the applicant's pages.
    assert version.sha256 not in html
    assert reverse("applications:version_detail", args=[application.pk, 1]) in html
    assert reverse("applications:edit", args=[application.pk]) in html
    assert reverse("applications:withdraw", args=[application.pk]) in html
    assert "Draft → Submitted" in html
    assert "The submitted version stays what counts until you submit a new version." in html


def test_detail_of_a_returned_application_shows_the_completion_request(
    client, application, member, programme_manager
):
    submit(application, member)
    application_return_for_completion(
        application=application,
        by=programme_manager,
        message="Please add the hub's confirmation.",
        deadline=dt.datetime(2027, 1, 20, 15, 0, tzinfo=dt.UTC),
    )
    html = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Please add the hub&#x27;s confirmation." in html
    assert "20 January 2027 16:00" in html


def test_detail_of_another_organisations_application_is_404(client, application, other_applicant):
    login(client, other_applicant)
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 404


def test_detail_anonymous_is_sent_to_login(client, application):
    url = reverse("applications:detail", args=[application.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_detail_sends_agency_staff_to_the_case_page(
    client, application, applicant, programme_manager
):
    submit(application, applicant)
    login(client, programme_manager)
    response = client.get(reverse("applications:detail", args=[application.pk]))
    assert response.status_code == 302
    assert response.url == reverse("applications:manage_detail", args=[application.pk])


def test_detail_of_a_draft_is_404_for_agency_staff(client, application, programme_manager):
    login(client, programme_manager)
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 404


# -- editing -----------------------------------------------------------------------------------


def test_edit_page_shows_the_form_with_budget_lines_and_attachments(client, application, member):
    response = client.get(reverse("applications:edit", args=[application.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_title"' in html
    # Amounts in text boxes (type=number would refuse "300 000"), thousands apart.
    assert 'name="budget-0-amount" value="300\u00a0000"' in html
    assert 'name="budget-4-DELETE"' in html  # two lines and three empty ones
    assert reverse("applications:attachment_upload", args=[application.pk]) in html
    assert reverse("applications:autosave", args=[application.pk]) in html
    assert "samverket/js/autosave.js" in html


def test_saving_a_draft_saves_every_field(client, application, member):
    hub = application.call.hubs.first()
    payload = edit_payload(
        application,
        title="New title",
        summary="New summary",
        what_to_try="New plan",
        hub=hub.pk,
        participants="35",
        period_start="2027-03-01",
        period_end="2027-10-31",
        expected_results="New results",
        requested_amount="450000",
        contact_name="Bo Ek",
        contact_email="bo@example.se",
        contact_phone="070-123 45 67",
        language="en",
    )
    response = client.post(reverse("applications:edit", args=[application.pk]), payload)
    assert response.status_code == 302
    assert response.url == reverse("applications:edit", args=[application.pk])
    application.refresh_from_db()
    assert (
        application.title,
        application.summary,
        application.answers.get("what_to_try"),
        application.hub,
        application.answers.get("participants"),
        application.period_start,
        application.period_end,
        application.answers.get("expected_results"),
        application.requested_amount,
        application.contact_name,
        application.contact_email,
        application.contact_phone,
        application.language,
    ) == (
        "New title",
        "New summary",
        "New plan",
        hub,
        35,
        dt.date(2027, 3, 1),
        dt.date(2027, 10, 31),
        "New results",
        450_000,
        "Bo Ek",
        "bo@example.se",
        "070-123 45 67",
        "en",
    )


def test_an_incomplete_draft_is_saved_all_the_same(client, application, member):
    payload = edit_payload(
        application,
        title="",
        summary="",
        hub="",
        requested_amount="",
        **{"budget-0-DELETE": "on", "budget-1-DELETE": "on"},
    )
    response = client.post(reverse("applications:edit", args=[application.pk]), payload)
    assert response.status_code == 302
    application.refresh_from_db()
    assert (
        application.title,
        application.summary,
        application.hub,
        application.requested_amount,
    ) == (
        "",
        "",
        None,
        None,
    )
    assert budget_of(application) == []


def test_budget_lines_are_added_in_extra_rows_and_removed_by_checkbox(client, application, member):
    payload = edit_payload(
        application,
        **{
            "budget-0-DELETE": "on",
            "budget-2-category": BudgetCategory.TRAVEL,
            "budget-2-description": "Train tickets",
            "budget-2-amount": "40000",
        },
    )
    client.post(reverse("applications:edit", args=[application.pk]), payload)
    assert budget_of(application) == [
        (BudgetCategory.STAFF, "Project lead", 200_000),
        (BudgetCategory.TRAVEL, "Train tickets", 40_000),
    ]


def test_a_non_number_amount_is_shown_as_an_error_and_nothing_is_saved(client, application, member):
    payload = edit_payload(application, title="Changed", requested_amount="lots")
    response = client.post(reverse("applications:edit", args=[application.pk]), payload)
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["errors"] == [("id_requested_amount", "Enter a whole number.")]
    assert 'class="error-summary"' in html
    assert 'href="#id_requested_amount"' in html
    assert 'aria-describedby="id_requested_amount_helptext id_requested_amount_error"' in html
    application.refresh_from_db()
    assert application.title != "Changed"
    assert application.requested_amount == 500_000


def test_a_half_filled_budget_line_is_shown_as_an_error(client, application, member):
    payload = edit_payload(application, **{"budget-2-amount": "1000"})
    response = client.post(reverse("applications:edit", args=[application.pk]), payload)
    assert response.status_code == 200
    assert ("id_budget-2-category", "This field is required.") in response.context["errors"]
    assert len(budget_of(application)) == 2


def test_save_and_preview_goes_to_the_preview(client, application, member):
    payload = edit_payload(application, action="preview")
    response = client.post(reverse("applications:edit", args=[application.pk]), payload)
    assert response.url == reverse("applications:preview", args=[application.pk])


def test_editing_a_submitted_application_before_the_deadline_edits_the_working_copy(
    client, application, member
):
    version = submit(application, member)
    response = client.get(reverse("applications:edit", args=[application.pk]))
    assert "the submitted version stays what counts until you submit a new version" in (
        response.content.decode()
    )
    client.post(
        reverse("applications:edit", args=[application.pk]),
        edit_payload(application, title="Working copy title"),
    )
    application.refresh_from_db()
    version.refresh_from_db()
    assert application.title == "Working copy title"
    assert version.content["title"] != "Working copy title"


def test_edit_of_another_organisations_application_is_404(client, application, other_applicant):
    login(client, other_applicant)
    url = reverse("applications:edit", args=[application.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, edit_payload(application, title="Hacked")).status_code == 404
    application.refresh_from_db()
    assert application.title != "Hacked"


def test_edit_by_agency_staff_is_403(client, application, applicant, programme_manager):
    submit(application, applicant)
    login(client, programme_manager)
    url = reverse("applications:edit", args=[application.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, edit_payload(application, title="Staff edit")).status_code == 403


def test_edit_anonymous_is_sent_to_login(client, application):
    url = reverse("applications:edit", args=[application.pk])
    response = client.post(url, edit_payload(application, title="Anon"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def _make_not_editable(how, application, applicant, frozen):
    if how == "submitted_after_deadline":
        submit(application, applicant)
        frozen.move_to(CLOSES)
    elif how == "withdrawn":
        application_withdraw(application=application, by=applicant, reason="No time.")
    else:
        submit(application, applicant)
        set_state(application, how)
    application.refresh_from_db()


NOT_EDITABLE = ["submitted_after_deadline", S.IN_REVIEW, S.WITHDRAWN, S.APPROVED, S.REJECTED]
FIELD_CHANGES = {
    "title": "Changed",
    "summary": "Changed",
    "what_to_try": "Changed",
    "hub": "",
    "participants": "99",
    "period_start": "2027-05-01",
    "period_end": "2027-06-01",
    "expected_results": "Changed",
    "requested_amount": "123",
    "contact_name": "Changed",
    "contact_email": "changed@example.se",
    "contact_phone": "000",
    "language": "en",
}


ANSWER_KEYS = ("what_to_try", "participants", "expected_results")


def _stored_fields(application) -> dict:
    return {
        name: application.answers.get(name) if name in ANSWER_KEYS else getattr(application, name)
        for name in FIELD_CHANGES
    }


@pytest.mark.parametrize("how", NOT_EDITABLE)
@pytest.mark.parametrize("field", sorted(FIELD_CHANGES))
def test_a_crafted_edit_of_a_non_editable_application_changes_no_field(
    client, application, applicant, frozen, how, field
):
    _make_not_editable(how, application, applicant, frozen)
    before = _stored_fields(application)
    login(client, applicant)
    response = client.post(
        reverse("applications:edit", args=[application.pk]),
        edit_payload(application, **{field: FIELD_CHANGES[field]}),
        follow=True,
    )
    assert messages_of(response) == ["This application can no longer be changed."]
    application.refresh_from_db()
    assert _stored_fields(application) == before


@pytest.mark.parametrize("how", NOT_EDITABLE)
def test_a_crafted_edit_of_a_non_editable_application_changes_no_budget_line(
    client, application, applicant, frozen, how
):
    _make_not_editable(how, application, applicant, frozen)
    before = budget_of(application)
    login(client, applicant)
    payload = edit_payload(
        application,
        **{
            "budget-0-DELETE": "on",
            "budget-1-amount": "1",
            "budget-2-category": BudgetCategory.OTHER,
            "budget-2-description": "Extra",
            "budget-2-amount": "5",
        },
    )
    client.post(reverse("applications:edit", args=[application.pk]), payload)
    client.post(reverse("applications:autosave", args=[application.pk]), payload)
    assert budget_of(application) == before


@pytest.mark.parametrize("how", NOT_EDITABLE)
def test_a_crafted_attachment_change_on_a_non_editable_application_is_refused(
    client, application, applicant, frozen, how
):
    with time_machine.travel(NOW, tick=False):
        existing = attachment_add(
            application=application,
            by=applicant,
            upload=SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
        )
    _make_not_editable(how, application, applicant, frozen)
    login(client, applicant)
    upload = client.post(
        reverse("applications:attachment_upload", args=[application.pk]),
        {"file": SimpleUploadedFile("more.pdf", PDF, "application/pdf")},
        follow=True,
    )
    remove = client.post(
        reverse("applications:attachment_remove", args=[application.pk, existing.pk]),
        follow=True,
    )
    assert messages_of(upload) == ["This application can no longer be changed."]
    assert messages_of(remove) == ["This application can no longer be changed."]
    assert list(Attachment.objects.filter(application=application)) == [existing]
    existing.refresh_from_db()
    assert existing.removed_at is None


# -- autosave ----------------------------------------------------------------------------------


def test_autosave_saves_and_answers_with_the_time(client, application, member):
    response = client.post(
        reverse("applications:autosave", args=[application.pk]),
        edit_payload(application, title="Typed a moment ago"),
    )
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "saved_at": "11:00",
        "budget_saved": True,
        "edit_version": 1,
        # The save was activity: the whole idle time is left (the test settings' eight hours).
        "session_seconds_left": 8 * 60 * 60,
    }
    application.refresh_from_db()
    assert application.title == "Typed a moment ago"


def test_autosave_with_a_half_typed_budget_line_saves_the_rest_and_keeps_the_budget(
    client, application, member
):
    before = budget_of(application)
    response = client.post(
        reverse("applications:autosave", args=[application.pk]),
        edit_payload(
            application,
            title="Still typing the budget",
            **{"budget-2-category": BudgetCategory.TRAVEL, "budget-2-amount": ""},
        ),
    )
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "saved_at": "11:00",
        "budget_saved": False,
        "edit_version": 1,
        "session_seconds_left": 8 * 60 * 60,
    }
    application.refresh_from_db()
    assert application.title == "Still typing the budget"
    assert budget_of(application) == before


def test_saving_the_draft_with_a_half_typed_budget_line_shows_the_error_and_saves_nothing(
    client, application, member
):
    response = client.post(
        reverse("applications:edit", args=[application.pk]),
        edit_payload(
            application,
            title="Not saved",
            **{"budget-2-category": BudgetCategory.TRAVEL, "budget-2-amount": ""},
        ),
    )
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    application.refresh_from_db()
    assert application.title != "Not saved"


def test_autosave_answers_400_with_the_messages_for_a_type_error(client, application, member):
    response = client.post(
        reverse("applications:autosave", args=[application.pk]),
        edit_payload(application, participants="many"),
    )
    assert response.status_code == 400
    assert json.loads(response.content) == {"errors": ["Enter a whole number."]}


def test_autosave_of_a_non_editable_application_is_refused(client, application, member, frozen):
    submit(application, member)
    frozen.move_to(CLOSES)
    response = client.post(
        reverse("applications:autosave", args=[application.pk]),
        edit_payload(application, title="Too late"),
    )
    assert response.status_code == 400
    assert json.loads(response.content) == {
        "errors": ["This application can no longer be changed."]
    }
    application.refresh_from_db()
    assert application.title != "Too late"


def test_autosave_refuses_others(
    client, application, applicant, other_applicant, programme_manager
):
    url = reverse("applications:autosave", args=[application.pk])
    payload = edit_payload(application, title="Intruder")
    assert client.post(url, payload).status_code == 302  # anonymous → login
    login(client, other_applicant)
    assert client.post(url, payload).status_code == 404
    submit(application, applicant)
    login(client, programme_manager)
    assert client.post(url, payload).status_code == 403
    login(client, applicant)
    assert client.get(url).status_code == 405
    application.refresh_from_db()
    assert application.title != "Intruder"


# -- preview and submit ------------------------------------------------------------------------


def test_preview_shows_the_content_and_a_submit_button(client, application, member):
    response = client.get(reverse("applications:preview", args=[application.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert application.title in html
    assert "300\u00a0000\u00a0kr" in html
    assert response.context["errors"] == []
    assert f'action="{reverse("applications:submit", args=[application.pk])}"' in html


def test_preview_lists_what_is_missing_with_links_to_the_fields(client, application, member):
    application.title = ""
    application.save()
    response = client.get(reverse("applications:preview", args=[application.pk]))
    project = reverse("applications:edit_part", args=[application.pk, "project"])
    assert response.context["errors"] == [(f"{project}#id_title", "Project title is required.")]
    assert reverse("applications:submit", args=[application.pk]) not in response.content.decode()


def test_preview_links_period_and_budget_errors_to_their_fields(client, application, member):
    application.call.project_end_latest = dt.date(2027, 6, 30)
    application.call.save()
    application.requested_amount = 510_000
    application.save()
    response = client.get(reverse("applications:preview", args=[application.pk]))
    budget = reverse("applications:edit_part", args=[application.pk, "budget"])
    project = reverse("applications:edit_part", args=[application.pk, "project"])
    assert response.context["errors"] == [
        (
            f"{budget}#budget",
            "The budget lines add up to 500\u00a0000 kr, but the requested amount is "
            "510\u00a0000 kr. They must be equal.",
        ),
        (f"{project}#id_period_end", "The project must end by 2027-06-30."),
    ]


def test_submit_gives_number_version_and_receipt_and_lands_on_the_confirmation(
    client, application, member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:submit", args=[application.pk]), DECLARED, follow=True
        )
    application.refresh_from_db()
    version = application.versions.get()
    assert application.state == S.SUBMITTED
    assert application.registration_number == "2027-00001"
    assert response.redirect_chain == [
        (reverse("applications:submitted", args=[application.pk]), 302)
    ]
    # The confirmation page says it all: no flash message, and no hash on the screen.
    assert messages_of(response) == []
    html = response.content.decode()
    assert '<p class="confirmation-panel__number">2027-00001</p>' in html
    assert version.sha256 not in html
    assert len(mailoutbox) == 1
    assert "2027-00001" in mailoutbox[0].subject


def test_submit_without_the_declaration_is_refused_with_the_error_and_nothing_changes(
    client, application, member, mailoutbox
):
    response = client.post(reverse("applications:submit", args=[application.pk]), {})
    assert response.status_code == 200
    assert response.templates[0].name == "applications/applicant/preview.html"
    html = response.content.decode()
    assert "<title>Error:" in html
    assert (
        'href="#id_declaration">I confirm that the information is correct and that I may submit '
        "on behalf of the organisation: Tick the box to confirm that the information is correct "
        "and that you may submit on behalf of the organisation.</a>"
    ) in html
    application.refresh_from_db()
    assert application.state == S.DRAFT
    assert application.registration_number is None
    assert application.versions.count() == 0
    assert mailoutbox == []


def test_a_declaration_posted_as_anything_but_ticked_is_refused(client, application, member):
    client.post(reverse("applications:submit", args=[application.pk]), {"declaration": ""})
    application.refresh_from_db()
    assert application.state == S.DRAFT


def test_the_same_submit_posted_twice_gives_one_version_and_one_number(client, application, member):
    url = reverse("applications:submit", args=[application.pk])
    client.post(url, DECLARED, follow=True)
    response = client.post(url, DECLARED, follow=True)
    assert messages_of(response) == [
        "This version has already been submitted. Nothing has changed since then."
    ]
    assert response.redirect_chain == [
        (reverse("applications:preview", args=[application.pk]), 302)
    ]
    assert application.versions.count() == 1
    application.refresh_from_db()
    assert application.registration_number == "2027-00001"


def test_a_new_version_before_the_deadline_keeps_the_number(client, application, member):
    url = reverse("applications:submit", args=[application.pk])
    client.post(url, DECLARED)
    client.post(
        reverse("applications:edit", args=[application.pk]),
        edit_payload(application, title="Better title"),
    )
    client.post(url, DECLARED)
    application.refresh_from_db()
    assert list(application.versions.values_list("number", "content__title")) == [
        (2, "Better title"),
        (1, application.versions.get(number=1).content["title"]),
    ]
    assert application.registration_number == "2027-00001"


@pytest.mark.parametrize("late", [dt.timedelta(0), dt.timedelta(seconds=1)])
def test_submit_at_or_one_second_after_the_deadline_is_refused_and_changes_nothing(
    client, application, member, frozen, late
):
    frozen.move_to(CLOSES + late)
    response = client.post(
        reverse("applications:submit", args=[application.pk]), DECLARED, follow=True
    )
    assert messages_of(response) == [
        "The deadline, 2027-01-15 12:00, has passed. Late applications cannot be submitted."
    ]
    application.refresh_from_db()
    assert application.state == S.DRAFT
    assert application.registration_number is None
    assert application.versions.count() == 0


def test_submit_one_second_before_the_deadline_is_accepted(client, application, member, frozen):
    frozen.move_to(CLOSES - dt.timedelta(seconds=1))
    client.post(reverse("applications:submit", args=[application.pk]), DECLARED)
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_submit_with_a_budget_that_does_not_add_up_is_refused(client, application, member):
    application.requested_amount = 510_000
    application.save()
    response = client.post(
        reverse("applications:submit", args=[application.pk]), DECLARED, follow=True
    )
    assert messages_of(response) == [
        "The budget lines add up to 500\u00a0000 kr, but the requested amount is 510\u00a0000 kr. "
        "They must be equal."
    ]
    application.refresh_from_db()
    assert application.state == S.DRAFT
    assert application.versions.count() == 0


def test_submit_above_the_calls_maximum_is_refused(client, application, member):
    application.requested_amount = 700_000
    application.save()
    application.budget_lines.update(amount=350_000)
    response = client.post(
        reverse("applications:submit", args=[application.pk]), DECLARED, follow=True
    )
    assert messages_of(response) == [
        "The requested amount is more than the call's maximum of 600\u00a0000 kr."
    ]
    application.refresh_from_db()
    assert application.state == S.DRAFT


def test_submit_and_preview_refuse_others(
    client, application, applicant, other_applicant, programme_manager
):
    submit_url = reverse("applications:submit", args=[application.pk])
    preview_url = reverse("applications:preview", args=[application.pk])
    assert client.post(submit_url).status_code == 302
    assert client.post(submit_url).url == f"{reverse('login')}?next={submit_url}"
    login(client, other_applicant)
    assert client.post(submit_url).status_code == 404
    assert client.get(preview_url).status_code == 404
    login(client, programme_manager)
    assert client.post(submit_url).status_code == 404  # a draft is not the agency's yet
    login(client, applicant)
    assert client.get(submit_url).status_code == 405
    application.refresh_from_db()
    assert application.state == S.DRAFT


def test_agency_staff_cannot_submit_a_new_version(
    client, application, applicant, programme_manager
):
    submit(application, applicant)
    login(client, programme_manager)
    assert client.post(reverse("applications:submit", args=[application.pk])).status_code == 403
    assert client.get(reverse("applications:preview", args=[application.pk])).status_code == 403
    assert application.versions.count() == 1


# -- the receipt -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
def test_receipt_email_shows_number_time_and_hash_in_the_applications_language(
    application, applicant, mailoutbox, django_capture_on_commit_callbacks, language
):
    application.language = language
    application.save()
    with django_capture_on_commit_callbacks(execute=True):
        version = submit(application, applicant)
    message = mailoutbox[0]
    html = message.alternatives[0][0]
    month = {"sv": "januari", "en": "January"}[language]
    assert sorted(message.to) == sorted({applicant.email, application.contact_email})
    assert "2027-00001" in message.subject
    for body in (message.body, html):
        assert "2027-00001" in body
        assert version.sha256 in body
        assert f"15 {month} 2027 11:00:00" in body
        assert "2027-01-15 11:00:00 CET" in body
        assert f"http://testserver{reverse('applications:detail', args=[application.pk])}" in body


# -- withdraw ----------------------------------------------------------------------------------


def test_withdraw_asks_for_a_reason(client, application, member):
    url = reverse("applications:withdraw", args=[application.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert response.context["errors"] == [("id_reason", "This field is required.")]
    application.refresh_from_db()
    assert application.state == S.DRAFT


def test_withdraw_with_a_reason_withdraws_and_logs_it(
    client, application, member, mailoutbox, django_capture_on_commit_callbacks
):
    submit(application, member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:withdraw", args=[application.pk]),
            {"reason": "The hub closed."},
            follow=True,
        )
    application.refresh_from_db()
    assert application.state == S.WITHDRAWN
    assert application.withdrawn_reason == "The hub closed."
    assert messages_of(response) == ["The application has been withdrawn."]
    assert application.transitions.last().comment == "The hub closed."


def test_a_withdrawn_application_cannot_be_withdrawn_again(client, application, member):
    application_withdraw(application=application, by=member, reason="No.")
    response = client.get(reverse("applications:withdraw", args=[application.pk]), follow=True)
    assert messages_of(response) == ["This application can no longer be withdrawn."]


def test_withdraw_refuses_others(
    client, application, applicant, other_applicant, programme_manager
):
    url = reverse("applications:withdraw", args=[application.pk])
    assert client.post(url, {"reason": "x"}).url == f"{reverse('login')}?next={url}"
    login(client, other_applicant)
    assert client.post(url, {"reason": "x"}).status_code == 404
    submit(application, applicant)
    login(client, programme_manager)
    assert client.post(url, {"reason": "x"}).status_code == 403
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


# -- versions ----------------------------------------------------------------------------------


def test_version_page_shows_the_frozen_content_without_the_hash(client, application, member):
    version = submit(application, member)
    original_title = application.title
    client.post(
        reverse("applications:edit", args=[application.pk]),
        edit_payload(application, title="Later edit"),
    )
    response = client.get(reverse("applications:version_detail", args=[application.pk, 1]))
    html = response.content.decode()
    assert response.status_code == 200
    assert version.sha256 not in html  # in the receipt; the agency's page of it shows it
    assert original_title in html
    assert "Later edit" not in html
    assert "Hub membership and rent" in html


def test_version_page_is_open_to_agency_staff(client, application, applicant, programme_manager):
    version = submit(application, applicant)
    login(client, programme_manager)
    response = client.get(reverse("applications:version_detail", args=[application.pk, 1]))
    assert response.status_code == 200
    assert version.sha256 in response.content.decode()


def test_version_page_refuses_others(client, application, applicant, other_applicant):
    submit(application, applicant)
    url = reverse("applications:version_detail", args=[application.pk, 1])
    assert client.get(url).url == f"{reverse('login')}?next={url}"
    login(client, other_applicant)
    assert client.get(url).status_code == 404
    login(client, applicant)
    assert (
        client.get(reverse("applications:version_detail", args=[application.pk, 2])).status_code
        == 404
    )


def test_a_budget_posted_from_a_page_older_than_the_stored_lines_is_kept(
    client, application, member
):
    # The page was shown before the budget was stored (no initial rows), then an autosave or a
    # second tab stored the same lines; posting that page again must not drop them.
    application.budget_lines.all().delete()
    stale = edit_payload(application)
    lines = {
        "budget-0-category": BudgetCategory.HUB,
        "budget-0-description": "Hub membership",
        "budget-0-amount": "300000",
        "budget-1-category": BudgetCategory.STAFF,
        "budget-1-description": "Project lead",
        "budget-1-amount": "200000",
    }
    url = reverse("applications:edit", args=[application.pk])
    client.post(url, {**stale, **lines})
    assert len(budget_of(application)) == 2

    client.post(url, {**stale, **lines})  # the same, older page posted again

    assert budget_of(application) == [
        (BudgetCategory.HUB, "Hub membership", 300000),
        (BudgetCategory.STAFF, "Project lead", 200000),
    ]
