"""The public register of funded projects: the page and the open data (JSON, CSV).

Only grants whose effective approval was confirmed and released, and that did not lapse, are
published; never a person's name, email or phone. Title, summary and period are the decided
version's, never the working copy's.
"""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from applications.enums import ApplicationState, ReportKind
from applications.models import Application, User
from applications.selectors.decisions import effective_decision
from applications.selectors.register import register_entries
from applications.services.decisions import decision_confirm, decision_send_back
from applications.services.follow_up import (
    application_close,
    application_lapse,
    payment_mark_paid,
    report_approve,
)
from applications.services.letters import decision_letter_generate
from applications.services.transitions import application_withdraw
from applications.views import register as register_views
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState
EN = {"samverket_language": "en"}


def _english(client):
    client.cookies.load(EN)
    return client


def _closed_grant(call) -> Application:
    """A grant taken through acceptance, payment, the final report and closure."""
    application = factories.grant_in_follow_up(call)
    manager = factories.programme_manager()
    today = timezone.localdate()
    payment_mark_paid(payment=application.payments.get(position=1), by=manager, paid_on=today)
    final = application.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=application.signatory)
    report_approve(report=final, by=manager)
    payment_mark_paid(payment=application.payments.get(position=2), by=manager, paid_on=today)
    application_close(application=application, by=manager)
    application.refresh_from_db()
    return application


def _lapsed_grant(call) -> Application:
    application = factories.approved_grant(call)
    with time_machine.travel(application.accept_by + dt.timedelta(days=1)):
        application_lapse(application=application)
    application.refresh_from_db()
    assert application.state == S.CLOSED
    return application


def _decided(call, *, outcome="approved", confirm=True, release=True, **kwargs):
    """A reviewed application with a decision proposed, and as asked confirmed and released."""
    manager = factories.programme_manager()
    application = factories.reviewed_applications(call, by=manager, **kwargs)[0]
    decision = factories.proposed_decision(application, by=manager, outcome=outcome)
    if confirm:
        decision_confirm(decision=decision, by=factories.decision_maker())
        if release:
            decision_letter_generate(decision.pk)
    application.refresh_from_db()
    return application


@pytest.fixture
def world():
    """One grant of every kind the register includes, and one of every kind it leaves out."""
    # A call each: putting an application in review closes its call.
    call = factories.CallFactory
    held = factories.CallFactory(slug="held-call", hold_decisions_for_release=True)
    included = {
        "granted": factories.approved_grant(call(), title="Granted trial"),
        "accepted": factories.grant_in_follow_up(call(), title="Accepted trial"),
        "closed": _closed_grant(call()),
    }
    excluded = {
        "lapsed": _lapsed_grant(call()),
        "rejected": _decided(call(), outcome="rejected", title="Rejected trial"),
        "proposed": _decided(call(), confirm=False, title="Proposed trial"),
        "unreleased": _decided(held, title="Held trial"),
    }
    sent_back = _decided(call(), confirm=False, title="Sent back trial")
    decision_send_back(
        decision=sent_back.decisions.get(),
        by=factories.decision_maker(),
        comment="Check the amount.",
    )
    excluded["sent_back"] = sent_back
    withdrawn = factories.submitted_application(call(), title="Withdrawn trial")
    application_withdraw(
        application=withdrawn, by=factories.applicant_for(withdrawn), reason="No longer needed."
    )
    excluded["withdrawn"] = withdrawn
    for application in excluded.values():
        application.refresh_from_db()
    assert excluded["unreleased"].state == S.APPROVED
    assert excluded["withdrawn"].state == S.WITHDRAWN
    return {"included": included, "excluded": excluded}


def _numbers(rows) -> set[str]:
    return {row["registration_number"] for row in rows}


def test_register_holds_granted_accepted_and_closed_grants_only(world):
    included = world["included"]
    rows = list(register_entries())
    assert _numbers(rows) == {a.registration_number for a in included.values()}
    status = {row["registration_number"]: row["register_status"] for row in rows}
    assert status == {
        included["granted"].registration_number: "granted",
        included["accepted"].registration_number: "accepted",
        included["closed"].registration_number: "closed",
    }


