"""Background jobs' pages: what a job is, how far it has come, and what came of it.

A job's page is a page about a stored row, so it survives a reload and can be opened again
from the list of one's recent jobs. ``job.js`` asks the progress URL every two seconds while the
job runs and reloads the page when it has finished; without JavaScript the page's "Refresh" link
does the same. Not visible (someone else's job, without the right for its kind) → 404.
"""

import rules
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from ..downloads import stored_file_response
from ..enums import JobKind
from ..models import BackgroundJob
from ..selectors.jobs import job_file_for, jobs_recent_for, jobs_visible_to


def _get_job_for_user(request, pk) -> BackgroundJob:
    return get_object_or_404(jobs_visible_to(request.user), pk=pk)


def progress_text(job: BackgroundJob) -> str:
    return _("%(done)s of %(total)s") % {"done": job.done, "total": job.total}


# Where each kind of job was started from, for the page's "Back" link.
_STARTED_FROM = {
    JobKind.BATCH_CONFIRMATION: "applications:decisions",
    JobKind.LETTER_RUN: "applications:decisions_release",
}


def _back_url(job: BackgroundJob) -> str:
    name = _STARTED_FROM.get(job.kind)
    return reverse(name) if name else ""


@login_required
def job_detail(request, pk):
    job = _get_job_for_user(request, pk)
    items = list((job.result.get("items") or {}).values())
    return render(
        request,
        "applications/jobs/detail.html",
        {
            "job": job,
            "progress_text": progress_text(job),
            "items": items,
            "is_batch": job.kind == JobKind.BATCH_CONFIRMATION,
            "may_download": job_file_for(job, request.user) is not None,
            "back_url": _back_url(job),
        },
    )


@login_required
def job_progress(request, pk):
    """The job's progress as JSON, for ``job.js``."""
    job = _get_job_for_user(request, pk)
    response = JsonResponse(
        {
            "state": job.state,
            "state_text": _("State: %(state)s") % {"state": job.get_state_display()},
            "done": job.done,
            "total": job.total,
            "text": progress_text(job),
            "finished": job.is_finished,
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def job_download(request, pk):
    job = _get_job_for_user(request, pk)
    field_file = job_file_for(job, request.user)
    if field_file is None:
        raise Http404
    return stored_file_response(
        field_file,
        filename=job.result.get("filename") or "export",
        content_type=job.result.get("content_type") or "application/octet-stream",
    )


@login_required
def jobs_mine(request):
    if not rules.has_perm("applications.list_applications", request.user):
        raise PermissionDenied
    return render(request, "applications/jobs/list.html", {"jobs": jobs_recent_for(request.user)})


def redirect_to_job(job: BackgroundJob) -> HttpResponseRedirect:
    """After the POST that started (or found) a job: 303 See Other to its page."""
    return HttpResponseRedirect(reverse("applications:job_detail", args=[job.pk]), status=303)


urlpatterns = [
    path("manage/jobs/", jobs_mine, name="jobs_mine"),
    path("manage/jobs/<int:pk>/", job_detail, name="job_detail"),
    path("manage/jobs/<int:pk>/progress/", job_progress, name="job_progress"),
    path("manage/jobs/<int:pk>/download/", job_download, name="job_download"),
]
