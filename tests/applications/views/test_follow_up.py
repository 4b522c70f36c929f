"""The follow-up pages: the applicant's grant page (acceptance, payment plan, reports,
repayments, closing letter) and report form; the programme manager's follow-up case page,
report review page and the finance CSV.

Every view: the allowed role succeeds, every other role is refused (anonymous → login, another
organisation → 404, visible but not allowed → 403, agency staff on an applicant's page →
their own page); bad input gives field errors and changes nothing; list pages keep their
number of queries whatever the number of rows.
"""

import csv
import datetime as dt
import hashlib
import html
import io
import re

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, strip_tags

from applications.enums import ApplicationState, PaymentStatus, ReportKind, ReportStatus
from applications.models import (
    Acceptance,
    Application,
    ClosingLetter,
    Payment,
    RepaymentClaim,
    Report,
)
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.decisions import decision_confirm
from applications.services.follow_up import (
    application_close,
    payment_mark_paid,
    report_approve,
    report_return,
)
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState


# -- people and grants ------------------------------------------------------------------------


@pytest.fixture
def manager():
    return factories.programme_manager(language="en", full_name="Petra Programme")


@pytest.fixture
def decider():
    return factories.decision_maker(language="en", full_name="Dag Decider")


@pytest.fixture
def approved():
    """An approved grant of 500 000 kr (80 % on acceptance, 20 % after the final report),
    released to the applicant and waiting for acceptance."""
    return factories.approved_grant(language="en")


@pytest.fixture
def signatory(approved):
    return factories.applicant_for(
        approved, is_signatory=True, user__language="en", user__full_name="Sara Signatory"
    )


@pytest.fixture
def member(approved):
    """A member of the organisation without signing authority."""
    return factories.applicant_for(approved, user__language="en", user__full_name="Max Member")


@pytest.fixture
def outsider():
    """A signatory of another organisation."""
    return factories.MembershipFactory(is_signatory=True, user__language="en").user


@pytest.fixture
def grant():
    """A grant in follow-up: accepted, the first instalment (400 000 kr) due."""
    application = factories.grant_in_follow_up(language="en")
    application.signatory.language = "en"
    application.signatory.save(update_fields=["language"])
    return application


@pytest.fixture
def final(grant):
    return grant.reports.get(kind=ReportKind.FINAL)


def login(client, user):
    client.force_login(user)
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def follow_messages(client, response) -> list[str]:
    assert response.status_code == 302
    return messages_of(client.get(response["Location"]))


def text_of(response) -> str:
    """The page's text as a reader meets it: no tags, entities read, spaces collapsed."""
    text = html.unescape(strip_tags(response.content.decode()))
    return " ".join(text.replace("\u00a0", " ").split())


def accept_post(application, *, confirm=True, sha=None) -> dict:
    decision = effective_decision(application)
    text = acceptance_text(application, decision)
    data = {"text_sha256": sha or hashlib.sha256(text.encode()).hexdigest()}
    if confirm:
        data["confirm"] = "on"
    return data


def pay_first_instalment(grant, manager) -> Payment:
    payment = grant.payments.get(position=1)
    return payment_mark_paid(
        payment=payment, by=manager, paid_on=timezone.localdate(), reference="F-1"
    )


def settle_with_repayment(grant, manager, *, spent: list[int]) -> RepaymentClaim:
    """Pay the first instalment, report ``spent`` (less than paid) and approve: a claim."""
    pay_first_instalment(grant, manager)
    report = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(report, by=grant.signatory, spent=spent)
    report_approve(report=report, by=manager)
    return grant.repayment_claims.get()


# -- the grant page and acceptance --------------------------------------------------------------


def test_signatory_reads_the_exact_text_and_accepts_the_grant(client, approved, signatory):
    login(client, signatory)
    url = reverse("applications:follow_up", args=[approved.pk])
    decision = effective_decision(approved)
    text = acceptance_text(approved, decision)

    page = client.get(url)

    assert page.status_code == 200
    assert escape(text) in page.content.decode()
    body = text_of(page)
    assert f"no later than {approved.accept_by:%-d %B %Y}" in body
    assert (
        f"I have signing authority for {approved.organisation.name} and accept the grant on "
        "the conditions above." in body
    )

    response = client.post(
        reverse("applications:accept_grant", args=[approved.pk]), accept_post(approved)
    )

    assert response["Location"] == url
    assert follow_messages(client, response) == [
        "You have accepted the grant. The first payment is made according to the payment plan "
        "below."
    ]
    acceptance = Acceptance.objects.get(application=approved)
    assert (acceptance.accepted_by, acceptance.text, acceptance.decision) == (
        signatory,
        text,
        decision,
    )
    approved.refresh_from_db()
    assert approved.state == S.FOLLOW_UP
    after = text_of(client.get(url))
    assert "Accepted by Sara Signatory on" in after
    assert "400 000 kr" in after and "100 000 kr" in after  # the two instalments


