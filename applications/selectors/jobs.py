"""Reads of background jobs: who may see which job's page.

The one who started a job sees it; so does staff with the right that kind of work needs (a
decision maker sees a batch of confirmations, a programme manager a letter run or a day's
jobs), so a colleague can follow work started by someone else. An export's file is only ever
handed to the one who started it (``job_file_for``).
"""

import rules
from django.db.models import Q, QuerySet

from ..enums import JobKind, JobState
from ..models import BackgroundJob

# The right that lets staff follow a kind of job started by someone else.
KIND_PERMISSION = {
    JobKind.BATCH_CONFIRMATION: "applications.decide_application",
    JobKind.LETTER_RUN: "applications.release_decisions",
    JobKind.DAILY: "applications.view_audit_log",
}


def jobs_visible_to(user) -> QuerySet[BackgroundJob]:
    """The jobs whose page the user may see (an anonymous user sees none)."""
    if not user.is_authenticated:
        return BackgroundJob.objects.none()
    kinds = [kind for kind, perm in KIND_PERMISSION.items() if rules.has_perm(perm, user)]
    return BackgroundJob.objects.filter(Q(started_by=user) | Q(kind__in=kinds)).select_related(
        "call", "started_by"
    )


def jobs_recent_for(user, *, limit: int = 10) -> list[BackgroundJob]:
    """The jobs the user started most recently, newest first."""
    return list(BackgroundJob.objects.filter(started_by=user).order_by("-created_at")[:limit])


def job_file_for(job: BackgroundJob, user):
    """The job's file if ``user`` may download it: only its starter, only once it is done."""
    if job.started_by_id != user.pk or job.state != JobState.DONE or not job.file:
        return None
    return job.file
