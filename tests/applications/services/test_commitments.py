"""The call's kept committed amount (``CallCommitment``) equals the sum over its decisions after
every service that changes what is committed, and confirming reads it instead of summing."""

import datetime as dt
import importlib
import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.enums import ApplicationState
from applications.models import CallCommitment
from applications.selectors.decisions import (
    call_committed_amount,
    call_committed_amount_summed,
    commitments_mismatched,
    effective_decision,
)
from applications.selectors.follow_up import acceptance_text
from applications.services.decisions import decision_confirm, decision_send_back
from applications.services.follow_up import (
    application_accept_grant,
    application_lapse,
    grants_lapse_expired,
)
from tests import factories

pytestmark = pytest.mark.django_db


def assert_committed(call, amount: int) -> None:
    """Kept and summed agree, and are ``amount``."""
    assert (call_committed_amount(call), call_committed_amount_summed(call)) == (amount, amount)


@pytest.fixture
def small_call():
    return factories.CallFactory(budget=900_000, max_amount=500_000)


def _confirm(application, *, by_pm, by_dm, **kwargs):
    decision = factories.proposed_decision(application, by=by_pm, **kwargs)
    return decision_confirm(decision=decision, by=by_dm)


def test_a_new_call_has_nothing_committed(small_call):
    assert_committed(small_call, 0)
    assert not CallCommitment.objects.filter(call=small_call).exists()


def test_confirmed_approvals_add_and_rejections_add_nothing(
    small_call, programme_manager, decision_maker
):
    first, second, third = factories.reviewed_applications(
        small_call, by=programme_manager, count=3
    )
    _confirm(first, by_pm=programme_manager, by_dm=decision_maker, granted_amount=500_000)
    assert_committed(small_call, 500_000)

    _confirm(second, by_pm=programme_manager, by_dm=decision_maker, outcome="rejected")
    assert_committed(small_call, 500_000)

    _confirm(third, by_pm=programme_manager, by_dm=decision_maker, granted_amount=400_000)
    assert_committed(small_call, 900_000)


def test_an_ineligibility_rejection_adds_nothing(small_call, programme_manager, decision_maker):
    application = factories.submitted_application(small_call)
    _confirm(
        application, by_pm=programme_manager, by_dm=decision_maker, outcome="rejected_ineligible"
    )
    assert_committed(small_call, 0)


def test_a_refused_or_sent_back_confirmation_changes_nothing(
    small_call, programme_manager, decision_maker
):
    first, second = factories.reviewed_applications(small_call, by=programme_manager, count=2)
    _confirm(first, by_pm=programme_manager, by_dm=decision_maker, granted_amount=500_000)
    over = factories.proposed_decision(second, by=programme_manager, granted_amount=400_001)
    with pytest.raises(Exception):  # noqa: B017 - the message is pinned in test_decisions
        decision_confirm(decision=over, by=decision_maker)
    assert_committed(small_call, 500_000)

    decision_send_back(decision=over, by=decision_maker, comment="Too much.")
    assert_committed(small_call, 500_000)


def test_corrections_down_and_up_change_it_by_the_difference(
    small_call, programme_manager, decision_maker
):
    (first,) = factories.reviewed_applications(small_call, by=programme_manager)
    one = _confirm(first, by_pm=programme_manager, by_dm=decision_maker, granted_amount=500_000)

    down = _confirm(
        first,
        by_pm=programme_manager,
        by_dm=decision_maker,
        granted_amount=320_000,
        supersedes=one,
    )
    assert_committed(small_call, 320_000)

    _confirm(
        first,
        by_pm=programme_manager,
        by_dm=decision_maker,
        granted_amount=480_000,
        supersedes=down,
    )
    assert_committed(small_call, 480_000)


def test_a_correction_of_a_rejection_adds_nothing(small_call, programme_manager, decision_maker):
    (first,) = factories.reviewed_applications(small_call, by=programme_manager)
    one = _confirm(first, by_pm=programme_manager, by_dm=decision_maker, outcome="rejected")
    _confirm(
        first, by_pm=programme_manager, by_dm=decision_maker, outcome="rejected", supersedes=one
    )
    assert_committed(small_call, 0)


def _after_accept_by(application, time_machine):
    time_machine.move_to(
        timezone.make_aware(dt.datetime.combine(application.accept_by, dt.time(0, 0, 1)))
        + dt.timedelta(days=1)
    )


def _released(application, *, by_pm, by_dm, amount):
    """Approved, its letter made (which releases it: ``accept_by`` is set)."""
    from applications.services.letters import decision_letter_generate

    decision = _confirm(application, by_pm=by_pm, by_dm=by_dm, granted_amount=amount)
    decision_letter_generate(decision.pk)
    application.refresh_from_db()
    return application


