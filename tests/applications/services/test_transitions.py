"""Every transition service: the allowed role succeeds and logs once, every other role is refused.

The application is brought to each starting state through the services themselves, never by
writing the state, so the states tested are the ones real use produces.
"""

import datetime as dt
import inspect
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from applications.enums import ApplicationState as S
from applications.enums import EligibilityItem, PaymentStatus, ReportKind
from applications.models import (
    Application,
    ApplicationVersion,
    DeadlineException,
    EligibilityCheck,
)
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.decisions import decision_confirm
from applications.services.follow_up import (
    application_accept_grant,
    application_close,
    application_lapse,
    payment_mark_paid,
    report_approve,
)
from applications.services.letters import decision_letter_generate
from applications.services.transitions import (
    application_check_eligibility,
    application_complete_review,
    application_decide,
    application_record_deadline_exception,
    application_return_for_completion,
    application_start_review,
    application_submit,
    application_withdraw,
)
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "other_applicant",
    "member",
    "signatory",
    "programme_manager",
    "decision_maker",
    "superuser",
]
# Any member of the applying organisation may submit and withdraw.
APPLICANT_ROLES = {"member", "signatory"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def people(application):
    return {
        "anonymous": AnonymousUser(),
        # An administrator and signatory, but of another organisation.
        "other_applicant": factories.MembershipFactory(is_admin=True, is_signatory=True).user,
        "member": factories.applicant_for(application),
        "signatory": factories.applicant_for(application, is_admin=True, is_signatory=True),
        "programme_manager": factories.programme_manager(),
        "decision_maker": factories.decision_maker(),
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
    }


ALL_ITEMS = dict.fromkeys(EligibilityItem.values, True)

# The path from draft to each state, as (service step) in order.
PATH = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.RETURNED: ["submit", "return"],
    S.IN_REVIEW: ["submit", "eligible", "after_deadline", "start_review"],
    S.REVIEWED: ["submit", "eligible", "after_deadline", "start_review", "complete_review"],
    S.APPROVED: [
        "submit",
        "eligible",
        "after_deadline",
        "start_review",
        "complete_review",
        "approve",
    ],
    S.FOLLOW_UP: [
        "submit",
        "eligible",
        "after_deadline",
        "start_review",
        "complete_review",
        "approve",
        "accept",
    ],
}


def reach(state, application, people, time_machine) -> Application:
    """Bring a fresh draft to ``state`` through the services."""
    pm, dm, signatory = people["programme_manager"], people["decision_maker"], people["signatory"]
    steps = {
        "submit": lambda: application_submit(application=application, by=signatory),
        "return": lambda: application_return_for_completion(
            application=application,
            by=pm,
            message="Add the hub's confirmation.",
            deadline=timezone.now() + dt.timedelta(days=3),
        ),
        "eligible": lambda: application_check_eligibility(
            application=application, by=pm, items=ALL_ITEMS
        ),
        "after_deadline": lambda: time_machine.move_to(
            application.call.closes_at + dt.timedelta(hours=1)
        ),
        "start_review": lambda: application_start_review(application=application, by=pm),
        "complete_review": lambda: application_complete_review(application=application, by=pm),
        "approve": lambda: _approve(application, pm=pm, dm=dm),
        "accept": lambda: _accept(application, signatory),
    }
    for step in PATH[state]:
        steps[step]()
    application.refresh_from_db()
    assert application.state == state
    return application


def _approve(application, *, pm, dm) -> None:
    """A real decision: proposed, confirmed by another person, its letter made and released."""
    decision = factories.proposed_decision(application, by=pm)
    decision_confirm(decision=decision, by=dm)
    decision_letter_generate(decision.pk)


def _accept(application, user):
    application.refresh_from_db()
    text = acceptance_text(application, effective_decision(application))
    return application_accept_grant(application=application, by=user, text=text)


def _settle(application, people) -> None:
    """The final report in and approved, every instalment paid: ready to close."""
    final = application.reports.get(kind=ReportKind.FINAL)
    factories.complete_report(final, by=people["signatory"])
    report_approve(report=final, by=people["programme_manager"])
    for payment in application.payments.filter(status=PaymentStatus.DUE):
        payment_mark_paid(
            payment=payment, by=people["programme_manager"], paid_on=timezone.localdate()
        )


@dataclass(frozen=True)
class Case:
    """One transition service called from one starting state."""

    id: str
    start: str
    allowed: set
    call: Any
    target: str
    name: str
    comment: str


