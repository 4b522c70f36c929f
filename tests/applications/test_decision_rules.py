"""The four-eyes rule and who holds the four decision permissions.

The one who proposes a decision never confirms or sends it back, by any path; a user without
the decision right never confirms at all. Superusers get no rights from being superusers: the
permissions are asked through ``rules.has_perm``, never ``user.has_perm``.
"""

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from applications.enums import ApplicationState, DecisionStatus
from applications.models import Decision
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from applications.services.decisions import (
    decision_confirm,
    decision_send_back,
    decisions_confirm_batch,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def both():
    """A programme manager who is also a decision maker."""
    return factories.UserFactory(groups=[PROGRAMME_MANAGERS, DECISION_MAKERS])


@pytest.fixture
def reviewed(call, programme_manager):
    (application,) = factories.reviewed_applications(call, by=programme_manager)
    return application


def _assert_still_proposed(decision, application):
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.PROPOSED
    assert decision.decided_by is None
    assert decision.sent_back_by is None
    application.refresh_from_db()
    assert application.state == ApplicationState.REVIEWED
    assert not application.transitions.filter(name="approve").exists()


# -- four eyes -------------------------------------------------------------------------------


def test_the_proposer_cannot_confirm_their_own_proposal(reviewed, both):
    decision = factories.proposed_decision(reviewed, by=both)

    with pytest.raises(PermissionDenied):
        decision_confirm(decision=decision, by=both)

    _assert_still_proposed(decision, reviewed)


def test_the_proposer_cannot_send_back_their_own_proposal(reviewed, both):
    decision = factories.proposed_decision(reviewed, by=both)

    with pytest.raises(PermissionDenied):
        decision_send_back(decision=decision, by=both, comment="Mine, after all.")

    _assert_still_proposed(decision, reviewed)


def test_the_proposer_cannot_confirm_their_own_proposal_in_a_batch(call, programme_manager, both):
    own_application, other_application = factories.reviewed_applications(
        call, by=programme_manager, count=2
    )
    own = factories.proposed_decision(own_application, by=both)
    other = factories.proposed_decision(other_application, by=programme_manager)

    results = decisions_confirm_batch(decisions=[own, other], by=both)

    assert [(d.pk, message) for d, message in results] == [
        (own.pk, "You may not confirm a decision you proposed."),
        (other.pk, ""),
    ]
    _assert_still_proposed(own, own_application)
    other.refresh_from_db()
    assert other.status == DecisionStatus.CONFIRMED
    assert other.decided_by == both


def test_one_who_is_both_confirms_others_proposals(reviewed, programme_manager, both):
    decision = factories.proposed_decision(reviewed, by=programme_manager)

    decision_confirm(decision=decision, by=both)

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.CONFIRMED
    assert decision.decided_by == both
    assert decision.proposed_by == programme_manager


def test_one_who_is_both_sends_back_others_proposals(reviewed, programme_manager, both):
    decision = factories.proposed_decision(reviewed, by=programme_manager)

    decision_send_back(decision=decision, by=both, comment="Lower it.")

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.SENT_BACK
    assert decision.sent_back_by == both


NO_DECISION_RIGHT = ["programme_manager", "applicant", "reviewer", "superuser", "anonymous"]


def _user_without_the_decision_right(role, application):
    return {
        "programme_manager": factories.programme_manager,
        "applicant": lambda: factories.applicant_for(application, is_admin=True, is_signatory=True),
        "reviewer": lambda: factories.PanelMemberFactory(call=application.call).user,
        "superuser": lambda: factories.UserFactory(is_superuser=True, is_staff=True),
        "anonymous": AnonymousUser,
    }[role]()


@pytest.mark.parametrize("role", NO_DECISION_RIGHT)
def test_a_user_without_the_decision_right_cannot_confirm(role, reviewed, programme_manager):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    user = _user_without_the_decision_right(role, reviewed)

    with pytest.raises(PermissionDenied):
        decision_confirm(decision=decision, by=user)

    _assert_still_proposed(decision, reviewed)


@pytest.mark.parametrize("role", NO_DECISION_RIGHT)
def test_a_user_without_the_decision_right_cannot_send_back(role, reviewed, programme_manager):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    user = _user_without_the_decision_right(role, reviewed)

    with pytest.raises(PermissionDenied):
        decision_send_back(decision=decision, by=user, comment="No.")

    _assert_still_proposed(decision, reviewed)


@pytest.mark.parametrize("role", NO_DECISION_RIGHT)
def test_a_user_without_the_decision_right_is_refused_in_a_batch(role, reviewed, programme_manager):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    user = _user_without_the_decision_right(role, reviewed)

    results = decisions_confirm_batch(decisions=[decision], by=user)

    assert [(d.pk, message) for d, message in results] == [
        (decision.pk, "You do not have the right to confirm decisions.")
    ]
    _assert_still_proposed(decision, reviewed)


def test_the_database_refuses_a_decision_maker_who_is_the_presenter(reviewed, both):
    """Below the services: even an update that skips every check cannot break four eyes."""
    decision = factories.proposed_decision(reviewed, by=both)

    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(decided_by=F("proposed_by"))

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE applications_decision SET decided_by_id = proposed_by_id WHERE id = %s",
            [decision.pk],
        )

    decision.refresh_from_db()
    assert decision.decided_by is None


