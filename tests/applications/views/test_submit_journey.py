"""The applicant's submit side: check answers (Change links, the budget total), the declaration,
the confirmation page, the banner for changes not submitted, and a returned application's
completion request on the edit page."""

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from applications.audit import audit_record
from applications.enums import ApplicationState
from applications.hashing import content_sha256
from applications.services.transitions import (
    application_return_for_completion,
    application_submit,
)
from applications.services.working_copy import application_update
from grants.models import FormQuestion, FormSection
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState
NOW = dt.datetime(2027, 1, 15, 10, 0, tzinfo=dt.UTC)  # 11:00 in Stockholm
CLOSES = dt.datetime(2027, 1, 15, 11, 0, tzinfo=dt.UTC)  # 12:00 in Stockholm


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def call():
    return factories.CallFactory(
        opens_at=NOW - dt.timedelta(days=10),
        closes_at=CLOSES,
        review_due_at=dt.datetime(2027, 2, 20, 12, 0, tzinfo=dt.UTC),
    )


@pytest.fixture
def applicant(application):
    return factories.applicant_for(
        application,
        is_admin=True,
        is_signatory=True,
        user__language="en",
        user__email="lena@example.se",
    )


@pytest.fixture
def member(client, applicant):
    client.force_login(applicant)
    return applicant


def _html(response) -> str:
    return response.content.decode()


# -- check answers ------------------------------------------------------------------------------


def test_check_answers_has_a_change_link_per_part_to_its_section_page(client, application, member):
    html = _html(client.get(reverse("applications:preview", args=[application.pk])))
    for key, part in [
        ("project", "about the project"),
        ("section-1", "the trial"),
        ("budget", "amount and budget"),
        ("attachments", "attachments"),
        ("contact", "contact person"),
    ]:
        url = reverse("applications:edit_part", args=[application.pk, key])
        assert (f'<a href="{url}">Change<span class="visually-hidden"> {part}</span></a>') in html


def test_check_answers_says_in_a_line_what_each_part_holds(client, application, member):
    response = client.get(reverse("applications:preview", args=[application.pk]))
    assert [(part["title"], part["summary"]) for part in response.context["parts"]] == [
        ("About the project", f"{application.title}, {application.hub}, 2027-02-01 – 2027-12-31"),
        ("The trial", "3 of 3 questions answered"),
        ("Amount and budget", "500\u00a0000\u00a0kr"),
        ("Attachments", "No attachments."),
        ("Contact person", "Anna Andersson, anna@example.se"),
    ]


def test_check_answers_has_a_row_per_section_of_a_call_with_its_own_sections(
    client, member, application
):
    call = application.call
    extra = FormSection.objects.create(call=call, title_en="Impact", title_sv="Effekt", position=9)
    FormQuestion.objects.create(
        call=call, section=extra, key="impact", kind="short_text", label_en="Impact", position=0
    )
    response = client.get(reverse("applications:preview", args=[application.pk]))
    rows = [(part["title"], part["summary"], part["url"]) for part in response.context["parts"]]
    assert rows[2] == (
        "Impact",
        "0 of 1 question answered",
        reverse("applications:edit_part", args=[application.pk, "section-2"]),
    )


def test_check_answers_shows_the_budget_total_and_that_it_agrees(client, application, member):
    response = client.get(reverse("applications:preview", args=[application.pk]))
    assert response.context["budget"] == {
        "total": 500_000,
        "requested": 500_000,
        "difference": 0,
        "difference_size": 0,
    }
    assert "0 kr: they agree" in _html(response)


@pytest.mark.parametrize(
    ("requested", "says"),
    [
        (510_000, "10\u00a0000\u00a0kr less in the budget than requested"),
        (450_000, "50\u00a0000\u00a0kr more in the budget than requested"),
    ],
)
def test_check_answers_shows_the_difference_from_the_requested_amount(
    client, application, member, requested, says
):
    application.requested_amount = requested
    application.save()
    html = _html(client.get(reverse("applications:preview", args=[application.pk])))
    assert says in html
    assert "500\u00a0000\u00a0kr" in html


def test_check_answers_asks_for_the_declaration_before_the_submit_button(
    client, application, member
):
    html = _html(client.get(reverse("applications:preview", args=[application.pk])))
    declaration = html.index('name="declaration"')
    assert declaration < html.index("Submit the application</button>")
    assert "I confirm that the information is correct and that I may submit on behalf of" in html


def test_check_answers_shows_no_hash(client, application, member, tmp_path):
    application_submit(application=application, by=member)
    html = _html(client.get(reverse("applications:preview", args=[application.pk])))
    assert "SHA-256" not in html


def test_submit_without_the_declaration_keeps_the_swedish_message_for_a_swedish_reader(
    client, application, member
):
    member.language = "sv"
    member.save()
    response = client.post(
        reverse("applications:submit", args=[application.pk]), {}, HTTP_ACCEPT_LANGUAGE="sv"
    )
    assert "Kryssa i rutan för att intyga att uppgifterna är riktiga" in _html(response)
    application.refresh_from_db()
    assert application.state == S.DRAFT


