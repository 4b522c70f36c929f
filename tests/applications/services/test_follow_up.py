"""The follow-up's rules, proved through the services (issue 5, "Rules to prove in tests"):

- only a signatory of the organisation accepts, before the last day; who, when and the exact
  text accepted are kept;
- instalments add up to the granted amount, to the krona, for any amount and plan, also after
  a correction of the decision and after settlement;
- a report whose financial report does not add up is neither submitted nor approved; a
  submitted report cannot be changed;
- less spent than paid makes a repayment claim of the difference;
- a grant closes only once its final report is approved and its money settled, and the
  closing letter says what happened, with the data attached inside.
"""

import datetime as dt
import hashlib
import io
import json

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from applications.enums import (
    ApplicationState,
    BudgetCategory,
    PaymentStatus,
    ReportKind,
    ReportStatus,
)
from applications.models import (
    Acceptance,
    ClosingLetter,
    Payment,
    RepaymentClaim,
    ReportCost,
)
from applications.selectors.decisions import call_committed_amount, effective_decision
from applications.selectors.follow_up import acceptance_text, money_of
from applications.services.decisions import decision_confirm
from applications.services.follow_up import (
    application_accept_grant,
    application_close,
    grants_lapse_expired,
    payment_mark_paid,
    payments_replan,
    repayment_mark_settled,
    report_approve,
    report_return,
    report_save,
    report_submit,
    split_instalments,
)
from grants.enums import InstalmentTrigger
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def manager():
    return factories.programme_manager(full_name="Petra Programme")


@pytest.fixture
def approved():
    return factories.approved_grant(language="en")


@pytest.fixture
def grant():
    """In follow-up: 500 000 kr, 80 % (400 000 kr) due on acceptance, 20 % after the final
    report; budget lines 300 000 + 200 000 kr."""
    return factories.grant_in_follow_up(language="en")


def _text(application) -> str:
    return acceptance_text(application, effective_decision(application))


def _amounts(application) -> list[int]:
    return list(application.payments.order_by("position").values_list("amount", flat=True))


# -- acceptance ---------------------------------------------------------------------------------


def _other_signatory(application):
    return factories.MembershipFactory(is_signatory=True).user


@pytest.mark.parametrize(
    "who",
    [
        "member_without_signing_authority",
        "signatory_of_another_organisation",
        "programme_manager",
        "decision_maker",
        "superuser",
        "anonymous",
    ],
)
def test_only_a_signatory_of_the_organisation_can_accept(approved, who):
    people = {
        "member_without_signing_authority": lambda: factories.applicant_for(approved),
        "signatory_of_another_organisation": lambda: _other_signatory(approved),
        "programme_manager": factories.programme_manager,
        "decision_maker": factories.decision_maker,
        "superuser": lambda: factories.UserFactory(is_superuser=True, is_staff=True),
        "anonymous": AnonymousUser,
    }
    user = people[who]()

    with pytest.raises(PermissionDenied):
        application_accept_grant(application=approved, by=user, text=_text(approved))

    approved.refresh_from_db()
    assert approved.state == S.APPROVED
    assert not Acceptance.objects.exists()
    assert not Payment.objects.exists()


def test_acceptance_keeps_who_when_and_the_exact_text(approved):
    signatory = factories.applicant_for(approved, is_signatory=True)
    text = _text(approved)
    moment = timezone.make_aware(
        dt.datetime.combine(approved.accept_by, dt.time(23, 30)),
        timezone.get_current_timezone(),
    )

    with time_machine.travel(moment, tick=False):  # the last day, late in the evening
        acceptance = application_accept_grant(application=approved, by=signatory, text=text)

    acceptance.refresh_from_db()
    assert (acceptance.accepted_by, acceptance.accepted_at, acceptance.text) == (
        signatory,
        moment,
        text,
    )
    assert acceptance.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert acceptance.decision == effective_decision(approved)
    assert f"registration number {approved.registration_number}" in text
    assert "500\u00a0000 kr" in text
    approved.refresh_from_db()
    assert approved.state == S.FOLLOW_UP
    transition = approved.transitions.get(name="accept_grant")
    assert (transition.actor, transition.source, transition.target) == (
        signatory,
        S.APPROVED,
        S.FOLLOW_UP,
    )


