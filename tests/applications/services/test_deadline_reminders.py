"""Reminders before a deadline passes, from the daily ``send_follow_up_reminders``: a returned
application's completion deadline (``COMPLETION_REMINDER_DAYS_BEFORE``, 3 days) and an approved
grant's last day to accept (``ACCEPTANCE_REMINDER_DAYS_BEFORE``, 7 days). Each goes out once per
deadline, however often the job runs (and, on PostgreSQL, when it runs twice at once), never
once the deadline has passed or the applicant has acted, and again for a new deadline.
"""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db import connection

from applications.enums import DeadlineKind
from applications.models import DeadlineReminder
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.follow_up import application_accept_grant
from applications.services.transitions import application_return_for_completion, application_submit
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
UTC = dt.UTC
# The completion deadline: 12:00 in Stockholm on 10 December 2026 (winter time, UTC+1).
COMPLETE_BY = dt.datetime(2026, 12, 10, 11, 0, tzinfo=UTC)


def _at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def _on(day: dt.date, hour: int = 3):
    """The daily job's run on ``day`` (at 03:15 in Stockholm unless told)."""
    return _at(dt.datetime.combine(day, dt.time(hour, 15), tzinfo=STOCKHOLM))


def _run() -> str:
    out = io.StringIO()
    call_command("send_follow_up_reminders", stdout=out)
    return out.getvalue()


def _job(capture, day: dt.date, hour: int = 3) -> list:
    """Run the daily job on ``day`` with its emails sent after commit; returns those emails."""
    sent = len(mail.outbox)
    with _on(day, hour), capture(execute=True):
        _run()
    return mail.outbox[sent:]


def _recipients(application) -> list[str]:
    members = application.organisation.memberships.values_list("user__email", flat=True)
    return sorted({application.contact_email, *members})


def _return(application, deadline=COMPLETE_BY, message="Attach the hub's written offer."):
    application_return_for_completion(
        application=application,
        by=factories.programme_manager(),
        message=message,
        deadline=deadline,
    )
    application.refresh_from_db()


@pytest.fixture
def returned():
    """An application in English, returned on 1 December to be completed by 10 December."""
    with _at(dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC)):
        application = factories.submitted_application(
            language="en", contact_email="contact@kommun.example.se"
        )
    with _at(dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)):
        _return(application)
    mail.outbox.clear()
    return application


# -- before a completion deadline -------------------------------------------------------------


def test_no_completion_reminder_before_the_lead_time(returned, django_capture_on_commit_callbacks):
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 6), hour=23) == []
    assert DeadlineReminder.objects.count() == 0


def test_a_completion_reminder_goes_out_three_days_before_the_deadlines_date(
    returned, django_capture_on_commit_callbacks
):
    [email] = _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 7))

    number = returned.registration_number
    assert email.to == _recipients(returned)
    assert email.subject == f"Reminder: complete the application {number} by 10 December 2026"
    assert (
        f"The application {number}, “{returned.title}”, was returned for completion and has "
        "not been submitted again yet." in email.body
    )
    assert (
        "Complete the application and submit it again by 10 December 2026 at 12:00 (Swedish "
        "time). After that, it cannot be submitted." in email.body
    )
    assert "What needs to be completed:\n\nAttach the hub's written offer." in email.body
    url = f"http://testserver/applications/{returned.pk}/"
    assert url in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{url}"' in html
    assert "Attach the hub&#x27;s written offer." in html
    reminder = DeadlineReminder.objects.get()
    assert (reminder.application, reminder.kind, reminder.deadline) == (
        returned,
        DeadlineKind.COMPLETION,
        COMPLETE_BY,
    )