# -- the confirmation page ----------------------------------------------------------------------


@override_settings(SUPPORT_EMAIL="ansokan@example.se")
def test_the_confirmation_says_number_receipt_next_steps_and_whom_to_ask(
    client, application, member
):
    application.contact_email = "kontakt@example.se"
    application.save()
    application_submit(application=application, by=member)
    application.refresh_from_db()
    response = client.get(reverse("applications:submitted", args=[application.pk]))
    html = _html(response)
    assert response.status_code == 200
    assert '<p class="confirmation-panel__number">2027-00001</p>' in html
    assert (
        "We have sent a receipt to <strong>lena@example.se</strong> and "
        "<strong>kontakt@example.se</strong>."
    ) in html
    assert (
        "Until the deadline, 15 January 2027 12:00, you may change the application and submit "
        "a new version."
    ) in html
    assert "The assessments are due 20 February 2027." in html
    assert "The call does not give a date for decisions yet." in html
    assert (
        'Write to <a href="mailto:ansokan@example.se">ansokan@example.se</a> and give your '
        "registration number, 2027-00001."
    ) in html
    assert application.versions.get().sha256 not in html


def test_the_confirmation_names_the_receipt_address_once_when_both_are_the_same(
    client, application, member
):
    application.contact_email = member.email
    application.save()
    application_submit(application=application, by=member)
    html = _html(client.get(reverse("applications:submitted", args=[application.pk])))
    assert "We have sent a receipt to <strong>lena@example.se</strong>." in html


def test_the_confirmation_after_completing_a_returned_application_says_the_call_has_closed(
    client, application, member, programme_manager, frozen
):
    application_submit(application=application, by=member)
    frozen.move_to(CLOSES + dt.timedelta(hours=1))
    application_return_for_completion(
        application=application,
        by=programme_manager,
        message="Bifoga hubbens offert.",
        deadline=CLOSES + dt.timedelta(days=7),
    )
    application.refresh_from_db()
    application_update(application=application, by=member, data={"summary": "Kompletterad."})
    application_submit(application=application, by=member)
    client.force_login(member)  # sessions outlive the hour
    html = _html(client.get(reverse("applications:submitted", args=[application.pk])))
    assert "<h1>New version submitted</h1>" in html
    assert "The call closed 15 January 2027 12:00." in html
    assert "you may change the application" not in html


def test_the_confirmation_of_a_draft_never_submitted_is_404(client, application, member):
    assert client.get(reverse("applications:submitted", args=[application.pk])).status_code == 404


def test_the_confirmation_refuses_everyone_but_the_applications_people(
    client, application, applicant, other_applicant, programme_manager, decision_maker
):
    application_submit(application=application, by=applicant)
    url = reverse("applications:submitted", args=[application.pk])
    assert client.get(url).url == f"{reverse('login')}?next={url}"
    client.force_login(other_applicant)
    assert client.get(url).status_code == 404
    client.force_login(programme_manager)
    assert client.get(url).status_code == 403
    client.force_login(decision_maker)
    assert client.get(url).status_code == 403
    client.force_login(applicant)
    assert client.get(url).status_code == 200


# -- changes not submitted ----------------------------------------------------------------------


def _change_after_submitting(application, member, frozen):
    application_submit(application=application, by=member)
    frozen.shift(60)
    application_update(application=application, by=member, data={"title": "A better title"})


def test_the_application_page_says_when_there_are_changes_not_submitted(
    client, application, member, frozen
):
    detail = reverse("applications:detail", args=[application.pk])
    application_submit(application=application, by=member)
    assert "You have changes that are not submitted" not in _html(client.get(detail))

    frozen.shift(60)
    application_update(application=application, by=member, data={"title": "A better title"})
    html = _html(client.get(detail))
    assert "You have changes that are not submitted" in html
    assert "submit the changes as a new version before 15 January 2027 12:00." in html
    assert f'href="{reverse("applications:preview", args=[application.pk])}"' in html


def test_after_the_deadline_the_banner_says_the_changes_do_not_count(
    client, application, member, frozen
):
    _change_after_submitting(application, member, frozen)
    frozen.move_to(CLOSES + dt.timedelta(minutes=1))
    client.force_login(member)  # sessions outlive the hour
    html = _html(client.get(reverse("applications:detail", args=[application.pk])))
    assert "The changes are not part of the application" in html


def test_the_dashboard_lists_the_applications_with_changes_not_submitted(
    client, application, member, frozen
):
    _change_after_submitting(application, member, frozen)
    other = factories.ApplicationFactory(
        organisation=application.organisation, call=application.call
    )
    application_submit(application=other, by=member)
    response = client.get(reverse("applications:dashboard"))
    assert response.context["unsent_changes"] == [application]
    html = _html(response)
    assert "Check and submit “A better title” (2027-00001) before 15 January 2027 12:00" in html


