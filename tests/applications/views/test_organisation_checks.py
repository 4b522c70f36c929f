"""The pages of who speaks for an organisation: the claim, and the programme manager's checks."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.enums import ClaimStatus, VerificationStatus
from applications.models import Membership, Organisation, OrganisationClaim
from applications.services.transitions import application_submit
from tests import factories

pytestmark = pytest.mark.django_db

P = VerificationStatus.PENDING


@pytest.fixture
def client():
    browser = Client()
    browser.cookies["samverket_language"] = "en"
    return browser


def _pending(**kwargs):
    organisation = factories.OrganisationFactory(verification_status=P, **kwargs)
    admin = factories.MembershipFactory(organisation=organisation, is_admin=True)
    return organisation, admin


def test_a_taken_number_leads_to_a_claim_that_reaches_the_agency(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    factories.programme_manager(email="maria@agency.se")
    organisation, _squatter = _pending(orgnr="212000-0142")
    claimant = factories.UserFactory()
    client.force_login(claimant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:organisation_claim"),
            {"orgnr": "2120000142", "message": "I am the municipality's director."},
        )
    assert response.status_code == 302
    assert response.url == reverse("applications:dashboard")
    claim = OrganisationClaim.objects.get()
    assert (claim.organisation, claim.claimant, claim.status) == (
        organisation,
        claimant,
        ClaimStatus.OPEN,
    )
    assert [m.to for m in mailoutbox] == [["maria@agency.se"]]


def test_a_claim_to_a_number_not_registered_is_refused(client):
    client.force_login(factories.UserFactory(language="en"))
    response = client.post(
        reverse("applications:organisation_claim"), {"orgnr": "2120000142", "message": "Ours."}
    )
    assert response.status_code == 400
    assert (
        "No organisation with this number is registered. Register it instead."
        in response.content.decode()
    )
    assert not OrganisationClaim.objects.exists()


def test_the_manager_page_lists_pending_organisations_and_open_claims(client):
    organisation, _admin = _pending(name="Bräcke kommun")
    factories.OrganisationFactory(name="Verified kommun")
    OrganisationClaim.objects.create(
        organisation=organisation, claimant=factories.UserFactory(), message="It is ours."
    )
    client.force_login(factories.programme_manager(language="en"))
    page = client.get(reverse("applications:organisation_checks")).content.decode()
    assert "Bräcke kommun" in page
    assert "Verified kommun" not in page
    assert "It is ours." in page
    assert reverse("applications:organisation_verify", args=[organisation.pk]) in page


def test_the_manager_page_takes_as_many_queries_for_many_organisations(client):
    client.force_login(factories.programme_manager(language="en"))
    url = reverse("applications:organisation_checks")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    organisation, _admin = _pending()
    OrganisationClaim.objects.create(
        organisation=organisation, claimant=factories.UserFactory(), message="Ours."
    )
    few = count()
    for _ in range(3):
        more, _admin = _pending()
        factories.MembershipFactory(organisation=more)
        OrganisationClaim.objects.create(
            organisation=more, claimant=factories.UserFactory(), message="Ours."
        )
    assert count() == few


def test_the_manager_verifies_and_confirms_the_first_signatory(client):
    organisation, admin = _pending()
    client.force_login(factories.programme_manager(language="en"))
    response = client.post(
        reverse("applications:organisation_verify", args=[organisation.pk]),
        {
            f"v{organisation.pk}-verified_kind": "municipality",
            f"v{organisation.pk}-signatories": [admin.pk],
            f"v{organisation.pk}-note": "Checked in the register.",
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.verification_status == VerificationStatus.VERIFIED
    assert Membership.objects.get(pk=admin.pk).is_signatory


def test_refusing_without_a_note_shows_the_message_and_changes_nothing(client):
    organisation, _admin = _pending()
    client.force_login(factories.programme_manager(language="en"))
    response = client.post(reverse("applications:organisation_refuse", args=[organisation.pk]), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.verification_status == P


def test_a_decision_maker_may_not_open_the_page(client):
    client.force_login(factories.decision_maker())
    assert client.get(reverse("applications:organisation_checks")).status_code == 403


def test_the_case_page_shows_the_check_and_the_signatories(client):
    application = factories.ApplicationFactory()
    signatory = factories.applicant_for(application, is_signatory=True, is_admin=True)
    application_submit(application=application, by=signatory)
    client.force_login(factories.programme_manager(language="en"))
    page = client.get(reverse("applications:manage_detail", args=[application.pk])).content
    page = page.decode()
    assert "Verified by the agency" in page
    assert signatory.full_name in page
    assert not Organisation.objects.filter(verification_status=P).exists()