def test_a_lapse_releases_the_grant_and_running_it_twice_releases_it_once(
    time_machine, programme_manager, decision_maker
):
    call = factories.CallFactory(budget=900_000, max_amount=500_000)
    first, second, third = factories.reviewed_applications(call, by=programme_manager, count=3)
    for application, amount in ((first, 300_000), (second, 200_000), (third, 100_000)):
        _released(application, by_pm=programme_manager, by_dm=decision_maker, amount=amount)
    signatory = factories.applicant_for(third, is_signatory=True)
    application_accept_grant(
        application=third,
        by=signatory,
        text=acceptance_text(third, effective_decision(third)),
    )
    assert_committed(call, 600_000)
    _after_accept_by(first, time_machine)

    assert grants_lapse_expired() == 2
    assert_committed(call, 100_000)
    assert application_lapse(application=first) is None
    assert_committed(call, 100_000)
    third.refresh_from_db()
    assert third.state == ApplicationState.FOLLOW_UP


def test_a_correction_of_a_lapsed_grant_changes_nothing(
    time_machine, programme_manager, decision_maker
):
    approved = factories.approved_grant(granted_amount=300_000)
    _after_accept_by(approved, time_machine)
    application_lapse(application=approved)
    assert_committed(approved.call, 0)

    _confirm(
        approved,
        by_pm=programme_manager,
        by_dm=decision_maker,
        granted_amount=250_000,
        supersedes=effective_decision(approved),
    )
    assert_committed(approved.call, 0)


def test_acceptance_payments_reports_and_repayments_keep_it():
    grant = factories.grant_in_follow_up(granted_amount=500_000)
    assert_committed(grant.call, 500_000)
    report = grant.reports.order_by("due_on").last()
    costs = list(report.costs.all())
    # Under-spending makes a repayment claim: the grant is still what was granted.
    factories.complete_report(report, by=grant.signatory, spent=[c.budgeted // 2 for c in costs])
    assert_committed(grant.call, 500_000)


def test_confirming_does_not_sum_the_calls_decisions_and_costs_the_same_with_more_of_them(
    programme_manager, decision_maker
):
    call = factories.CallFactory(budget=10_000_000, max_amount=500_000)
    applications = factories.reviewed_applications(call, by=programme_manager, count=6)

    def confirm_counting(application):
        decision = factories.proposed_decision(application, by=programme_manager)
        with CaptureQueriesContext(connection) as queries:
            decision_confirm(decision=decision, by=decision_maker)
        return [q["sql"] for q in queries.captured_queries]

    confirm_counting(applications[0])  # the first also makes the call's row
    second = confirm_counting(applications[1])
    for application in applications[2:5]:
        confirm_counting(application)
    sixth = confirm_counting(applications[5])

    assert len(sixth) == len(second)
    assert not [sql for sql in sixth if "SUM(" in sql.upper()]
    assert_committed(call, sum(a.requested_amount for a in applications))


def test_budget_verify_says_ok_and_names_a_call_whose_figure_drifted(
    small_call, programme_manager, decision_maker
):
    (first,) = factories.reviewed_applications(small_call, by=programme_manager)
    _confirm(first, by_pm=programme_manager, by_dm=decision_maker, granted_amount=500_000)
    out = io.StringIO()
    call_command("budget_verify", stdout=out)
    assert out.getvalue() == "OK: 1 calls, kept committed amounts hold\n"

    CallCommitment.objects.filter(call=small_call).update(amount=499_999)

    assert commitments_mismatched() == [(small_call, 499_999, 500_000)]
    with pytest.raises(CommandError) as broken:
        call_command("budget_verify")
    assert str(broken.value) == (
        f"MISMATCH: call {small_call.pk} ({small_call.slug}) keeps 499999 kr, "
        "its decisions sum to 500000 kr"
    )
    assert broken.value.returncode == 1


def test_the_migration_fills_every_call_with_the_sum_the_old_way(
    time_machine, programme_manager, decision_maker
):
    call = factories.CallFactory(budget=900_000, max_amount=500_000)
    lapsed, kept = factories.reviewed_applications(call, by=programme_manager, count=2)
    for application, amount in ((lapsed, 300_000), (kept, 200_000)):
        _released(application, by_pm=programme_manager, by_dm=decision_maker, amount=amount)
    empty = factories.CallFactory()
    _after_accept_by(lapsed, time_machine)
    application_lapse(application=lapsed)
    CallCommitment.objects.all().delete()

    migration = importlib.import_module("applications.migrations.0016_call_commitment")
    migration.fill_commitments(apps, None)

    assert dict(CallCommitment.objects.values_list("call_id", "amount")) == {
        call.pk: 200_000,
        empty.pk: 0,
    }
    assert commitments_mismatched() == []