def test_acceptance_after_the_last_day_is_refused(approved):
    signatory = factories.applicant_for(approved, is_signatory=True)
    day_after = timezone.make_aware(
        dt.datetime.combine(approved.accept_by + dt.timedelta(days=1), dt.time(0, 0, 1)),
        timezone.get_current_timezone(),
    )

    with time_machine.travel(day_after, tick=False), pytest.raises(ValidationError) as refused:
        application_accept_grant(application=approved, by=signatory, text=_text(approved))

    assert refused.value.messages == [
        f"The last day to accept this grant was {approved.accept_by:%-d %B %Y}. It can no longer "
        "be accepted."
    ]
    approved.refresh_from_db()
    assert approved.state == S.APPROVED
    assert not Acceptance.objects.exists()


def test_acceptance_of_a_text_other_than_the_one_shown_is_refused(approved):
    signatory = factories.applicant_for(approved, is_signatory=True)
    with pytest.raises(ValidationError) as refused:
        application_accept_grant(
            application=approved, by=signatory, text=_text(approved) + " And more."
        )
    assert refused.value.messages == [
        "The conditions have changed since the page was shown. Read them again."
    ]
    assert not Acceptance.objects.exists()


def test_a_grant_is_accepted_once(grant):
    with pytest.raises(ValidationError) as refused:
        application_accept_grant(application=grant, by=grant.signatory, text=_text(grant))
    assert refused.value.messages == ["Only an approved grant can be accepted."]
    assert Acceptance.objects.filter(application=grant).count() == 1
    assert grant.payments.count() == 2


# -- instalments --------------------------------------------------------------------------------


def test_600_001_kr_at_33_33_34_per_cent_is_paid_to_the_krona():
    call = factories.CallFactory(
        max_amount=700_000,
        payment_plan=[
            {"share": 33, "after": "acceptance"},
            {"share": 33, "after": "interim_report"},
            {"share": 34, "after": "final_report"},
        ],
        interim_reports=1,
    )
    grant = factories.grant_in_follow_up(
        call,
        requested_amount=600_001,
        budget=[
            (BudgetCategory.HUB, "Hub membership", 400_001),
            (BudgetCategory.STAFF, "Project lead", 200_000),
        ],
    )

    payments = list(grant.payments.order_by("position"))

    assert [p.amount for p in payments] == [198_000, 198_000, 204_001]
    assert [p.planned_amount for p in payments] == [198_000, 198_000, 204_001]
    assert [(p.share, p.trigger, p.report_number) for p in payments] == [
        (33, InstalmentTrigger.ACCEPTANCE, None),
        (33, InstalmentTrigger.INTERIM_REPORT, 1),
        (34, InstalmentTrigger.FINAL_REPORT, None),
    ]
    assert [p.status for p in payments] == [
        PaymentStatus.DUE,
        PaymentStatus.PLANNED,
        PaymentStatus.PLANNED,
    ]
    assert sum(p.amount for p in payments) == 600_001


@st.composite
def plans(draw):
    """Per-cent shares of at least 1 adding up to 100, one to eight instalments."""
    count = draw(st.integers(min_value=1, max_value=8))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(amount=st.integers(min_value=0, max_value=10**9), shares=plans())
def test_instalments_add_up_to_the_granted_amount_for_any_amount_and_plan(amount, shares):
    parts = split_instalments(amount, shares)

    assert sum(parts) == amount
    assert len(parts) == len(shares)
    for part, share in zip(parts, shares, strict=True):
        exact = amount * share / 100
        assert exact - 1 < part < exact + 1  # each within a krona of its exact share


# Hypothesis runs many examples in one test; each runs in a savepoint rolled back at its end, so
# the function-scoped grant is the same for every example.
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Rollback(Exception):
    pass


def in_savepoint(check):
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


