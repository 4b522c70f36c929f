"""The agency's spreadsheet files: the case list and the finance file, as CSV or XLSX, and the
two writers every staff export uses (``spreadsheet_csv`` and ``spreadsheet_xlsx``; the ranking
in ``reviews.exports`` uses them too).

The CSV is written for a spreadsheet opened in Swedish, which is where these files go: UTF-8
with a byte order mark (so Excel reads å, ä and ö right), **semicolon**-separated (Swedish
Excel splits on the list separator of its locale, ";", and reads a comma-separated file as one
column), decimals with a **comma** (``5,25``: what Swedish Excel reads as a number; with ";"
between cells the comma is no separator), whole kronor as plain digits (no thousand
separator, so they stay numbers), times in Stockholm local time as ``2026-11-20 10:30:00``.
The public register's open data (``views/register.py``) keeps the international form (commas,
decimal points, no BOM): it is for programs, not for a person's spreadsheet.

The XLSX carries the values themselves: numbers as numbers (shown with two decimals or a
thousand separator), times as times; the spreadsheet shows them in its reader's locale.

In both, every text cell that a spreadsheet would run as a formula is defused (``csv_safe``).
The views check the right and record the export in the audit log (``services.exports``)
before handing the file.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Subquery
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.enums import QuestionKind
from grants.models import Call

from .forms.manage import STOCKHOLM
from .selectors.application_form import (
    answer_columns,
    content_answers,
    display_value,
    form_definition,
)
from .selectors.applications import latest_version_subquery

CSV_SEPARATOR = ";"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOCAL_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


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


def _local(moment: dt.datetime) -> dt.datetime:
    """A moment as a wall-clock time in Stockholm, without its zone (what a sheet can hold)."""
    return moment.astimezone(STOCKHOLM).replace(tzinfo=None)


def csv_cell(value) -> str:
    """One typed value as the Swedish CSV writes it (see the module's note)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)  # numbers cannot start a formula: "-" only ever means negative here
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, dt.datetime):
        return _local(value).strftime(LOCAL_TIME_FORMAT)
    if isinstance(value, dt.date):
        return value.isoformat()
    return csv_safe(value)


def spreadsheet_csv(header: list[str], rows: Iterable[list], *, filename: str):
    """A CSV for a Swedish spreadsheet, streamed: the header, then one line per typed row (read
    from ``rows`` as the file streams)."""
    writer = csv.writer(_Echo(), delimiter=CSV_SEPARATOR)

    def content():
        yield "\ufeff"
        yield writer.writerow([csv_safe(cell) for cell in header])
        for row in rows:
            yield writer.writerow([csv_cell(cell) for cell in row])

    return StreamingHttpResponse(
        content(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _xlsx_value(value):
    if isinstance(value, str):
        # openpyxl stores a string that starts with "=" as a formula: a crafted title must
        # never become one.
        return csv_safe(value)
    if isinstance(value, dt.datetime):
        return _local(value)
    return value


XLSX_FORMATS = (
    # datetime before date: a datetime is a date too
    (dt.datetime, "yyyy-mm-dd hh:mm:ss"),
    (dt.date, "yyyy-mm-dd"),
    (Decimal, "0.00"),
    (int, "#,##0"),
)


def spreadsheet_xlsx(
    header: list[str], rows: Iterable[list], *, sheet_title: str, filename: str
) -> HttpResponse:
    """An XLSX workbook of one sheet: a bold, frozen header, then the typed rows; whole numbers
    with a thousand separator, decimals with two places, times as Stockholm wall-clock times.

    Written in openpyxl's write-only mode: each row goes to the file as it comes, with no cell
    objects kept for the whole sheet, so its memory follows a row, not the sheet."""
    # openpyxl is loaded by the export that needs it, not by every page that offers one.
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])  # the longest name a sheet may have
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def heading(value) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=csv_safe(value))
        cell.font = bold
        return cell

    def typed(value):
        for kind, number_format in XLSX_FORMATS:
            if isinstance(value, kind):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                return cell
        return value

    sheet.append([heading(cell) for cell in header])
    for row in rows:
        sheet.append([typed(_xlsx_value(cell)) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return HttpResponse(
        buffer.getvalue(),
        content_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _spreadsheet(fmt: str, header, rows, *, sheet_title: str, name: str):
    filename = f"{name}-{timezone.localdate().isoformat()}.{fmt}"
    if fmt == "xlsx":
        return spreadsheet_xlsx(header, rows, sheet_title=sheet_title, filename=filename)
    return spreadsheet_csv(header, rows, filename=filename)


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
        value = answers.get(column.key)
        if question is None:
            cells.append("")
        elif question.kind in QuestionKind.with_range() and isinstance(value, int):
            cells.append(value)  # a number in the sheet, as the requested amount is
        else:
            cells.append(display_value(question, value, attachments=attachments))
    return cells


def _case_list_rows(applications, columns) -> Iterator[list]:
    calls = {}
    for application in applications.iterator(chunk_size=500):
        # One call object per call, so its form definition is read once for the whole file.
        application.call = calls.setdefault(application.call_id, application.call)
        organisation = application.organisation
        yield [
            application.registration_number,
            application.call.title,
            organisation.name,
            organisation.orgnr,
            organisation.get_verified_kind_display(),
            organisation.get_county_display(),
            application.submitted_title,
            application.submitted_amount,
            application.get_state_display(),
            application.first_submitted_at,
            application.last_submitted_at,
            *_answer_cells(application, columns),
        ]


def case_list_export(applications, fmt: str = "csv"):
    """The filtered case list, one row per application, as ``csv`` or ``xlsx``, with a column
    per question of the calls listed (named by the question's key, the same in every language)
    holding the latest submitted version's answer."""
    calls = Call.objects.filter(pk__in=applications.values("call_id")).order_by("opens_at", "pk")
    columns = answer_columns(calls)
    applications = applications.annotate(
        submitted_content=Subquery(latest_version_subquery("pk").values("content")[:1])
    )
    # The header is translated now, in the request's language, not later as the file streams.
    return _spreadsheet(
        fmt,
        [*_case_list_header(), *(column.key for column in columns)],
        _case_list_rows(applications, columns),
        sheet_title=_("Applications"),
        name="applications",
    )


def _finance_row(kind, application, instalment, amount, day) -> list:
    organisation = application.organisation
    return [
        kind,
        application.registration_number,
        organisation.name,
        organisation.orgnr,
        application.call.title,
        instalment,
        amount,
        day,
        "",
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


def _finance_rows(payments, claims) -> Iterator[list]:
    # "payment" and "repayment" are codes for the finance system, the same in every language.
    for payment in payments.iterator(chunk_size=500):
        yield _finance_row(
            "payment", payment.application, payment.position, payment.amount, payment.due_since
        )
    for claim in claims.iterator(chunk_size=500):
        yield _finance_row(
            "repayment",
            claim.application,
            None,
            claim.amount,
            timezone.localdate(claim.created_at),
        )


def finance_outstanding_export(payments, claims, fmt: str = "csv"):
    """Payments due and repayments not yet received, one row each, for the finance system."""
    # The header is translated now, in the request's language, not later as the file streams.
    return _spreadsheet(
        fmt,
        _finance_header(),
        _finance_rows(payments, claims),
        sheet_title=_("Finance"),
        name="finance",
    )