def test_a_completion_reminder_is_in_the_applications_language(
    django_capture_on_commit_callbacks,
):
    with _at(dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC)):
        application = factories.submitted_application(language="sv")
    with _at(dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)):
        _return(application, message="Komplettera budgeten.")

    [email] = _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 8))

    number = application.registration_number
    assert email.subject == f"Påminnelse: komplettera ansökan {number} senast 10 december 2026"
    assert "återsändes för komplettering och har ännu inte skickats in igen." in email.body
    assert "10 december 2026 klockan 12:00" in email.body
    assert "Komplettera budgeten." in email.body


def test_a_completion_reminder_goes_out_once_however_often_the_job_runs(
    returned, django_capture_on_commit_callbacks
):
    assert len(_job(django_capture_on_commit_callbacks, dt.date(2026, 12, 7))) == 1
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 7), hour=14) == []
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 9)) == []
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 10)) == []
    assert DeadlineReminder.objects.count() == 1


def test_a_job_that_missed_days_still_reminds_on_the_last_morning(
    returned, django_capture_on_commit_callbacks
):
    assert len(_job(django_capture_on_commit_callbacks, dt.date(2026, 12, 10), hour=11)) == 1


def test_no_completion_reminder_once_the_deadline_has_passed(
    returned, django_capture_on_commit_callbacks
):
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 10), hour=12) == []
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 11)) == []
    assert DeadlineReminder.objects.count() == 0


def test_no_completion_reminder_once_the_application_is_submitted_again(
    returned, django_capture_on_commit_callbacks
):
    with _at(dt.datetime(2026, 12, 2, 10, 0, tzinfo=UTC)):
        application_submit(application=returned, by=factories.applicant_for(returned))
    mail.outbox.clear()
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 8)) == []


def test_a_new_completion_deadline_gets_its_own_reminder(
    returned, django_capture_on_commit_callbacks
):
    assert len(_job(django_capture_on_commit_callbacks, dt.date(2026, 12, 7))) == 1
    with _at(dt.datetime(2026, 12, 8, 10, 0, tzinfo=UTC)):
        application_submit(application=returned, by=factories.applicant_for(returned))
        _return(returned, deadline=dt.datetime(2026, 12, 18, 11, 0, tzinfo=UTC))
    mail.outbox.clear()

    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 14)) == []
    [email] = _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 15))
    assert email.subject.endswith("by 18 December 2026")
    assert DeadlineReminder.objects.filter(application=returned).count() == 2


def test_the_completion_lead_time_is_a_setting(
    returned, settings, django_capture_on_commit_callbacks
):
    settings.COMPLETION_REMINDER_DAYS_BEFORE = 1
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 8)) == []
    assert len(_job(django_capture_on_commit_callbacks, dt.date(2026, 12, 9))) == 1


# -- before the last day to accept -----------------------------------------------------------


@pytest.fixture
def approved():
    """An approval in English, released on 1 December 2026: the last day to accept it is
    31 December (the call's 30 days)."""
    with _at(dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)):
        application = factories.approved_grant(language="en")
    assert application.accept_by == dt.date(2026, 12, 31)
    mail.outbox.clear()
    return application


def test_no_acceptance_reminder_before_the_lead_time(approved, django_capture_on_commit_callbacks):
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 23), hour=23) == []
    assert DeadlineReminder.objects.count() == 0


def test_an_acceptance_reminder_goes_out_seven_days_before_the_last_day(
    approved, django_capture_on_commit_callbacks
):
    [email] = _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 24))

    number = approved.registration_number
    assert email.to == _recipients(approved)
    assert email.subject == f"Reminder: accept the grant {number} by 31 December 2026"
    assert (
        f"The grant for the application {number}, “{approved.title}”, has not been accepted "
        "yet. The last day to accept it is 31 December 2026." in email.body
    )
    assert (
        f"A person with signing right for {approved.organisation.name} accepts the grant on "
        "the grant page. If it is not accepted in time, the grant lapses and will not be paid."
        in email.body
    )
    url = f"http://testserver/applications/{approved.pk}/grant/"
    assert url in email.body
    assert f'href="{url}"' in email.alternatives[0][0]
    reminder = DeadlineReminder.objects.get()
    assert (reminder.kind, reminder.deadline) == (
        DeadlineKind.ACCEPTANCE,
        dt.datetime(2027, 1, 1, tzinfo=STOCKHOLM),
    )