def test_accepting_without_ticking_the_box_changes_nothing(client, approved, signatory):
    login(client, signatory)
    response = client.post(
        reverse("applications:accept_grant", args=[approved.pk]),
        accept_post(approved, confirm=False),
    )
    assert response.status_code == 400
    assert "Tick the box to confirm that you may sign and that you accept." in text_of(response)
    approved.refresh_from_db()
    assert approved.state == S.APPROVED
    assert not Acceptance.objects.exists()
    assert not Payment.objects.filter(application=approved).exists()


def test_accepting_a_text_other_than_the_one_shown_is_refused(client, approved, signatory):
    login(client, signatory)
    response = client.post(
        reverse("applications:accept_grant", args=[approved.pk]),
        accept_post(approved, sha="0" * 64),
    )
    assert response.status_code == 400
    assert "The conditions have changed since the page was shown. Read them again." in text_of(
        response
    )
    approved.refresh_from_db()
    assert approved.state == S.APPROVED
    assert not Acceptance.objects.exists()


def test_member_without_signing_authority_sees_who_can_accept_and_is_refused(
    client, approved, signatory, member
):
    login(client, member)
    page = client.get(reverse("applications:follow_up", args=[approved.pk]))
    assert page.status_code == 200
    body = text_of(page)
    assert (
        f"Only a person with signing authority for {approved.organisation.name} can accept "
        "the grant." in body
    )
    assert "People with signing authority: Sara Signatory." in body
    assert 'name="confirm"' not in page.content.decode()

    response = client.post(
        reverse("applications:accept_grant", args=[approved.pk]), accept_post(approved)
    )
    assert response.status_code == 403
    approved.refresh_from_db()
    assert approved.state == S.APPROVED


def test_acceptance_through_the_page_after_the_last_day_is_refused(client, approved, signatory):
    login(client, signatory)
    url = reverse("applications:follow_up", args=[approved.pk])
    stockholm = timezone.get_current_timezone()
    day_after = dt.datetime.combine(
        approved.accept_by + dt.timedelta(days=1), dt.time(9), tzinfo=stockholm
    )
    with time_machine.travel(day_after, tick=False):
        login(client, signatory)
        page = client.get(url)
        assert (
            f"The last day to accept this grant was {approved.accept_by:%-d %B %Y}. It can no "
            "longer be accepted." in text_of(page)
        )
        assert 'name="confirm"' not in page.content.decode()
        response = client.post(
            reverse("applications:accept_grant", args=[approved.pk]), accept_post(approved)
        )
    assert response.status_code == 400
    assert "It can no longer be accepted." in text_of(response)
    approved.refresh_from_db()
    assert approved.state == S.APPROVED
    assert not Acceptance.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_grant_page_refuses_everyone_else(client, approved, signatory, outsider, manager, method):
    urls = {
        "get": reverse("applications:follow_up", args=[approved.pk]),
        "post": reverse("applications:accept_grant", args=[approved.pk]),
    }
    url = urls[method]
    data = accept_post(approved) if method == "post" else None
    send = getattr(client, method)

    anonymous = send(url, data) if data else send(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))

    login(client, outsider)
    assert (send(url, data) if data else send(url)).status_code == 404

    login(client, manager)
    staff = send(url, data) if data else send(url)
    if method == "get":  # staff are sent to their own page
        assert staff["Location"] == reverse("applications:manage_follow_up", args=[approved.pk])
    else:
        assert staff.status_code == 403
    approved.refresh_from_db()
    assert approved.state == S.APPROVED


def test_an_approval_not_yet_released_is_not_shown_to_the_applicant(client, manager, decider):
    call = factories.CallFactory(hold_decisions_for_release=True)
    application = factories.reviewed_applications(call, by=manager)[0]
    decision = factories.proposed_decision(application, by=manager)
    decision_confirm(decision=decision, by=decider)
    application.refresh_from_db()
    assert (application.state, application.accept_by) == (S.APPROVED, None)
    signatory = factories.applicant_for(application, is_signatory=True, user__language="en")
    login(client, signatory)

    assert client.get(reverse("applications:follow_up", args=[application.pk])).status_code == 404
    detail = client.get(reverse("applications:detail", args=[application.pk]))
    assert reverse("applications:follow_up", args=[application.pk]) not in detail.content.decode()


def test_application_page_and_dashboard_link_to_the_grant(client, approved, signatory):
    login(client, signatory)
    url = reverse("applications:follow_up", args=[approved.pk])
    assert url in client.get(reverse("applications:detail", args=[approved.pk])).content.decode()
    assert url in client.get(reverse("applications:dashboard")).content.decode()


