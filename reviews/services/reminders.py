"""Writes: the daily reminders to reviewers about reviews due soon or overdue."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from applications.enums import ApplicationState, ReminderKind

from .. import tasks
from ..enums import ReviewStatus
from ..models import Assignment, ReviewReminder


def review_reminders_send(*, today=None) -> int:
    """Queue the reminders due today: within the call's ``review_reminder_days_before`` days of
    its review due date, and once the day after it has passed, for every active assignment without
    a submitted review. Each is sent at most once: the ``ReviewReminder`` row's unique
    constraint decides, so two runs at the same moment send it once. Returns how many."""
    today = today or timezone.localdate()
    assignments = (
        Assignment.objects.filter(
            removed_at__isnull=True,
            member__deactivated_at__isnull=True,
            application__state=ApplicationState.IN_REVIEW,
            application__call__review_due_at__isnull=False,
        )
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .select_related("application__call")
    )
    queued = 0
    for assignment in assignments.iterator():
        call = assignment.application.call
        due = timezone.localdate(call.review_due_at)
        if today > due:
            kind = ReminderKind.OVERDUE
        elif today >= due - timedelta(days=call.review_reminder_days_before):
            kind = ReminderKind.BEFORE_DUE
        else:
            continue
        try:
            with transaction.atomic():
                reminder = ReviewReminder.objects.create(assignment=assignment, kind=kind)
                transaction.on_commit(
                    lambda pk=reminder.pk: tasks.send_review_reminder.enqueue(reminder_id=pk)
                )
        except IntegrityError:
            continue
        queued += 1
    return queued
