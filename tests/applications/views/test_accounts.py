import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from applications.models import User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # the factories' password
NEW_PASSWORD = "a brand new staple 42"


@pytest.fixture
def client():
    """A browser that has chosen English, so the assertions read the English message ids."""
    browser = Client()
    browser.cookies["samverket_language"] = "en"
    return browser


def _signup_data(**overrides) -> dict:
    data = {
        "full_name": "Karin Berg",
        "email": "Karin.Berg@Ostersund.se",
        "password1": "sunny hub days 2027",
        "password2": "sunny hub days 2027",
        "language": "en",
    }
    data.update(overrides)
    return data


# -- sign-up ------------------------------------------------------------------------------


def test_signup_page_prefills_the_email_from_the_invitation_link(client):
    response = client.get(reverse("applications:signup"), {"email": "karin@ostersund.se"})
    assert response.status_code == 200
    assert b'value="karin@ostersund.se"' in response.content
    assert b'<label for="id_email">Email address</label>' in response.content


def _sign_up(client, capture, **overrides):
    with capture(execute=True):
        return client.post(reverse("applications:signup"), _signup_data(**overrides))


def _link(message, path: str) -> str:
    return re.search(rf"http://testserver({path}\S*)", message.body).group(1)


def test_signup_creates_an_unverified_account_and_emails_the_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = _sign_up(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response.url == reverse("applications:signup_done")
    user = User.objects.get()
    assert (user.email, user.full_name, user.language) == (
        "karin.berg@ostersund.se",
        "Karin Berg",
        "en",
    )
    assert user.check_password("sunny hub days 2027")
    assert user.email_verified_at is None
    # Nobody is logged in by sign-up: the answer must not differ from a taken address's.
    assert "_auth_user_id" not in client.session
    [message] = mailoutbox
    assert message.to == ["karin.berg@ostersund.se"]
    assert message.subject == "Confirm your email address for Samverket Grants"
    assert "/account/verify/" in message.body


def _page_without_tokens(client, url) -> str:
    html = client.get(url).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_signup_with_a_taken_address_answers_the_same_and_emails_the_owner(
    mailoutbox, django_capture_on_commit_callbacks
):
    owner = factories.UserFactory(
        email="karin.berg@ostersund.se", full_name="Karin Berg", language="en"
    )
    new, taken = Client(), Client()
    for browser in (new, taken):
        browser.cookies["samverket_language"] = "en"
    answer_new = _sign_up(new, django_capture_on_commit_callbacks, email="someone@ostersund.se")
    answer_taken = _sign_up(taken, django_capture_on_commit_callbacks)

    assert (answer_taken.status_code, answer_taken.url) == (
        answer_new.status_code,
        answer_new.url,
    )
    done = reverse("applications:signup_done")
    assert _page_without_tokens(taken, done) == _page_without_tokens(new, done)
    assert "Check your email" in _page_without_tokens(taken, done)
    # One email each; the owner's says someone tried, and changes nothing in the account.
    assert [m.to for m in mailoutbox] == [["someone@ostersund.se"], ["karin.berg@ostersund.se"]]
    assert mailoutbox[1].subject == "Someone tried to create an account with your address"
    assert "/account/login/" in mailoutbox[1].body
    assert "/account/password_reset/" in mailoutbox[1].body
    assert "/account/verify/" not in mailoutbox[1].body
    assert User.objects.filter(email__iexact="karin.berg@ostersund.se").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert owner.full_name == "Karin Berg"


def test_signup_carries_a_safe_next_url_into_the_link_and_drops_another_sites(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:signup"), {**_signup_data(), "next": "/invitations/abc/"})
        Client().post(
            reverse("applications:signup") + "?next=https://evil.example/steal",
            _signup_data(email="other@ostersund.se"),
        )
    assert _link(mailoutbox[0], "/account/verify/").endswith("?next=%2Finvitations%2Fabc%2F")
    assert "?next" not in _link(mailoutbox[1], "/account/verify/")
    assert "evil" not in mailoutbox[1].body


def test_the_link_confirms_the_address_on_post_only(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(mailoutbox[0], "/account/verify/")
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my email address" in page.content.decode()
    user = User.objects.get()
    assert user.email_verified_at is None  # a mail program opening the link verifies nobody
    response = client.post(link)
    assert response.status_code == 302
    assert response.url == reverse("login")
    user.refresh_from_db()
    assert user.email_verified_at is not None
    # Again: still confirmed, the first time kept.
    first = user.email_verified_at
    client.post(link)
    user.refresh_from_db()
    assert user.email_verified_at == first


def test_an_expired_link_is_refused_and_changes_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks, time_machine
):
    start = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(mailoutbox[0], "/account/verify/")
    time_machine.move_to(start + dt.timedelta(days=3, seconds=1), tick=False)
    response = client.post(link)
    assert response.status_code == 400
    assert (
        "This link is not valid or has expired. Log in and ask for a new link from your "
        "details page." in response.content.decode()
    )
    assert User.objects.get().email_verified_at is None


@pytest.mark.parametrize("change", ["tamper", "email_changed"])
def test_a_tampered_link_or_one_for_an_old_address_is_refused(
    client, mailoutbox, django_capture_on_commit_callbacks, change
):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(mailoutbox[0], "/account/verify/")
    user = User.objects.get()
    if change == "tamper":
        link = link.replace("/account/verify/", "/account/verify/x")
    else:
        User.objects.filter(pk=user.pk).update(email="new@ostersund.se")
    response = client.post(link)
    assert response.status_code == 400
    assert User.objects.get().email_verified_at is None


def test_an_unverified_person_can_have_a_new_link_sent(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = factories.UserFactory(email_verified_at=None, language="en")
    client.force_login(user)
    assert "Send a new link" in client.get(reverse("applications:profile")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("applications:email_verification_resend"))
    assert response.url == reverse("applications:profile")
    [message] = mailoutbox
    assert message.to == [user.email]
    client.post(_link(message, "/account/verify/"))
    user.refresh_from_db()
    assert user.email_verified


def test_a_verified_person_gets_no_new_link(client, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(factories.UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:email_verification_resend"))
    assert mailoutbox == []


def test_signup_refuses_two_different_passwords(client):
    response = client.post(
        reverse("applications:signup"), _signup_data(password2="sunny hub days 2028")
    )
    assert response.status_code == 200
    assert "The two passwords are not the same." in response.content.decode()
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1x", "This password is too short. It must contain at least 10 characters."),
        ("1234567890123", "This password is entirely numeric."),
        ("karin.berg@ostersund.se", "The password is too similar to the email address."),
    ],
)
def test_signup_applies_the_password_validators(client, password, message):
    response = client.post(
        reverse("applications:signup"), _signup_data(password1=password, password2=password)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 0


def test_signup_errors_are_summarised_and_linked_to_the_field(client):
    response = client.post(reverse("applications:signup"), _signup_data(full_name=""))
    html = response.content.decode()
    assert '<div class="error-summary" role="alert" tabindex="-1" id="error-summary"' in html
    assert html.index('class="error-summary"') < html.index("<h1>")
    assert "<title>Error: " in html
    assert '<a href="#id_full_name">Full name: This field is required.</a>' in html
    assert 'aria-describedby="id_full_name_error"' in html
    assert 'id="id_full_name_error"' in html


def test_a_logged_in_person_is_sent_on_from_the_signup_page(client):
    client.force_login(factories.UserFactory())
    response = client.get(reverse("applications:signup"))
    assert response.status_code == 302
    assert response.url == reverse("applications:dashboard")


# -- log in and out -----------------------------------------------------------------------


def test_login_form_asks_for_the_email_address(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'<label for="id_username">Email address</label>' in response.content


def test_login_by_email_in_any_case_goes_to_the_start_page(client):
    user = factories.UserFactory(email="anna@example.se", language="en")
    response = client.post(reverse("login"), {"username": "ANNA@example.se", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("start")
    assert client.get(response.url).url == reverse("applications:start_page")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_with_a_wrong_password_is_refused_with_a_message(client):
    factories.UserFactory(email="anna@example.se")
    response = client.post(reverse("login"), {"username": "anna@example.se", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Please enter a correct email address and password." in response.content.decode()


def test_logout_is_post_only(client):
    client.force_login(factories.UserFactory())
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# -- password reset -----------------------------------------------------------------------


def test_the_whole_password_reset_flow_by_email(client, mailoutbox):
    user = factories.UserFactory(email="anna@example.se", language="en")
    response = client.post(reverse("password_reset"), {"email": "Anna@Example.se"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["anna@example.se"]
    assert email.subject == "Choose a new password for Samverket Grants"
    link = re.search(r"http://testserver(/account/reset/\S+/)", email.body).group(1)

    response = client.get(link)  # Django swaps the token for a session and redirects
    assert response.status_code == 302
    set_password_url = response.url
    response = client.get(set_password_url)
    assert b"Choose a new password" in response.content
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("password_reset_complete")

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    fresh = Client()
    response = fresh.post(reverse("login"), {"username": "anna@example.se", "password": PASSWORD})
    assert response.status_code == 200  # the old password no longer works
    assert "_auth_user_id" not in fresh.session
    response = fresh.post(
        reverse("login"), {"username": "anna@example.se", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert fresh.session["_auth_user_id"] == str(user.pk)

    # The link works once.
    response = client.get(link)
    assert response.status_code == 200
    assert b"This link has already been used or is no longer valid." in response.content


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.se"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


@pytest.mark.parametrize("language", ["sv", "en"])
def test_password_reset_email_is_written_in_the_persons_language(client, mailoutbox, language):
    factories.UserFactory(email="anna@example.se", language=language)
    client.post(reverse("password_reset"), {"email": "anna@example.se"})  # page in English
    html, mime = mailoutbox[0].alternatives[0]
    assert mime == "text/html"
    assert f'<html lang="{language}">' in html


# -- language -----------------------------------------------------------------------------


def test_set_language_is_post_only(client):
    assert client.get(reverse("applications:set_language")).status_code == 405


def test_set_language_sets_the_cookie_for_an_anonymous_visitor(client):
    response = client.post(
        reverse("applications:set_language"), {"language": "sv", "next": "/account/login/"}
    )
    assert response.status_code == 302
    assert response.url == "/account/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    page = client.get(reverse("login"))
    assert b'<html lang="sv">' in page.content


def test_set_language_remembers_the_choice_on_the_person(client):
    user = factories.UserFactory(language="sv")
    client.force_login(user)
    response = client.post(reverse("applications:set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"


def test_set_language_ignores_an_unknown_language(client):
    user = factories.UserFactory(language="sv")
    client.force_login(user)
    client.post(reverse("applications:set_language"), {"language": "de", "next": "/"})
    user.refresh_from_db()
    assert user.language == "sv"


def test_the_language_choice_persists_across_a_new_login_on_another_device(client):
    user = factories.UserFactory(email="anna@example.se", language="sv")
    client.force_login(user)
    client.post(reverse("applications:set_language"), {"language": "en", "next": "/"})
    client.post(reverse("logout"))

    # Another device: no cookie, a browser asking for Swedish.
    other = Client(headers={"accept-language": "sv"})
    other.post(reverse("login"), {"username": "anna@example.se", "password": PASSWORD})
    response = other.get(reverse("applications:profile"))
    assert response.status_code == 200
    assert b'<html lang="en">' in response.content


def test_a_next_url_on_another_site_is_not_followed_by_set_language(client):
    response = client.post(
        reverse("applications:set_language"),
        {"language": "en", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response.url == "/"


# -- profile ------------------------------------------------------------------------------


def test_profile_needs_login(client):
    response = client.get(reverse("applications:profile"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('applications:profile')}"


def test_profile_shows_the_persons_details(client):
    user = factories.UserFactory(full_name="Anna Andersson", phone="070-123 45 67", language="en")
    client.force_login(user)
    response = client.get(reverse("applications:profile"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Anna Andersson"' in html
    assert 'value="070-123 45 67"' in html
    assert user.email in html


def test_profile_saves_name_phone_and_language(client):
    user = factories.UserFactory(language="en")
    client.force_login(user)
    response = client.post(
        reverse("applications:profile"),
        {"full_name": " Anna Berg ", "phone": "063-14 30 00", "language": "sv"},
    )
    assert response.status_code == 302
    assert response.url == reverse("applications:profile")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.language) == ("Anna Berg", "063-14 30 00", "sv")


def test_profile_without_a_name_is_refused_and_nothing_is_saved(client):
    user = factories.UserFactory(full_name="Anna Andersson", language="en")
    client.force_login(user)
    response = client.post(
        reverse("applications:profile"), {"full_name": "", "phone": "1", "language": "sv"}
    )
    assert response.status_code == 200
    assert (
        '<a href="#id_full_name">Full name: This field is required.</a>'
        in response.content.decode()
    )
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.language) == ("Anna Andersson", "", "en")


def test_profile_lists_the_persons_organisations(client):
    user = factories.UserFactory(language="en")
    first = factories.MembershipFactory(user=user, organisation__name="Östersunds kommun")
    second = factories.MembershipFactory(user=user, organisation__name="Region Jämtland Härjedalen")
    client.force_login(user)
    html = client.get(reverse("applications:profile")).content.decode()
    for membership in (first, second):
        url = reverse("applications:organisation_detail", args=[membership.organisation.pk])
        assert f'<a href="{url}">{membership.organisation.name}</a>' in html


def test_password_change_uses_the_sites_own_page(client):
    client.force_login(factories.UserFactory(language="en"))
    response = client.get(reverse("password_change"))
    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == [
        "registration/password_change_form.html",
        "base.html",
    ]
