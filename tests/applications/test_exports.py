"""The staff exports as files: the case list and the finance file as XLSX (read back with
openpyxl) and as CSV for a Swedish spreadsheet (BOM, semicolons, decimal comma)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from applications.exports import XLSX_TYPE, csv_cell
from applications.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"
CASE_LIST_CSV = reverse("applications:manage_export")
CASE_LIST_XLSX = reverse("applications:manage_export_xlsx")
FINANCE_CSV = reverse("applications:finance_csv")
FINANCE_XLSX = reverse("applications:finance_xlsx")


def workbook_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def submitted():
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC), tick=False):
        return factories.submitted_application(
            title="Coworking i Åre",
            organisation=factories.OrganisationFactory(name="Åre kommun"),
        )


def test_the_case_list_as_xlsx_carries_numbers_and_stockholm_times(client, submitted):
    client.force_login(factories.programme_manager(language="en"))

    response = client.post(CASE_LIST_XLSX)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == (
        f'attachment; filename="applications-{timezone.localdate().isoformat()}.xlsx"'
    )
    rows = workbook_rows(response)
    assert rows[0] == (
        "Registration number",
        "Call",
        "Organisation",
        "Organisation number",
        "Kind of organisation",
        "County",
        "Title",
        "Requested amount (kr)",
        "State",
        "First submitted",
        "Last submitted",
        # A column per question of the call's form, named by its key.
        "what_to_try",
        "participants",
        "expected_results",
    )
    organisation = submitted.organisation
    local = dt.datetime(2026, 11, 20, 10, 30)  # 09:30 UTC is 10:30 in Stockholm in November
    assert rows[1:] == [
        (
            submitted.registration_number,
            submitted.call.title_en,
            "Åre kommun",
            organisation.orgnr,
            organisation.get_verified_kind_display(),
            organisation.get_county_display(),
            "Coworking i Åre",
            500_000,
            "Submitted",
            local,
            local,
            "Coworking at the hub for 20 employees.",
            20,
            "Less commuting, more collaboration.",
        )
    ]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["H2"].number_format == "#,##0"
    assert sheet["J2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet.title == "Applications"
    assert sheet["A1"].font.bold is True
    assert sheet.freeze_panes == "A2"  # the header stays in view


def test_the_case_list_as_xlsx_has_swedish_headings_on_a_swedish_page(
    client, programme_manager, submitted
):
    client.force_login(programme_manager)

    rows = workbook_rows(client.post(CASE_LIST_XLSX))

    assert rows[0][:3] == ("Diarienummer", "Utlysning", "Organisation")
    assert rows[1][8] == "Inskickad"


def test_the_case_list_as_xlsx_is_in_the_audit_log_with_its_format(
    client, programme_manager, submitted
):
    client.force_login(programme_manager)

    client.post(CASE_LIST_XLSX, {"state": "submitted"})

    entry = AuditEntry.objects.get(action="export.case_list")
    assert entry.actor == programme_manager
    assert entry.data == {
        "format": "xlsx",
        "rows": 1,
        "filters": {
            "call_id": None,
            "state": "submitted",
            "kind": "",
            "county": "",
            "search": False,
        },
    }


def test_a_formula_in_a_title_stays_text_in_the_xlsx(client, programme_manager):
    factories.submitted_application(title='=HYPERLINK("http://evil.example","click")')
    client.force_login(programme_manager)

    sheet = load_workbook(io.BytesIO(client.post(CASE_LIST_XLSX).content)).active

    assert sheet["G2"].data_type == "s"
    assert sheet["G2"].value == '\'=HYPERLINK("http://evil.example","click")'


def test_the_case_list_csv_starts_with_the_bom_and_separates_with_semicolons(
    client, programme_manager, submitted
):
    client.force_login(programme_manager)

    body = b"".join(client.post(CASE_LIST_CSV).streaming_content)

    assert body.startswith(BOM)
    header, row = body.decode("utf-8")[1:].splitlines()
    assert header.startswith("Diarienummer;Utlysning;Organisation;Organisationsnummer;")
    assert row.endswith(
        ";500000;Inskickad;2026-11-20 10:30:00;2026-11-20 10:30:00;"
        "Coworking at the hub for 20 employees.;20;Less commuting, more collaboration."
    )


def test_the_finance_file_as_xlsx_has_whole_kronor_and_dates(client):
    grant = factories.grant_in_follow_up(language="en")
    client.force_login(factories.programme_manager(language="en"))

    response = client.post(FINANCE_XLSX)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    rows = workbook_rows(response)
    assert rows[0] == (
        "Type",
        "Registration number",
        "Organisation",
        "Organisation number",
        "Call",
        "Instalment",
        "Amount (kr)",
        "Due since / claimed on",
        "Payment reference",
    )
    payment = grant.payments.get(position=1)
    assert rows[1:] == [
        (
            "payment",
            grant.registration_number,
            grant.organisation.name,
            grant.organisation.orgnr,
            grant.call.title_en,
            1,
            payment.amount,
            dt.datetime.combine(payment.due_since, dt.time()),  # a sheet's date is a datetime
            None,
        )
    ]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["G2"].number_format == "#,##0"
    assert sheet["H2"].number_format == "yyyy-mm-dd"
    entry = AuditEntry.objects.get(action="export.finance")
    assert entry.data == {"format": "xlsx", "call_id": None, "payments": 1, "repayments": 0}


def test_the_finance_csv_starts_with_the_bom_and_separates_with_semicolons(client):
    grant = factories.grant_in_follow_up()
    client.force_login(factories.programme_manager())

    body = b"".join(client.post(FINANCE_CSV).streaming_content)

    assert body.startswith(BOM)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:]), delimiter=";"))
    assert rows[0][0] == "Typ"
    assert rows[1][:2] == ["payment", grant.registration_number]


def test_the_finance_xlsx_is_the_programme_managers_only(client):
    client.force_login(factories.decision_maker())

    assert client.post(FINANCE_XLSX).status_code == 403
    assert not AuditEntry.objects.filter(action="export.finance").exists()


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("5.25"), "5,25"),
        (Decimal("-0.50"), "-0,50"),
        (600_000, "600000"),
        (-12, "-12"),
        (None, ""),
        (dt.date(2026, 12, 3), "2026-12-03"),
        (dt.datetime(2026, 6, 1, 22, 15, tzinfo=dt.UTC), "2026-06-02 00:15:00"),
        ("=1+1", "'=1+1"),
        ("Åre kommun", "Åre kommun"),
    ],
)
def test_a_csv_cell_is_written_as_swedish_excel_reads_it(value, cell):
    assert csv_cell(value) == cell


def test_the_public_register_csv_keeps_the_international_form(client):
    """Open data for programs: comma-separated, no BOM (see views/register.py)."""
    body = client.get(reverse("applications:register_csv")).content

    assert not body.startswith(BOM)
    assert body.decode("utf-8").splitlines()[0].count(";") == 0
    assert body.decode("utf-8").splitlines()[0].count(",") > 3
