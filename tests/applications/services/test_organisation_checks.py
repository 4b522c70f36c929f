"""Who speaks for an organisation: verified email, the agency's check, signing right, claims."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from applications.enums import ApplicationState, ClaimStatus, County, VerificationStatus
from applications.models import AuditEntry, Membership, Organisation, OrganisationClaim
from applications.services.organisation_checks import (
    organisation_claim_create,
    organisation_claim_resolve,
    organisation_refuse,
    organisation_verify,
)
from applications.services.people import (
    invitation_accept,
    invitation_create,
    membership_update,
    organisation_register,
)
from applications.services.transitions import application_submit
from grants.enums import OrganisationKind
from tests import factories

pytestmark = pytest.mark.django_db

P = VerificationStatus.PENDING


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _pending(**kwargs):
    organisation = factories.OrganisationFactory(verification_status=P, **kwargs)
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True)
    return organisation, admin


def _audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


# -- verified email ---------------------------------------------------------------------------


def test_an_unverified_account_cannot_register_an_organisation():
    user = factories.UserFactory(email_verified_at=None, email="new@kommun.se")
    with pytest.raises(ValidationError) as refused:
        organisation_register(
            by=user,
            orgnr="2120000142",
            name="Östersunds kommun",
            kind=OrganisationKind.MUNICIPALITY,
            county=County.JAMTLAND,
        )
    assert refused.value.messages == [
        "First confirm your email address with the link we sent to new@kommun.se. You can "
        "have a new link sent from your details page."
    ]
    assert not Organisation.objects.exists()


def test_an_unverified_account_cannot_accept_an_invitation():
    organisation = factories.OrganisationFactory()
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True).user
    invitation = invitation_create(
        organisation=organisation,
        by=admin,
        email="new@kommun.se",
        is_admin=False,
        is_signatory=False,
    )
    user = factories.UserFactory(email_verified_at=None, email="new@kommun.se")
    with pytest.raises(ValidationError):
        invitation_accept(invitation=invitation, by=user)
    assert not user.memberships.exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_unverified_administrator_cannot_send_an_invitation():
    organisation = factories.OrganisationFactory()
    admin = factories.MembershipFactory(
        organisation=organisation, is_admin=True, user__email_verified_at=None
    ).user
    with pytest.raises(ValidationError):
        invitation_create(
            organisation=organisation,
            by=admin,
            email="x@kommun.se",
            is_admin=False,
            is_signatory=False,
        )
    assert not organisation.invitations.exists()


# -- the agency's check ---------------------------------------------------------------------


def test_a_pending_organisation_can_draft_but_not_submit():
    organisation, _admin = _pending(name="Bräcke kommun", orgnr="212000-0142")
    application = factories.ApplicationFactory(organisation=organisation)
    member = factories.applicant_for(application)
    with pytest.raises(ValidationError) as refused:
        application_submit(application=application, by=member)
    assert refused.value.messages == [
        "The agency has not yet verified Bräcke kommun (212000-0142). You can keep working on "
        "the draft; it can be submitted once the organisation is verified."
    ]
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    assert application.registration_number is None
    assert not application.versions.exists()


def test_a_refused_organisation_cannot_submit():
    manager = factories.programme_manager()
    organisation, _admin = _pending()
    organisation_refuse(organisation=organisation, by=manager, note="Not in the register.")
    application = factories.ApplicationFactory(organisation=organisation)
    with pytest.raises(ValidationError) as refused:
        application_submit(application=application, by=factories.applicant_for(application))
    assert "could not verify" in refused.value.messages[0]
    assert not application.versions.exists()


def test_eligibility_at_submit_uses_the_verified_kind_not_the_declared_one():
    manager = factories.programme_manager()
    organisation, admin = _pending(kind=OrganisationKind.MUNICIPALITY)
    application = factories.ApplicationFactory(organisation=organisation)
    application.call.eligible_kinds = [OrganisationKind.MUNICIPALITY]
    application.call.save()
    # Declared a municipality; the agency found another public body.
    organisation_verify(
        organisation=organisation, by=manager, verified_kind=OrganisationKind.OTHER_PUBLIC
    )
    application.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        application_submit(application=application, by=admin.user)
    assert refused.value.messages == ["Your kind of organisation may not apply to this call."]
    assert not application.versions.exists()


def test_verifying_records_the_kind_note_first_signatory_and_audit():
    manager = factories.programme_manager()
    organisation, admin = _pending(kind=OrganisationKind.MUNICIPALITY)
    organisation_verify(
        organisation=organisation,
        by=manager,
        verified_kind=OrganisationKind.MUNICIPALITY,
        note="Checked against the organisation register.",
        signatory_ids=[admin.pk],
    )
    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.VERIFIED
    assert organisation.verified_kind == OrganisationKind.MUNICIPALITY
    assert organisation.verified_by == manager
    assert organisation.verification_note == "Checked against the organisation register."
    admin.refresh_from_db()
    assert admin.is_signatory
    entry = AuditEntry.objects.get(action="organisation.verify")
    assert entry.data == {
        "declared_kind": "municipality",
        "verified_kind": "municipality",
        "signatories": [admin.user_id],
        "note": True,
    }
    # A verified organisation's submit goes through.
    application = factories.ApplicationFactory(organisation=organisation)
    version = application_submit(application=application, by=admin.user)
    assert version.content["organisation"]["kind"] == "municipality"


def test_only_an_administrator_can_be_confirmed_as_signatory():
    manager = factories.programme_manager()
    organisation, _admin = _pending()
    member = factories.MembershipFactory(organisation=organisation)
    with pytest.raises(ValidationError):
        organisation_verify(
            organisation=organisation,
            by=manager,
            verified_kind=OrganisationKind.MUNICIPALITY,
            signatory_ids=[member.pk],
        )
    organisation.refresh_from_db()
    assert organisation.verification_status == P
    assert not Membership.objects.filter(is_signatory=True).exists()


def test_refusing_needs_a_note():
    manager = factories.programme_manager()
    organisation, _admin = _pending()
    with pytest.raises(ValidationError) as refused:
        organisation_refuse(organisation=organisation, by=manager, note="  ")
    assert refused.value.messages == ["Write a note saying what was checked and why."]
    organisation.refresh_from_db()
    assert organisation.verification_status == P
    assert "organisation.refuse" not in _audit_actions()


@pytest.mark.parametrize("role", ["decision_maker", "admin", "superuser"])
def test_only_a_programme_manager_verifies_or_refuses(role):
    organisation, admin = _pending()
    by = {
        "decision_maker": factories.decision_maker,
        "admin": lambda: admin.user,
        "superuser": lambda: factories.UserFactory(is_superuser=True, is_staff=True),
    }[role]()
    with pytest.raises(PermissionDenied):
        organisation_verify(
            organisation=organisation, by=by, verified_kind=OrganisationKind.MUNICIPALITY
        )
    with pytest.raises(PermissionDenied):
        organisation_refuse(organisation=organisation, by=by, note="No.")
    organisation.refresh_from_db()
    assert organisation.verification_status == P


# -- signing right --------------------------------------------------------------------------


def test_no_signing_right_before_the_agency_has_verified():
    organisation, admin = _pending()
    colleague = factories.MembershipFactory(organisation=organisation)
    with pytest.raises(ValidationError) as refused:
        membership_update(membership=colleague, by=admin.user, is_admin=False, is_signatory=True)
    assert "once the agency has verified" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        invitation_create(
            organisation=organisation,
            by=admin.user,
            email="x@kommun.se",
            is_admin=False,
            is_signatory=True,
        )
    colleague.refresh_from_db()
    assert not colleague.is_signatory
    assert not organisation.invitations.exists()


def test_an_administrator_cannot_give_themselves_signing_right():
    organisation = factories.OrganisationFactory()
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True)
    with pytest.raises(ValidationError) as refused:
        membership_update(membership=admin, by=admin.user, is_admin=True, is_signatory=True)
    assert refused.value.messages == [
        "You cannot give yourself signing right. Another administrator can, or the agency "
        "when it verifies the organisation."
    ]
    admin.refresh_from_db()
    assert not admin.is_signatory


def test_an_administrator_of_a_verified_organisation_gives_a_colleague_signing_right():
    organisation = factories.OrganisationFactory()
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True)
    colleague = factories.MembershipFactory(organisation=organisation)
    membership_update(membership=colleague, by=admin.user, is_admin=False, is_signatory=True)
    colleague.refresh_from_db()
    assert colleague.is_signatory
    entry = AuditEntry.objects.get(action="membership.signing_right")
    assert entry.data == {"user": colleague.user_id, "signing_right": True}


# -- claims ----------------------------------------------------------------------------------


def test_a_claim_reaches_the_programme_managers(mailoutbox, django_capture_on_commit_callbacks):
    factories.programme_manager(email="maria@agency.se")
    organisation, _squatter = _pending(name="Östersunds kommun", orgnr="212000-0142")
    claimant = factories.UserFactory(full_name="Anna Lindqvist", email="anna@ostersund.se")
    with django_capture_on_commit_callbacks(execute=True):
        claim = organisation_claim_create(
            organisation=organisation, by=claimant, message="I am the municipality's CFO."
        )
    assert claim.status == ClaimStatus.OPEN
    [message] = mailoutbox
    assert message.to == ["maria@agency.se"]
    assert "212000-0142" in message.subject
    assert "I am the municipality's CFO." in message.body
    assert "anna@ostersund.se" in message.body
    assert _audit_actions()[-1] == "organisation.claim"


def test_a_second_open_claim_or_an_empty_message_is_refused():
    organisation, _admin = _pending()
    claimant = factories.UserFactory()
    with pytest.raises(ValidationError):
        organisation_claim_create(organisation=organisation, by=claimant, message=" ")
    organisation_claim_create(organisation=organisation, by=claimant, message="Ours.")
    with pytest.raises(ValidationError) as refused:
        organisation_claim_create(organisation=organisation, by=claimant, message="Ours!")
    assert refused.value.messages == [
        "You have already told the agency about this organisation. It will contact you."
    ]
    assert OrganisationClaim.objects.count() == 1


def test_an_unverified_account_cannot_claim():
    organisation, _admin = _pending()
    with pytest.raises(ValidationError):
        organisation_claim_create(
            organisation=organisation,
            by=factories.UserFactory(email_verified_at=None),
            message="Ours.",
        )
    assert not OrganisationClaim.objects.exists()


def test_transferring_makes_the_claimant_administrator_and_demotes_the_squatter(
    mailoutbox, django_capture_on_commit_callbacks
):
    manager = factories.programme_manager()
    organisation, squatter = _pending()
    claimant = factories.UserFactory()
    claim = organisation_claim_create(organisation=organisation, by=claimant, message="Ours.")
    with django_capture_on_commit_callbacks(execute=True):
        organisation_claim_resolve(
            claim=claim, by=manager, transfer=True, note="Checked with the municipality."
        )
    claim.refresh_from_db()
    squatter.refresh_from_db()
    assert (claim.status, claim.resolved_by, claim.resolution_note) == (
        ClaimStatus.TRANSFERRED,
        manager,
        "Checked with the municipality.",
    )
    assert (squatter.is_admin, squatter.is_signatory) == (False, False)
    mine = Membership.objects.get(organisation=organisation, user=claimant)
    # Pending organisation: signing right waits for the agency's check.
    assert (mine.is_admin, mine.is_signatory) == (True, False)
    entry = AuditEntry.objects.get(action="organisation.claim_resolve")
    assert entry.data["outcome"] == "transferred"
    assert entry.data["demoted"] == [squatter.user_id]
    assert [m.to for m in mailoutbox] == [[claimant.email]]


def test_dismissing_changes_nothing_but_the_claim_and_needs_a_note():
    manager = factories.programme_manager()
    organisation, admin = _pending()
    claim = organisation_claim_create(
        organisation=organisation, by=factories.UserFactory(), message="Ours."
    )
    with pytest.raises(ValidationError):
        organisation_claim_resolve(claim=claim, by=manager, transfer=False, note="")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN
    organisation_claim_resolve(claim=claim, by=manager, transfer=False, note="Not theirs.")
    claim.refresh_from_db()
    admin.refresh_from_db()
    assert claim.status == ClaimStatus.DISMISSED
    assert admin.is_admin
    with pytest.raises(ValidationError):
        organisation_claim_resolve(claim=claim, by=manager, transfer=True, note="Again.")


def test_only_a_programme_manager_decides_a_claim():
    organisation, admin = _pending()
    claim = organisation_claim_create(
        organisation=organisation, by=factories.UserFactory(), message="Ours."
    )
    for by in (admin.user, factories.decision_maker(), claim.claimant):
        with pytest.raises(PermissionDenied):
            organisation_claim_resolve(claim=claim, by=by, transfer=True, note="Mine.")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OPEN