def test_an_acceptance_reminder_is_in_the_applications_language(
    django_capture_on_commit_callbacks,
):
    with _at(dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)):
        application = factories.approved_grant(language="sv")
    mail.outbox.clear()

    [email] = _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 28))

    number = application.registration_number
    assert email.subject == f"Påminnelse: tacka ja till bidraget {number} senast 31 december 2026"
    assert "Sista dag att tacka ja är 31 december 2026." in email.body
    assert "firmateckningsrätt" in email.body


def test_an_acceptance_reminder_goes_out_once_and_on_the_last_day_at_the_latest(
    approved, django_capture_on_commit_callbacks
):
    assert len(_job(django_capture_on_commit_callbacks, dt.date(2026, 12, 31), hour=23)) == 1
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 31), hour=23) == []
    assert _job(django_capture_on_commit_callbacks, dt.date(2027, 1, 1)) == []
    assert DeadlineReminder.objects.count() == 1


def test_no_acceptance_reminder_after_the_last_day(approved, django_capture_on_commit_callbacks):
    assert _job(django_capture_on_commit_callbacks, dt.date(2027, 1, 1), hour=0) == []
    assert DeadlineReminder.objects.count() == 0


def test_no_acceptance_reminder_once_the_grant_is_accepted(
    approved, django_capture_on_commit_callbacks
):
    signatory = factories.applicant_for(approved, is_signatory=True)
    with _at(dt.datetime(2026, 12, 20, 10, 0, tzinfo=UTC)):
        application_accept_grant(
            application=approved,
            by=signatory,
            text=acceptance_text(approved, effective_decision(approved)),
        )
    mail.outbox.clear()
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 28)) == []
    assert DeadlineReminder.objects.count() == 0


def test_the_acceptance_lead_time_is_a_setting(
    approved, settings, django_capture_on_commit_callbacks
):
    settings.ACCEPTANCE_REMINDER_DAYS_BEFORE = 2
    assert _job(django_capture_on_commit_callbacks, dt.date(2026, 12, 28)) == []
    assert len(_job(django_capture_on_commit_callbacks, dt.date(2026, 12, 29))) == 1


def test_the_command_says_how_many_deadline_reminders_it_queued(
    returned, approved, django_capture_on_commit_callbacks
):
    with _on(dt.date(2026, 12, 8)), django_capture_on_commit_callbacks(execute=True):
        assert _run() == "Queued 0 report reminders.\nQueued 1 deadline reminders.\n"
    with _on(dt.date(2026, 12, 24)), django_capture_on_commit_callbacks(execute=True):
        assert _run() == "Queued 0 report reminders.\nQueued 1 deadline reminders.\n"
        assert _run() == "Queued 0 report reminders.\nQueued 0 deadline reminders.\n"


# -- twice at the same moment, on PostgreSQL ---------------------------------------------------

on_postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@on_postgres_only
def test_the_job_run_twice_at_once_sends_each_deadline_reminder_once():
    # The flush after a transactional test removes the groups the data migration made.
    for name in (PROGRAMME_MANAGERS, DECISION_MAKERS):
        Group.objects.get_or_create(name=name)
    with _at(dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)):
        grants = [factories.approved_grant(language="en") for _ in range(3)]
    mail.outbox.clear()
    with _on(dt.date(2026, 12, 26)):
        results, errors = run_together([_run, _run])
    assert errors == []
    assert len(results) == 2
    assert DeadlineReminder.objects.count() == 3
    assert sorted((email.subject, tuple(email.to)) for email in mail.outbox) == sorted(
        (
            f"Reminder: accept the grant {grant.registration_number} by 31 December 2026",
            tuple(_recipients(grant)),
        )
        for grant in grants
    )
