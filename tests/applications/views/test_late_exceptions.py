"""Late exceptions for applications the agency cannot otherwise see (a draft never submitted
because of a documented outage): found by call and organisation number, recorded with a reason,
and the applicant can then submit after the call has closed."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from applications.enums import ApplicationState, EligibilityItem
from applications.models import DeadlineException
from applications.services.transitions import (
    application_check_eligibility,
    application_start_review,
    application_submit,
)
from tests import factories

pytestmark = pytest.mark.django_db

LOOKUP_URL = reverse("applications:late_exceptions")


@pytest.fixture
def programme_manager():
    return factories.programme_manager(language="en")


@pytest.fixture
def draft(call):
    return factories.ApplicationFactory(call=call, summary="Confidential draft summary")


def record_url(application):
    return reverse("applications:late_exception_record", args=[application.pk])


def lookup(client, application):
    return client.get(
        LOOKUP_URL, {"call": application.call_id, "orgnr": application.organisation.orgnr}
    )


def exception_data(application, deadline, reason="Documented outage 14:00–18:00"):
    prefix = f"a{application.pk}"
    return {f"{prefix}-new_deadline": deadline, f"{prefix}-reason": reason}


def test_programme_manager_finds_a_draft_by_title_without_its_content(
    client, programme_manager, draft
):
    client.force_login(programme_manager)
    response = lookup(client, draft)
    html = response.content.decode()
    assert response.status_code == 200
    assert draft.title in html
    assert "Confidential draft summary" not in html


def test_the_exception_lets_the_draft_be_submitted_after_the_call_closed(
    client, programme_manager, draft, django_capture_on_commit_callbacks, mailoutbox
):
    member = factories.applicant_for(draft)
    client.force_login(programme_manager)
    new_deadline = (draft.call.closes_at + dt.timedelta(days=2)).astimezone(
        dt.timezone(dt.timedelta(hours=1))
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            record_url(draft), exception_data(draft, new_deadline.strftime("%Y-%m-%d %H:%M"))
        )
    assert response.status_code == 302
    exception = DeadlineException.objects.get(application=draft)
    assert exception.reason == "Documented outage 14:00–18:00"
    assert exception.granted_by == programme_manager
    assert member.email in mailoutbox[0].to
    assert "Documented outage" in mailoutbox[0].body
    with time_machine.travel(draft.call.closes_at + dt.timedelta(days=1)):
        application_submit(application=draft, by=member)
    draft.refresh_from_db()
    assert draft.state == ApplicationState.SUBMITTED


@pytest.mark.parametrize(
    ("deadline", "reason", "message"),
    [
        ("2020-01-01 12:00", "Outage", "The new deadline must be in the future."),
        ("2030-01-01 12:00", "", "This field is required."),
        ("not a date", "Outage", "Enter a valid date/time."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_recorded(
    client, programme_manager, draft, deadline, reason, message
):
    client.force_login(programme_manager)
    response = client.post(record_url(draft), exception_data(draft, deadline, reason))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DeadlineException.objects.exists()


def test_an_invalid_organisation_number_in_the_lookup_is_explained(
    client, programme_manager, draft
):
    client.force_login(programme_manager)
    response = client.get(LOOKUP_URL, {"call": draft.call_id, "orgnr": "811228-9874"})
    assert "personal identity number" in response.content.decode()


def test_an_application_in_review_is_neither_listed_nor_open_to_an_exception(
    client, programme_manager, draft
):
    member = factories.applicant_for(draft)
    application_submit(application=draft, by=member)
    with time_machine.travel(draft.call.closes_at + dt.timedelta(hours=1)):
        application_check_eligibility(
            application=draft,
            by=programme_manager,
            items=dict.fromkeys(EligibilityItem.values, True),
        )
        application_start_review(application=draft, by=programme_manager)
    client.force_login(programme_manager)
    assert draft.title not in lookup(client, draft).content.decode()
    response = client.post(record_url(draft), exception_data(draft, "2030-01-01 12:00"))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["decision_maker", "applicant", "reviewer"])
def test_other_roles_are_refused(client, draft, role):
    user = {
        "decision_maker": lambda: factories.decision_maker(),
        "applicant": lambda: factories.applicant_for(draft),
        "reviewer": lambda: factories.PanelMemberFactory(call=draft.call).user,
    }[role]()
    client.force_login(user)
    assert lookup(client, draft).status_code == 403
    response = client.post(record_url(draft), exception_data(draft, "2030-01-01 12:00"))
    assert response.status_code == 403
    assert not DeadlineException.objects.exists()


def test_anonymous_is_sent_to_log_in(client, draft):
    assert lookup(client, draft).url.startswith(reverse("login"))
    assert client.post(record_url(draft), {}).url.startswith(reverse("login"))


def test_the_case_list_links_to_late_exceptions_for_programme_managers_only(client, draft):
    client.force_login(factories.programme_manager())
    assert LOOKUP_URL in client.get(reverse("applications:manage_list")).content.decode()
    client.force_login(factories.decision_maker())
    assert LOOKUP_URL not in client.get(reverse("applications:manage_list")).content.decode()
