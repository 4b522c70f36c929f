"""Writes: the daily reminders before an applicant's deadlines pass.

Two deadlines: a returned application's completion deadline (while it has not been submitted
again) and an approved grant's last day to accept (while it has not been accepted). Each
reminder is sent once per deadline, ``COMPLETION_REMINDER_DAYS_BEFORE`` or
``ACCEPTANCE_REMINDER_DAYS_BEFORE`` days before it; the ``DeadlineReminder`` row's unique
constraint decides, so two runs at the same moment, on any number of machines, send it once.
A new deadline (another request for completion, a longer time to accept) is a new reminder.
"""

import datetime as dt
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..enums import DeadlineKind
from ..models import Application, DeadlineReminder
from ._common import S, _enqueue_on_commit


def end_of_day(day: dt.date) -> dt.datetime:
    """The moment ``day`` ends in the agency's time zone (the start of the next day)."""
    return timezone.make_aware(dt.datetime.combine(day + timedelta(days=1), dt.time()))


def _remind(application: Application, *, kind: str, deadline: dt.datetime) -> bool:
    """Write the reminder's row and queue its email, unless it was sent for this deadline."""
    try:
        with transaction.atomic():
            reminder = DeadlineReminder.objects.create(
                application=application, kind=kind, deadline=deadline
            )
            _enqueue_on_commit("send_deadline_reminder", reminder_id=reminder.pk)
    except IntegrityError:
        return False
    return True


def deadline_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Queue the deadline reminders due now. Returns how many were queued.

    A completion reminder goes out from ``COMPLETION_REMINDER_DAYS_BEFORE`` days before the
    completion deadline's date until the deadline passes; an acceptance reminder from
    ``ACCEPTANCE_REMINDER_DAYS_BEFORE`` days before the last day to accept until that day ends.
    A job that missed days still reminds while the deadline is ahead, never after it.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    queued = 0
    # By the agency's calendar, as the report reminders: on the days from N days before the
    # deadline's date, whatever time of day the job runs.
    last_day = today + timedelta(days=settings.COMPLETION_REMINDER_DAYS_BEFORE)
    returned = Application.objects.filter(
        state=S.RETURNED,
        completion_deadline__gt=now,
        completion_deadline__lt=end_of_day(last_day),
    )
    for application in returned.iterator():
        if _remind(
            application, kind=DeadlineKind.COMPLETION, deadline=application.completion_deadline
        ):
            queued += 1
    acceptance_lead = timedelta(days=settings.ACCEPTANCE_REMINDER_DAYS_BEFORE)
    approved = Application.objects.filter(
        state=S.APPROVED, accept_by__gte=today, accept_by__lte=today + acceptance_lead
    )
    for application in approved.iterator():
        if _remind(
            application,
            kind=DeadlineKind.ACCEPTANCE,
            # The last day counts whole (``acceptance_open``): the time runs out as it ends.
            deadline=end_of_day(application.accept_by),
        ):
            queued += 1
    return queued
