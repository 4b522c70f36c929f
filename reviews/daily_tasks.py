"""The review app's daily work as tasks, run once a day (see ``applications/daily_tasks.py``)."""

import datetime as dt

from django_tasks import task

from applications.daily_tasks import daily_job, daily_job_run

from .services.reminders import review_reminders_send


def _review_reminders(day: dt.date) -> dict[str, int]:
    return {"review_reminders": review_reminders_send()}


daily_job("send_review_reminders", _review_reminders)


@task()
def send_review_reminders(*, day: str | None = None) -> None:
    daily_job_run("send_review_reminders", day=day)