def test_manage_application_page_links_to_the_follow_up(client, grant, manager):
    login(client, manager)
    page = client.get(reverse("applications:manage_detail", args=[grant.pk]))
    assert reverse("applications:manage_follow_up", args=[grant.pk]) in page.content.decode()


def test_grant_page_shows_the_payment_plan_and_the_reports(client, grant):
    login(client, grant.signatory)
    body = text_of(client.get(reverse("applications:follow_up", args=[grant.pk])))
    assert "1 when the grant is accepted 80 % 400 000 kr Due for payment since" in body
    assert "2 when the final report is approved 20 % 100 000 kr Planned" in body
    final = grant.reports.get(kind=ReportKind.FINAL)
    assert f"Final report {final.due_on:%-d %B %Y} Not submitted" in body


def test_repayment_claim_is_shown_to_the_applicant_with_how_to_pay(
    client, grant, manager, settings
):
    settings.AGENCY_BANKGIRO = "5555-1234"
    claim = settle_with_repayment(grant, manager, spent=[200_000, 150_000])
    assert claim.amount == 50_000
    login(client, grant.signatory)
    body = text_of(client.get(reverse("applications:follow_up", args=[grant.pk])))
    assert (
        "Less was spent than was paid. Pay the amount to bankgiro 5555-1234, giving the "
        f"registration number {grant.registration_number} as the reference." in body
    )
    assert f"{claim.created_at:%-d %B %Y} 50 000 kr Not yet" in body
    assert "To pay back 50 000 kr" in body


def _grant_with_plan(plan, interim_reports):
    call = factories.CallFactory(payment_plan=plan, interim_reports=interim_reports)
    application = factories.grant_in_follow_up(call, language="en")
    application.signatory.language = "en"
    application.signatory.save(update_fields=["language"])
    return application


SMALL_PLAN = ([{"share": 100, "after": "acceptance"}], 0)
LARGE_PLAN = (
    [
        {"share": 20, "after": "acceptance"},
        {"share": 20, "after": "interim_report"},
        {"share": 20, "after": "interim_report"},
        {"share": 20, "after": "interim_report"},
        {"share": 20, "after": "final_report"},
    ],
    3,
)


@pytest.mark.parametrize("plan", [SMALL_PLAN, LARGE_PLAN], ids=["1-instalment", "5-instalments"])
def test_grant_page_query_count_does_not_grow_with_instalments_and_reports(
    client, django_assert_num_queries, plan
):
    application = _grant_with_plan(*plan)
    login(client, application.signatory)
    url = reverse("applications:follow_up", args=[application.pk])
    # session, user, the roles in one query (groups, panel seats, memberships: for the second
    # factor and the menu),
    # application, its payments, claims and reports (prefetched), memberships (the rule), the
    # effective decision (twice: the page and the money), the acceptance, the closing letter
    with django_assert_num_queries(12):
        response = client.get(url)
    assert len(response.context["payments"]) == len(plan[0])
    assert len(response.context["reports"]) == plan[1] + 1


# -- the report form ----------------------------------------------------------------------------


def report_post(report, **overrides) -> dict:
    costs = list(report.costs.all())
    data = {
        "what_was_done": "Twenty employees worked from the hub.",
        "lessons": "Fewer commutes.",
        "participants": "20",
        "hub_days": "180",
        "measure_satisfaction": "4,5",
        "total_spent": str(sum(cost.budgeted for cost in costs)),
        **{f"spent_{cost.pk}": str(cost.budgeted) for cost in costs},
        "action": "save",
        # The version of the page as read now (a post from an older page is refused).
        "edit_version": str(type(report).objects.get(pk=report.pk).edit_version),
    }
    data.update(overrides)
    return data