@EXAMPLES
@given(
    shares=plans(),
    granted=st.integers(min_value=1, max_value=600_000),
    paid_count=st.integers(min_value=0, max_value=8),
    corrected=st.integers(min_value=0, max_value=600_000),
)
def test_instalments_add_up_after_a_correction(grant, shares, granted, paid_count, corrected):
    def check():
        grant.payments.all().delete()
        amounts = split_instalments(granted, shares)
        paid_count_ = min(paid_count, len(shares))
        Payment.objects.bulk_create(
            Payment(
                application=grant,
                position=position,
                trigger=InstalmentTrigger.ACCEPTANCE,
                share=share,
                planned_amount=amount,
                amount=amount,
                status=PaymentStatus.PAID if position <= paid_count_ else PaymentStatus.DUE,
                paid_on=dt.date(2027, 1, 1) if position <= paid_count_ else None,
            )
            for position, (share, amount) in enumerate(zip(shares, amounts, strict=True), 1)
            if amount or position > paid_count_
        )
        paid = sum(amounts[:paid_count_])

        claim = payments_replan(application=grant, granted=corrected)

        payments = list(grant.payments.all())
        kept = sum(p.amount for p in payments if p.status != PaymentStatus.CANCELLED)
        if corrected >= paid:
            assert kept == corrected
            assert claim is None
        else:
            assert kept == paid  # nothing more to pay
            assert claim.amount == paid - corrected
        for payment in payments:
            assert 0 <= payment.amount <= payment.planned_amount
            assert payment.status != PaymentStatus.PAID or payment.amount > 0

    in_savepoint(check)


def test_a_confirmed_correction_replans_what_is_not_yet_paid(grant, manager):
    payment_mark_paid(
        payment=grant.payments.get(position=1), by=manager, paid_on=timezone.localdate()
    )
    effective = effective_decision(grant)
    correction = factories.proposed_decision(
        grant, by=manager, granted_amount=450_001, supersedes=effective
    )

    decision_confirm(decision=correction, by=factories.decision_maker())

    assert _amounts(grant) == [400_000, 50_001]
    assert sum(_amounts(grant)) == 450_001
    assert not RepaymentClaim.objects.exists()


def test_a_correction_below_what_was_paid_claims_the_difference_back(grant, manager):
    payment_mark_paid(
        payment=grant.payments.get(position=1), by=manager, paid_on=timezone.localdate()
    )
    correction = factories.proposed_decision(
        grant,
        by=manager,
        granted_amount=300_000,
        supersedes=effective_decision(grant),
    )

    decision_confirm(decision=correction, by=factories.decision_maker())

    second = grant.payments.get(position=2)
    assert (second.status, second.amount) == (PaymentStatus.CANCELLED, 0)
    assert grant.repayment_claims.get().amount == 100_000


def test_a_correction_upwards_after_everything_was_paid_adds_an_instalment(manager):
    call = factories.CallFactory(payment_plan=[{"share": 100, "after": "acceptance"}])
    grant = factories.grant_in_follow_up(call, language="en", granted_amount=400_000)
    payment_mark_paid(payment=grant.payments.get(), by=manager, paid_on=timezone.localdate())
    correction = factories.proposed_decision(
        grant,
        by=manager,
        granted_amount=450_000,
        supersedes=effective_decision(grant),
    )

    decision_confirm(decision=correction, by=factories.decision_maker())

    added = grant.payments.get(position=2)
    assert (added.status, added.amount, added.due_since) == (
        PaymentStatus.DUE,
        50_000,
        timezone.localdate(),
    )
    assert sum(_amounts(grant)) == 450_000


@pytest.fixture
def odd_grant():
    """450 001 kr at 80/20: 360 001 kr due on acceptance, 90 000 kr after the final report."""
    return factories.grant_in_follow_up(
        language="en",
        requested_amount=450_001,
        budget=[
            (BudgetCategory.HUB, "Hub membership", 300_001),
            (BudgetCategory.STAFF, "Project lead", 150_000),
        ],
    )