def _submit(app, user):
    return application_submit(application=app, by=user)


def _submit_changed(app, user):
    # A new version needs new content; the title is changed directly in the database so that
    # the refused roles' attempts do not depend on application_update's own checks.
    Application.objects.filter(pk=app.pk).update(title="A sharper title")
    return application_submit(application=app, by=user)


def _withdraw(app, user):
    return application_withdraw(application=app, by=user, reason="Plans changed.")


def _return(app, user):
    return application_return_for_completion(
        application=app,
        by=user,
        message="Add the hub's confirmation.",
        deadline=timezone.now() + dt.timedelta(days=5),
    )


def _decide(outcome):
    def call(app, user):
        return application_decide(
            application=app, by=user, outcome=outcome, comment=f"{outcome} because."
        )

    return call


CASES = [
    Case("submit", S.DRAFT, APPLICANT_ROLES, _submit, S.SUBMITTED, "submit", "v1 sha256:"),
    Case(
        "submit_new_version",
        S.SUBMITTED,
        APPLICANT_ROLES,
        _submit_changed,
        S.SUBMITTED,
        "submit_new_version",
        "v2 sha256:",
    ),
    Case(
        "resubmit_returned",
        S.RETURNED,
        APPLICANT_ROLES,
        _submit_changed,
        S.SUBMITTED,
        "submit",
        "v2 sha256:",
    ),
    *[
        Case(
            f"withdraw_from_{state}",
            state,
            APPLICANT_ROLES,
            _withdraw,
            S.WITHDRAWN,
            "withdraw",
            "Plans changed.",
        )
        for state in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.IN_REVIEW)
    ],
    Case(
        "return_for_completion",
        S.SUBMITTED,
        {"programme_manager"},
        _return,
        S.RETURNED,
        "return_for_completion",
        "Add the hub's confirmation.",
    ),
    Case(
        "start_review",
        S.SUBMITTED,
        {"programme_manager"},
        lambda app, user: application_start_review(application=app, by=user),
        S.IN_REVIEW,
        "start_review",
        "",
    ),
    Case(
        "complete_review",
        S.IN_REVIEW,
        {"programme_manager"},
        lambda app, user: application_complete_review(application=app, by=user),
        S.REVIEWED,
        "complete_review",
        "",
    ),
    Case(
        "reject_ineligible",
        S.SUBMITTED,
        {"decision_maker"},
        _decide("reject_ineligible"),
        S.REJECTED,
        "reject_ineligible",
        "reject_ineligible because.",
    ),
    Case(
        "approve",
        S.REVIEWED,
        {"decision_maker"},
        _decide("approve"),
        S.APPROVED,
        "approve",
        "approve because.",
    ),
    Case(
        "reject",
        S.REVIEWED,
        {"decision_maker"},
        _decide("reject"),
        S.REJECTED,
        "reject",
        "reject because.",
    ),
    Case(
        "accept_grant",
        S.APPROVED,
        {"signatory"},
        _accept,
        S.FOLLOW_UP,
        "accept_grant",
        "",
    ),
    Case(
        "close",
        S.FOLLOW_UP,
        {"programme_manager"},
        lambda app, user: application_close(application=app, by=user),
        S.CLOSED,
        "close",
        "",
    ),
]

ALLOWED = [
    pytest.param(case, role, id=f"{case.id}-{role}")
    for case in CASES
    for role in sorted(case.allowed)
]
REFUSED = [
    pytest.param(case, role, id=f"{case.id}-{role}")
    for case in CASES
    for role in ROLES
    if role not in case.allowed
]


def _start(case, application, people, time_machine):
    application = reach(case.start, application, people, time_machine)
    if case.name == "start_review":
        # start_review needs a ticked checklist and a passed deadline; give it both so that
        # only the role decides.
        application_check_eligibility(
            application=application, by=people["programme_manager"], items=ALL_ITEMS
        )
        time_machine.move_to(application.call.closes_at + dt.timedelta(hours=1))
    if case.name == "close":
        _settle(application, people)
    return application


def _footprint(application) -> dict:
    application.refresh_from_db()
    return {
        "state": application.state,
        "registration_number": application.registration_number,
        "title": application.title,
        "log": list(application.transitions.values_list("pk", flat=True)),
        "versions": ApplicationVersion.objects.filter(application=application).count(),
        "exceptions": DeadlineException.objects.filter(application=application).count(),
        "eligibility": list(EligibilityCheck.objects.filter(application=application).values()),
        "outbox": len(mail.outbox),
    }