def test_member_saves_a_draft_then_submits_the_report(client, grant, final):
    member = login(client, factories.applicant_for(grant, user__language="en"))
    url = reverse("applications:report_edit", args=[grant.pk, final.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = text_of(page)
    assert "Hub membership Hub membership and rent 300 000 kr" in body
    assert "Participants' satisfaction (1–5)" in body

    saved = client.post(url, report_post(final, lessons="", total_spent=""))
    assert saved["Location"] == url
    assert follow_messages(client, saved) == ["The report was saved as a draft."]
    final.refresh_from_db()
    assert (final.status, final.participants, final.measures, final.total_spent) == (
        ReportStatus.DRAFT,
        20,
        {"satisfaction": "4.5"},
        None,
    )
    assert [cost.spent for cost in final.costs.all()] == [300_000, 200_000]

    submitted = client.post(url, report_post(final, action="submit"))

    assert submitted["Location"] == reverse("applications:follow_up", args=[grant.pk])
    final.refresh_from_db()
    assert (final.status, final.submitted_by, final.total_spent) == (
        ReportStatus.SUBMITTED,
        member,
        500_000,
    )


def test_submitting_an_incomplete_report_lists_what_is_missing_and_keeps_the_draft(
    client, grant, final
):
    login(client, grant.signatory)
    url = reverse("applications:report_edit", args=[grant.pk, final.pk])
    data = {"what_was_done": "We started.", "action": "submit", "edit_version": "0"}

    response = client.post(url, data)

    assert response.status_code == 400
    body = text_of(response)
    for message in [
        "Describe what the organisation learnt.",
        "Give the number of employees taking part.",
        "Give the number of days used at the hub.",
        "Give “Participants' satisfaction (1–5)”.",
        "Give the amount spent on every budget line (0 if nothing).",
        "Give the total spent.",
    ]:
        assert message in body
    final.refresh_from_db()
    assert (final.status, final.what_was_done) == (ReportStatus.DRAFT, "We started.")


def test_submitting_a_report_whose_lines_do_not_add_up_is_refused(client, grant, final):
    login(client, grant.signatory)
    url = reverse("applications:report_edit", args=[grant.pk, final.pk])

    response = client.post(url, report_post(final, total_spent="490000", action="submit"))

    assert response.status_code == 400
    assert (
        "The financial report does not add up: the lines come to 500 000 kr but the total "
        "spent says 490 000 kr." in text_of(response)
    )
    final.refresh_from_db()
    assert final.status == ReportStatus.DRAFT


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("participants", "-1", "Enter zero or more."),
        ("participants", "twenty", "Enter a whole number, such as 12."),
        ("hub_days", "9" * 30, "Enter a smaller number."),
        ("total_spent", "1.5", "Enter a whole number, without decimals."),
        ("measure_satisfaction", "good", "Enter a number, such as 4 or 4,5."),
        ("measure_satisfaction", "-2", "Enter zero or more."),
        ("measure_satisfaction", "1e99", "Enter a smaller number."),
        ("measure_satisfaction", "NaN", "Enter a number, such as 4 or 4,5."),
        ("spent", "-5", "Enter zero or more."),
        ("spent", "3000000000", "Enter a smaller number."),
    ],
)
def test_bad_figures_give_field_errors_and_change_nothing(
    client, grant, final, field, value, message
):
    login(client, grant.signatory)
    url = reverse("applications:report_edit", args=[grant.pk, final.pk])
    if field == "spent":
        field = f"spent_{final.costs.first().pk}"
    before = Report.objects.get(pk=final.pk).updated_at

    response = client.post(url, report_post(final, **{field: value}))

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[field] == [message]
    assert f'id="id_{field}_error"' in response.content.decode()
    widget = re.search(rf'<input[^>]* name="{field}"[^>]*>', response.content.decode()).group()
    assert 'aria-invalid="true"' in widget
    assert f"id_{field}_error" in re.search(r'aria-describedby="([^"]*)"', widget).group(1)
    final.refresh_from_db()
    assert (final.updated_at, final.participants, final.what_was_done) == (before, None, "")
    assert [cost.spent for cost in final.costs.all()] == [None, None]


def test_a_submitted_report_is_read_only_on_the_page_and_cannot_be_posted(client, grant, final):
    factories.complete_report(final, by=grant.signatory)
    login(client, grant.signatory)
    url = reverse("applications:report_edit", args=[grant.pk, final.pk])

    page = client.get(url)
    assert 'name="action"' not in page.content.decode()
    body = text_of(page)
    assert "The report has been submitted and cannot be changed." in body
    assert "Hub membership Hub membership and rent 300 000 kr 300 000 kr 0 kr" in body

    response = client.post(url, report_post(final, what_was_done="Changed afterwards."))
    assert follow_messages(client, response) == ["A submitted report cannot be changed."]
    final.refresh_from_db()
    assert (final.status, final.what_was_done) == (
        ReportStatus.SUBMITTED,
        "Twenty employees worked from the hub two days a week.",
    )


def test_a_returned_report_shows_the_agencys_comment_and_can_be_changed(
    client, grant, final, manager
):
    factories.complete_report(final, by=grant.signatory)
    report_return(report=final, by=manager, comment="Say more about the lessons.")
    login(client, grant.signatory)
    url = reverse("applications:report_edit", args=[grant.pk, final.pk])

    page = client.get(url)
    body = text_of(page)
    assert "Comment from the agency Say more about the lessons." in body
    assert 'name="action"' in page.content.decode()

    response = client.post(url, report_post(final, lessons="Much more.", action="submit"))
    assert response.status_code == 302
    final.refresh_from_db()
    assert (final.status, final.lessons) == (ReportStatus.SUBMITTED, "Much more.")