def test_register_leaves_out_lapsed_rejected_unconfirmed_unreleased_and_withdrawn(world):
    numbers = _numbers(register_entries())
    shown = [kind for kind, a in world["excluded"].items() if a.registration_number in numbers]
    assert shown == []
    assert sorted(world["excluded"]) == sorted(
        ["lapsed", "rejected", "proposed", "sent_back", "unreleased", "withdrawn"]
    )


def test_register_exports_and_page_leave_out_every_excluded_grant(client, world):
    numbers = [a.registration_number for a in world["excluded"].values()]
    page = _english(client).get(reverse("applications:register")).content.decode()
    data = client.get(reverse("applications:register_json")).content.decode()
    table = client.get(reverse("applications:register_csv")).content.decode()
    for number in numbers:
        assert number not in page
        assert number not in data
        assert number not in table
    for application in world["included"].values():
        assert application.registration_number in page
        assert application.registration_number in data
        assert application.registration_number in table


def test_register_never_shows_a_persons_name_email_or_phone(client, world):
    Application.objects.update(contact_phone="070-123 45 67")
    people = set()
    for email, name in User.objects.values_list("email", "full_name"):
        people |= {email, name}
    for name, email, phone in Application.objects.values_list(
        "contact_name", "contact_email", "contact_phone"
    ):
        people |= {name, email, phone}
    people.discard("")
    assert len(people) > 20
    outputs = {
        "page": _english(client).get(reverse("applications:register")).content.decode(),
        "json": client.get(reverse("applications:register_json")).content.decode(),
        "csv": client.get(reverse("applications:register_csv")).content.decode(),
    }
    for what, text in outputs.items():
        found = sorted(person for person in people if person in text)
        assert found == [], f"personal data in the register's {what}: {found}"


def test_register_shows_the_decided_title_summary_and_period_not_the_working_copy(world):
    application = world["included"]["accepted"]
    Application.objects.filter(pk=application.pk).update(
        title="Working copy title",
        summary="Working copy summary",
        period_start=dt.date(2030, 1, 1),
        period_end=dt.date(2030, 12, 31),
    )
    row = next(
        row
        for row in register_entries()
        if row["registration_number"] == application.registration_number
    )
    assert (row["title"], row["summary"], row["period_start"], row["period_end"]) == (
        "Accepted trial",
        "We try working from the hub two days a week.",
        dt.date(2027, 2, 1),
        dt.date(2027, 12, 31),
    )


def test_register_shows_a_released_correction_instead_of_what_it_corrects():
    application = factories.approved_grant(granted_amount=400_000)
    original = effective_decision(application)
    correction = factories.proposed_decision(
        application, by=factories.programme_manager(), granted_amount=350_000, supersedes=original
    )
    decision_confirm(decision=correction, by=factories.decision_maker())
    decision_letter_generate(correction.pk)
    rows = list(register_entries())
    assert [(r["registration_number"], r["granted_amount"]) for r in rows] == [
        (application.registration_number, 350_000)
    ]


def test_register_leaves_out_a_grant_whose_correction_is_not_released_yet():
    call = factories.CallFactory(hold_decisions_for_release=True)
    application = factories.approved_grant(call)
    original = effective_decision(application)
    correction = factories.proposed_decision(
        application, by=factories.programme_manager(), granted_amount=1_000, supersedes=original
    )
    decision_confirm(decision=correction, by=factories.decision_maker())
    decision_letter_generate(correction.pk)
    assert list(register_entries()) == []


def test_register_entries_is_one_query(django_assert_num_queries):
    factories.approved_grant()
    factories.grant_in_follow_up()
    with django_assert_num_queries(1):
        rows = list(register_entries())
    assert len(rows) == 2