@pytest.mark.parametrize(("case", "role"), ALLOWED)
def test_allowed_role_runs_the_transition_and_logs_it_once(
    case, role, application, people, time_machine, django_capture_on_commit_callbacks
):
    application = _start(case, application, people, time_machine)
    user = people[role]
    log_before = set(application.transitions.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        case.call(application, user)

    application.refresh_from_db()
    assert application.state == case.target
    new_rows = list(application.transitions.exclude(pk__in=log_before))
    assert len(new_rows) == 1
    row = new_rows[0]
    assert (row.name, row.source, row.target, row.actor) == (
        case.name,
        case.start,
        case.target,
        user,
    )
    if case.comment.endswith("sha256:"):
        # The hash itself is pinned in test_submit_log_comment_names_version_and_hash.
        assert row.comment.startswith(case.comment)
    else:
        assert row.comment == case.comment


@pytest.mark.parametrize(("case", "role"), REFUSED)
def test_every_other_role_is_refused_and_nothing_changes(
    case, role, application, people, time_machine, django_capture_on_commit_callbacks
):
    application = _start(case, application, people, time_machine)
    before = _footprint(application)

    with pytest.raises(PermissionDenied), django_capture_on_commit_callbacks(execute=True):
        case.call(application, people[role])

    after = _footprint(application)
    # _submit_changed writes the title itself before calling the service; that is the test's
    # doing, not the service's.
    after["title"] = before["title"]
    assert after == before


def test_submit_log_comment_names_version_and_hash(application, people):
    version = application_submit(application=application, by=people["member"])

    row = application.transitions.get()
    assert row.comment == f"v1 sha256:{version.sha256}"


# -- services that are not transitions, and the system's transitions --------------------------


PM_ONLY_ROLES = [role for role in ROLES if role != "programme_manager"]


@pytest.mark.parametrize("role", ["programme_manager"])
def test_programme_manager_records_a_late_exception_without_a_state_change(
    role, application, people
):
    new_deadline = application.call.closes_at + dt.timedelta(days=2)

    exception = application_record_deadline_exception(
        application=application, by=people[role], new_deadline=new_deadline, reason="Outage."
    )

    assert (exception.new_deadline, exception.reason, exception.granted_by) == (
        new_deadline,
        "Outage.",
        people[role],
    )
    application.refresh_from_db()
    assert application.deadline == new_deadline
    assert application.state == S.DRAFT
    assert application.transitions.count() == 0


@pytest.mark.parametrize("role", PM_ONLY_ROLES)
def test_late_exception_is_refused_for_every_other_role(role, application, people):
    before = _footprint(application)

    with pytest.raises(PermissionDenied):
        application_record_deadline_exception(
            application=application,
            by=people[role],
            new_deadline=application.call.closes_at + dt.timedelta(days=2),
            reason="Outage.",
        )

    assert _footprint(application) == before


def test_programme_manager_records_the_eligibility_check(application, people, time_machine):
    application = reach(S.SUBMITTED, application, people, time_machine)
    pm = people["programme_manager"]
    items = {**ALL_ITEMS, EligibilityItem.BUDGET: False}

    check = application_check_eligibility(
        application=application, by=pm, items=items, comment="Budget unclear."
    )

    assert check.items == {**ALL_ITEMS, "budget": False}
    assert (check.checked_by, check.comment, check.passed) == (pm, "Budget unclear.", False)
    assert application.transitions.count() == 1  # only the submit


@pytest.mark.parametrize("role", PM_ONLY_ROLES)
def test_eligibility_check_is_refused_for_every_other_role(role, application, people, time_machine):
    application = reach(S.SUBMITTED, application, people, time_machine)
    before = _footprint(application)

    with pytest.raises(PermissionDenied):
        application_check_eligibility(application=application, by=people[role], items=ALL_ITEMS)

    assert _footprint(application) == before


def test_start_review_waits_for_the_eligibility_checklist(application, people, time_machine):
    application = reach(S.SUBMITTED, application, people, time_machine)
    time_machine.move_to(application.call.closes_at + dt.timedelta(hours=1))

    with pytest.raises(ValidationError) as refused:
        application_start_review(application=application, by=people["programme_manager"])

    assert refused.value.messages == ["Tick every item of the eligibility checklist first."]
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_start_review_waits_for_the_deadline(application, people, time_machine):
    application = reach(S.SUBMITTED, application, people, time_machine)
    pm = people["programme_manager"]
    application_check_eligibility(application=application, by=pm, items=ALL_ITEMS)

    with pytest.raises(ValidationError) as refused:
        application_start_review(application=application, by=pm)

    assert refused.value.messages[0].startswith("Review can start after the deadline, ")
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_system_completes_review_and_is_logged_without_actor(application, people, time_machine):
    application = reach(S.IN_REVIEW, application, people, time_machine)

    application_complete_review(application=application, by=None)

    application.refresh_from_db()
    row = application.transitions.last()
    assert application.state == S.REVIEWED
    assert (row.name, row.source, row.target, row.actor) == (
        "complete_review",
        S.IN_REVIEW,
        S.REVIEWED,
        None,
    )


def test_system_lapses_an_unaccepted_grant(application, people, time_machine):
    application = reach(S.APPROVED, application, people, time_machine)
    time_machine.move_to(
        timezone.make_aware(dt.datetime.combine(application.accept_by, dt.time(0, 0, 1)))
        + dt.timedelta(days=1)
    )

    application_lapse(application=application)

    application.refresh_from_db()
    row = application.transitions.last()
    assert application.state == S.CLOSED
    assert application.closed_at is not None
    assert (row.name, row.source, row.target, row.actor) == ("lapse", S.APPROVED, S.CLOSED, None)


def test_lapse_takes_no_person():
    # No person can lapse a grant: the service has no ``by`` to pass a user in.
    assert list(inspect.signature(application_lapse).parameters) == ["application"]


@pytest.mark.parametrize("state", [S.DRAFT, S.SUBMITTED, S.REVIEWED, S.FOLLOW_UP])
def test_lapse_changes_nothing_outside_approved(state, application, people, time_machine):
    application = reach(state, application, people, time_machine)
    before = _footprint(application)

    assert application_lapse(application=application) is None

    assert _footprint(application) == before


def test_lapse_changes_nothing_until_the_last_day_to_accept_has_passed(
    application, people, time_machine
):
    application = reach(S.APPROVED, application, people, time_machine)
    time_machine.move_to(
        timezone.make_aware(dt.datetime.combine(application.accept_by, dt.time(23, 59)))
    )
    before = _footprint(application)

    assert application_lapse(application=application) is None

    assert _footprint(application) == before


def test_decision_on_a_draft_is_refused_with_a_message(application, people):
    with pytest.raises(ValidationError) as refused:
        application_decide(
            application=application, by=people["decision_maker"], outcome="approve", comment=""
        )

    assert refused.value.messages == [
        "This decision cannot be taken in the application's current state."
    ]


def test_withdraw_needs_a_reason(application, people):
    with pytest.raises(ValidationError) as refused:
        application_withdraw(application=application, by=people["member"], reason="  ")

    assert refused.value.messages == ["Give a reason for withdrawing the application."]
    application.refresh_from_db()
    assert application.state == S.DRAFT


def test_withdrawn_application_cannot_be_withdrawn_again(application, people):
    application_withdraw(application=application, by=people["member"], reason="Done.")

    with pytest.raises(ValidationError) as refused:
        application_withdraw(application=application, by=people["member"], reason="Again.")

    assert refused.value.messages == ["This application can no longer be withdrawn."]
    assert application.transitions.count() == 1


def test_return_needs_a_message_and_a_future_deadline(application, people, time_machine):
    application = reach(S.SUBMITTED, application, people, time_machine)
    pm = people["programme_manager"]

    with pytest.raises(ValidationError) as no_message:
        application_return_for_completion(
            application=application, by=pm, message="", deadline=timezone.now() + dt.timedelta(1)
        )
    with pytest.raises(ValidationError) as past:
        application_return_for_completion(
            application=application, by=pm, message="Add it.", deadline=timezone.now()
        )

    assert no_message.value.messages == ["Write what the applicant needs to complete."]
    assert past.value.messages == ["The completion deadline must be in the future."]
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_completion_request_is_queued_after_commit(
    application, people, time_machine, django_capture_on_commit_callbacks
):
    application = reach(S.SUBMITTED, application, people, time_machine)

    with django_capture_on_commit_callbacks() as callbacks:
        application_return_for_completion(
            application=application,
            by=people["programme_manager"],
            message="Add the hub's confirmation.",
            deadline=timezone.now() + dt.timedelta(days=3),
        )

    assert len(callbacks) == 1
