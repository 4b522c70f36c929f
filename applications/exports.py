"""The agency's CSV files: the case list and the finance file, as streamed responses.

Both are UTF-8 with a BOM (so that Excel reads å, ä and ö right), comma-separated, and every
cell that a spreadsheet would run as a formula is defused (``csv_safe``). The views check the
right and record the export in the audit log (``services.exports``) before handing the file.
"""

import csv
from collections.abc import Iterable, Iterator

from django.db.models import Subquery
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.models import Call

from .forms.manage import STOCKHOLM
from .selectors.application_form import (
    answer_columns,
    content_answers,
    display_value,
    form_definition,
)
from .selectors.applications import latest_version_subquery


class _Echo:
    """A file-like object whose ``write`` hands back the line, for a streamed CSV."""

    def write(self, value):
        return value


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or
    carriage return) gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _iso_stockholm(moment) -> str:
    return moment.astimezone(STOCKHOLM).isoformat(timespec="seconds") if moment else ""


def _streamed_csv(rows: Iterable[list], *, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def content():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    return StreamingHttpResponse(
        content(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _case_list_header() -> list[str]:
    return [
        _("Registration number"),
        _("Call"),
        _("Organisation"),
        _("Organisation number"),
        _("Kind of organisation"),
        _("County"),
        _("Title"),
        _("Requested amount (kr)"),
        _("State"),
        _("First submitted"),
        _("Last submitted"),
    ]


def _answer_cells(application, columns) -> list[str]:
    """The latest version's answers in the export's question columns ("" where the
    application's call has no such question, or it was not answered)."""
    definition = form_definition(application.call)
    answers = content_answers(application.submitted_content or {}, definition)
    attachments = (application.submitted_content or {}).get("attachments") or []
    cells = []
    for column in columns:
        question = definition.by_key.get(column.key)
        cells.append(
            display_value(question, answers.get(column.key), attachments=attachments)
            if question is not None
            else ""
        )
    return cells


def _case_list_rows(header: list[str], applications, columns) -> Iterator[list]:
    yield [csv_safe(cell) for cell in header]
    calls = {}
    for application in applications.iterator(chunk_size=500):
        # One call object per call, so its form definition is read once for the whole file.
        application.call = calls.setdefault(application.call_id, application.call)
        organisation = application.organisation
        yield [
            csv_safe(cell)
            for cell in (
                application.registration_number,
                application.call.title,
                organisation.name,
                organisation.orgnr,
                organisation.get_verified_kind_display(),
                organisation.get_county_display(),
                application.submitted_title,
                application.submitted_amount,
                application.get_state_display(),
                _iso_stockholm(application.first_submitted_at),
                _iso_stockholm(application.last_submitted_at),
                *_answer_cells(application, columns),
            )
        ]


def case_list_csv(applications) -> StreamingHttpResponse:
    """The filtered case list, one row per application (read as the file streams), with a
    column per question of the calls listed (named by the question's key, the same in every
    language) holding the latest submitted version's answer."""
    calls = Call.objects.filter(pk__in=applications.values("call_id")).order_by("opens_at", "pk")
    columns = answer_columns(calls)
    applications = applications.annotate(
        submitted_content=Subquery(latest_version_subquery("pk").values("content")[:1])
    )
    # The header is translated now, in the request's language, not later as the file streams.
    header = [*_case_list_header(), *(column.key for column in columns)]
    rows = _case_list_rows(header, applications, columns)
    filename = f"applications-{timezone.localdate().isoformat()}.csv"
    return _streamed_csv(rows, filename=filename)


def _finance_row(kind, application, instalment, amount, day) -> list:
    organisation = application.organisation
    return [
        csv_safe(cell)
        for cell in (
            kind,
            application.registration_number,
            organisation.name,
            organisation.orgnr,
            application.call.title,
            instalment,
            amount,
            day.isoformat() if day else "",
            "",
        )
    ]


def _finance_header() -> list[str]:
    return [
        _("Type"),
        _("Registration number"),
        _("Organisation"),
        _("Organisation number"),
        _("Call"),
        _("Instalment"),
        _("Amount (kr)"),
        _("Due since / claimed on"),
        _("Payment reference"),
    ]


def _finance_rows(header: list[str], payments, claims) -> Iterator[list]:
    yield [csv_safe(cell) for cell in header]
    for payment in payments.iterator(chunk_size=500):
        yield _finance_row(
            "payment", payment.application, payment.position, payment.amount, payment.due_since
        )
    for claim in claims.iterator(chunk_size=500):
        yield _finance_row(
            "repayment",
            claim.application,
            "",
            claim.amount,
            timezone.localdate(claim.created_at),
        )


def finance_outstanding_csv(payments, claims) -> StreamingHttpResponse:
    """Payments due and repayments not yet received, one row each, for the finance system."""
    # The header is translated now, in the request's language, not later as the file streams.
    rows = _finance_rows(_finance_header(), payments, claims)
    filename = f"finance-{timezone.localdate().isoformat()}.csv"
    return _streamed_csv(rows, filename=filename)
