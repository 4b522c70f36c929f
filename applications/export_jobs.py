"""Large exports as background jobs: above ``settings.EXPORT_IN_BACKGROUND_ABOVE`` rows the file
is written by the task worker to the default storage, and the job's page offers the download to
the one who started it. Below it, the view hands the file at once, as before.

Each kind of export registers how to build its file from what the job stored (the filters, the
call) and who started it: ``case_list`` and ``finance`` here, ``ranking`` from ``reviews``'
``ready()`` (this app never imports ``reviews``). A builder answers the same response the direct
download gives, so both ways make the same file.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpResponseBase
from django.utils.translation import gettext as _

from grants.models import Call

from .enums import JobKind
from .exports import case_list_export, finance_outstanding_export
from .filters import ApplicationFilter
from .models import BackgroundJob
from .selectors.applications import case_list
from .selectors.finance import finance_outstanding
from .services.jobs import job_finish, job_key_hash, job_lock, job_start

EXPORT_RUNNER = "export"


@dataclass(frozen=True)
class ExportKind:
    """An export a job can make: ``build`` answers the file's response from the job."""

    key: str
    build: Callable[[BackgroundJob], HttpResponseBase]


_KINDS: dict[str, ExportKind] = {}


def register_export(kind: ExportKind) -> None:
    _KINDS[kind.key] = kind


def export_in_background(rows: int) -> bool:
    """Whether an export of this many rows is made by the task worker."""
    return rows > settings.EXPORT_IN_BACKGROUND_ABOVE


def export_start(*, kind: str, by, params: dict, rows: int, call=None):
    """Start (or find under way) the user's export of this kind with these parameters.

    Returns ``(job, created)``. The key names the kind, the parameters and the user, so the
    same export asked twice is one job, and two people's exports are two (each sees only their
    own file).
    """
    if kind not in _KINDS:
        raise LookupError(f"No export kind named {kind!r}.")
    return job_start(
        kind=JobKind.EXPORT,
        key=f"export:{kind}:{job_key_hash(*sorted(params.items()))}:{by.pk}",
        runner=EXPORT_RUNNER,
        by=by,
        call=call,
        total=rows,
        params={"export": kind, "filters": params},
    )


def export_run(job: BackgroundJob) -> None:
    """The job's work: build the file, store it, record its name; once (a file stored is kept)."""
    if job.file:
        job_finish(job)
        return
    kind = _KINDS[job.params["export"]]
    response = kind.build(job)
    content = (
        b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    )
    disposition = response.get("Content-Disposition", "")
    filename = disposition.split('filename="')[-1].rstrip('"') if "filename=" in disposition else ""
    filename = filename or f"{kind.key}.{job.params['filters'].get('fmt', 'csv')}"
    with transaction.atomic():
        # Under the job's lock: of two workers on one export, the second keeps the first's file.
        if job_lock(job).is_finished:
            return
        job.file.save(filename, ContentFile(content), save=False)
        job.done = job.total
        job_finish(
            job,
            result={
                "filename": filename,
                "content_type": response.get("Content-Type", "application/octet-stream"),
                "bytes": len(content),
                "messages": [_("The file is ready: %(name)s.") % {"name": filename}],
            },
        )


# -- this app's exports -----------------------------------------------------------------------

# The case list's filters and order, as its list posts them to the export (applications.filters).
EXPORT_FILTER_FIELDS = ("q", "call", "state", "kind", "county", "o")


def case_list_filtered(user, data) -> ApplicationFilter:
    """The case list as the user sees it, with the list's filters (the view's and the job's)."""
    return ApplicationFilter(data, queryset=case_list(user), request=None)


def _build_case_list(job: BackgroundJob):
    filters = dict(job.params["filters"])
    fmt = filters.pop("fmt", "csv")
    return case_list_export(case_list_filtered(job.started_by, filters).qs, fmt)


def _build_finance(job: BackgroundJob):
    filters = job.params["filters"]
    call = Call.objects.filter(pk=filters.get("call")).first() if filters.get("call") else None
    payments, claims = finance_outstanding(call=call)
    return finance_outstanding_export(payments, claims, filters.get("fmt", "csv"))


register_export(ExportKind("case_list", _build_case_list))
register_export(ExportKind("finance", _build_finance))