@EXAMPLES
@given(spent=st.integers(min_value=0, max_value=600_000), pay_first=st.booleans())
def test_instalments_add_up_after_settlement(odd_grant, manager, spent, pay_first):
    assert _amounts(odd_grant) == [360_001, 90_000]

    def check():
        if pay_first:
            payment_mark_paid(
                payment=odd_grant.payments.get(position=1),
                by=manager,
                paid_on=timezone.localdate(),
            )
        final = odd_grant.reports.get(kind=ReportKind.FINAL)
        factories.complete_report(
            final, by=odd_grant.signatory, spent=[spent // 2, spent - spent // 2]
        )

        report_approve(report=final, by=manager)

        payments = list(odd_grant.payments.all())
        paid = sum(p.amount for p in payments if p.status == PaymentStatus.PAID)
        due = sum(p.amount for p in payments if p.status == PaymentStatus.DUE)
        claimed = sum(c.amount for c in odd_grant.repayment_claims.all())
        assert paid + due - claimed == min(spent, 450_001)
        assert claimed == max(0, paid - spent)
        for payment in payments:
            assert 0 <= payment.amount <= payment.planned_amount

    in_savepoint(check)


# -- reports ------------------------------------------------------------------------------------


def _save(report, by, **overrides):
    costs = list(report.costs.all())
    arguments = {
        "what_was_done": "Worked from the hub.",
        "lessons": "Fewer commutes.",
        "participants": 20,
        "hub_days": 180,
        "measures": {"satisfaction": "4"},
        "total_spent": 500_000,
        "spent": {costs[0].pk: 300_000, costs[1].pk: 200_000},
    }
    arguments.update(overrides)
    return report_save(report=report, by=by, **arguments)


def test_a_report_that_does_not_add_up_cannot_be_submitted(grant):
    final = grant.reports.get(kind=ReportKind.FINAL)
    _save(final, grant.signatory, total_spent=499_999)

    with pytest.raises(ValidationError) as refused:
        report_submit(report=final, by=grant.signatory)

    assert refused.value.messages == [
        "The financial report does not add up: the lines come to 500\u00a0000 kr but the total "
        "spent says 499\u00a0999 kr."
    ]
    final.refresh_from_db()
    assert final.status == ReportStatus.DRAFT


def test_approval_checks_the_financial_report_again(grant, manager):
    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory)
    # Past the submit guard: a line changed behind the service's back.
    ReportCost.objects.filter(report=final, position=1).update(spent=150_000)

    with pytest.raises(ValidationError) as refused:
        report_approve(report=final, by=manager)

    assert refused.value.messages == [
        "The financial report does not add up: the lines come to 450\u00a0000 kr but the total "
        "spent says 500\u00a0000 kr."
    ]
    final.refresh_from_db()
    assert (final.status, final.reviewed_by) == (ReportStatus.SUBMITTED, None)
    assert _amounts(grant) == [400_000, 100_000]
    assert not RepaymentClaim.objects.exists()


def test_a_submitted_report_cannot_be_edited(grant):
    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory)

    with pytest.raises(ValidationError) as refused:
        _save(final, grant.signatory, what_was_done="Rewritten afterwards.")

    assert refused.value.messages == ["A submitted report cannot be changed."]
    final.refresh_from_db()
    assert final.what_was_done == "Twenty employees worked from the hub two days a week."
    with pytest.raises(ValidationError):
        report_submit(report=final, by=grant.signatory)


def test_reports_are_written_by_the_organisation_and_reviewed_by_programme_managers(grant, manager):
    final = grant.reports.get(kind=ReportKind.FINAL)
    outsider = factories.MembershipFactory(is_signatory=True).user
    for user in (outsider, manager, factories.decision_maker()):
        with pytest.raises(PermissionDenied):
            _save(final, user)
    factories.complete_report(final, by=factories.applicant_for(grant))  # any member
    for user in (grant.signatory, outsider, factories.decision_maker()):
        with pytest.raises(PermissionDenied):
            report_approve(report=final, by=user)
        with pytest.raises(PermissionDenied):
            report_return(report=final, by=user, comment="More.")
    final.refresh_from_db()
    assert final.status == ReportStatus.SUBMITTED


# -- money back -----------------------------------------------------------------------------------


