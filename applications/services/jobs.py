"""Background jobs: start one (or find the one already under way), record its progress, end it.

A job is long work (a batch of confirmations, a call's letters, a large export, a day's
reminders) that the task worker runs while the page that started it shows how far it has come.
Starting is idempotent: at most one job per ``key`` is queued or running (the database's
``one_active_job_per_key``), so a second start, a double click or a second tab, hands back the
job already under way. Running is idempotent too: each runner checks every item's own state, so
a task run twice (a worker restarted, a retry) does no work twice.

What a job does is looked up by name (``params["runner"]``) in a registry the apps fill from
their ``ready()``: ``reviews`` registers its own runners here, so this app never imports it.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..enums import JobState
from ..models import BackgroundJob, User
from ..models.jobs import ACTIVE_STATES
from ._common import _enqueue_on_commit

logger = logging.getLogger(__name__)

Runner = Callable[[BackgroundJob], None]
_RUNNERS: dict[str, Runner] = {}


def job_runner_register(name: str, runner: Runner) -> None:
    """Name the function that does a kind of job's work (called from an app's ``ready()``)."""
    _RUNNERS[name] = runner


def job_runner(name: str) -> Runner:
    return _RUNNERS[name]


def job_key_hash(*parts) -> str:
    """A short, stable hash of what identifies a job's work (sorted ids, filters)."""
    text = "|".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def job_start(
    *,
    kind: str,
    key: str,
    runner: str,
    by: User | None = None,
    call=None,
    total: int = 0,
    params: dict | None = None,
    once: bool = False,
    enqueue: bool = True,
) -> tuple[BackgroundJob, bool]:
    """Start the job with this key, or hand back the one already queued or running.

    Returns ``(job, created)``. With ``once`` (a day's job), a job of this key that has already
    finished is handed back too and nothing new starts. Side effect when created: the runner's
    task is queued after commit (unless ``enqueue`` is false: a task of its own that runs the
    job at once, as the daily tasks do). Under concurrent starts, the database's partial unique
    constraint lets one insert through; the other waits for it, fails, and reads it.
    """
    if runner not in _RUNNERS:
        raise LookupError(f"No background job runner named {runner!r}.")
    with transaction.atomic():
        _fail_stale(key)
        existing = _existing(key, once=once)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                job = BackgroundJob.objects.create(
                    kind=kind,
                    key=key,
                    started_by=by,
                    call=call,
                    total=total,
                    params={
                        **(params or {}),
                        "runner": runner,
                        "language": translation.get_language() or "sv",
                    },
                )
        except IntegrityError:
            # Another start won the race; its row is committed by now (the insert waited).
            return _existing(key, once=once), False
        if enqueue:
            _enqueue_on_commit("run_background_job", job_id=job.pk)
        return job, True


def _fail_stale(key: str) -> None:
    """A job of this key still queued or running after ``settings.JOB_STALE_AFTER_HOURS`` lost
    its worker (a machine restarted): mark it failed, so the work can start again. Should its
    task run after all, it finds the job finished and does nothing."""
    before = timezone.now() - dt.timedelta(hours=settings.JOB_STALE_AFTER_HOURS)
    BackgroundJob.objects.filter(key=key, state__in=ACTIVE_STATES, created_at__lt=before).update(
        state=JobState.FAILED,
        finished_at=timezone.now(),
        error=_("The job did not finish in time and was stopped. Start it again."),
    )


def _existing(key: str, *, once: bool) -> BackgroundJob | None:
    jobs = BackgroundJob.objects.filter(key=key)
    # A day's job counts once it has run; other work only while it is under way.
    jobs = jobs.exclude(state=JobState.FAILED) if once else jobs.filter(state__in=ACTIVE_STATES)
    return jobs.order_by("-pk").first()


def job_run(job_id: int) -> BackgroundJob:
    """Run a job's work in the worker: claim it, call its runner, record the end.

    A job already finished is left alone (a task run twice). The runner updates ``done`` as it
    goes and fills ``result``; an exception marks the job failed with a short text for the page
    and goes to the log with its stack trace.
    """
    job = BackgroundJob.objects.get(pk=job_id)
    if job.is_finished:
        return job
    BackgroundJob.objects.filter(pk=job.pk, state=JobState.QUEUED).update(state=JobState.RUNNING)
    job.state = JobState.RUNNING
    with translation.override(job.params.get("language") or "sv"):
        try:
            _RUNNERS[job.params["runner"]](job)
        except Exception:
            logger.exception("background job %s (%s) failed", job.pk, job.key)
            job_fail(job, error=_("The job stopped because of an error. Start it again."))
            return job
    job.refresh_from_db()
    if not job.is_finished:
        job_finish(job)
    return job


def job_lock(job: BackgroundJob) -> BackgroundJob:
    """The job's row, locked until the caller's transaction ends (read as stored)."""
    return BackgroundJob.objects.select_for_update().get(pk=job.pk)


def job_progress(job: BackgroundJob, *, done: int, result: dict | None = None) -> None:
    """Record how many items are done (and the result so far). Inside the caller's transaction
    where there is one, so an item and the count of it commit together."""
    job.done = done
    fields = ["done"]
    if result is not None:
        job.result = result
        fields.append("result")
    BackgroundJob.objects.filter(pk=job.pk).update(**{name: getattr(job, name) for name in fields})


def job_finish(job: BackgroundJob, *, result: dict | None = None) -> BackgroundJob:
    """The job is done: its result kept, its time of ending recorded."""
    job.state = JobState.DONE
    job.finished_at = timezone.now()
    if result is not None:
        job.result = result
    job.save(update_fields=["state", "finished_at", "result", "done", "file"])
    return job


def job_fail(job: BackgroundJob, *, error: str) -> BackgroundJob:
    """The job stopped: ``error`` is the short text its page shows (never a stack trace)."""
    job.state = JobState.FAILED
    job.finished_at = timezone.now()
    job.error = error
    job.save(update_fields=["state", "finished_at", "error"])
    return job


def job_files_prune(*, days: int) -> int:
    """Remove the files of jobs that finished more than ``days`` days ago (exports kept only for
    their download); the rows stay, with their result. Returns how many files were removed."""
    before = timezone.now() - dt.timedelta(days=days)
    removed = 0
    for job in BackgroundJob.objects.filter(finished_at__lt=before).exclude(file=""):
        job.file.delete(save=False)
        job.result = {**job.result, "file_removed": True}
        job.save(update_fields=["file", "result"])
        removed += 1
    return removed
