"""The applicant's task list and its short section pages: a status per part from the submit's
own rules, a section page that saves only its fields, edit conflicts there, and a returned
application's completion request on both."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from applications.enums import ApplicationState, BudgetCategory
from applications.models import Application
from applications.selectors.task_list import submission_errors_by_part, task_list
from applications.services import working_copy
from tests import factories
from tests.applications.views.test_applicant import budget_of
from tests.applications.views.test_attachments import make_pdf

pytestmark = pytest.mark.django_db

STALE = (
    "This was saved from another tab or by a colleague after you opened the page. "
    "Nothing from this page has been saved."
)

CUSTOM_FORM = [
    {
        "title_sv": "Effekter",
        "title_en": "Impact",
        "questions": [
            {"key": "impact", "kind": "short_text", "label_en": "Impact", "required": True},
            {"key": "reach", "kind": "number", "label_en": "People reached"},
            {
                "key": "letter_of_intent",
                "kind": "attachment",
                "label_en": "Letter of intent",
                "required": True,
            },
        ],
    }
]


@pytest.fixture
def application():
    return factories.ApplicationFactory()


@pytest.fixture
def member(client, application):
    user = factories.applicant_for(application, user__language="en")
    client.force_login(user)
    return user


def _statuses(application) -> list[tuple[str, str]]:
    parts, _general = submission_errors_by_part(application)
    return [(part.key, part.status) for part in parts]


def _part(application, key: str) -> str:
    return reverse("applications:edit_part", args=[application.pk, key])


def _detail(application) -> str:
    return reverse("applications:detail", args=[application.pk])


# -- the status per part ------------------------------------------------------------------------


def test_a_new_draft_of_the_coworking_call_has_its_parts_not_started():
    application = factories.ApplicationFactory()
    draft = working_copy.application_create(
        call=application.call,
        organisation=application.organisation,
        by=factories.applicant_for(application),
    )
    draft.contact_name = draft.contact_email = ""
    draft.save()
    assert _statuses(draft) == [
        ("project", "not_started"),
        ("section-1", "not_started"),
        ("budget", "not_started"),
        ("attachments", "done"),  # the coworking call asks for no attachment
        ("contact", "not_started"),
    ]


def test_a_part_with_something_filled_in_but_not_all_is_started(application):
    application.summary = ""
    application.answers = {"what_to_try": "A hub"}
    application.requested_amount = 510_000  # the lines add up to 500 000
    application.contact_email = ""
    application.save()
    assert _statuses(application) == [
        ("project", "started"),
        ("section-1", "started"),
        ("budget", "started"),
        ("attachments", "done"),
        ("contact", "started"),
    ]


def test_a_complete_application_has_every_part_done_and_may_be_submitted(application):
    assert _statuses(application) == [
        ("project", "done"),
        ("section-1", "done"),
        ("budget", "done"),
        ("attachments", "done"),
        ("contact", "done"),
    ]
    with translation.override("en"):
        listed = task_list(application)
    assert (listed["done_count"], listed["part_count"], listed["ready"]) == (5, 5, True)
    assert listed["review_status"] == "Ready to submit"


def test_an_error_in_no_part_keeps_every_part_done_but_the_application_not_ready():
    application = factories.ApplicationFactory(call__eligible_kinds=["region"])
    with translation.override("en"):
        listed = task_list(application)
    assert listed["done_count"] == 5
    assert listed["ready"] is False
    assert listed["review_status"] == "Cannot submit yet"
    assert [e.message for e in listed["general_errors"]] == [
        "Your kind of organisation may not apply to this call."
    ]


def test_a_call_with_its_own_section_has_a_part_for_it_and_an_attachment_to_give(client):
    call = factories.CallFactory(form=CUSTOM_FORM)
    application = factories.ApplicationFactory(call=call, answers={})
    user = factories.applicant_for(application, user__language="en")
    client.force_login(user)
    assert _statuses(application) == [
        ("project", "done"),
        ("section-1", "not_started"),
        ("budget", "done"),
        ("attachments", "not_started"),
        ("contact", "done"),
    ]
    application.answers = {"reach": 40}  # not required: the section is started, not done
    application.save()
    assert dict(_statuses(application))["section-1"] == "started"
    application.answers = {"impact": "More hubs"}
    application.save()
    assert dict(_statuses(application))["section-1"] == "done"

    client.post(
        reverse("applications:attachment_upload", args=[application.pk]),
        {"file": SimpleUploadedFile("intent.pdf", make_pdf()), "kind": ""},
    )
    assert dict(_statuses(application))["attachments"] == "started"  # not the kind asked for
    client.post(
        reverse("applications:attachment_upload", args=[application.pk]),
        {"file": SimpleUploadedFile("letter.pdf", make_pdf()), "kind": "letter_of_intent"},
    )
    assert dict(_statuses(application))["attachments"] == "done"


# -- the task list on the application page -------------------------------------------------------


def test_the_application_page_of_a_draft_is_its_task_list(client, application, member):
    application.summary = ""
    application.save()
    response = client.get(_detail(application))
    html = response.content.decode()
    assert [(part.title, part.status_label) for part in response.context["task_list"]["parts"]] == [
        ("About the project", "In progress"),
        ("The trial", "Completed"),
        ("Amount and budget", "Completed"),
        ("Attachments", "Completed"),
        ("Contact person", "Completed"),
    ]
    for key in ("project", "section-1", "budget", "attachments", "contact"):
        assert f'href="{_part(application, key)}" aria-describedby="task-status-{key}"' in html
    assert 'id="task-status-project">In progress</strong>' in html
    assert "You have completed 4 of 5 parts." in html
    assert reverse("applications:preview", args=[application.pk]) in html
    assert 'id="task-status-review">Cannot submit yet</strong>' in html


def test_the_task_list_is_in_swedish_for_a_swedish_user(client, application):
    client.force_login(factories.applicant_for(application, user__language="sv"))
    html = client.get(_detail(application), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Om projektet" in html
    assert ">Klar</strong>" in html
    assert "Granska och skicka in" in html


def test_a_withdrawn_application_has_no_task_list(client, application, member):
    Application.objects.filter(pk=application.pk).update(state=ApplicationState.WITHDRAWN)
    response = client.get(_detail(application))
    assert response.context["task_list"] is None
    assert _part(application, "project") not in response.content.decode()


def test_a_new_application_lands_on_its_task_list(client, application, member):
    member.memberships.update(is_admin=True)
    response = client.post(
        reverse("applications:application_create", args=[application.call.slug]),
        {"organisation": application.organisation.pk},
    )
    created = application.organisation.applications.exclude(pk=application.pk).get()
    assert response.url == _detail(created)


# -- the section pages ------------------------------------------------------------------------


def test_a_section_page_shows_only_its_fields(client, application, member):
    response = client.get(_part(application, "section-1"))
    assert response.status_code == 200
    assert list(response.context["form"].fields) == [
        "what_to_try",
        "participants",
        "expected_results",
    ]
    html = response.content.decode()
    assert "<h1>The trial</h1>" in html
    assert 'name="title"' not in html
    assert '<input type="hidden" name="edit_version" value="0">' in html
    assert f'data-autosave-url="{reverse("applications:autosave", args=[application.pk])}"' in html


def test_the_project_and_contact_pages_hold_the_core_fields(client, application, member):
    project = client.get(_part(application, "project")).context["form"]
    contact = client.get(_part(application, "contact")).context["form"]
    assert list(project.fields) == ["title", "summary", "hub", "period_start", "period_end"]
    assert list(contact.fields) == ["contact_name", "contact_email", "contact_phone", "language"]


def test_a_section_page_saves_only_its_fields_and_goes_back_to_the_task_list(
    client, application, member
):
    response = client.post(
        _part(application, "section-1"),
        {
            "what_to_try": "A new trial",
            "participants": "30",
            "expected_results": "",
            "title": "Smuggled title",  # not a field of this page: ignored
            "budget-TOTAL_FORMS": "0",  # nor is the budget
            "budget-INITIAL_FORMS": "0",
            "edit_version": "0",
        },
    )
    assert response.status_code == 302
    assert response.url == _detail(application)
    title = application.title
    application.refresh_from_db()
    assert application.answers == {"what_to_try": "A new trial", "participants": 30}
    assert application.title == title
    assert application.edit_version == 1
    assert len(budget_of(application)) == 2


def test_the_budget_page_saves_the_amount_and_the_lines(client, application, member):
    response = client.post(
        _part(application, "budget"),
        {
            "requested_amount": "350 000",
            "budget-TOTAL_FORMS": "1",
            "budget-INITIAL_FORMS": "0",
            "budget-MIN_NUM_FORMS": "0",
            "budget-MAX_NUM_FORMS": "50",
            "budget-0-category": BudgetCategory.TRAVEL,
            "budget-0-description": "Trains",
            "budget-0-amount": "350 000",
            "summary": "Smuggled",
            "edit_version": "0",
        },
    )
    assert response.status_code == 302
    summary = application.summary
    application.refresh_from_db()
    assert application.requested_amount == 350_000
    assert budget_of(application) == [(BudgetCategory.TRAVEL, "Trains", 350_000)]
    assert application.summary == summary


def test_a_section_page_with_a_bad_value_shows_the_error_and_saves_nothing(
    client, application, member
):
    response = client.post(
        _part(application, "section-1"),
        {"what_to_try": "Changed", "participants": "many", "edit_version": "0"},
    )
    assert response.status_code == 200
    assert response.context["errors"] == [("id_participants", "Enter a whole number.")]
    assert list(response.context["form"].fields) == [
        "what_to_try",
        "participants",
        "expected_results",
    ]
    application.refresh_from_db()
    assert application.answers["what_to_try"] == "Coworking at the hub for 20 employees."
    assert application.edit_version == 0


def test_a_section_page_from_an_older_tab_is_refused_with_both_texts(client, application, member):
    client.post(_part(application, "project"), {"title": "Saved first", "edit_version": "0"})
    response = client.post(
        _part(application, "project"), {"title": "Older tab", "edit_version": "0"}
    )
    assert response.status_code == 409
    assert response.context["conflict"]["message"] == STALE
    assert response.context["conflict"]["rows"] == [
        {
            "label": "Project title",
            "field_id": "id_title",
            "stored": "Saved first",
            "sent": "Older tab",
        }
    ]
    assert response.context["edit_version"] == 1
    assert list(response.context["form"].fields) == [
        "title",
        "summary",
        "hub",
        "period_start",
        "period_end",
    ]
    application.refresh_from_db()
    assert (application.title, application.edit_version) == ("Saved first", 1)


def test_the_attachments_page_has_the_upload_and_no_save_first_warning(client, application, member):
    html = client.get(_part(application, "attachments")).content.decode()
    assert f'action="{reverse("applications:attachment_upload", args=[application.pk])}"' in html
    assert "Save the form above before uploading" not in html
    assert 'id="application-form"' not in html


def test_an_unknown_part_is_not_found(client, application, member):
    assert client.get(_part(application, "section-2")).status_code == 404
    assert client.get(_part(application, "nothing")).status_code == 404


def test_a_section_page_of_an_application_that_cannot_change_goes_to_its_page(
    client, application, member
):
    Application.objects.filter(pk=application.pk).update(state=ApplicationState.WITHDRAWN)
    response = client.get(_part(application, "project"))
    assert response.status_code == 302
    assert response.url == _detail(application)


def test_another_organisations_member_and_staff_cannot_open_a_section_page(client, application):
    client.force_login(factories.applicant_for(factories.ApplicationFactory()))
    assert client.get(_part(application, "project")).status_code == 404
    client.force_login(factories.programme_manager())
    assert client.get(_part(application, "project")).status_code == 404