def test_register_page_is_public_and_lists_a_project_in_english(client):
    call = factories.CallFactory(title_en="Coworking 2027", slug="coworking-2027")
    application = factories.grant_in_follow_up(call, title="Hub days in Östersund")
    decision = effective_decision(application)
    response = _english(client).get(reverse("applications:register"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Funded projects</h1>" in page
    assert "<h2" in page and "Hub days in Östersund</h2>" in page
    organisation = application.organisation
    assert f'{organisation.name} <span class="muted">({organisation.orgnr})</span>' in page
    assert "500\u00a0000\u00a0kr" in page
    assert '1 February 2027</time> – <time datetime="2027-12-31">31 December 2027' in page
    assert "Coworking 2027" in page
    assert f'<time datetime="{decision.decided_on.isoformat()}">' in page
    assert "Accepted, in progress" in page
    assert "1 funded project" in page
    assert "CC0 1.0 Universal" in page


def test_register_page_is_in_swedish_by_default(client):
    factories.grant_in_follow_up()
    page = client.get(reverse("applications:register")).content.decode()
    assert '<html lang="sv">' in page


@pytest.mark.parametrize("name", ["applications:register", "applications:register_json"])
def test_register_is_open_to_every_role(client, name):
    factories.approved_grant()
    for user in (
        None,
        factories.UserFactory(),
        factories.programme_manager(),
        factories.decision_maker(),
    ):
        client.logout()
        if user is not None:
            client.force_login(user)
        assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    "name", ["applications:register", "applications:register_json", "applications:register_csv"]
)
def test_register_refuses_post(client, name):
    assert client.post(reverse(name)).status_code == 405


def test_register_filters_by_call_short_name(client):
    first = factories.CallFactory(slug="first-call")
    second = factories.CallFactory(slug="second-call")
    one = factories.approved_grant(first)
    two = factories.approved_grant(second)
    _english(client)
    page = client.get(reverse("applications:register"), {"call": "second-call"}).content.decode()
    assert two.registration_number in page
    assert one.registration_number not in page
    assert 'href="/register.json?call=second-call"' in page
    data = client.get(reverse("applications:register_json"), {"call": "first-call"}).json()
    assert [p["registration_number"] for p in data["projects"]] == [one.registration_number]
    rows = list(
        csv.reader(io.StringIO(client.get("/register.csv?call=first-call").content.decode()))
    )
    assert [row[0] for row in rows[1:]] == [one.registration_number]


def test_register_with_an_unknown_call_says_so_and_exports_refuse(client):
    factories.approved_grant()
    _english(client)
    response = client.get(reverse("applications:register"), {"call": "no-such-call"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    response = client.get(reverse("applications:register_json"), {"call": "no-such-call"})
    assert (response.status_code, response.json()) == (
        400,
        {"errors": ["There is no published call with that short name."]},
    )
    response = client.get(reverse("applications:register_csv"), {"call": "no-such-call"})
    assert response.status_code == 400
    assert response.content.decode() == "There is no published call with that short name."


def test_register_sorts_by_decision_date_newest_first():
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)):
        older = factories.approved_grant(factories.CallFactory())
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC)):
        newer = factories.approved_grant(factories.CallFactory())
    rows = list(register_entries())
    assert [(r["registration_number"], r["decided_on"]) for r in rows] == [
        (newer.registration_number, dt.date(2026, 6, 1)),
        (older.registration_number, dt.date(2026, 3, 2)),
    ]


def test_register_page_paginates(client, monkeypatch):
    monkeypatch.setattr(register_views, "PAGE_SIZE", 1)
    grants = [factories.approved_grant() for _ in range(2)]
    _english(client)
    first = client.get(reverse("applications:register")).content.decode()
    second = client.get(reverse("applications:register"), {"page": 2}).content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    shown = {g.registration_number for g in grants if g.registration_number in first} | {
        g.registration_number for g in grants if g.registration_number in second
    }
    assert shown == {g.registration_number for g in grants}


