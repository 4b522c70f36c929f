"""The permission table of review, per role, through ``rules.has_perm`` as services ask it."""

import pytest
import rules
from django.contrib.auth.models import AnonymousUser

from reviews.services.assignments import assignment_add
from reviews.services.conflicts import conflict_override
from tests import factories

pytestmark = pytest.mark.django_db

PERMS = ["manage_panel", "view_ranking", "declare_conflicts", "review_application"]

# role → the permissions it holds on the call and on its application in review.
TABLE = {
    "anonymous": set(),
    "applicant": set(),
    "assigned_reviewer": {"declare_conflicts", "review_application"},
    "unassigned_panel_member": {"declare_conflicts"},
    "removed_reviewer": {"declare_conflicts"},
    "reviewer_on_another_panel": set(),
    "programme_manager": {"manage_panel", "view_ranking"},
    "decision_maker": {"view_ranking"},
    "superuser": set(),
}


@pytest.fixture
def world():
    pm = factories.programme_manager()
    call = factories.CallFactory()
    application = factories.applications_in_review(call, by=pm)[0]
    assigned, unassigned, removed = factories.PanelMemberFactory.create_batch(3, call=call)
    for member in (assigned, removed):
        factories.declare_none(member, [application])
        assignment_add(member=member, application=application, by=pm)
    conflict_override(
        member=removed, application=application, by=pm, has_conflict=True, reason="Found."
    )
    # On another call's panel, and assigned there.
    other_call = factories.CallFactory()
    elsewhere = factories.applications_in_review(other_call, by=pm)[0]
    other_member = factories.PanelMemberFactory(call=other_call)
    factories.declare_none(other_member, [elsewhere])
    assignment_add(member=other_member, application=elsewhere, by=pm)
    users = {
        "anonymous": AnonymousUser(),
        "applicant": factories.applicant_for(application, is_admin=True, is_signatory=True),
        "assigned_reviewer": assigned.user,
        "unassigned_panel_member": unassigned.user,
        "removed_reviewer": removed.user,
        "reviewer_on_another_panel": other_member.user,
        "programme_manager": pm,
        "decision_maker": factories.decision_maker(),
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
    }
    return call, application, users


@pytest.mark.parametrize("role", list(TABLE))
def test_review_permission_table(world, role):
    call, application, users = world
    user = users[role]
    objects = {
        "manage_panel": None,
        "view_ranking": call,
        "declare_conflicts": call,
        "review_application": application,
    }
    held = {perm for perm in PERMS if rules.has_perm(f"reviews.{perm}", user, objects[perm])}
    assert held == TABLE[role]


def test_a_panel_seat_on_one_call_gives_nothing_on_another(world):
    call, application, users = world
    reviewer = users["assigned_reviewer"]
    other_call = factories.CallFactory()
    assert rules.has_perm("reviews.declare_conflicts", reviewer, other_call) is False


def test_no_call_and_no_application_give_nothing(world):
    _call, _application, users = world
    reviewer = users["assigned_reviewer"]
    assert rules.has_perm("reviews.declare_conflicts", reviewer, None) is False
    assert rules.has_perm("reviews.review_application", reviewer, None) is False


def test_a_programme_managers_right_does_not_come_from_the_superuser_flag(world):
    _call, _application, users = world
    superuser = users["superuser"]
    assert superuser.has_perm("reviews.manage_panel")  # Django's own check would let them in
    assert not rules.has_perm("reviews.manage_panel", superuser)
