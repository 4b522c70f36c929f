"""The public register of funded projects: a page, and the same rows as open data (JSON, CSV).

Anyone may read it, logged in or not. ``register_entries()`` alone decides which
grants are in it, and its rows hold only what may be published: no person's name, email or
phone. The exports are the same for everyone and in every language, so shared caches may keep
them for a few minutes.
"""

import csv
import io
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..exports import csv_safe
from ..filters import RegisterFilter
from ..selectors.register import RegisterStatus, register_entries

PAGE_SIZE = 25
EXPORT_MAX_AGE = 300  # seconds; the register changes a few times a day at most
FORMAT_VERSION = 1
# Public-sector open data in Sweden is usually published under CC0 (a public domain
# dedication): anyone may reuse it without asking or naming the source.
LICENCE = {
    "id": "CC0-1.0",
    "name": "CC0 1.0 Universal",
    "url": "https://creativecommons.org/publicdomain/zero/1.0/",
}
STATUS_LABELS = {
    RegisterStatus.GRANTED: gettext_lazy("Granted, not yet accepted"),
    RegisterStatus.ACCEPTED: gettext_lazy("Accepted, in progress"),
    RegisterStatus.CLOSED: gettext_lazy("Closed"),
}
# The CSV's columns, in order, with what each holds (shown on the page as the documentation).
CSV_COLUMNS = [
    ("registration_number", gettext_lazy("The agency's registration number (diarienummer).")),
    ("organisation", gettext_lazy("The organisation granted the money.")),
    ("organisation_number", gettext_lazy("Its Swedish organisation number.")),
    ("title", gettext_lazy("The project's title as decided.")),
    ("summary", gettext_lazy("The summary of the application the decision was taken on.")),
    ("granted_amount", gettext_lazy("The amount granted, in whole Swedish kronor (SEK).")),
    ("period_start", gettext_lazy("The first day of the project (YYYY-MM-DD).")),
    ("period_end", gettext_lazy("The last day of the project (YYYY-MM-DD).")),
    ("call", gettext_lazy("The call's short name, as in the addresses of this site.")),
    ("call_title_sv", gettext_lazy("The call's title in Swedish.")),
    ("call_title_en", gettext_lazy("The call's title in English.")),
    ("decision_date", gettext_lazy("The day the grant was decided (YYYY-MM-DD).")),
    (
        "status",
        gettext_lazy(
            "granted (decided, not yet accepted by the organisation), accepted (in progress) "
            "or closed (final report approved and the grant closed)."
        ),
    ),
]


def _filtered(request) -> RegisterFilter:
    return RegisterFilter(request.GET or None, queryset=register_entries())


@require_safe
def register(request):
    filterset = _filtered(request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    english = get_language() == "en"
    for entry in page.object_list:
        entry["status_label"] = STATUS_LABELS[entry["register_status"]]
        entry["call_title"] = (english and entry["call_title_en"]) or entry["call_title_sv"]
    call = filterset.form.cleaned_data.get("call") if filterset.is_bound else None
    query = urlencode({"call": call.slug}) if call else ""
    return render(
        request,
        "applications/register/register.html",
        {
            "filter": filterset,
            "page": page,
            "export_query": query,
            "licence": LICENCE,
            "csv_columns": CSV_COLUMNS,
            "status_labels": STATUS_LABELS,
        },
    )


def _export_rows(request):
    """The filtered rows, or None when the filter is not valid (an unknown call)."""
    filterset = _filtered(request)
    if filterset.is_bound and not filterset.is_valid():
        return None
    return list(filterset.qs)


def _bad_filter_message() -> str:
    return _("There is no published call with that short name.")


def _cacheable(response):
    patch_cache_control(response, public=True, max_age=EXPORT_MAX_AGE)
    return response


def _iso(day) -> str | None:
    return day.isoformat() if day else None


@require_safe
def register_json(request):
    """The register as JSON; the structure is described on the register page."""
    rows = _export_rows(request)
    if rows is None:
        return JsonResponse({"errors": [_bad_filter_message()]}, status=400)
    projects = [
        {
            "registration_number": row["registration_number"],
            "organisation": {
                "name": row["organisation"],
                "organisation_number": row["organisation_number"],
            },
            "title": row["title"],
            "summary": row["summary"] or "",
            "granted_amount": row["granted_amount"],
            "currency": "SEK",
            "period": {"start": _iso(row["period_start"]), "end": _iso(row["period_end"])},
            "call": {
                "slug": row["call_slug"],
                "title_sv": row["call_title_sv"],
                "title_en": row["call_title_en"],
            },
            "decision_date": _iso(row["decided_on"]),
            "status": row["register_status"],
        }
        for row in rows
    ]
    data = {
        "title": "Samverket Grants: funded projects",
        "publisher": settings.AGENCY_NAME,
        "licence": LICENCE,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "format_version": FORMAT_VERSION,
        "documentation": request.build_absolute_uri(reverse("applications:register"))
        + "#open-data",
        "count": len(projects),
        "projects": projects,
    }
    return _cacheable(JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1}))


@require_safe
def register_csv(request):
    """The register as CSV: UTF-8 (no byte order mark), a header row of the column names
    described on the register page, comma-separated; text that a spreadsheet would run as a
    formula gets a leading apostrophe."""
    rows = _export_rows(request)
    if rows is None:
        return HttpResponse(
            _bad_filter_message(), status=400, content_type="text/plain; charset=utf-8"
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _description in CSV_COLUMNS])
    for row in rows:
        writer.writerow(
            [
                csv_safe(cell)
                for cell in (
                    row["registration_number"],
                    row["organisation"],
                    row["organisation_number"],
                    row["title"],
                    row["summary"],
                    row["granted_amount"],
                    _iso(row["period_start"]),
                    _iso(row["period_end"]),
                    row["call_slug"],
                    row["call_title_sv"],
                    row["call_title_en"],
                    _iso(row["decided_on"]),
                    row["register_status"],
                )
            ]
        )
    response = HttpResponse(
        out.getvalue().encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="funded-projects.csv"'},
    )
    return _cacheable(response)


urlpatterns = [
    path("register/", register, name="register"),
    path("register.json", register_json, name="register_json"),
    path("register.csv", register_csv, name="register_csv"),
]
