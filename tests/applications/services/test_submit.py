"""Submitting: the guards that refuse, the registration number, the frozen version, the receipt."""

import datetime as dt
import hashlib
import json
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from applications.enums import ApplicationState as S
from applications.enums import BudgetCategory
from applications.models import ApplicationVersion, RegistrationCounter
from applications.services.transitions import (
    application_record_deadline_exception,
    application_return_for_completion,
    application_submit,
)
from applications.services.working_copy import application_update, attachment_add, attachment_remove
from grants.enums import OrganisationKind
from tests import factories

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
OPENS = dt.datetime(2026, 11, 1, 9, 0, tzinfo=STOCKHOLM)
CLOSES = dt.datetime(2026, 11, 30, 12, 0, tzinfo=STOCKHOLM)  # 11:00 UTC
SECOND = dt.timedelta(seconds=1)
LATE = "The deadline, 2026-11-30 12:00, has passed. Late applications cannot be submitted."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(CLOSES - dt.timedelta(days=2), tick=False)
    return time_machine


@pytest.fixture
def call(frozen):
    return factories.CallFactory(opens_at=OPENS, closes_at=CLOSES)


@pytest.fixture
def pm():
    return factories.programme_manager()


def footprint(application) -> dict:
    """Everything a submit may change; a refused submit must leave all of it as it was."""
    application.refresh_from_db()
    return {
        "state": application.state,
        "registration_number": application.registration_number,
        "last_submitted_at": application.last_submitted_at,
        "counters": list(RegistrationCounter.objects.values_list("year", "last")),
        "versions": list(application.versions.values_list("number", "sha256")),
        "log": list(application.transitions.values_list("pk", flat=True)),
        "outbox": len(mail.outbox),
    }


def refused_submit(application, user, capture) -> list[str]:
    """Submit, expect a refusal, and return its messages."""
    with pytest.raises(ValidationError) as refused, capture(execute=True):
        application_submit(application=application, by=user)
    return refused.value.messages


# -- the deadline -------------------------------------------------------------------------------


