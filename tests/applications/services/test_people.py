"""Organisations and their people: registration, invitations, roles."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from applications.enums import County
from applications.models import Invitation, Membership, Organisation
from applications.services.people import (
    invitation_accept,
    invitation_create,
    membership_remove,
    membership_update,
    organisation_register,
)
from grants.enums import OrganisationKind
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _register(user, orgnr="2120000142"):
    return organisation_register(
        by=user,
        orgnr=orgnr,
        name="Östersunds kommun",
        kind=OrganisationKind.MUNICIPALITY,
        county=County.JAMTLAND,
    )


@pytest.fixture
def admin():
    return factories.MembershipFactory(is_admin=True, is_signatory=True).user


@pytest.fixture
def organisation(admin):
    return admin.memberships.get().organisation


# -- registration -------------------------------------------------------------------------------


def test_register_stores_the_number_normalised_and_makes_the_registrant_admin_not_signatory():
    user = factories.UserFactory()

    organisation = _register(user, orgnr=" 2120000142 ")

    assert organisation.orgnr == "212000-0142"
    membership = Membership.objects.get(organisation=organisation)
    # Signing right is confirmed by the agency when it verifies the organisation.
    assert (membership.user, membership.is_admin, membership.is_signatory) == (user, True, False)
    assert organisation.verification_status == "pending"
    assert (organisation.declared_kind, organisation.verified_kind) == ("municipality", "")


@pytest.mark.parametrize("again", ["212000-0142", "2120000142"])
def test_registering_a_registered_number_again_is_refused(again):
    _register(factories.UserFactory())
    second = factories.UserFactory()

    with pytest.raises(ValidationError) as refused:
        _register(second, orgnr=again)

    assert refused.value.messages == [
        "An organisation with number 212000-0142 is already registered. If you work there, "
        "ask its administrator to invite you. If you think someone registered your "
        "organisation who should not have, tell the agency below."
    ]
    assert Organisation.objects.count() == 1
    assert not second.memberships.exists()


def test_registering_an_invalid_number_is_refused():
    user = factories.UserFactory()

    with pytest.raises(ValidationError):
        _register(user, orgnr="212000-0143")

    assert Organisation.objects.count() == 0
    assert not user.memberships.exists()


@pytest.mark.parametrize(
    ("orgnr", "code"), [("556036-0793", "not_public_sector"), ("811228-9874", "personal_number")]
)
def test_the_service_itself_refuses_private_companies_and_personal_numbers(orgnr, code):
    user = factories.UserFactory()

    with pytest.raises(ValidationError) as refused:
        _register(user, orgnr=orgnr)

    assert refused.value.code == code
    assert Organisation.objects.count() == 0


# -- invitations --------------------------------------------------------------------------------


def _invite(organisation, by, email="kollega@example.se", **roles):
    return invitation_create(
        organisation=organisation,
        by=by,
        email=email,
        is_admin=roles.get("is_admin", False),
        is_signatory=roles.get("is_signatory", False),
    )


def test_admin_invites_a_colleague_for_two_weeks_and_the_email_waits_for_commit(
    organisation, admin, django_capture_on_commit_callbacks, time_machine
):
    now = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(now, tick=False)

    with django_capture_on_commit_callbacks() as callbacks:
        invitation = _invite(organisation, admin, email=" Kollega@Example.SE ", is_signatory=True)

    assert invitation.email == "kollega@example.se"
    assert (invitation.is_admin, invitation.is_signatory) == (False, True)
    assert invitation.expires_at == now + dt.timedelta(days=14)
    assert len(callbacks) == 1


@pytest.mark.parametrize("role", ["plain_member", "signatory", "other_admin", "pm", "superuser"])
def test_only_an_admin_of_the_organisation_may_invite(role, organisation):
    user = {
        "plain_member": lambda: factories.MembershipFactory(organisation=organisation).user,
        "signatory": lambda: (
            factories.MembershipFactory(organisation=organisation, is_signatory=True).user
        ),
        "other_admin": lambda: factories.MembershipFactory(is_admin=True).user,
        "pm": factories.programme_manager,
        "superuser": lambda: factories.UserFactory(is_superuser=True, is_staff=True),
    }[role]()

    with pytest.raises(PermissionDenied):
        _invite(organisation, user)

    assert not Invitation.objects.exists()


def test_inviting_an_existing_member_is_refused(organisation, admin):
    member = factories.MembershipFactory(organisation=organisation).user

    with pytest.raises(ValidationError) as refused:
        _invite(organisation, admin, email=member.email.upper())

    assert refused.value.messages == [f"{member.email} is already a member."]


def test_accepting_an_invitation_applies_its_roles(organisation, admin):
    invitation = _invite(organisation, admin, is_admin=True, is_signatory=False)
    colleague = factories.UserFactory(email="kollega@example.se")

    membership = invitation_accept(invitation=invitation, by=colleague)

    assert (membership.user, membership.organisation) == (colleague, organisation)
    assert (membership.is_admin, membership.is_signatory) == (True, False)
    invitation.refresh_from_db()
    assert invitation.accepted_by == colleague
    assert invitation.accepted_at is not None


def test_invitation_works_once(organisation, admin):
    invitation = _invite(organisation, admin)
    colleague = factories.UserFactory(email="kollega@example.se")
    invitation_accept(invitation=invitation, by=colleague)

    with pytest.raises(ValidationError) as refused:
        invitation_accept(invitation=invitation, by=colleague)

    assert refused.value.messages == ["This invitation has expired or has already been used."]
    assert Membership.objects.filter(organisation=organisation).count() == 2


def test_expired_invitation_is_refused(organisation, admin, time_machine):
    invitation = _invite(organisation, admin)
    colleague = factories.UserFactory(email="kollega@example.se")
    time_machine.move_to(invitation.expires_at, tick=False)

    with pytest.raises(ValidationError) as refused:
        invitation_accept(invitation=invitation, by=colleague)

    assert refused.value.messages == ["This invitation has expired or has already been used."]
    assert not colleague.memberships.exists()


def test_invitation_for_another_address_is_refused(organisation, admin):
    invitation = _invite(organisation, admin)
    stranger = factories.UserFactory(email="someone.else@example.se")

    with pytest.raises(ValidationError) as refused:
        invitation_accept(invitation=invitation, by=stranger)

    assert refused.value.messages == [
        "This invitation was sent to kollega@example.se. Log in with that address to accept it."
    ]
    assert not stranger.memberships.exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_address_case_does_not_matter_when_accepting(organisation, admin):
    invitation = _invite(organisation, admin)
    colleague = factories.UserFactory(email="Kollega@Example.se")

    membership = invitation_accept(invitation=invitation, by=colleague)

    assert membership.user == colleague


# -- roles --------------------------------------------------------------------------------------


def test_sole_admin_cannot_give_up_admin(organisation, admin):
    membership = admin.memberships.get()

    with pytest.raises(ValidationError) as refused:
        membership_update(membership=membership, by=admin, is_admin=False, is_signatory=True)

    assert refused.value.messages == ["An organisation must keep at least one administrator."]
    membership.refresh_from_db()
    assert membership.is_admin is True


def test_admin_can_step_down_when_another_admin_remains(organisation, admin):
    factories.MembershipFactory(organisation=organisation, is_admin=True)
    membership = admin.memberships.get()

    membership_update(membership=membership, by=admin, is_admin=False, is_signatory=False)

    membership.refresh_from_db()
    assert (membership.is_admin, membership.is_signatory) == (False, False)


def test_admin_gives_a_member_signing_right(organisation, admin):
    membership = factories.MembershipFactory(organisation=organisation)

    membership_update(membership=membership, by=admin, is_admin=False, is_signatory=True)

    membership.refresh_from_db()
    assert (membership.is_admin, membership.is_signatory) == (False, True)


@pytest.mark.parametrize("role", ["plain_member", "other_admin", "pm"])
def test_only_an_admin_of_the_organisation_may_change_roles(role, organisation):
    target = factories.MembershipFactory(organisation=organisation)
    user = {
        "plain_member": lambda: factories.MembershipFactory(organisation=organisation).user,
        "other_admin": lambda: factories.MembershipFactory(is_admin=True).user,
        "pm": factories.programme_manager,
    }[role]()

    with pytest.raises(PermissionDenied):
        membership_update(membership=target, by=user, is_admin=True, is_signatory=True)
    with pytest.raises(PermissionDenied):
        membership_remove(membership=target, by=user)

    target.refresh_from_db()
    assert (target.is_admin, target.is_signatory) == (False, False)


def test_member_cannot_make_themselves_admin(organisation):
    membership = factories.MembershipFactory(organisation=organisation)

    with pytest.raises(PermissionDenied):
        membership_update(
            membership=membership, by=membership.user, is_admin=True, is_signatory=True
        )

    membership.refresh_from_db()
    assert membership.is_admin is False


def test_admin_removes_a_member(organisation, admin):
    membership = factories.MembershipFactory(organisation=organisation)

    membership_remove(membership=membership, by=admin)

    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_sole_admin_cannot_be_removed(organisation, admin):
    membership = admin.memberships.get()

    with pytest.raises(ValidationError) as refused:
        membership_remove(membership=membership, by=admin)

    assert refused.value.messages == ["An organisation must keep at least one administrator."]
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_admin_can_leave_when_another_admin_remains(organisation, admin):
    factories.MembershipFactory(organisation=organisation, is_admin=True)
    membership = admin.memberships.get()

    membership_remove(membership=membership, by=admin)

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert Membership.objects.filter(organisation=organisation, is_admin=True).count() == 1