def test_report_form_refuses_everyone_else(client, grant, final, outsider, manager):
    url = reverse("applications:report_edit", args=[grant.pk, final.pk])
    data = report_post(final)

    assert client.get(url)["Location"].startswith(reverse("login"))
    assert client.post(url, data)["Location"].startswith(reverse("login"))
    login(client, outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    login(client, manager)
    assert client.get(url)["Location"] == reverse(
        "applications:manage_report", args=[grant.pk, final.pk]
    )
    assert client.post(url, data).status_code == 403
    other = factories.grant_in_follow_up()
    login(client, grant.signatory)
    wrong = reverse("applications:report_edit", args=[grant.pk, other.reports.get().pk])
    assert client.get(wrong).status_code == 404
    final.refresh_from_db()
    assert (final.what_was_done, final.participants) == ("", None)


# -- the programme manager's follow-up page ---------------------------------------------------


def test_manager_sees_payments_reports_and_what_stops_closure(client, grant, manager):
    login(client, manager)
    page = client.get(reverse("applications:manage_follow_up", args=[grant.pk]))
    assert page.status_code == 200
    body = text_of(page)
    assert "Mark instalment 1 as paid" in body
    assert "Mark instalment 2 as paid" not in body  # planned, not due
    assert "The grant cannot be closed yet:" in body
    assert "The final report has not been approved." in body
    assert "An instalment has not been paid yet." in body
    assert "Close the grant" not in body
    final = grant.reports.get(kind=ReportKind.FINAL)
    assert reverse("applications:manage_report", args=[grant.pk, final.pk]) in (
        page.content.decode()
    )


def test_manager_marks_an_instalment_paid(client, grant, manager):
    login(client, manager)
    payment = grant.payments.get(position=1)
    prefix = f"payment-{payment.pk}"
    response = client.post(
        reverse("applications:manage_payment_paid", args=[grant.pk, payment.pk]),
        {f"{prefix}-paid_on": timezone.localdate().isoformat(), f"{prefix}-reference": "V-77"},
    )
    assert follow_messages(client, response) == ["Instalment 1 was recorded as paid."]
    payment.refresh_from_db()
    assert (payment.status, payment.paid_on, payment.reference, payment.paid_by) == (
        PaymentStatus.PAID,
        timezone.localdate(),
        "V-77",
        manager,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2999-01-01", "The date cannot be in the future."),
        ("yesterday", "Enter a date, such as 2027-03-15."),
        ("", "This field is required."),
    ],
)
def test_marking_paid_with_a_bad_date_changes_nothing(client, grant, manager, value, message):
    login(client, manager)
    payment = grant.payments.get(position=1)
    prefix = f"payment-{payment.pk}"
    response = client.post(
        reverse("applications:manage_payment_paid", args=[grant.pk, payment.pk]),
        {f"{prefix}-paid_on": value},
    )
    assert response.status_code == 400
    assert message in text_of(response)
    payment.refresh_from_db()
    assert (payment.status, payment.paid_on) == (PaymentStatus.DUE, None)


