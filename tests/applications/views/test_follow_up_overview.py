"""The programme manager's follow-up overview: money per call, reports due and overdue, and
the charts (inline SVG with a text alternative) of where the money went and how far grants are.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from applications.enums import County, PaymentStatus, ReportKind
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.selectors.overview import (
    follow_up_granted_by_county,
    follow_up_money_by_call,
    follow_up_reports_due,
    follow_up_spent_by_category,
    follow_up_stages,
)
from applications.services.decisions import decision_confirm
from applications.services.follow_up import (
    application_accept_grant,
    application_close,
    application_lapse,
    payment_mark_paid,
    repayment_mark_settled,
    report_approve,
    report_return,
)
from applications.services.letters import decision_letter_generate
from applications.views.overview import bar_chart
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/manage/follow-up/"
FINAL_DUE = dt.date(2028, 2, 29)  # the factories' period ends 2027-12-31; reports 60 days on


def _english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def _grants(call, count: int = 1, **kwargs) -> list:
    """``count`` applications to ``call`` approved, confirmed and released (not accepted)."""
    manager = factories.programme_manager()
    decider = factories.decision_maker()
    applications = factories.reviewed_applications(call, by=manager, count=count, **kwargs)
    for application in applications:
        decision = factories.proposed_decision(application, by=manager)
        decision_confirm(decision=decision, by=decider)
        decision_letter_generate(decision.pk)
        application.refresh_from_db()
    return applications


def _accept(application):
    signatory = factories.applicant_for(application, is_signatory=True)
    application_accept_grant(
        application=application,
        by=signatory,
        text=acceptance_text(application, effective_decision(application)),
    )
    application.refresh_from_db()
    application.signatory = signatory
    return application


def _pay_first(application, manager):
    payment_mark_paid(
        payment=application.payments.get(position=1), by=manager, paid_on=timezone.localdate()
    )


def _final_approved(application, manager, *, spent):
    final = application.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=application.signatory, spent=spent)
    report_approve(report=final, by=manager)
    return final


@pytest.fixture
def call_with_grants():
    """A call of 2 000 000 kr with three grants of 500 000 kr:

    - ``due``: accepted, its first instalment (400 000 kr) due and not paid, final report draft;
    - ``reclaimed``: accepted, 400 000 kr paid, final report approved at 250 000 kr spent (hub
      200 000, staff 50 000), so 150 000 kr is reclaimed and not yet repaid;
    - ``waiting``: approved and released, not accepted yet.
    """
    call = factories.CallFactory(budget=2_000_000, title_en="Coworking 2027")
    due, reclaimed, waiting = _grants(call, count=3)
    manager = factories.programme_manager()
    _accept(due)
    _accept(reclaimed)
    _pay_first(reclaimed, manager)
    _final_approved(reclaimed, manager, spent=[200_000, 50_000])
    return {
        "call": call,
        "manager": manager,
        "due": due,
        "reclaimed": reclaimed,
        "waiting": waiting,
    }


# -- who may open it -------------------------------------------------------------------------


def test_overview_is_open_to_programme_managers_and_decision_makers(client):
    for user in (factories.programme_manager(), factories.decision_maker()):
        client.force_login(user)
        assert client.get(URL).status_code == 200


def test_overview_sends_anonymous_visitors_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_overview_is_refused_to_applicants_reviewers_and_a_superuser_without_a_role(client):
    application = factories.ApplicationFactory()
    reviewer = factories.PanelMemberFactory().user
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    for user in (factories.applicant_for(application, is_signatory=True), reviewer, superuser):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_overview_refuses_post(client):
    client.force_login(factories.programme_manager())
    assert client.post(URL).status_code == 405


def test_overview_is_linked_in_the_staff_menu_only(client):
    client.force_login(factories.programme_manager())
    assert f'href="{URL}"' in client.get(reverse("applications:manage_list")).content.decode()
    applicant = factories.MembershipFactory().user
    client.force_login(applicant)
    assert f'href="{URL}"' not in client.get(reverse("applications:dashboard")).content.decode()


# -- money per call --------------------------------------------------------------------------


def test_money_per_call_adds_up_granted_paid_due_reclaimed_repaid_and_remaining(
    call_with_grants,
):
    call, manager = call_with_grants["call"], call_with_grants["manager"]
    # The reclaimed grant's last instalment was cancelled in the settlement.
    assert list(
        call_with_grants["reclaimed"].payments.values_list("status", "amount").order_by("position")
    ) == [(PaymentStatus.PAID, 400_000), (PaymentStatus.CANCELLED, 0)]
    expected = {
        "call": call,
        "budget": 2_000_000,
        "granted": 1_500_000,
        "paid": 400_000,
        "due": 400_000,
        "reclaimed": 150_000,
        "repaid": 0,
        "remaining": 500_000,
    }
    assert follow_up_money_by_call() == [expected]

    claim = call_with_grants["reclaimed"].repayment_claims.get()
    repayment_mark_settled(claim=claim, by=manager, settled_on=timezone.localdate())
    assert follow_up_money_by_call() == [{**expected, "repaid": 150_000}]


def test_money_per_call_counts_a_correction_instead_of_what_it_corrects():
    application = factories.approved_grant(granted_amount=400_000)
    original = effective_decision(application)
    correction = factories.proposed_decision(
        application, by=factories.programme_manager(), granted_amount=300_000, supersedes=original
    )
    decision_confirm(decision=correction, by=factories.decision_maker())
    [row] = follow_up_money_by_call()
    assert (row["granted"], row["remaining"]) == (300_000, 6_000_000 - 300_000)


def test_money_per_call_leaves_out_calls_without_grants_and_rejections():
    factories.CallFactory()
    call = factories.CallFactory()
    manager = factories.programme_manager()
    [application] = factories.reviewed_applications(call, by=manager)
    decision = factories.proposed_decision(application, by=manager, outcome="rejected")
    decision_confirm(decision=decision, by=factories.decision_maker())
    assert follow_up_money_by_call() == []


def test_overview_page_shows_the_money_table_in_kronor(client, call_with_grants):
    page = _english(client, factories.programme_manager()).get(URL).content.decode()
    row = re.search(r"<th scope=\"row\">Coworking 2027</th>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == [
        "2\u00a0000\u00a0000\u00a0kr",
        "1\u00a0500\u00a0000\u00a0kr",
        "400\u00a0000\u00a0kr",
        "400\u00a0000\u00a0kr",
        "150\u00a0000\u00a0kr",
        "0\u00a0kr",
        "500\u00a0000\u00a0kr",
    ]
    assert "Budget less granted: what can still be granted." in page


# -- reports due and overdue -----------------------------------------------------------------


def test_reports_due_lists_unsubmitted_reports_due_within_30_days(call_with_grants):
    due = call_with_grants["due"]
    final = due.reports.get(kind=ReportKind.FINAL)
    assert final.due_on == FINAL_DUE
    assert follow_up_reports_due(today=FINAL_DUE - dt.timedelta(days=31)) == ([], [])
    soon, overdue = follow_up_reports_due(today=FINAL_DUE - dt.timedelta(days=30))
    assert (soon, overdue) == ([final], [])
    assert follow_up_reports_due(today=FINAL_DUE) == ([final], [])
    assert follow_up_reports_due(today=FINAL_DUE + dt.timedelta(days=1)) == (
        [],
        [final],
    )


def test_reports_due_leaves_out_submitted_reports_and_counts_returned_ones(call_with_grants):
    due, manager = call_with_grants["due"], call_with_grants["manager"]
    final = due.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=due.signatory)
    assert follow_up_reports_due(today=FINAL_DUE + dt.timedelta(days=5)) == ([], [])
    report_return(report=final, by=manager, comment="Add the hub days.")
    assert follow_up_reports_due(today=FINAL_DUE + dt.timedelta(days=5)) == ([], [final])


def test_overview_page_lists_overdue_reports_with_a_link_to_the_case(client, call_with_grants):
    due = call_with_grants["due"]
    manager = factories.programme_manager()
    with time_machine.travel(dt.datetime(2028, 3, 5, 9, tzinfo=dt.UTC)):
        page = _english(client, manager).get(URL).content.decode()
    overdue = page[page.index('id="overdue-heading"') : page.index('id="money-went-heading"')]
    case = reverse("applications:manage_follow_up", args=[due.pk])
    assert f'<a href="{case}">{due.registration_number}</a>' in overdue
    assert '<td class="num">5</td>' in overdue
    assert "29 February 2028" in overdue
    assert "Not submitted" in overdue
    assert "No report is due in this time." in page


def test_overview_page_lists_reports_due_soon(client, call_with_grants):
    due = call_with_grants["due"]
    manager = factories.programme_manager()
    with time_machine.travel(dt.datetime(2028, 2, 10, 9, tzinfo=dt.UTC)):
        page = _english(client, manager).get(URL).content.decode()
    soon = page[page.index('id="due-heading"') : page.index('id="overdue-heading"')]
    assert "Reports due in the next 30 days" in soon
    assert due.registration_number in soon
    assert "Final report" in soon
    assert "No report is overdue." in page


# -- charts ----------------------------------------------------------------------------------


def test_spent_per_category_comes_from_approved_final_reports_only(call_with_grants):
    due = call_with_grants["due"]
    # A submitted (not approved) final report does not count.
    factories.complete_report(due.reports.get(kind=ReportKind.FINAL), by=due.signatory)
    spent = {code: amount for code, _label, amount in follow_up_spent_by_category()}
    assert spent == {
        "hub": 200_000,
        "staff": 50_000,
        "travel": 0,
        "equipment": 0,
        "evaluation": 0,
        "other": 0,
    }


def test_granted_per_county_sums_effective_approvals_most_first():
    factories.approved_grant(granted_amount=300_000, organisation__county=County.STOCKHOLM)
    factories.approved_grant(granted_amount=200_000, organisation__county=County.JAMTLAND)
    factories.approved_grant(granted_amount=250_000, organisation__county=County.JAMTLAND)
    with translation.override("en"):
        assert follow_up_granted_by_county() == [
            ("Z", "Jämtland County", 450_000),
            ("AB", "Stockholm County", 300_000),
        ]


def test_stages_count_every_grant_once(call_with_grants):
    due = call_with_grants["due"]
    lapsed = factories.approved_grant()
    with time_machine.travel(lapsed.accept_by + dt.timedelta(days=1)):
        application_lapse(application=lapsed)
    assert follow_up_stages() == [
        ("awaiting_acceptance", 1),
        ("no_report_in", 1),
        ("reports_in", 0),
        ("final_approved", 1),
        ("closed", 0),
        ("lapsed", 1),
    ]
    factories.complete_report(due.reports.get(kind=ReportKind.FINAL), by=due.signatory)
    assert dict(follow_up_stages())["reports_in"] == 1
    assert dict(follow_up_stages())["no_report_in"] == 0


def test_stages_count_a_closed_grant(call_with_grants):
    reclaimed, manager = call_with_grants["reclaimed"], call_with_grants["manager"]
    claim = reclaimed.repayment_claims.get()
    repayment_mark_settled(claim=claim, by=manager, settled_on=timezone.localdate())
    application_close(application=reclaimed, by=manager)
    stages = dict(follow_up_stages())
    assert (stages["final_approved"], stages["closed"], stages["lapsed"]) == (0, 1, 0)


def test_bar_chart_scales_bars_to_the_largest_value_in_whole_units():
    chart = bar_chart(
        key="chart-x",
        title="Spent",
        rows=[("Hub", 200_000, "200 000 kr"), ("Staff", 50_000, "50 000 kr"), ("Travel", 0, "0")],
    )
    assert [bar["width"] for bar in chart["bars"]] == [290, 72, 0]
    assert [bar["y"] for bar in chart["bars"]] == [12, 46, 80]
    assert (chart["width"], chart["height"], chart["empty"]) == (650, 114, False)
    assert chart["description"] == "Hub: 200 000 kr; Staff: 50 000 kr; Travel: 0."
    assert bar_chart(key="chart-y", title="None", rows=[("Hub", 0, "0 kr")])["empty"] is True


def test_overview_charts_are_labelled_svg_with_a_table_and_no_inline_style(
    client, call_with_grants
):
    page = _english(client, factories.programme_manager()).get(URL).content.decode()
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", page, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        labelled_by = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        assert 'role="img"' in svg
        assert f'<title id="{labelled_by[0]}">' in svg
        assert f'<desc id="{labelled_by[1]}">' in svg
    spent = svgs[0]
    assert '<title id="chart-spent-title">Spent per budget category, from approved final' in spent
    assert "Hub membership and rent: 200\u00a0000\u00a0kr; Staff time: 50\u00a0000\u00a0kr" in spent
    assert '<rect class="chart__bar" x="250" y="12" width="290" height="22"></rect>' in spent
    assert ">200\u00a0000\u00a0kr</text>" in spent
    stages = svgs[2]
    assert "Awaiting acceptance: 1 grant; In follow-up, no report in: 1 grant;" in stages
    assert page.count('<details class="chart-figure__data">') == 3
    assert '<th scope="row">Hub membership and rent</th>' in page
    assert "style=" not in page
    assert "<script>" not in page


def test_overview_charts_say_so_when_there_is_nothing_to_show(client):
    page = _english(client, factories.programme_manager()).get(URL).content.decode()
    assert "<svg" not in page
    # Each chart says so; the counties' table too, having no rows (the others list zeros).
    assert page.count("Nothing to show yet.") == 4
    assert "No call has granted any money yet." in page


# -- queries -----------------------------------------------------------------------------------


def test_overview_query_count_does_not_grow_with_grants(client, django_assert_num_queries):
    manager = factories.programme_manager()
    client.force_login(manager)
    first = factories.CallFactory()
    [application] = _grants(first)
    _accept(application)
    # The site's own (session, user, its authenticator, groups, the menu's reviewer check),
    # then the page's: reports due, spent, counties, stages, and money (granted, payments,
    # claims, calls).
    with django_assert_num_queries(13):
        assert client.get(URL).status_code == 200
    second = factories.CallFactory()
    for application in _grants(second, count=3):
        _accept(application)
    _pay_first(application, manager)
    _final_approved(application, manager, spent=[100_000, 100_000])
    with django_assert_num_queries(13):
        assert client.get(URL).status_code == 200
