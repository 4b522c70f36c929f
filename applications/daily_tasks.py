"""The season's daily work as tasks: each runs once a day whatever the number of machines.

Cron (or a systemd timer) runs each command with ``--enqueue`` (docs/deploy.md), which queues the
task for the worker instead of doing the work in the cron job's own process. A task records its
run as a ``BackgroundJob`` keyed ``daily:<name>:<date>``: a second run the same day, a second
machine's cron, or a retried task finds that row and does nothing. The work itself was idempotent
already (each reminder's row is unique, each grant is locked before it lapses); the key makes the
day's run one row that staff can read, with its counts.

``reviews`` adds its own daily tasks (``reviews/daily_tasks.py``) through ``daily_job``.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from .enums import JobKind
from .models import BackgroundJob
from .services.deadline_reminders import deadline_reminders_send
from .services.follow_up import follow_up_reminders_send, grants_lapse_expired
from .services.jobs import job_finish, job_run, job_runner_register, job_start
from .services.personal_data import personal_data_anonymise_expired
from .services.scanning import attachments_scan_pending

DailyWork = Callable[[dt.date], dict[str, int]]


def daily_job(name: str, work: DailyWork) -> None:
    """Register a day's work by name: ``work(day)`` does it and answers its counts."""

    def runner(job: BackgroundJob) -> None:
        counts = work(dt.date.fromisoformat(job.params["day"]))
        job_finish(job, result={"counts": counts, "messages": _messages(name, counts)})

    job_runner_register(f"daily:{name}", runner)


def _messages(name: str, counts: dict[str, int]) -> list[str]:
    # The counts by their codes: the page of a day's job is for staff reading a log.
    return [f"{name}: " + ", ".join(f"{key} {value}" for key, value in counts.items())]


def daily_job_run(name: str, *, day: str | None = None) -> tuple[BackgroundJob, bool]:
    """Do the day's work of ``name`` once: returns ``(job, ran)``; ``ran`` is false when this
    day's run exists already (done, or under way elsewhere)."""
    day = day or timezone.localdate().isoformat()
    job, created = job_start(
        kind=JobKind.DAILY,
        key=f"daily:{name}:{day}",
        runner=f"daily:{name}",
        params={"day": day},
        once=True,
        enqueue=False,
    )
    if not created:
        return job, False
    return job_run(job.pk), True


def _lapse(day: dt.date) -> dict[str, int]:
    return {"lapsed": grants_lapse_expired(today=day)}


def _follow_up_reminders(day: dt.date) -> dict[str, int]:
    return {
        "report_reminders": follow_up_reminders_send(today=day),
        "deadline_reminders": deadline_reminders_send(),
    }


def _anonymise(day: dt.date) -> dict[str, int]:
    plan = personal_data_anonymise_expired(today=day)
    return {"people": len(plan.user_ids), "cases": len(plan.case_ids)}


def _scan(day: dt.date) -> dict[str, int]:
    counts = attachments_scan_pending()
    if settings.CLAMAV_ENABLED and counts["pending"]:
        # A failed day's run may run again the same day, once clamd answers.
        raise RuntimeError(f"{counts['pending']} attachments are still pending")
    return counts


daily_job("lapse_unaccepted_grants", _lapse)
daily_job("send_follow_up_reminders", _follow_up_reminders)
daily_job("anonymise_expired_personal_data", _anonymise)
daily_job("scan_attachments", _scan)


@task()
def lapse_unaccepted_grants(*, day: str | None = None) -> None:
    daily_job_run("lapse_unaccepted_grants", day=day)


@task()
def send_follow_up_reminders(*, day: str | None = None) -> None:
    daily_job_run("send_follow_up_reminders", day=day)


@task()
def anonymise_expired_personal_data(*, day: str | None = None) -> None:
    daily_job_run("anonymise_expired_personal_data", day=day)


@task()
def scan_attachments(*, day: str | None = None) -> None:
    daily_job_run("scan_attachments", day=day)
