"""The permission table: for each permission and object, exactly which roles have it."""

import datetime as dt

import pytest
import rules
from django.contrib.auth.models import AnonymousUser

from applications.services.transitions import (
    application_return_for_completion,
    application_submit,
    application_withdraw,
)
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "other_applicant",
    "member",
    "admin",
    "signatory",
    "programme_manager",
    "decision_maker",
    "superuser",
]
MEMBERS = {"member", "admin", "signatory"}
STAFF = {"programme_manager", "decision_maker"}
PM = {"programme_manager"}
DM = {"decision_maker"}


@pytest.fixture
def people(application):
    organisation = application.organisation
    return {
        "anonymous": AnonymousUser(),
        "other_applicant": factories.MembershipFactory(is_admin=True, is_signatory=True).user,
        "member": factories.MembershipFactory(organisation=organisation).user,
        "admin": factories.MembershipFactory(organisation=organisation, is_admin=True).user,
        "signatory": factories.MembershipFactory(organisation=organisation, is_signatory=True).user,
        "programme_manager": factories.programme_manager(),
        "decision_maker": factories.decision_maker(),
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
    }


def holders(perm: str, people: dict, obj=None) -> set:
    return {role for role in ROLES if rules.has_perm(f"applications.{perm}", people[role], obj)}


DRAFT_TABLE = {
    "view_application": MEMBERS,
    "change_application": MEMBERS,
    "submit_application": MEMBERS,
    "withdraw_application": MEMBERS,
    "accept_grant": {"signatory"},
    "return_application": PM,
    "record_deadline_exception": PM,
    "check_eligibility": PM,
    "start_review": PM,
    "complete_review": PM,
    "close_application": PM,
    "decide_application": DM,
}


@pytest.mark.parametrize(("perm", "expected"), DRAFT_TABLE.items(), ids=DRAFT_TABLE.keys())
def test_permissions_on_a_draft(perm, expected, application, people):
    assert holders(perm, people, application) == expected


def test_staff_may_view_an_application_once_submitted(application, people):
    application_submit(application=application, by=people["member"])
    application.refresh_from_db()

    assert holders("view_application", people, application) == MEMBERS | STAFF


def test_submitted_application_is_changeable_until_the_deadline_only(
    application, people, time_machine
):
    application_submit(application=application, by=people["member"])
    application.refresh_from_db()
    assert holders("change_application", people, application) == MEMBERS

    time_machine.move_to(application.call.closes_at, tick=False)

    assert holders("change_application", people, application) == set()


def test_withdrawn_application_is_not_changeable(application, people):
    application_withdraw(application=application, by=people["member"], reason="No.")
    application.refresh_from_db()

    assert holders("change_application", people, application) == set()
    assert holders("view_application", people, application) == MEMBERS


def test_returned_application_is_changeable_again(application, people, time_machine):
    application_submit(application=application, by=people["member"])
    time_machine.move_to(application.call.closes_at + dt.timedelta(hours=1))
    application_return_for_completion(
        application=application,
        by=people["programme_manager"],
        message="Add the hub's offer.",
        deadline=application.call.closes_at + dt.timedelta(days=5),
    )
    application.refresh_from_db()

    assert holders("change_application", people, application) == MEMBERS


ORGANISATION_TABLE = {
    "view_organisation": MEMBERS | STAFF,
    "manage_organisation": {"admin"},
    "create_application": MEMBERS,
}


@pytest.mark.parametrize(
    ("perm", "expected"), ORGANISATION_TABLE.items(), ids=ORGANISATION_TABLE.keys()
)
def test_permissions_on_an_organisation(perm, expected, application, people):
    assert holders(perm, people, application.organisation) == expected


def test_only_agency_staff_may_list_applications(people):
    assert holders("list_applications", people) == STAFF


def test_object_permissions_are_refused_without_an_object(people):
    for perm in [*DRAFT_TABLE, *ORGANISATION_TABLE]:
        assert holders(perm, people) & (MEMBERS | {"other_applicant"}) == set(), perm


def test_membership_cache_is_per_user_object(application):
    # The predicates cache a user's memberships on the user object; a fresh object sees a
    # membership made after the first check.
    user = factories.UserFactory()
    assert rules.has_perm("applications.view_application", user, application) is False

    factories.MembershipFactory(user=user, organisation=application.organisation)
    fresh = type(user).objects.get(pk=user.pk)

    assert rules.has_perm("applications.view_application", fresh, application) is True