def test_submit_one_second_before_closing_is_accepted(
    application, applicant, frozen, django_capture_on_commit_callbacks
):
    frozen.move_to(CLOSES - SECOND, tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        version = application_submit(application=application, by=applicant)

    application.refresh_from_db()
    assert application.state == S.SUBMITTED
    assert version.submitted_at == CLOSES - SECOND


@pytest.mark.parametrize("moment", [CLOSES, CLOSES + SECOND], ids=["at_closing", "one_second_late"])
def test_submit_at_or_after_closing_is_refused(
    moment, application, applicant, frozen, django_capture_on_commit_callbacks
):
    before = footprint(application)
    frozen.move_to(moment, tick=False)

    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert messages == [LATE]
    assert footprint(application) == before


def test_new_version_after_closing_is_refused(
    application, applicant, frozen, django_capture_on_commit_callbacks
):
    application_submit(application=application, by=applicant)
    application_update(application=application, by=applicant, data={"title": "Changed"})
    before = footprint(application)
    frozen.move_to(CLOSES, tick=False)

    with pytest.raises(ValidationError) as refused:
        application_update(application=application, by=applicant, data={"title": "Late"})
    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert refused.value.messages == ["This application can no longer be changed."]
    assert messages == [LATE]
    assert footprint(application) == before


# -- the content ----------------------------------------------------------------------------------


def test_submit_with_missing_required_fields_is_refused(
    call, applicant, django_capture_on_commit_callbacks
):
    application = factories.ApplicationFactory(call=call, title="", hub=None, period_end=None)
    applicant = factories.applicant_for(application)
    before = footprint(application)

    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert messages == [
        "Project title is required.",
        "Hub is required.",
        "Project end is required.",
    ]
    assert footprint(application) == before


def test_submit_with_budget_not_adding_up_is_refused(call, django_capture_on_commit_callbacks):
    application = factories.ApplicationFactory(
        call=call, budget=[(BudgetCategory.HUB, "Hub membership", 450_000)]
    )
    applicant = factories.applicant_for(application)
    before = footprint(application)

    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert messages == [
        "The budget lines add up to 450\u00a0000 kr, but the requested amount is 500\u00a0000 kr. "
        "They must be equal."
    ]
    assert footprint(application) == before


def test_submit_without_budget_lines_is_refused(call, django_capture_on_commit_callbacks):
    application = factories.ApplicationFactory(call=call, budget=[])
    applicant = factories.applicant_for(application)
    before = footprint(application)

    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert messages == ["Add at least one budget line."]
    assert footprint(application) == before


def test_submit_above_the_calls_maximum_is_refused(call, django_capture_on_commit_callbacks):
    application = factories.ApplicationFactory(
        call=call,
        requested_amount=600_001,
        budget=[(BudgetCategory.HUB, "Hub membership", 600_001)],
    )
    applicant = factories.applicant_for(application)
    before = footprint(application)

    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert messages == ["The requested amount is more than the call's maximum of 600\u00a0000 kr."]
    assert footprint(application) == before


def test_submit_at_exactly_the_calls_maximum_is_accepted(call):
    application = factories.ApplicationFactory(
        call=call,
        requested_amount=600_000,
        budget=[(BudgetCategory.HUB, "Hub membership", 600_000)],
    )

    application_submit(application=application, by=factories.applicant_for(application))

    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_submit_from_an_organisation_kind_not_in_the_call_is_refused(
    call, django_capture_on_commit_callbacks
):
    call.eligible_kinds = [OrganisationKind.REGION]
    call.save()
    application = factories.ApplicationFactory(call=call)  # a municipality
    applicant = factories.applicant_for(application)
    before = footprint(application)

    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert messages == ["Your kind of organisation may not apply to this call."]
    assert footprint(application) == before


def test_submit_with_a_hub_outside_the_call_is_refused(call, django_capture_on_commit_callbacks):
    other_hub = factories.HubFactory(name="Samverket Stockholm", city="Stockholm")
    application = factories.ApplicationFactory(call=call, hub=other_hub)
    applicant = factories.applicant_for(application)
    before = footprint(application)

    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert messages == ["The chosen hub is not part of this call."]
    assert footprint(application) == before


# -- returned applications and late exceptions ------------------------------------------------


def test_returned_application_can_be_resubmitted_until_its_completion_deadline(
    application, applicant, pm, frozen, django_capture_on_commit_callbacks
):
    application_submit(application=application, by=applicant)
    completion_deadline = CLOSES + dt.timedelta(days=10)
    frozen.move_to(CLOSES + dt.timedelta(days=1), tick=False)
    application_return_for_completion(
        application=application, by=pm, message="Add the hub's offer.", deadline=completion_deadline
    )
    application_update(
        application=application, by=applicant, data={"summary": "Now with the hub's offer."}
    )
    frozen.move_to(completion_deadline - SECOND, tick=False)

    version = application_submit(application=application, by=applicant)

    application.refresh_from_db()
    assert (application.state, version.number) == (S.SUBMITTED, 2)
    assert application.completion_deadline is None


def test_returned_application_after_its_completion_deadline_is_refused(
    application, applicant, pm, frozen, django_capture_on_commit_callbacks
):
    application_submit(application=application, by=applicant)
    completion_deadline = CLOSES + dt.timedelta(days=10)
    frozen.move_to(CLOSES + dt.timedelta(days=1), tick=False)
    application_return_for_completion(
        application=application, by=pm, message="Add the hub's offer.", deadline=completion_deadline
    )
    application_update(
        application=application, by=applicant, data={"summary": "Now with the hub's offer."}
    )
    before = footprint(application)
    frozen.move_to(completion_deadline, tick=False)

    messages = refused_submit(application, applicant, django_capture_on_commit_callbacks)

    assert messages == [
        "The deadline, 2026-12-10 12:00, has passed. Late applications cannot be submitted."
    ]
    assert footprint(application) == before


def test_late_exception_lets_one_application_submit_while_another_is_refused(
    call, pm, frozen, django_capture_on_commit_callbacks
):
    excepted = factories.ApplicationFactory(call=call)
    other = factories.ApplicationFactory(call=call)
    frozen.move_to(CLOSES + dt.timedelta(hours=2), tick=False)
    application_record_deadline_exception(
        application=excepted,
        by=pm,
        new_deadline=CLOSES + dt.timedelta(days=1),
        reason="The upload service was down for two hours before closing (incident 2026-77).",
    )

    version = application_submit(application=excepted, by=factories.applicant_for(excepted))
    other_before = footprint(other)
    messages = refused_submit(
        other, factories.applicant_for(other), django_capture_on_commit_callbacks
    )

    excepted.refresh_from_db()
    assert excepted.state == S.SUBMITTED
    assert version.submitted_at == CLOSES + dt.timedelta(hours=2)
    assert messages == [LATE]
    assert footprint(other) == other_before


# -- registration numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("active_zone", ["Europe/Stockholm", "UTC"])
def test_registration_year_is_stockholms_at_new_year(active_zone, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 20, tzinfo=dt.UTC), tick=False)
    call = factories.CallFactory(closes_at=dt.datetime(2027, 1, 15, 12, 0, tzinfo=STOCKHOLM))
    application = factories.ApplicationFactory(call=call)
    # 23:30 UTC on New Year's Eve is 00:30 on New Year's Day in Stockholm.
    time_machine.move_to(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), tick=False)

    with timezone.override(active_zone):
        application_submit(application=application, by=factories.applicant_for(application))

    application.refresh_from_db()
    assert application.registration_number == "2027-00001"
    assert list(RegistrationCounter.objects.values_list("year", "last")) == [(2027, 1)]


def test_registration_numbers_are_gap_free_even_around_a_refused_submit(
    call, django_capture_on_commit_callbacks
):
    first, refused, second, third = (factories.ApplicationFactory(call=call) for _ in range(4))
    application_submit(application=first, by=factories.applicant_for(first))
    application_update(application=refused, by=factories.applicant_for(refused), data={"title": ""})
    refused_submit(refused, factories.applicant_for(refused), django_capture_on_commit_callbacks)
    application_submit(application=second, by=factories.applicant_for(second))
    application_submit(application=third, by=factories.applicant_for(third))

    numbers = []
    for application in (first, refused, second, third):
        application.refresh_from_db()
        numbers.append(application.registration_number)
    assert numbers == ["2026-00001", None, "2026-00002", "2026-00003"]
    assert list(RegistrationCounter.objects.values_list("year", "last")) == [(2026, 3)]


