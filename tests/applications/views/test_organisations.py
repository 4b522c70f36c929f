import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import Invitation, Membership, Organisation, User
from applications.services.people import (
    invitation_accept,
    invitation_create,
    membership_remove,
    membership_update,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """A browser that has chosen English, so the assertions read the English message ids."""
    browser = Client()
    browser.cookies["samverket_language"] = "en"
    return browser


def _person(**kwargs):
    return factories.UserFactory(language="en", **kwargs)


@pytest.fixture
def organisation():
    return factories.OrganisationFactory(name="Östersunds kommun")


@pytest.fixture
def admin(organisation):
    user = _person(full_name="Anna Admin")
    factories.MembershipFactory(
        user=user, organisation=organisation, is_admin=True, is_signatory=True
    )
    return user


@pytest.fixture
def member(organisation):
    user = _person(full_name="Max Member")
    factories.MembershipFactory(user=user, organisation=organisation)
    return user


@pytest.fixture
def outsider():
    """A member of another organisation."""
    return factories.MembershipFactory(user=_person()).user


def _login(client, user):
    client.force_login(user)
    return client


def _detail_url(organisation):
    return reverse("applications:organisation_detail", args=[organisation.pk])


def _register_data(**overrides):
    data = {
        "orgnr": "2120000142",
        "name": "Östersunds kommun",
        "kind": "municipality",
        "county": "Z",
        "address": "Rådhusgatan 42\n831 82 Östersund",
    }
    data.update(overrides)
    return data


# -- register -----------------------------------------------------------------------------


def test_registering_needs_login(client):
    url = reverse("applications:organisation_register")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_register_page_has_a_labelled_field_for_the_organisation_number(client):
    _login(client, _person())
    response = client.get(reverse("applications:organisation_register"))
    assert response.status_code == 200
    assert b'<label for="id_orgnr">Organisation number</label>' in response.content


def test_registering_creates_the_organisation_with_the_person_as_administrator(client):
    user = _person()
    _login(client, user)
    response = client.post(reverse("applications:organisation_register"), _register_data())
    organisation = Organisation.objects.get()
    assert response.status_code == 302
    assert response.url == _detail_url(organisation)
    assert organisation.orgnr == "212000-0142"
    assert (organisation.name, organisation.declared_kind, organisation.county) == (
        "Östersunds kommun",
        "municipality",
        "Z",
    )
    assert organisation.address == "Rådhusgatan 42\n831 82 Östersund"
    membership = Membership.objects.get()
    assert (membership.user, membership.organisation) == (user, organisation)
    # Signing right is the agency's to confirm, and the organisation waits for its check.
    assert (membership.is_admin, membership.is_signatory) == (True, False)
    assert (organisation.verification_status, organisation.verified_kind) == ("pending", "")


@pytest.mark.parametrize(
    ("orgnr", "message"),
    [
        ("212000-0143", "Enter a valid Swedish organisation number, for example 212000-0142."),
        ("", "This field is required."),
        (
            "811228-9874",
            "This looks like a personal identity number. Enter the organisation number of a "
            "legal entity.",
        ),
        (
            "556036-0793",
            "Only public-sector organisations (state agencies, regions and municipalities, whose "
            "organisation numbers start with 2) can register.",
        ),
    ],
)
def test_registering_a_wrong_number_is_refused_and_nothing_is_created(client, orgnr, message):
    _login(client, _person())
    response = client.post(
        reverse("applications:organisation_register"), _register_data(orgnr=orgnr)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'<a href="#id_orgnr">Organisation number: {message}</a>' in html
    assert 'aria-describedby="id_orgnr_helptext id_orgnr_error"' in html
    assert Organisation.objects.count() == 0
    assert Membership.objects.count() == 0


def test_registering_a_number_already_registered_is_refused_and_nothing_is_created(client):
    existing = factories.OrganisationFactory(orgnr="212000-0142")
    factories.MembershipFactory(organisation=existing, is_admin=True)
    _login(client, _person())
    response = client.post(
        reverse("applications:organisation_register"), _register_data(orgnr="2120000142")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "An organisation with number 212000-0142 is already registered. If you work there, "
        "ask its administrator to invite you. If you think someone registered your "
        "organisation who should not have, tell the agency below." in page
    )
    # Not a dead end: the claim form, with the number filled in, posts to the agency.
    assert f'action="{reverse("applications:organisation_claim")}"' in page
    assert 'value="212000-0142"' in page
    assert Organisation.objects.count() == 1
    assert Membership.objects.count() == 1


# -- the organisation's page --------------------------------------------------------------


def test_a_member_sees_members_roles_invitations_and_applications(
    client, organisation, admin, member
):
    invitation_create(
        organisation=organisation,
        by=admin,
        email="new@ostersund.se",
        is_admin=False,
        is_signatory=True,
    )
    draft = factories.ApplicationFactory(organisation=organisation, title="Hybrid Östersund")
    _login(client, member)
    response = client.get(_detail_url(organisation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Östersunds kommun</h1>" in html
    assert '<th scope="row">Anna Admin</th>' in html
    assert "Member, administrator, signing right" in html
    assert '<th scope="row">Max Member</th>' in html
    assert '<th scope="row">new@ostersund.se</th>' in html
    detail = reverse("applications:detail", args=[draft.pk])
    assert f'<a href="{detail}">Hybrid Östersund</a>' in html
    assert '<span class="tag tag--draft">Draft</span>' in html
    # Only administrators get the forms that change things.
    assert reverse("applications:organisation_invite", args=[organisation.pk]) not in html
    assert "Save roles" not in html


def test_an_administrator_sees_the_forms_to_invite_and_change_roles(
    client, organisation, admin, member
):
    _login(client, admin)
    html = client.get(_detail_url(organisation)).content.decode()
    assert reverse("applications:organisation_invite", args=[organisation.pk]) in html
    membership = Membership.objects.get(user=member)
    assert reverse("applications:membership_update", args=[organisation.pk, membership.pk]) in html
    assert reverse("applications:membership_remove", args=[organisation.pk, membership.pk]) in html


@pytest.mark.parametrize("role", [factories.programme_manager, factories.decision_maker])
def test_agency_staff_see_an_organisations_page_but_not_its_drafts(
    client, organisation, admin, role
):
    factories.ApplicationFactory(organisation=organisation, title="Secret draft")
    _login(client, role(language="en"))
    response = client.get(_detail_url(organisation))
    assert response.status_code == 200
    assert "Secret draft" not in response.content.decode()
    assert "Save roles" not in response.content.decode()


def test_a_member_of_another_organisation_gets_404(client, organisation, admin, outsider):
    _login(client, outsider)
    assert client.get(_detail_url(organisation)).status_code == 404


def test_a_person_without_organisation_gets_404(client, organisation, admin):
    _login(client, _person())
    assert client.get(_detail_url(organisation)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, organisation):
    url = _detail_url(organisation)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def _grow(organisation, admin, n):
    for i in range(n):
        factories.MembershipFactory(organisation=organisation, is_signatory=bool(i % 2))
        invitation_create(
            organisation=organisation,
            by=admin,
            email=f"colleague{n}-{i}@example.se",
            is_admin=False,
            is_signatory=False,
        )
        factories.ApplicationFactory(organisation=organisation)


def test_the_organisations_page_runs_a_fixed_number_of_queries(
    client, organisation, admin, django_assert_num_queries
):
    _login(client, admin)
    _grow(organisation, admin, 1)
    with django_assert_num_queries(8) as few:
        assert client.get(_detail_url(organisation)).status_code == 200
    _grow(organisation, admin, 5)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(_detail_url(organisation))
    html = response.content.decode()
    # 6 applications, 7 members (with the administrator), 6 invitations: every row is shown.
    assert html.count('<th scope="row">') == 6 + 7 + 6


# -- invitations --------------------------------------------------------------------------


def _invite_url(organisation):
    return reverse("applications:organisation_invite", args=[organisation.pk])


def test_an_administrator_invites_a_colleague_by_email(
    client, organisation, admin, mailoutbox, django_capture_on_commit_callbacks
):
    _login(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _invite_url(organisation),
            {"email": "Colleague@Ostersund.se", "is_signatory": "on"},
        )
    assert response.status_code == 302
    assert response.url == _detail_url(organisation)
    invitation = Invitation.objects.get()
    assert invitation.email == "colleague@ostersund.se"
    assert (invitation.is_admin, invitation.is_signatory) == (False, True)
    assert invitation.invited_by == admin
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["colleague@ostersund.se"]
    assert email.subject == "You are invited to Östersunds kommun in Samverket Grants"
    url = "http://testserver" + reverse("applications:invitation_accept", args=[invitation.token])
    assert url in email.body
    assert "Your roles: Member, signing right" in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html"
    assert f'<a href="{url}">Accept the invitation</a>' in html
    assert '<html lang="en">' in html


def test_an_invitation_with_a_bad_address_is_refused_on_the_page(client, organisation, admin):
    _login(client, admin)
    response = client.post(_invite_url(organisation), {"email": "not an address"})
    assert response.status_code == 400
    assert (
        '<a href="#id_email">Your colleague&#x27;s email address: Enter a valid email address.</a>'
        in response.content.decode()
    )
    assert Invitation.objects.count() == 0


def test_inviting_someone_who_is_already_a_member_is_refused(client, organisation, admin, member):
    _login(client, admin)
    response = client.post(_invite_url(organisation), {"email": member.email.upper()})
    assert response.status_code == 400
    assert f"{member.email} is already a member." in response.content.decode()
    assert Invitation.objects.count() == 0


def test_a_member_who_is_not_administrator_may_not_invite(client, organisation, admin, member):
    _login(client, member)
    assert client.post(_invite_url(organisation), {"email": "x@example.se"}).status_code == 403
    assert Invitation.objects.count() == 0


def test_agency_staff_may_not_invite(client, organisation, admin):
    _login(client, factories.programme_manager(language="en"))
    assert client.post(_invite_url(organisation), {"email": "x@example.se"}).status_code == 403
    assert Invitation.objects.count() == 0


def test_a_member_of_another_organisation_gets_404_when_inviting(client, organisation, outsider):
    _login(client, outsider)
    assert client.post(_invite_url(organisation), {"email": "x@example.se"}).status_code == 404


def test_inviting_needs_login_and_post(client, organisation, admin):
    response = client.post(_invite_url(organisation), {"email": "x@example.se"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    _login(client, admin)
    assert client.get(_invite_url(organisation)).status_code == 405
    assert Invitation.objects.count() == 0


# -- roles and removal --------------------------------------------------------------------


def _membership_url(organisation, membership, remove=False):
    name = "applications:membership_remove" if remove else "applications:membership_update"
    return reverse(name, args=[organisation.pk, membership.pk])


def test_an_administrator_changes_a_members_roles(client, organisation, admin, member):
    membership = Membership.objects.get(user=member)
    _login(client, admin)
    response = client.post(
        _membership_url(organisation, membership),
        {f"m{membership.pk}-is_admin": "on", f"m{membership.pk}-is_signatory": "on"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.is_admin, membership.is_signatory) == (True, True)
    page = client.get(response.url).content.decode()
    assert "The roles of Max Member have been saved." in page


def test_the_last_administrator_cannot_give_up_the_role(client, organisation, admin, member):
    membership = Membership.objects.get(user=admin)
    _login(client, admin)
    response = client.post(
        _membership_url(organisation, membership),
        {f"m{membership.pk}-is_signatory": "on"},
        follow=True,
    )
    assert "An organisation must keep at least one administrator." in response.content.decode()
    membership.refresh_from_db()
    assert (membership.is_admin, membership.is_signatory) == (True, True)


def test_a_member_who_is_not_administrator_may_not_change_roles(
    client, organisation, admin, member
):
    membership = Membership.objects.get(user=member)
    _login(client, member)
    response = client.post(
        _membership_url(organisation, membership), {f"m{membership.pk}-is_admin": "on"}
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.is_admin is False


def test_agency_staff_may_not_change_roles(client, organisation, admin, member):
    membership = Membership.objects.get(user=member)
    _login(client, factories.decision_maker(language="en"))
    response = client.post(
        _membership_url(organisation, membership), {f"m{membership.pk}-is_admin": "on"}
    )
    assert response.status_code == 403


def test_changing_roles_in_another_organisation_is_404(client, organisation, admin, outsider):
    # An administrator of one organisation addressing a membership of another through its URL.
    foreign = Membership.objects.get(user=outsider)
    _login(client, admin)
    response = client.post(
        _membership_url(organisation, foreign), {f"m{foreign.pk}-is_admin": "on"}
    )
    assert response.status_code == 404
    response = client.post(_membership_url(foreign.organisation, foreign))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_admin is False


def test_an_administrator_removes_a_member(client, organisation, admin, member):
    membership = Membership.objects.get(user=member)
    _login(client, admin)
    response = client.post(_membership_url(organisation, membership, remove=True), follow=True)
    assert response.redirect_chain == [(_detail_url(organisation), 302)]
    assert "Max Member is no longer a member of Östersunds kommun." in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_the_last_administrator_cannot_be_removed(client, organisation, admin, member):
    membership = Membership.objects.get(user=admin)
    _login(client, admin)
    response = client.post(_membership_url(organisation, membership, remove=True), follow=True)
    assert "An organisation must keep at least one administrator." in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_administrator_who_leaves_goes_to_the_dashboard(client, organisation, admin, member):
    membership_update(
        membership=Membership.objects.get(user=member), by=admin, is_admin=True, is_signatory=False
    )
    membership = Membership.objects.get(user=admin)
    _login(client, admin)
    response = client.post(_membership_url(organisation, membership, remove=True))
    assert response.status_code == 302
    assert response.url == reverse("applications:dashboard")
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_a_member_who_is_not_administrator_may_not_remove_anyone(
    client, organisation, admin, member
):
    membership = Membership.objects.get(user=admin)
    _login(client, member)
    assert client.post(_membership_url(organisation, membership, remove=True)).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_needs_login_and_post(client, organisation, admin, member):
    membership = Membership.objects.get(user=member)
    url = _membership_url(organisation, membership, remove=True)
    response = client.post(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    _login(client, admin)
    assert client.get(url).status_code == 405
    assert Membership.objects.filter(pk=membership.pk).exists()


# -- accepting an invitation --------------------------------------------------------------


@pytest.fixture
def invitation(organisation, admin):
    return invitation_create(
        organisation=organisation,
        by=admin,
        email="karin@ostersund.se",
        is_admin=False,
        is_signatory=True,
    )


def _accept_url(invitation):
    return reverse("applications:invitation_accept", args=[invitation.token])


def test_an_anonymous_visitor_sees_the_invitation_with_links_to_log_in_or_sign_up(
    client, invitation
):
    response = client.get(_accept_url(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Invitation to Östersunds kommun</h1>" in html
    assert "Member, signing right" in html
    here = _accept_url(invitation)
    assert f'href="{reverse("login")}?next={here}"' in html
    assert (
        f'href="{reverse("applications:signup")}?next={here}&amp;email=karin%40ostersund.se"'
        in html
    )


def test_an_unknown_token_is_404(client):
    assert client.get(reverse("applications:invitation_accept", args=["nope"])).status_code == 404


def test_accepting_needs_login(client, invitation):
    response = client.post(_accept_url(invitation))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={_accept_url(invitation)}"
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_invited_person_accepts_and_joins_with_the_roles(client, organisation, invitation):
    karin = _person(email="karin@ostersund.se")
    _login(client, karin)
    response = client.post(_accept_url(invitation), follow=True)
    assert response.redirect_chain == [(_detail_url(organisation), 302)]
    assert "Welcome to Östersunds kommun." in response.content.decode()
    membership = Membership.objects.get(user=karin)
    assert (membership.organisation, membership.is_admin, membership.is_signatory) == (
        organisation,
        False,
        True,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == karin
    assert invitation.accepted_at is not None


def test_accepting_with_another_account_is_refused_and_changes_nothing(client, invitation):
    someone = _person(email="someone@ostersund.se")
    _login(client, someone)
    page = client.get(_accept_url(invitation)).content.decode()
    assert (
        "This invitation was sent to karin@ostersund.se, but you are logged in as "
        "someone@ostersund.se." in page
    )
    assert "Accept the invitation" not in page
    response = client.post(_accept_url(invitation), follow=True)
    assert response.redirect_chain == [(_accept_url(invitation), 302)]
    assert (
        "This invitation was sent to karin@ostersund.se. Log in with that address to accept it."
        in response.content.decode()
    )
    assert not Membership.objects.filter(user=someone).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_expired_invitation_is_refused_and_changes_nothing(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    karin = _person(email="karin@ostersund.se")
    _login(client, karin)
    page = client.get(_accept_url(invitation)).content.decode()
    assert "This invitation has expired or has already been used." in page
    assert "Accept the invitation" not in page
    response = client.post(_accept_url(invitation), follow=True)
    assert "This invitation has expired or has already been used." in response.content.decode()
    assert not Membership.objects.filter(user=karin).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_used_invitation_cannot_be_used_again(client, organisation, invitation):
    karin = _person(email="karin@ostersund.se")
    invitation_accept(invitation=invitation, by=karin)
    membership_remove(
        membership=Membership.objects.get(user=karin),
        by=organisation.memberships.get(is_admin=True).user,
    )
    _login(client, karin)
    response = client.post(_accept_url(invitation), follow=True)
    assert "This invitation has expired or has already been used." in response.content.decode()
    assert not Membership.objects.filter(user=karin).exists()


def test_a_new_person_follows_the_invitation_through_sign_up(
    client, organisation, admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            organisation=organisation,
            by=admin,
            email="karin@ostersund.se",
            is_admin=True,
            is_signatory=False,
        )
    link = re.search(r"http://testserver(/invitations/\S+/)", mailoutbox[0].body).group(1)
    page = client.get(link).content.decode()
    signup_href = re.search(r'href="(/account/signup/[^"]+)"', page).group(1).replace("&amp;", "&")
    signup_page = client.get(signup_href).content.decode()
    assert 'value="karin@ostersund.se"' in signup_page
    assert f'<input type="hidden" name="next" value="{link}">' in signup_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            signup_href,
            {
                "full_name": "Karin Berg",
                "email": "karin@ostersund.se",
                "password1": "sunny hub days 2027",
                "password2": "sunny hub days 2027",
                "language": "en",
                "next": link,
            },
        )
    assert response.status_code == 302
    assert response.url == reverse("applications:signup_done")
    # The address is confirmed first, through the link in the email, which leads on to the
    # invitation after logging in.
    verify = re.search(r"http://testserver(/account/verify/\S+)", mailoutbox[1].body).group(1)
    verify_page = client.get(verify).content.decode()
    assert f'<input type="hidden" name="next" value="{link}">' in verify_page
    response = client.post(verify, {"next": link})
    assert response.url == f"{reverse('login')}?next={quote(link, safe='')}"
    karin = User.objects.get(email="karin@ostersund.se")
    assert karin.email_verified and karin.check_password("sunny hub days 2027")
    client.force_login(karin)
    response = client.post(link)
    assert response.url == _detail_url(organisation)
    membership = Membership.objects.get(user__email="karin@ostersund.se")
    assert (membership.is_admin, membership.is_signatory) == (True, False)


# -- several organisations ----------------------------------------------------------------


def test_a_person_may_belong_to_several_organisations(client, organisation, admin):
    region = factories.OrganisationFactory(name="Region Jämtland Härjedalen")
    region_admin = factories.MembershipFactory(organisation=region, is_admin=True).user
    karin = _person(email="karin@ostersund.se")
    factories.MembershipFactory(user=karin, organisation=organisation)
    invitation = invitation_create(
        organisation=region, by=region_admin, email=karin.email, is_admin=False, is_signatory=True
    )
    _login(client, karin)
    client.post(_accept_url(invitation))

    assert set(karin.memberships.values_list("organisation__name", "is_signatory")) == {
        ("Östersunds kommun", False),
        ("Region Jämtland Härjedalen", True),
    }
    assert client.get(_detail_url(organisation)).status_code == 200
    assert client.get(_detail_url(region)).status_code == 200
    profile = client.get(reverse("applications:profile")).content.decode()
    assert "Östersunds kommun" in profile
    assert "Region Jämtland Härjedalen" in profile


def test_a_person_may_register_a_second_organisation(client, organisation, admin):
    _login(client, admin)
    response = client.post(
        reverse("applications:organisation_register"),
        _register_data(orgnr="232100-0016", name="Region Jämtland Härjedalen", kind="region"),
    )
    assert response.status_code == 302
    assert admin.memberships.count() == 2