def test_the_database_refuses_a_decision_created_with_the_presenter_as_decision_maker(
    reviewed, both
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(
            application=reviewed,
            outcome="rejected",
            justification="Four eyes skipped.",
            language="sv",
            proposed_by=both,
            proposed_at=timezone.now(),
            decided_by=both,
        )

    assert Decision.objects.count() == 0


# -- who holds which permission --------------------------------------------------------------

PERMS = ["propose_decision", "confirm_decision", "release_decisions", "view_decision"]


def _table(users: dict, decision) -> dict:
    fresh = Decision.objects.select_related("application").get(pk=decision.pk)
    objects = {
        "propose_decision": fresh.application,
        "confirm_decision": fresh,
        "release_decisions": fresh.application.call,
        "view_decision": fresh,
    }
    return {
        role: {
            perm for perm in PERMS if rules.has_perm(f"applications.{perm}", user, objects[perm])
        }
        for role, user in users.items()
    }


def _users(application, proposer) -> dict:
    return {
        "anonymous": AnonymousUser(),
        "applicant": application.organisation.memberships.get().user,
        "applicant of another organisation": factories.MembershipFactory().user,
        "reviewer": factories.PanelMemberFactory(call=application.call).user,
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
        "programme manager (proposer)": proposer,
        "programme manager": factories.programme_manager(),
        "decision maker": factories.decision_maker(),
        "both (not the proposer)": factories.UserFactory(
            groups=[PROGRAMME_MANAGERS, DECISION_MAKERS]
        ),
    }


STAFF_ROLES = {
    "programme manager (proposer)": {"propose_decision", "release_decisions", "view_decision"},
    "programme manager": {"propose_decision", "release_decisions", "view_decision"},
    "decision maker": {"confirm_decision", "view_decision"},
    "both (not the proposer)": set(PERMS),
}


def test_decision_permissions_per_role_before_release(reviewed, programme_manager):
    decision = factories.proposed_decision(reviewed, by=programme_manager)

    table = _table(_users(reviewed, programme_manager), decision)

    assert table == {
        "anonymous": set(),
        "applicant": set(),
        "applicant of another organisation": set(),
        "reviewer": set(),
        "superuser": set(),
        **STAFF_ROLES,
    }


def test_the_applicant_may_view_the_decision_once_released(
    reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    users = _users(reviewed, programme_manager)
    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=decision, by=decision_maker)
    assert Decision.objects.get(pk=decision.pk).release.released_by is None

    table = _table(users, decision)

    assert table == {
        "anonymous": set(),
        "applicant": {"view_decision"},
        "applicant of another organisation": set(),
        "reviewer": set(),
        "superuser": set(),
        **STAFF_ROLES,
    }


def test_both_roles_in_one_person_may_not_confirm_their_own_proposal(reviewed, both):
    decision = factories.proposed_decision(reviewed, by=both)

    assert rules.has_perm("applications.propose_decision", both, reviewed)
    assert not rules.has_perm("applications.confirm_decision", both, decision)
    assert rules.has_perm("applications.release_decisions", both, reviewed.call)
    assert rules.has_perm("applications.view_decision", both, decision)