def test_register_page_query_count_does_not_grow_with_projects(client, django_assert_num_queries):
    factories.approved_grant()
    # The count, the page's rows, and the calls of the filter.
    with django_assert_num_queries(3):
        assert b"1 funded project" in _english(client).get(reverse("applications:register")).content
    for _ in range(3):
        factories.approved_grant()
    with django_assert_num_queries(3):
        assert b"4 funded projects" in client.get(reverse("applications:register")).content


def test_register_exports_query_count_does_not_grow_with_projects(
    client, django_assert_num_queries
):
    factories.approved_grant()
    for name in ("applications:register_json", "applications:register_csv"):
        with django_assert_num_queries(1):
            client.get(reverse(name))
    factories.approved_grant()
    factories.approved_grant()
    for name in ("applications:register_json", "applications:register_csv"):
        with django_assert_num_queries(1):
            client.get(reverse(name))


@time_machine.travel(dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC), tick=False)
def test_register_json_has_a_documented_structure_with_licence(client):
    call = factories.CallFactory(
        slug="coworking-2027", title_sv="Coworking 2027 (sv)", title_en="Coworking 2027"
    )
    application = factories.grant_in_follow_up(call, title="Hub days", granted_amount=450_000)
    response = client.get(reverse("applications:register_json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    data = response.json()
    assert data == {
        "title": "Samverket Grants: funded projects",
        "publisher": data["publisher"],
        "licence": {
            "id": "CC0-1.0",
            "name": "CC0 1.0 Universal",
            "url": "https://creativecommons.org/publicdomain/zero/1.0/",
        },
        "generated_at": "2026-11-26T10:30:00+01:00",
        "format_version": 1,
        "documentation": "http://testserver/register/#open-data",
        "count": 1,
        "projects": [
            {
                "registration_number": application.registration_number,
                "organisation": {
                    "name": application.organisation.name,
                    "organisation_number": application.organisation.orgnr,
                },
                "title": "Hub days",
                "summary": "We try working from the hub two days a week.",
                "granted_amount": 450_000,
                "currency": "SEK",
                "period": {"start": "2027-02-01", "end": "2027-12-31"},
                "call": {
                    "slug": "coworking-2027",
                    "title_sv": "Coworking 2027 (sv)",
                    "title_en": "Coworking 2027",
                },
                "decision_date": "2026-11-26",
                "status": "accepted",
            }
        ],
    }
    assert data["publisher"]


def test_register_json_keeps_swedish_letters_as_they_are(client):
    factories.approved_grant(title="Hubbdagar i Östersund")
    assert (
        "Hubbdagar i Östersund".encode()
        in client.get(reverse("applications:register_json")).content
    )


@time_machine.travel(dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC), tick=False)
def test_register_csv_is_utf8_with_a_header_row(client):
    call = factories.CallFactory(slug="coworking-2027", title_sv="Samverket 2027", title_en="")
    application = factories.approved_grant(call, title="=Hubbdagar i Östersund")
    response = client.get(reverse("applications:register_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Content-Disposition"] == 'attachment; filename="funded-projects.csv"'
    assert not response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [
        [
            "registration_number",
            "organisation",
            "organisation_number",
            "title",
            "summary",
            "granted_amount",
            "period_start",
            "period_end",
            "call",
            "call_title_sv",
            "call_title_en",
            "decision_date",
            "status",
        ],
        [
            application.registration_number,
            application.organisation.name,
            application.organisation.orgnr,
            "'=Hubbdagar i Östersund",
            "We try working from the hub two days a week.",
            "500000",
            "2027-02-01",
            "2027-12-31",
            "coworking-2027",
            "Samverket 2027",
            "",
            "2026-11-26",
            "granted",
        ],
    ]


def test_register_page_is_linked_from_the_footer_and_the_call_page(client):
    call = factories.CallFactory()
    href = f'href="{reverse("applications:register")}"'
    assert href in client.get(reverse("grants:call_list")).content.decode()
    page = client.get(reverse("grants:call_detail", args=[call.slug])).content.decode()
    assert f'href="{reverse("applications:register")}?call={call.slug}"' in page