def test_registration_number_is_kept_on_resubmit_after_return(application, applicant, pm, frozen):
    application_submit(application=application, by=applicant)
    application_return_for_completion(
        application=application,
        by=pm,
        message="Add the hub's offer.",
        deadline=CLOSES + dt.timedelta(days=5),
    )
    application_update(application=application, by=applicant, data={"summary": "More."})

    application_submit(application=application, by=applicant)

    application.refresh_from_db()
    assert application.registration_number == "2026-00001"
    assert list(application.versions.values_list("number", flat=True)) == [2, 1]
    assert list(RegistrationCounter.objects.values_list("year", "last")) == [(2026, 1)]


# -- versions -------------------------------------------------------------------------------------


def test_new_version_before_the_deadline_leaves_version_one_byte_identical(
    application, applicant, frozen
):
    first = application_submit(application=application, by=applicant)
    first_row = ApplicationVersion.objects.filter(pk=first.pk).values().get()
    first_json = json.dumps(first_row["content"], sort_keys=True)
    application_update(
        application=application,
        by=applicant,
        data={"title": "Hybrid work, second thoughts", "requested_amount": 400_000},
        budget_lines=[
            {"category": BudgetCategory.HUB, "description": "Hub membership", "amount": 400_000}
        ],
    )
    frozen.shift(60)

    second = application_submit(application=application, by=applicant)

    application.refresh_from_db()
    assert application.registration_number == "2026-00001"
    assert application.state == S.SUBMITTED
    assert second.number == 2
    assert second.sha256 != first.sha256
    assert second.content["title"] == "Hybrid work, second thoughts"
    assert ApplicationVersion.objects.filter(pk=first.pk).values().get() == first_row
    assert json.dumps(first_row["content"], sort_keys=True) == first_json
    assert first_row["content"]["title"] == first.content["title"]
    assert application.transitions.last().name == "submit_new_version"


def test_submitting_unchanged_content_twice_is_refused(
    application, applicant, django_capture_on_commit_callbacks
):
    application_submit(application=application, by=applicant)
    before = footprint(application)

    with (
        pytest.raises(ValidationError) as refused,
        django_capture_on_commit_callbacks(execute=True),
    ):
        application_submit(application=application, by=applicant)

    assert refused.value.messages == [
        "This version has already been submitted. Nothing has changed since then."
    ]
    assert refused.value.code == "unchanged"
    assert footprint(application) == before


def test_version_hash_is_sha256_of_the_canonical_json_of_its_content(application, applicant):
    version = application_submit(application=application, by=applicant)

    version.refresh_from_db()
    canonical = json.dumps(
        version.content, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    assert version.sha256 == hashlib.sha256(canonical).hexdigest()
    assert version.content["title"] == application.title
    assert version.content["requested_amount"] == 500_000
    assert version.content["budget_lines"] == [
        {"category": "hub", "description": "Hub membership", "amount": 300_000},
        {"category": "staff", "description": "Project lead", "amount": 200_000},
    ]
    assert version.content["organisation"]["orgnr"] == application.organisation.orgnr


def test_removed_attachment_stays_with_the_version_that_listed_it(application, applicant, frozen):
    upload = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    attachment = attachment_add(application=application, by=applicant, upload=upload)
    first = application_submit(application=application, by=applicant)

    attachment_remove(attachment=attachment, by=applicant)
    second = application_submit(application=application, by=applicant)

    attachment.refresh_from_db()
    assert attachment.removed_at is not None
    assert attachment.file.storage.exists(attachment.file.name)
    assert list(first.attachments.all()) == [attachment]
    assert list(second.attachments.all()) == []
    assert [a["name"] for a in first.content["attachments"]] == ["plan.pdf"]
    assert second.content["attachments"] == []


# -- the receipt ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
def test_receipt_goes_to_submitter_and_contact_in_the_applications_language(
    language, call, django_capture_on_commit_callbacks, mailoutbox
):
    try:
        get_template("emails/submission_receipt/subject.txt")
    except TemplateDoesNotExist:
        pytest.skip("templates/emails/submission_receipt/ is not written yet (applicant helper)")
    application = factories.ApplicationFactory(
        call=call, language=language, contact_email="Kontakt@Example.se"
    )
    submitter = factories.applicant_for(application)

    with django_capture_on_commit_callbacks(execute=True):
        version = application_submit(application=application, by=submitter)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == sorted(["kontakt@example.se", submitter.email])
    with translation.override(language):
        context = {"application": version.application, "version": version}
        expected_subject = " ".join(
            render_to_string("emails/submission_receipt/subject.txt", context).split()
        )
    assert message.subject == expected_subject
    assert version.application.registration_number in message.body
    assert version.sha256 in message.body