def test_marking_a_planned_instalment_paid_is_refused(client, grant, manager):
    login(client, manager)
    payment = grant.payments.get(position=2)
    prefix = f"payment-{payment.pk}"
    response = client.post(
        reverse("applications:manage_payment_paid", args=[grant.pk, payment.pk]),
        {f"{prefix}-paid_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert "Only an instalment due for payment can be marked as paid." in text_of(response)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PLANNED


def test_manager_records_a_repayment_and_closes_the_grant(
    client, grant, manager, django_capture_on_commit_callbacks, mailoutbox
):
    claim = settle_with_repayment(grant, manager, spent=[200_000, 150_000])
    login(client, manager)
    url = reverse("applications:manage_follow_up", args=[grant.pk])
    assert "A repayment has not been received yet." in text_of(client.get(url))
    refused = client.post(reverse("applications:manage_close", args=[grant.pk]))
    assert refused.status_code == 400
    assert "A repayment has not been received yet." in text_of(refused)
    grant.refresh_from_db()
    assert grant.state == S.FOLLOW_UP

    prefix = f"claim-{claim.pk}"
    received = client.post(
        reverse("applications:manage_repayment_received", args=[grant.pk, claim.pk]),
        {f"{prefix}-settled_on": timezone.localdate().isoformat()},
    )
    assert follow_messages(client, received) == ["The repayment was recorded as received."]
    claim.refresh_from_db()
    assert (claim.settled_on, claim.settled_by) == (timezone.localdate(), manager)
    assert "Close the grant" in text_of(client.get(url))

    with django_capture_on_commit_callbacks(execute=True):
        closed = client.post(reverse("applications:manage_close", args=[grant.pk]))
    assert follow_messages(client, closed) == [
        "The grant is closed. The closing letter is being made and the applicant is emailed."
    ]
    grant.refresh_from_db()
    assert grant.state == S.CLOSED
    letter = ClosingLetter.objects.get(application=grant)
    assert letter.sha256
    assert [message.subject for message in mailoutbox][-1] == (
        f"The grant {grant.registration_number} is closed"
    )
    assert reverse("applications:closing_letter", args=[grant.pk]) in (
        client.get(url).content.decode()
    )


def test_decision_maker_reads_the_follow_up_page_but_cannot_act(client, grant, decider):
    login(client, decider)
    page = client.get(reverse("applications:manage_follow_up", args=[grant.pk]))
    assert page.status_code == 200
    assert "Mark instalment 1 as paid" not in text_of(page)
    payment = grant.payments.get(position=1)
    prefix = f"payment-{payment.pk}"
    today = timezone.localdate().isoformat()
    assert (
        client.post(
            reverse("applications:manage_payment_paid", args=[grant.pk, payment.pk]),
            {f"{prefix}-paid_on": today},
        ).status_code
        == 403
    )
    assert client.post(reverse("applications:manage_close", args=[grant.pk])).status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DUE


def test_manager_pages_refuse_applicants_and_anonymous(client, grant, outsider):
    payment = grant.payments.get(position=1)
    final = grant.reports.get(kind=ReportKind.FINAL)
    gets = [
        reverse("applications:manage_follow_up", args=[grant.pk]),
        reverse("applications:manage_report", args=[grant.pk, final.pk]),
    ]
    posts = [
        reverse("applications:manage_payment_paid", args=[grant.pk, payment.pk]),
        reverse("applications:manage_close", args=[grant.pk]),
        reverse("applications:manage_report_approve", args=[grant.pk, final.pk]),
        reverse("applications:manage_report_return", args=[grant.pk, final.pk]),
    ]
    for url in gets:
        assert client.get(url)["Location"].startswith(reverse("login"))
    for url in posts:
        assert client.post(url)["Location"].startswith(reverse("login"))
    login(client, grant.signatory)  # sees the application, may not act as the agency
    assert [client.get(url).status_code for url in gets] == [403, 403]
    assert [client.post(url).status_code for url in posts] == [403, 403, 403, 403]
    login(client, outsider)
    assert [client.get(url).status_code for url in gets] == [404, 404]
    assert [client.post(url).status_code for url in posts] == [404, 404, 404, 404]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DUE


def test_follow_up_page_of_an_application_that_is_no_grant_is_not_found(client, manager):
    application = factories.submitted_application()
    login(client, manager)
    url = reverse("applications:manage_follow_up", args=[application.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("plan", [SMALL_PLAN, LARGE_PLAN], ids=["1-instalment", "5-instalments"])
def test_manager_follow_up_page_query_count_does_not_grow_with_rows(
    client, manager, django_assert_num_queries, plan
):
    application = _grant_with_plan(*plan)
    login(client, manager)
    url = reverse("applications:manage_follow_up", args=[application.pk])
    # session, user, its second-factor device, groups (the rules), application, payments,
    # claims, reports (prefetched), two for the closure blockers, the effective decision
    # (twice: the page and the money), the acceptance, the closing letter, the menu's reviewer
    # check
    with django_assert_num_queries(15):
        response = client.get(url)
    assert len(response.context["payments"]) == len(plan[0])


# -- the report review --------------------------------------------------------------------------


def test_manager_reviews_budgeted_against_spent_and_approves(
    client, grant, final, manager, django_capture_on_commit_callbacks, mailoutbox
):
    factories.complete_report(final, by=grant.signatory, spent=[280_000, 220_000])
    login(client, manager)
    url = reverse("applications:manage_report", args=[grant.pk, final.pk])
    page = client.get(url)
    body = text_of(page)
    assert "Hub membership Hub membership and rent 300 000 kr 280 000 kr 20 000 kr" in body
    assert "Project lead Staff time 200 000 kr 220 000 kr -20 000 kr" in body
    assert "Sum of the lines 500 000 kr 500 000 kr 0 kr" in body
    assert "Total spent, as stated 500 000 kr Adds up" in body

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:manage_report_approve", args=[grant.pk, final.pk]),
            {"approve-comment": "Thank you."},
        )

    assert follow_messages(client, response) == [
        "Final report was approved. The applicant is emailed."
    ]
    final.refresh_from_db()
    assert (final.status, final.reviewed_by, final.review_comment) == (
        ReportStatus.APPROVED,
        manager,
        "Thank you.",
    )
    assert mailoutbox[-1].subject == f"Final report for {grant.registration_number} is approved"
    assert "Thank you." in mailoutbox[-1].body


def test_manager_returns_a_report_with_a_comment(
    client, grant, final, manager, django_capture_on_commit_callbacks, mailoutbox
):
    factories.complete_report(final, by=grant.signatory)
    login(client, manager)
    url = reverse("applications:manage_report_return", args=[grant.pk, final.pk])

    empty = client.post(url, {"return-comment": "  "})
    assert empty.status_code == 400
    assert "Say what needs to be completed." in text_of(empty)
    final.refresh_from_db()
    assert final.status == ReportStatus.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"return-comment": "Add the survey results."})
    assert response.status_code == 302
    final.refresh_from_db()
    assert (final.status, final.review_comment) == (
        ReportStatus.RETURNED,
        "Add the survey results.",
    )
    email = mailoutbox[-1]
    assert email.subject == f"Final report for {grant.registration_number} needs completing"
    assert "Add the survey results." in email.body
    assert set(email.to) >= {grant.signatory.email, grant.contact_email}


def test_approving_a_report_that_does_not_add_up_shows_why_and_changes_nothing(
    client, grant, final, manager
):
    factories.complete_report(final, by=grant.signatory)
    final.costs.filter(position=0).update(spent=1)  # written past the submit guard
    login(client, manager)
    page = client.get(reverse("applications:manage_report", args=[grant.pk, final.pk]))
    assert "This report cannot be approved as it stands:" in text_of(page)
    assert "Does not add up" in text_of(page)

    response = client.post(
        reverse("applications:manage_report_approve", args=[grant.pk, final.pk]), {}
    )

    assert response.status_code == 400
    assert (
        "The financial report does not add up: the lines come to 200 001 kr but the total "
        "spent says 500 000 kr." in text_of(response)
    )
    final.refresh_from_db()
    assert final.status == ReportStatus.SUBMITTED


def test_decision_maker_reads_a_report_but_cannot_review_it(client, grant, final, decider):
    factories.complete_report(final, by=grant.signatory)
    login(client, decider)
    page = client.get(reverse("applications:manage_report", args=[grant.pk, final.pk]))
    assert page.status_code == 200
    assert "Approve the report" not in text_of(page)
    response = client.post(
        reverse("applications:manage_report_approve", args=[grant.pk, final.pk]), {}
    )
    assert response.status_code == 403
    final.refresh_from_db()
    assert final.status == ReportStatus.SUBMITTED


# -- the closing letter download ----------------------------------------------------------------


def closed_grant(grant, manager, capture):
    pay_first_instalment(grant, manager)
    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory)
    report_approve(report=final, by=manager)
    payment_mark_paid(
        payment=grant.payments.get(position=2), by=manager, paid_on=timezone.localdate()
    )
    with capture(execute=True):
        application_close(application=grant, by=manager)
    grant.refresh_from_db()
    return grant