def test_the_dashboard_with_changes_not_submitted_has_a_fixed_query_count(
    client, application, member, frozen, django_assert_num_queries
):
    _change_after_submitting(application, member, frozen)
    url = reverse("applications:dashboard")
    client.get(url)  # warm the session
    with django_assert_num_queries(6):
        client.get(url)
    for _ in range(4):
        another = factories.ApplicationFactory(
            organisation=application.organisation, call=application.call
        )
        _change_after_submitting(another, member, frozen)
    client.get(url)  # the clock moved: the session is refreshed once more
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["unsent_changes"]) == 5


# -- a returned application ---------------------------------------------------------------------


def test_the_edit_page_of_a_returned_application_repeats_the_completion_request(
    client, application, member, programme_manager
):
    application_submit(application=application, by=member)
    application_return_for_completion(
        application=application,
        by=programme_manager,
        message="Bifoga hubbens offert.",
        deadline=NOW + dt.timedelta(days=7),
    )
    html = _html(client.get(reverse("applications:edit", args=[application.pk])))
    assert html.index("Request for completion") < html.index('id="application-form"')
    assert "Bifoga hubbens offert." in html


def test_the_task_list_and_section_pages_of_a_returned_application_repeat_the_request(
    client, application, member, programme_manager
):
    application_submit(application=application, by=member)
    application_return_for_completion(
        application=application,
        by=programme_manager,
        message="Bifoga hubbens offert.",
        deadline=NOW + dt.timedelta(days=7),
    )
    for url in (
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:edit_part", args=[application.pk, "section-1"]),
        reverse("applications:edit_part", args=[application.pk, "attachments"]),
    ):
        html = _html(client.get(url))
        assert html.index("Request for completion") < html.index("Bifoga hubbens offert.")
    assert 'id="task-status-project"' in _html(
        client.get(reverse("applications:detail", args=[application.pk]))
    )
    assert "22 January 2027 11:00" in html


# -- the budget rows' markup -------------------------------------------------------------------


def test_the_edit_page_carries_the_budget_script_and_its_row_template(client, application, member):
    html = _html(client.get(reverse("applications:edit", args=[application.pk])))
    assert "samverket/js/budget.js" in html
    assert "<template data-budget-template>" in html
    assert 'name="budget-__prefix__-amount"' in html
    assert 'name="requested_amount" value="500\u00a0000"' in html
    assert 'inputmode="numeric"' in html
    assert "The saved budget lines add up to 500\u00a0000\u00a0kr." in html


# -- the version download ------------------------------------------------------------------------


def test_the_version_download_carries_the_content_and_the_hash_that_verifies_it(
    client, application, member
):
    version = application_submit(application=application, by=member)
    page = _html(client.get(reverse("applications:version_detail", args=[application.pk, 1])))
    download = reverse("applications:version_download", args=[application.pk, 1])
    assert f'href="{download}"' in page
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="2027-00001-v1.json"'
    document = json.loads(response.content)
    assert document["sha256"] == version.sha256
    assert content_sha256(document["content"]) == version.sha256
    assert document["registration_number"] == "2027-00001"
    assert document["version"] == 1
    assert document["submitted_at"] == "2027-01-15T11:00:00+01:00"


def test_the_version_download_refuses_others(client, application, applicant, other_applicant):
    application_submit(application=application, by=applicant)
    url = reverse("applications:version_download", args=[application.pk, 1])
    assert client.get(url).url == f"{reverse('login')}?next={url}"
    client.force_login(other_applicant)
    assert client.get(url).status_code == 404
    client.force_login(applicant)
    missing = reverse("applications:version_download", args=[application.pk, 2])
    assert client.get(missing).status_code == 404


# -- the submit's own cost (what every submit pays on deadline day) --------------------------


def test_a_submit_takes_a_fixed_number_of_queries(
    client, application, member, django_assert_num_queries
):
    client.get(reverse("applications:preview", args=[application.pk]))  # warm the session
    audit_record(action="call.change", actor=None)  # the chain's head exists, as on any day
    # session, user, roles; the application and the person's membership; in the transaction
    # (a savepoint here): the application locked, its deadline exceptions and budget lines,
    # the call's form (sections, questions, budget categories, hubs), the attachments, the
    # hub, the snapshot's attachments, the latest version; the new version, the transition
    # log, the registration number, the application, the audit entry (three statements on
    # SQLite, two on PostgreSQL: applications/audit.py)
    with django_assert_num_queries(PINNED_SUBMIT_QUERIES[connection.vendor]):
        response = client.post(
            reverse("applications:submit", args=[application.pk]), {"declaration": "on"}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:submitted", args=[application.pk])
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


PINNED_SUBMIT_QUERIES = {"sqlite": 25, "postgresql": 24}