def test_less_spent_than_paid_makes_a_repayment_claim_of_the_difference(grant, manager):
    payment_mark_paid(
        payment=grant.payments.get(position=1), by=manager, paid_on=timezone.localdate()
    )
    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory, spent=[250_000, 100_000])

    report_approve(report=final, by=manager)

    claim = grant.repayment_claims.get()
    assert (claim.amount, claim.report, claim.settled_on) == (50_000, final, None)
    second = grant.payments.get(position=2)
    assert (second.status, second.amount, second.planned_amount) == (
        PaymentStatus.CANCELLED,
        0,
        100_000,
    )
    assert money_of(grant) == {
        "granted": 500_000,
        "paid": 400_000,
        "due": 0,
        "reclaimed": 50_000,
        "repaid": 0,
        "to_repay": 50_000,
    }


def test_spending_between_paid_and_granted_lowers_the_last_instalment(grant, manager):
    payment_mark_paid(
        payment=grant.payments.get(position=1), by=manager, paid_on=timezone.localdate()
    )
    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory, spent=[300_000, 150_000])

    report_approve(report=final, by=manager)

    second = grant.payments.get(position=2)
    assert (second.status, second.amount, second.due_since) == (
        PaymentStatus.DUE,
        50_000,
        timezone.localdate(),
    )
    assert not RepaymentClaim.objects.exists()


def test_payments_and_repayments_are_recorded_by_programme_managers_only(grant, manager):
    payment = grant.payments.get(position=1)
    for user in (grant.signatory, factories.decision_maker()):
        with pytest.raises(PermissionDenied):
            payment_mark_paid(payment=payment, by=user, paid_on=timezone.localdate())
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DUE


# -- closure and the closing letter ---------------------------------------------------------------


def test_closing_is_refused_until_the_final_report_is_approved_and_the_money_settled(
    grant, manager
):
    def blockers():
        with pytest.raises(ValidationError) as refused:
            application_close(application=grant, by=manager)
        grant.refresh_from_db()
        assert grant.state == S.FOLLOW_UP
        return refused.value.messages

    assert blockers() == [
        "The final report has not been approved.",
        "An instalment has not been paid yet.",
    ]
    payment_mark_paid(
        payment=grant.payments.get(position=1), by=manager, paid_on=timezone.localdate()
    )
    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory, spent=[250_000, 100_000])
    assert blockers() == [
        "The final report has not been approved.",
        "An instalment has not been paid yet.",  # the last, until settlement cancels it
    ]
    report_approve(report=final, by=manager)
    assert blockers() == ["A repayment has not been received yet."]
    with pytest.raises(PermissionDenied):
        application_close(application=grant, by=factories.decision_maker())
    repayment_mark_settled(
        claim=grant.repayment_claims.get(), by=manager, settled_on=timezone.localdate()
    )

    application_close(application=grant, by=manager)

    grant.refresh_from_db()
    assert grant.state == S.CLOSED
    assert ClosingLetter.objects.get(application=grant).letter_data["repaid"] == 50_000


@pytest.fixture
def closed(grant, manager, django_capture_on_commit_callbacks, mailoutbox):
    """Closed after 350 000 kr spent of 400 000 kr paid: 50 000 kr repaid. The letter task and
    its email ran after commit."""
    payment_mark_paid(
        payment=grant.payments.get(position=1), by=manager, paid_on=timezone.localdate()
    )
    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory, spent=[250_000, 100_000])
    report_approve(report=final, by=manager)
    repayment_mark_settled(
        claim=grant.repayment_claims.get(), by=manager, settled_on=timezone.localdate()
    )
    with django_capture_on_commit_callbacks(execute=True):
        application_close(application=grant, by=manager)
    grant.refresh_from_db()
    return grant


def _pdf(letter) -> bytes:
    with letter.file.open("rb") as handle:
        return handle.read()