def test_applicant_downloads_the_closing_letter_from_the_grant_page(
    client, grant, manager, django_capture_on_commit_callbacks
):
    closed_grant(grant, manager, django_capture_on_commit_callbacks)
    url = reverse("applications:closing_letter", args=[grant.pk])
    login(client, grant.signatory)
    page = client.get(reverse("applications:follow_up", args=[grant.pk]))
    assert "Download the closing letter (PDF)" in text_of(page)
    assert url in page.content.decode()

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == (
        f'attachment; filename="closing-letter-{grant.registration_number}.pdf"'
    )
    letter = ClosingLetter.objects.get(application=grant)
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == letter.sha256


@pytest.mark.parametrize(
    ("role", "status"),
    [("programme_manager", 200), ("decision_maker", 200), ("outsider", 404), ("anonymous", 302)],
)
def test_closing_letter_download_by_role(
    client, grant, manager, decider, outsider, django_capture_on_commit_callbacks, role, status
):
    closed_grant(grant, manager, django_capture_on_commit_callbacks)
    users = {"programme_manager": manager, "decision_maker": decider, "outsider": outsider}
    if role in users:
        login(client, users[role])
    response = client.get(reverse("applications:closing_letter", args=[grant.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_closing_letter_is_not_found_before_the_grant_is_closed(client, grant):
    login(client, grant.signatory)
    assert client.get(reverse("applications:closing_letter", args=[grant.pk])).status_code == 404


# -- the finance CSV ------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


HEADER = [
    "Type",
    "Registration number",
    "Organisation",
    "Organisation number",
    "Call",
    "Instalment",
    "Amount (kr)",
    "Due since / claimed on",
    "Payment reference",
]


def test_finance_csv_lists_payments_due_and_repayments_not_received(client, grant, manager):
    claim = settle_with_repayment(grant, manager, spent=[200_000, 150_000])
    due = _grant_with_plan(*SMALL_PLAN)  # 500 000 kr due on acceptance
    factories.grant_in_follow_up()  # another, its first instalment due too
    login(client, manager)

    response = client.post(reverse("applications:finance_csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert rows[0] == HEADER
    organisation = due.organisation
    today = timezone.localdate().isoformat()
    assert [
        "payment",
        due.registration_number,
        organisation.name,
        organisation.orgnr,
        due.call.title_en,
        "1",
        "500000",
        today,
        "",
    ] in rows
    assert [
        "repayment",
        grant.registration_number,
        grant.organisation.name,
        grant.organisation.orgnr,
        grant.call.title_en,
        "",
        "50000",
        timezone.localdate(claim.created_at).isoformat(),
        "",
    ] in rows
    assert len(rows) == 1 + 2 + 1  # header, two payments due, one repayment
    # The settled grant's first instalment was paid and its second cancelled: neither listed.
    assert not [row for row in rows if row[0] == "payment" and row[1] == grant.registration_number]


def test_finance_csv_filters_by_call_and_refuses_an_unknown_call(client, grant, manager):
    other = factories.grant_in_follow_up()
    login(client, manager)
    url = reverse("applications:finance_csv")
    rows = read_csv(client.post(url, {"call": grant.call.pk}))
    assert [row[1] for row in rows[1:]] == [grant.registration_number]
    assert other.registration_number not in [row[1] for row in rows]
    for bad in ("abc", "999999"):
        response = client.post(url, {"call": bad})
        assert response.status_code == 400
        assert response.content.decode() == "There is no such call."


def test_finance_csv_is_the_programme_managers_only(client, grant, decider, outsider):
    url = reverse("applications:finance_csv")
    assert client.post(url)["Location"].startswith(reverse("login"))
    for user in (decider, grant.signatory, outsider):
        login(client, user)
        assert client.post(url).status_code == 403


@pytest.mark.parametrize("grants", [1, 6])
def test_finance_csv_query_count_does_not_grow_with_rows(
    client, manager, django_assert_num_queries, grants
):
    for _ in range(grants):
        factories.grant_in_follow_up()
    login(client, manager)
    # session, user, its second-factor device, groups (the rule); the audit entry: both counts,
    # the chain head locked, the entry and the head moved (one statement on PostgreSQL, two on
    # SQLite); then payments and repayment claims
    with django_assert_num_queries({"sqlite": 11, "postgresql": 10}[connection.vendor]):
        rows = read_csv(client.post(reverse("applications:finance_csv")))
    assert len(rows) == 1 + grants


def test_every_follow_up_email_renders_in_both_languages(grant, manager, mailoutbox):
    from applications import emails
    from applications.models import ReportReminder

    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory)
    report_return(report=final, by=manager, comment="More, please.")
    reminder_before = ReportReminder.objects.create(report=final, kind="before_due")
    reminder_overdue = ReportReminder.objects.create(report=final, kind="overdue")
    expected = {
        "en": [
            f"The grant {grant.registration_number} has lapsed",
            f"Reminder: Final report for {grant.registration_number} is due soon",
            f"Final report for {grant.registration_number} is overdue",
            f"Final report for {grant.registration_number} needs completing",
            f"Final report for {grant.registration_number} is approved",
            f"The grant {grant.registration_number} is closed",
        ]
    }
    for language in ("en", "sv"):
        Application.objects.filter(pk=grant.pk).update(language=language)
        application = Application.objects.get(pk=grant.pk)
        report = Report.objects.select_related("application").get(pk=final.pk)
        mailoutbox.clear()
        emails.send_grant_lapsed(application)
        for reminder in (reminder_before, reminder_overdue):
            emails.send_report_reminder(
                ReportReminder.objects.select_related("report__application").get(pk=reminder.pk)
            )
        emails.send_report_returned(report)
        emails.send_report_approved(report)
        emails.send_grant_closed(application)
        assert len(mailoutbox) == 6
        url = f"http://testserver{reverse('applications:follow_up', args=[grant.pk])}"
        for message in mailoutbox:
            assert url in message.body
            assert f'href="{url}"' in message.alternatives[0][0]
        if language in expected:
            assert [message.subject for message in mailoutbox] == expected[language]
        assert "More, please." in mailoutbox[3].body


def test_finance_csv_export_is_in_the_audit_log(client, grant, manager):
    from applications.models import AuditEntry

    login(client, manager)
    client.post(reverse("applications:finance_csv"), {"call": grant.call.pk})

    entry = AuditEntry.objects.order_by("-sequence").first()
    assert (entry.action, entry.actor_id) == ("export.finance", manager.pk)
    assert entry.data == {
        "format": "csv",
        "call_id": grant.call.pk,
        "payments": 1,
        "repayments": 0,
    }
