"""The daily follow-up jobs: ``send_follow_up_reminders`` and ``lapse_unaccepted_grants``.

Reminders go out within the call's ``reminder_days_before`` of a report's due date and once it
is overdue, never for a report handed in, and each only once, also when the job runs twice, and
(on PostgreSQL) twice at the same moment. Grants not accepted by their last day lapse the day
after, once, with a notification.

The factories' grants run 1 February to 31 December 2027; the final report is due 60 days
later, on 29 February 2028, and the call's reminder lead time is 14 days.
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

from applications.enums import ApplicationState, ReminderKind, ReportKind
from applications.models import ApplicationTransition, ReportReminder
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from applications.services.follow_up import report_approve, report_return
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DUE = dt.date(2028, 2, 29)


def _on(day: dt.date):
    """Travel to noon in Stockholm on ``day`` (the jobs read the agency's date)."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=STOCKHOLM))


def _run(command: str) -> str:
    out = io.StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def _reminders(django_capture_on_commit_callbacks, day: dt.date) -> list:
    """Run the reminder job on ``day`` with its emails sent; returns the emails it sent."""
    sent = len(mail.outbox)
    with _on(day), django_capture_on_commit_callbacks(execute=True):
        _run("send_follow_up_reminders")
    return mail.outbox[sent:]


def _recipients(application) -> list[str]:
    members = application.organisation.memberships.values_list("user__email", flat=True)
    return sorted({application.contact_email, *members})


@pytest.fixture
def grant():
    """A grant in follow-up, in English, its final report not yet written."""
    application = factories.grant_in_follow_up(language="en")
    assert application.reports.get().due_on == DUE
    mail.outbox.clear()
    return application


# -- before the due date ----------------------------------------------------------------------


def test_no_reminder_before_the_reminder_lead_time(grant, django_capture_on_commit_callbacks):
    assert _reminders(django_capture_on_commit_callbacks, DUE - dt.timedelta(days=15)) == []
    assert ReportReminder.objects.count() == 0


def test_a_reminder_goes_out_on_the_first_day_of_the_lead_time(
    grant, django_capture_on_commit_callbacks
):
    [email] = _reminders(django_capture_on_commit_callbacks, DUE - dt.timedelta(days=14))
    assert email.subject == f"Reminder: Final report for {grant.registration_number} is due soon"
    assert email.to == _recipients(grant)
    assert "Final report for the grant" in email.body
    assert "is due on 29 February 2028." in email.body
    reminder = ReportReminder.objects.get()
    assert (reminder.report.kind, reminder.kind) == (ReportKind.FINAL, ReminderKind.BEFORE_DUE)


def test_the_lead_time_is_the_calls(django_capture_on_commit_callbacks):
    call = factories.CallFactory(reminder_days_before=3)
    factories.grant_in_follow_up(call)
    mail.outbox.clear()
    assert _reminders(django_capture_on_commit_callbacks, DUE - dt.timedelta(days=4)) == []
    assert len(_reminders(django_capture_on_commit_callbacks, DUE - dt.timedelta(days=3))) == 1


def test_on_the_due_date_the_reminder_is_the_one_before_due(
    grant, django_capture_on_commit_callbacks
):
    [email] = _reminders(django_capture_on_commit_callbacks, DUE)
    assert email.subject.endswith("is due soon")
    assert ReportReminder.objects.get().kind == ReminderKind.BEFORE_DUE


def test_the_command_says_how_many_it_queued(grant, django_capture_on_commit_callbacks):
    with _on(DUE - dt.timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        assert _run("send_follow_up_reminders") == (
            "Queued 1 report reminders.\nQueued 0 deadline reminders.\n"
        )
        assert _run("send_follow_up_reminders") == (
            "Queued 0 report reminders.\nQueued 0 deadline reminders.\n"
        )


# -- overdue --------------------------------------------------------------------------------


def test_an_overdue_reminder_goes_out_the_day_after_the_due_date(
    grant, django_capture_on_commit_callbacks
):
    [email] = _reminders(django_capture_on_commit_callbacks, DUE + dt.timedelta(days=1))
    assert email.subject == f"Final report for {grant.registration_number} is overdue"
    assert email.to == _recipients(grant)
    assert ReportReminder.objects.get().kind == ReminderKind.OVERDUE


def test_each_reminder_goes_out_once_however_often_the_job_runs(
    grant, django_capture_on_commit_callbacks
):
    before = DUE - dt.timedelta(days=10)
    assert len(_reminders(django_capture_on_commit_callbacks, before)) == 1
    assert _reminders(django_capture_on_commit_callbacks, before) == []
    assert _reminders(django_capture_on_commit_callbacks, before + dt.timedelta(days=1)) == []
    overdue = DUE + dt.timedelta(days=3)
    assert len(_reminders(django_capture_on_commit_callbacks, overdue)) == 1
    assert _reminders(django_capture_on_commit_callbacks, overdue) == []
    assert _reminders(django_capture_on_commit_callbacks, overdue + dt.timedelta(days=30)) == []
    assert sorted(ReportReminder.objects.values_list("kind", flat=True)) == [
        ReminderKind.BEFORE_DUE,
        ReminderKind.OVERDUE,
    ]


# -- reports handed in and grants no longer in follow-up -----------------------------------------


def test_no_reminder_for_a_submitted_report(grant, django_capture_on_commit_callbacks):
    factories.complete_report(grant.reports.get(), by=grant.signatory)
    mail.outbox.clear()
    assert _reminders(django_capture_on_commit_callbacks, DUE - dt.timedelta(days=5)) == []
    assert _reminders(django_capture_on_commit_callbacks, DUE + dt.timedelta(days=5)) == []
    assert ReportReminder.objects.count() == 0


def test_no_reminder_for_an_approved_report(grant, django_capture_on_commit_callbacks):
    report = grant.reports.get()
    factories.complete_report(report, by=grant.signatory)
    report_approve(report=report, by=factories.programme_manager())
    mail.outbox.clear()
    assert _reminders(django_capture_on_commit_callbacks, DUE - dt.timedelta(days=5)) == []
    assert _reminders(django_capture_on_commit_callbacks, DUE + dt.timedelta(days=5)) == []
    assert ReportReminder.objects.count() == 0


def test_a_returned_report_is_reminded_again_when_overdue(
    grant, django_capture_on_commit_callbacks
):
    report = grant.reports.get()
    factories.complete_report(report, by=grant.signatory)
    report_return(report=report, by=factories.programme_manager(), comment="Add the hub days.")
    mail.outbox.clear()
    [email] = _reminders(django_capture_on_commit_callbacks, DUE + dt.timedelta(days=2))
    assert email.subject.endswith("is overdue")


# -- lapse ----------------------------------------------------------------------------------------


@pytest.fixture
def approved():
    """An approval released to the applicant and not accepted, in English."""
    application = factories.approved_grant(language="en")
    mail.outbox.clear()
    return application


def _lapse(django_capture_on_commit_callbacks, day: dt.date) -> list:
    sent = len(mail.outbox)
    with _on(day), django_capture_on_commit_callbacks(execute=True):
        _run("lapse_unaccepted_grants")
    return mail.outbox[sent:]


def test_a_grant_does_not_lapse_on_its_last_day_to_accept(
    approved, django_capture_on_commit_callbacks
):
    assert _lapse(django_capture_on_commit_callbacks, approved.accept_by) == []
    approved.refresh_from_db()
    assert approved.state == ApplicationState.APPROVED


def test_a_grant_lapses_the_day_after_its_last_day_to_accept_with_a_notification(
    approved, django_capture_on_commit_callbacks
):
    [email] = _lapse(django_capture_on_commit_callbacks, approved.accept_by + dt.timedelta(days=1))
    approved.refresh_from_db()
    assert approved.state == ApplicationState.CLOSED
    assert email.subject == f"The grant {approved.registration_number} has lapsed"
    assert email.to == _recipients(approved)
    log = ApplicationTransition.objects.get(application=approved, name="lapse")
    assert (log.source, log.target, log.actor) == ("approved", "closed", None)


def test_a_grant_lapses_once_however_often_the_job_runs(
    approved, django_capture_on_commit_callbacks
):
    day = approved.accept_by + dt.timedelta(days=1)
    assert len(_lapse(django_capture_on_commit_callbacks, day)) == 1
    assert _lapse(django_capture_on_commit_callbacks, day) == []
    assert _lapse(django_capture_on_commit_callbacks, day + dt.timedelta(days=7)) == []
    assert ApplicationTransition.objects.filter(application=approved, name="lapse").count() == 1


def test_an_accepted_grant_never_lapses(grant, django_capture_on_commit_callbacks):
    assert _lapse(django_capture_on_commit_callbacks, grant.accept_by + dt.timedelta(days=1)) == []
    grant.refresh_from_db()
    assert grant.state == ApplicationState.FOLLOW_UP


def test_the_lapse_command_says_how_many_lapsed(approved, django_capture_on_commit_callbacks):
    with (
        _on(approved.accept_by + dt.timedelta(days=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert _run("lapse_unaccepted_grants") == "Lapsed 1 grants not accepted in time.\n"
        assert _run("lapse_unaccepted_grants") == "Lapsed 0 grants not accepted in time.\n"


# -- twice at the same moment, on PostgreSQL ---------------------------------------------------
#
# SQLite runs one writer at a time and proves nothing here. Each job runs in its own thread with
# its own connection, released together by a barrier (tests/concurrency.py).

on_postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)


@pytest.fixture
def agency_groups():
    """The flush after a transactional test removes the groups the data migration made."""
    for name in (PROGRAMME_MANAGERS, DECISION_MAKERS):
        Group.objects.get_or_create(name=name)


def _together(command: str, times: int = 2) -> None:
    results, errors = run_together([lambda: _run(command) for _ in range(times)])
    assert errors == []
    assert len(results) == times


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@on_postgres_only
@pytest.mark.usefixtures("agency_groups")
@pytest.mark.parametrize(
    ("day", "subject"),
    [
        (DUE - dt.timedelta(days=7), "Reminder: Final report for {number} is due soon"),
        (DUE + dt.timedelta(days=7), "Final report for {number} is overdue"),
    ],
)
def test_reminder_job_run_twice_at_once_sends_each_reminder_once(day, subject):
    grants = [factories.grant_in_follow_up(language="en") for _ in range(3)]
    mail.outbox.clear()
    with _on(day):
        _together("send_follow_up_reminders")
    assert ReportReminder.objects.count() == 3
    assert sorted((email.subject, tuple(email.to)) for email in mail.outbox) == sorted(
        (subject.format(number=grant.registration_number), tuple(_recipients(grant)))
        for grant in grants
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@on_postgres_only
@pytest.mark.usefixtures("agency_groups")
def test_lapse_job_run_twice_at_once_lapses_each_grant_once():
    grants = [factories.approved_grant(language="en") for _ in range(3)]
    mail.outbox.clear()
    with _on(grants[0].accept_by + dt.timedelta(days=1)):
        _together("lapse_unaccepted_grants")
    assert ApplicationTransition.objects.filter(name="lapse").count() == 3
    for grant in grants:
        grant.refresh_from_db()
        assert grant.state == ApplicationState.CLOSED
    assert sorted((email.subject, tuple(email.to)) for email in mail.outbox) == sorted(
        (f"The grant {grant.registration_number} has lapsed", tuple(_recipients(grant)))
        for grant in grants
    )