def test_closing_letter_says_what_was_granted_spent_paid_and_repaid(closed, mailoutbox):
    letter = ClosingLetter.objects.get(application=closed)
    pdf = _pdf(letter)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    text = text.replace("\u00a0", " ")
    number = closed.registration_number
    decision = effective_decision(closed)
    today = timezone.localdate().isoformat()

    assert letter.sha256 == hashlib.sha256(pdf).hexdigest()
    assert f"Registration number: {number}" in text
    assert "The grant is closed" in text
    assert f"{closed.organisation.name} Organisation number {closed.organisation.orgnr}" in text
    assert f"Project {decision.letter_data['title']}" in text
    assert "Project period 2027-02-01 – 2027-12-31" in text
    assert f"Decided on {decision.decided_on.isoformat()}" in text
    assert "Amount granted 500 000 kr" in text
    assert "Spent, as reported 350 000 kr" in text
    assert "Paid to the organisation 400 000 kr" in text
    assert "Paid back to the agency 50 000 kr" in text
    assert f"Final report approved on {today}" in text
    assert f"Closed on {today}" in text
    assert "Petra Programme has closed the case." in text

    attached = {name: content for name, content in reader.attachments.items()}
    assert list(attached) == ["closure.json"]
    data = json.loads(attached["closure.json"][0])
    assert data["closing_letter_id"] == letter.pk
    assert {key: data[key] for key in ("registration_number", "granted_amount", "spent")} == {
        "registration_number": number,
        "granted_amount": 500_000,
        "spent": 350_000,
    }
    assert (data["paid"], data["repaid"], data["closed_by"]) == (400_000, 50_000, "Petra Programme")
    assert mailoutbox[-1].subject == f"The grant {number} is closed"


def test_closing_letter_is_written_in_swedish_for_a_swedish_application(
    manager, django_capture_on_commit_callbacks
):
    grant = factories.grant_in_follow_up(language="sv")
    payment_mark_paid(
        payment=grant.payments.get(position=1), by=manager, paid_on=timezone.localdate()
    )
    final = grant.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=grant.signatory)
    report_approve(report=final, by=manager)
    payment_mark_paid(
        payment=grant.payments.get(position=2), by=manager, paid_on=timezone.localdate()
    )
    with django_capture_on_commit_callbacks(execute=True):
        application_close(application=grant, by=manager)

    letter = ClosingLetter.objects.get(application=grant)
    reader = PdfReader(io.BytesIO(_pdf(letter)))
    text = " ".join(reader.pages[0].extract_text().split()).replace("\u00a0", " ")
    assert letter.letter_data["language"] == "sv"
    assert grant.registration_number in text
    assert f"Diarienummer: {grant.registration_number}" in text  # the letter's own language
    assert "500 000 kr" in text


# -- audit ------------------------------------------------------------------------------------


def test_report_payment_and_repayment_steps_are_in_the_audit_log_in_order(grant, manager):
    from applications.models import AuditEntry

    first = grant.payments.get(position=1)
    start = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    payment_mark_paid(payment=first, by=manager, paid_on=timezone.localdate())
    final = grant.reports.get(kind=ReportKind.FINAL)
    # 350 000 kr spent after 400 000 kr paid: 50 000 kr back.
    factories.complete_report(final, by=grant.signatory, spent=[250_000, 100_000])
    report_approve(report=final, by=manager)
    claim = grant.repayment_claims.get()
    repayment_mark_settled(claim=claim, by=manager, settled_on=timezone.localdate())

    entries = list(
        AuditEntry.objects.filter(sequence__gt=start)
        .order_by("sequence")
        .values_list("action", "actor_id", "data")
    )
    assert [(action, actor) for action, actor, _data in entries] == [
        ("payment.paid", manager.pk),
        ("report.submit", grant.signatory.pk),
        ("repayment.claim", manager.pk),
        ("report.approve", manager.pk),
        ("repayment.received", manager.pk),
    ]
    assert entries[0][2] == {"application_id": grant.pk, "amount": 400_000}
    assert entries[2][2] == {"application_id": grant.pk, "amount": 50_000}
    assert entries[3][2] == {"application_id": grant.pk, "total_spent": 350_000}


def test_a_lapsed_grant_gives_its_amount_back_to_the_call(approved, time_machine):
    call = approved.call
    assert call_committed_amount(call) == 500_000
    time_machine.move_to(
        timezone.make_aware(dt.datetime.combine(approved.accept_by, dt.time(0, 0, 1)))
        + dt.timedelta(days=1)
    )

    assert grants_lapse_expired() == 1

    approved.refresh_from_db()
    assert approved.state == S.CLOSED
    assert call_committed_amount(call) == 0


def test_an_accepted_and_closed_grant_still_counts_against_the_budget(grant):
    assert call_committed_amount(grant.call) == 500_000
