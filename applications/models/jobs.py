"""Long work done by the task worker, recorded so the page that started it can show progress.

A job is a stored row, not a process: its page survives a reload, and a worker that runs the
same task twice finds the row (and each item's own state) and does no work twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..enums import JobKind, JobState

ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class BackgroundJob(models.Model):
    """One run of long work: what it is, how far it has come, and what came of it.

    ``key`` says which work it is (``confirm:<hash of the decision ids>``, ``letters:<call>``,
    ``export:<kind>:<filter hash>:<user>``, ``daily:<name>:<date>``): at most one job per key is
    queued or running (``one_active_job_per_key``), so starting the same work twice hands back
    the job already under way. ``error`` is a short text for the page, never a stack trace
    (that goes to the log).
    """

    kind = models.CharField(_("kind"), max_length=32, choices=JobKind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED
    )
    key = models.CharField(_("key"), max_length=200)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="background_jobs",
        verbose_name=_("started by"),
    )
    call = models.ForeignKey(
        "grants.Call",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="background_jobs",
        verbose_name=_("call"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    file = models.FileField(_("file"), upload_to="jobs/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(state__in=["queued", "running"]),
                name="one_active_job_per_key",
            )
        ]
        indexes = [models.Index(fields=["started_by", "-created_at"], name="job_by_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.is_finished else 0
        return min(100, self.done * 100 // self.total)
