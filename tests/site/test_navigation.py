"""The main menu per role: only the pages the person may open, the current section marked."""

import re

import pytest
from django.test import Client

from tests import factories
from tests.world import ROLES, build_world

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="site-nav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>')


def nav_links(response) -> list[tuple[str, str, bool]]:
    """(address, label, current) of each link in the page's main menu."""
    menu = NAV.search(response.content.decode()).group(1)
    return [(href, label.strip(), bool(current)) for href, current, label in LINK.findall(menu)]


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


CALLS, START, MINE, PROFILE = "/", "/home/", "/applications/", "/account/profile/"
REVIEWING = "/review/"
STAFF = ["/manage/calls/", "/manage/applications/", "/manage/decisions/", "/manage/follow-up/"]

# Where each role of the permission table's menu leads.
EXPECTED = {
    "anonymous": [CALLS, "/account/login/", "/account/signup/"],
    "other_applicant": [CALLS, START, MINE, PROFILE],
    "applicant": [CALLS, START, MINE, PROFILE],
    "reviewer": [CALLS, START, REVIEWING, PROFILE],
    "conflicted_reviewer": [CALLS, START, REVIEWING, PROFILE],
    "programme_manager": [CALLS, START, *STAFF, PROFILE],
    "decision_maker": [CALLS, START, *STAFF, PROFILE],
    "superuser": [CALLS, START, PROFILE],
}


def test_each_role_sees_its_menu_and_every_link_in_it_opens():
    world = build_world()
    for role in ROLES:
        client = client_for(world.user(role))
        links = nav_links(client.get("/"))
        assert [href for href, _label, _current in links] == EXPECTED[role], role
        for href, label, _current in links:
            response = client.get(href)
            assert response.status_code == 200, (role, label, href, response.status_code)


def test_staff_and_reviewers_are_not_invited_to_register_an_organisation():
    world = build_world()
    for role in ("reviewer", "programme_manager", "decision_maker"):
        client = client_for(world.user(role))
        page = client.get("/home/").content.decode()
        assert "/organisations/new/" not in page, role
        assert [h for h, _l, _c in nav_links(client.get("/home/")) if h == MINE] == [], role


@pytest.mark.parametrize(
    "make",
    [
        factories.programme_manager,
        factories.decision_maker,
        lambda: factories.PanelMemberFactory().user,
    ],
    ids=["programme manager", "decision maker", "reviewer"],
)
def test_my_applications_opened_by_address_does_not_invite_staff_to_register(client, make):
    client.force_login(make())
    page = client.get(MINE).content.decode()
    assert "/organisations/new/" not in page
    assert "Du är inte medlem i någon sökande organisation." in page


def test_my_applications_invites_a_new_account_to_register(client):
    client.force_login(factories.UserFactory())
    assert 'href="/organisations/new/"' in client.get(MINE).content.decode()


def test_a_reviewer_who_also_applies_sees_my_applications():
    member = factories.PanelMemberFactory()
    factories.MembershipFactory(user=member.user)
    hrefs = [href for href, _l, _c in nav_links(client_for(member.user).get("/"))]
    assert hrefs == [CALLS, START, MINE, REVIEWING, PROFILE]


def test_a_new_account_without_a_role_is_shown_my_applications_and_how_to_begin():
    user = factories.UserFactory()
    client = client_for(user)
    hrefs = [href for href, _l, _c in nav_links(client.get("/"))]
    assert hrefs == [CALLS, START, MINE, PROFILE]
    page = client.get("/home/").content.decode()
    assert 'href="/organisations/new/"' in page


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/", "Öppna utlysningar"),
        ("/home/", "Startsida"),
        ("/manage/applications/", "Handläggning"),
        ("/manage/decisions/release/", "Beslut"),
        ("/manage/calls/", "Utlysningar"),
        ("/manage/follow-up/", "Uppföljning"),
        ("/account/profile/", "Dina uppgifter"),
    ],
)
def test_the_current_section_is_marked(client, path, current):
    client.force_login(factories.programme_manager())
    response = client.get(path)
    assert response.status_code == 200
    assert [label for _h, label, is_current in nav_links(response) if is_current] == [current]


def test_the_public_call_page_belongs_to_open_calls(client, call):
    response = client.get(f"/calls/{call.slug}/")
    assert [label for _h, label, c in nav_links(response) if c] == ["Öppna utlysningar"]


def test_a_page_outside_every_section_marks_none(client):
    client.force_login(factories.programme_manager())
    response = client.get("/register/")
    assert [label for _h, label, c in nav_links(response) if c] == []


def test_before_the_second_factor_the_menu_holds_the_public_pages_only(client):
    from django.contrib.auth import SESSION_KEY

    manager = factories.programme_manager()
    # Logged in by password, the second factor not yet passed: no device in the session.
    session = client.session
    session[SESSION_KEY] = str(manager.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = manager.get_session_auth_hash()
    session.save()
    response = client.get("/")
    assert [href for href, _l, _c in nav_links(response)] == [CALLS]
