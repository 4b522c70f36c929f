"""Two-factor authentication: who must pass it, the verify and setup pages, recovery codes.

These tests log in through the real pages; tests/conftest.py's ``force_login`` shortcut is
tested here too.
"""

import base64
import datetime as dt
import io
import re
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.models import User
from reviews.management.demo_data import DEMO_TOTP_SECRET
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests/factories.py UserFactory's
NOW = dt.datetime(2026, 11, 20, 9, 0, 0, tzinfo=dt.UTC)  # the start of a 30-second step
VERIFY = reverse("two_factor_verify")
SETUP = reverse("two_factor_setup")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _superuser():
    return factories.UserFactory(is_superuser=True, is_staff=True, language="en")


def _reviewer():
    return factories.PanelMemberFactory(user=factories.UserFactory(language="en")).user


# Each role that must pass the second factor, with a page of its own work.
ROLES = {
    "programme manager": (
        lambda: factories.programme_manager(language="en"),
        "applications:manage_list",
    ),
    "decision maker": (lambda: factories.decision_maker(language="en"), "applications:decisions"),
    "reviewer": (_reviewer, "reviews:dashboard"),
    "superuser": (_superuser, "admin:index"),
    "admin-site staff": (
        lambda: factories.UserFactory(is_staff=True, language="en"),
        "admin:index",
    ),
}


def _login(client, user):
    """The password step, through the login page."""
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, "the password login failed"
    assert client.session["_auth_user_id"] == str(user.pk)


def _verify(client, token, *, next_url="", method=""):
    data = {"otp_token": token, "next": next_url}
    if method:
        data["method"] = method
    return client.post(VERIFY, data)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# -- who is asked --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_staff_role_is_sent_to_verify_until_a_right_code_lets_them_in(client, frozen, role):
    make_user, page_name = ROLES[role]
    user = make_user()
    device = factories.TOTPDeviceFactory(user=user)
    page = reverse(page_name)
    _login(client, user)

    response = client.get(page)
    assert response.status_code == 302
    assert response.url == _with_next(VERIFY, page)
    assert client.get(reverse("start")).url == _with_next(VERIFY, reverse("start"))

    response = _verify(client, factories.totp_code(device, NOW), next_url=page)
    assert response.status_code == 302
    assert response.url == page
    assert client.get(page).status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_the_staff_menu_appears_only_after_the_second_factor(client, frozen):
    manager = factories.programme_manager(language="en")
    device = factories.TOTPDeviceFactory(user=manager)
    manage_list = reverse("applications:manage_list")
    _login(client, manager)

    waiting = client.get(VERIFY).content.decode()
    assert f'href="{manage_list}"' not in waiting

    _verify(client, factories.totp_code(device, NOW))
    assert f'href="{manage_list}"' in client.get(reverse("start"), follow=True).content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, role):
    make_user, page_name = ROLES[role]
    user = make_user()
    _login(client, user)
    page = reverse(page_name)
    response = client.get(page)
    assert response.status_code == 302
    assert response.url == _with_next(SETUP, page)
    # The verify page itself sends them on to the setup page too.
    assert client.get(_with_next(VERIFY, page)).url == _with_next(SETUP, page)


def test_an_applicant_is_not_asked_for_a_second_factor(client, applicant, application):
    _login(client, applicant)
    assert client.get(reverse("applications:dashboard")).status_code == 200
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 200
    assert TOTPDevice.objects.count() == 0


def test_an_applicant_who_set_up_an_authenticator_must_use_it(client, applicant, frozen):
    device = factories.TOTPDeviceFactory(user=applicant)
    _login(client, applicant)
    dashboard = reverse("applications:dashboard")
    assert client.get(dashboard).url == _with_next(VERIFY, dashboard)
    _verify(client, factories.totp_code(device, NOW))
    assert client.get(dashboard).status_code == 200


def test_someone_who_becomes_a_reviewer_while_logged_in_is_asked_at_once(client, applicant):
    client.force_login(applicant)
    dashboard = reverse("applications:dashboard")
    assert client.get(dashboard).status_code == 200
    factories.PanelMemberFactory(user=applicant)
    assert client.get(dashboard).url == _with_next(SETUP, dashboard)


def test_anonymous_visitors_of_the_two_factor_pages_are_sent_to_log_in(client):
    for url in (VERIFY, SETUP, reverse("two_factor_recovery_codes")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login") + "?next=")


# -- the admin -------------------------------------------------------------------------------------


def test_the_admin_needs_a_verified_superuser(client, frozen):
    user = _superuser()
    device = factories.TOTPDeviceFactory(user=user)
    _login(client, user)
    admin_users = reverse("admin:applications_user_changelist")
    assert client.get(admin_users).url == _with_next(VERIFY, admin_users)
    # Logging in on the admin's own login page does not get round it either.
    client.logout()
    response = client.post(
        reverse("admin:login"), {"username": user.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.get(admin_users).url == _with_next(VERIFY, admin_users)

    _verify(client, factories.totp_code(device, NOW))
    assert client.get(admin_users).status_code == 200


# -- what stays open before the second factor --------------------------------------------------


def test_public_pages_logout_and_the_language_switch_stay_open_before_verifying(client, call):
    """The public pages: the calls and the register of funded projects (page and open data)."""
    user = factories.programme_manager(language="en")
    factories.TOTPDeviceFactory(user=user)
    _login(client, user)
    assert client.get(reverse("grants:call_list")).status_code == 200
    assert client.get(reverse("grants:call_detail", args=[call.slug])).status_code == 200
    for name in (
        "applications:register",
        "applications:register_json",
        "applications:register_csv",
    ):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(VERIFY).status_code == 200
    assert client.get(reverse("health")).status_code in (200, 503)
    response = client.post(reverse("applications:set_language"), {"language": "sv", "next": "/"})
    assert (response.status_code, response.url) == (302, "/")
    assert User.objects.get(pk=user.pk).language == "sv"
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_script_gets_a_403_with_where_to_go_instead_of_a_redirect(client):
    user = factories.programme_manager(language="en")
    factories.TOTPDeviceFactory(user=user)
    _login(client, user)
    page = reverse("applications:manage_list")
    for headers in ({"X-Requested-With": "fetch"}, {"HX-Request": "true"}):
        response = client.get(page, headers=headers)
        assert response.status_code == 403
        assert response["HX-Redirect"] == _with_next(VERIFY, page)
        assert response.json() == {
            "errors": ["Confirm it is you with your second factor, then try again."],
            "redirect": _with_next(VERIFY, page),
        }


def test_a_post_to_a_protected_page_is_refused_before_the_view_runs(client, application):
    user = factories.programme_manager(language="en")
    factories.TOTPDeviceFactory(user=user)
    application_pk = application.pk
    _login(client, user)
    response = client.post(reverse("applications:manage_return", args=[application_pk]), {})
    assert (response.status_code, response.url) == (302, VERIFY)


# -- the verify page -----------------------------------------------------------------------------


def test_the_verify_page_asks_for_a_one_time_code_accessibly(client):
    user = factories.decision_maker(language="en")
    factories.TOTPDeviceFactory(user=user)
    _login(client, user)
    text = _text(client.get(_with_next(VERIFY, "/manage/decisions/")))
    assert '<label for="id_otp_token">Code from the app</label>' in text
    field = re.search(r'<input [^>]*id="id_otp_token"[^>]*>', text).group(0)
    assert 'name="otp_token"' in field
    assert 'autocomplete="one-time-code"' in field
    assert 'inputmode="numeric"' in field
    assert 'aria-describedby="id_otp_token_helptext"' in field
    assert '<label for="recovery_otp_token">Recovery code</label>' in text
    assert text.count('name="next" value="/manage/decisions/"') == 2


def test_a_wrong_code_is_refused_with_a_message(client, frozen):
    user = factories.programme_manager(language="en")
    device = factories.TOTPDeviceFactory(user=user)
    _login(client, user)
    wrong = "000000" if factories.totp_code(device, NOW) != "000000" else "111111"
    response = _verify(client, wrong, next_url="/manage/applications/")
    assert response.status_code == 200
    text = _text(response)
    assert "That code is not right. Try again." in text
    assert 'aria-invalid="true"' in text
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(reverse("applications:manage_list")).status_code == 302


def test_an_empty_or_malformed_code_is_refused_without_an_error_page(client, frozen):
    user = factories.programme_manager(language="en")
    factories.TOTPDeviceFactory(user=user)
    _login(client, user)
    for token in ("", "   ", "12345x", "x" * 19, "\x00"):
        response = _verify(client, token)
        assert response.status_code == 200
        assert DEVICE_ID_SESSION_KEY not in client.session


def test_after_a_wrong_code_the_right_one_waits_for_the_throttle(client, frozen):
    user = factories.programme_manager(language="en")
    device = factories.TOTPDeviceFactory(user=user)
    right = factories.totp_code(device, NOW)
    _login(client, user)
    _verify(client, "000000" if right != "000000" else "111111")
    response = _verify(client, right)
    assert "Too many wrong codes in a row. Wait a minute and try again." in _text(response)
    frozen.shift(dt.timedelta(seconds=2))  # django-otp waits 1 s after one failure
    response = _verify(client, right)
    assert (response.status_code, response.url) == (302, reverse("start"))


def test_the_same_app_code_works_only_once(client, frozen):
    user = factories.programme_manager(language="en")
    device = factories.TOTPDeviceFactory(user=user)
    code = factories.totp_code(device, NOW)
    _login(client, user)
    assert _verify(client, code).status_code == 302
    client.post(reverse("logout"))
    _login(client, user)
    response = _verify(client, code)
    assert response.status_code == 200
    assert "That code is not right. Try again." in _text(response)
    # The app's next code is accepted without waiting for the clock (one step of drift is
    # allowed), once the throttle's second after the refused code has passed.
    frozen.shift(dt.timedelta(seconds=2))
    assert _verify(client, factories.totp_code(device, NOW + dt.timedelta(seconds=30))).url == (
        reverse("start")
    )


def test_a_recovery_code_lets_them_in_once(client):
    user = factories.decision_maker(language="en")
    factories.TOTPDeviceFactory(user=user)
    first, second = factories.recovery_codes(user)
    _login(client, user)
    # Typed as people copy them: capitals, a dash.
    response = _verify(client, first.upper()[:4] + "-" + first[4:], method="recovery")
    assert (response.status_code, response.url) == (302, reverse("start"))
    assert client.get(reverse("applications:decisions")).status_code == 200
    assert list(StaticToken.objects.values_list("token", flat=True)) == [second]

    client.post(reverse("logout"))
    _login(client, user)
    response = _verify(client, first, method="recovery")
    assert response.status_code == 200
    text = _text(response)
    assert "That code is not right. Try again." in text
    assert '<input type="text" name="otp_token" value="' in text
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_recovery_code_also_works_in_the_app_code_field(client):
    """HTTP clients post only ``otp_token``: the code's form says which kind it is."""
    user = factories.decision_maker(language="en")
    factories.TOTPDeviceFactory(user=user)
    first, _second = factories.recovery_codes(user)
    _login(client, user)
    assert _verify(client, first).url == reverse("start")


def test_verify_keeps_next_on_the_site_only(client, frozen):
    user = factories.programme_manager(language="en")
    device = factories.TOTPDeviceFactory(user=user)
    _login(client, user)
    response = _verify(client, factories.totp_code(device, NOW), next_url="https://evil.example/")
    assert response.url == reverse("start")


def test_a_verified_person_visiting_verify_goes_on(client, programme_manager):
    client.force_login(programme_manager)
    response = client.get(_with_next(VERIFY, "/manage/applications/"))
    assert (response.status_code, response.url) == (302, "/manage/applications/")


# -- setting up an authenticator ---------------------------------------------------------------


def _setup_key(client) -> str:
    return client.session["two_factor_setup_key"]


def _code_for_key(key: str, at: dt.datetime) -> str:
    device = TOTPDevice(key=key)
    return factories.totp_code(device, at)


def test_setup_shows_the_secret_as_text_and_as_a_qr_code(client):
    user = factories.programme_manager(language="en")
    _login(client, user)
    response = client.get(SETUP)
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    key = _setup_key(client)
    secret = base64.b32encode(bytes.fromhex(key)).decode()
    text = _text(response)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert f'<code class="otp-secret">{grouped}</code>' in text
    img = re.search(r'<img class="qr-code" src="([^"]+)" alt="([^"]+)">', text)
    assert img.group(1).startswith("data:image/svg+xml")
    assert img.group(2) == (
        "QR code that adds your Samverket Grants account to an authenticator app. "
        "The same key is written out below."
    )
    assert 'autocomplete="one-time-code"' in text
    # A reload shows the same secret, and nothing is stored until a code confirms it.
    client.get(SETUP)
    assert _setup_key(client) == key
    assert TOTPDevice.objects.count() == 0


def test_setup_confirms_the_app_with_its_code_and_shows_recovery_codes_once(client, frozen):
    user = factories.programme_manager(language="en")
    _login(client, user)
    page = reverse("applications:manage_list")
    client.get(_with_next(SETUP, page))
    key = _setup_key(client)

    response = client.post(SETUP, {"otp_token": _code_for_key(key, NOW), "next": page})
    assert response.status_code == 302
    assert response.url == _with_next(reverse("two_factor_recovery_codes"), page)
    device = TOTPDevice.objects.get()
    assert (device.user, device.key, device.confirmed) == (user, key, True)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert "two_factor_setup_key" not in client.session

    response = client.get(response.url)
    assert response.status_code == 200
    stored = sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(stored) == 10
    assert sorted(response.context["codes"]) == stored
    for code in stored:
        assert f"<li><code>{code}</code></li>" in response.content.decode()
    assert f'href="{page}"' in response.content.decode()
    # Shown once.
    again = client.get(reverse("two_factor_recovery_codes"))
    assert (again.status_code, again.url) == (302, reverse("applications:profile"))
    assert client.get(page).status_code == 200


def test_setup_refuses_a_wrong_code_and_stores_nothing(client, frozen):
    user = factories.programme_manager(language="en")
    _login(client, user)
    client.get(SETUP)
    right = _code_for_key(_setup_key(client), NOW)
    response = client.post(SETUP, {"otp_token": "000000" if right != "000000" else "111111"})
    assert response.status_code == 200
    assert "That code is not right. Check that the app shows the account you added" in _text(
        response
    )
    assert TOTPDevice.objects.count() == 0
    assert StaticToken.objects.count() == 0
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_setup_is_not_a_way_round_an_existing_authenticator(client):
    user = factories.programme_manager(language="en")
    device = factories.TOTPDeviceFactory(user=user)
    _login(client, user)
    response = client.get(SETUP)
    assert (response.status_code, response.url) == (302, VERIFY + "?")
    response = client.post(SETUP, {"otp_token": factories.totp_code(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get() == device


def test_an_applicant_may_choose_to_set_up_an_authenticator(client, applicant, frozen):
    _login(client, applicant)
    profile = client.get(reverse("applications:profile"))
    assert reverse("two_factor_setup") in profile.content.decode()
    client.get(SETUP)
    client.post(SETUP, {"otp_token": _code_for_key(_setup_key(client), NOW)})
    assert TOTPDevice.objects.get().user == applicant
    # From the next login on, the app is asked for.
    client.post(reverse("logout"))
    _login(client, applicant)
    dashboard = reverse("applications:dashboard")
    assert client.get(dashboard).url == _with_next(VERIFY, dashboard)


def test_new_recovery_codes_replace_the_old_ones(client, programme_manager):
    old = factories.recovery_codes(programme_manager)
    client.force_login(programme_manager)
    response = client.post(reverse("two_factor_recovery_codes_renew"))
    assert response.url == _with_next(
        reverse("two_factor_recovery_codes"), reverse("applications:profile")
    )
    new = client.get(response.url).context["codes"]
    assert len(new) == 10
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert stored == set(new)
    assert not stored & set(old)


def test_new_recovery_codes_need_an_authenticator(client, applicant):
    client.force_login(applicant)
    response = client.post(reverse("two_factor_recovery_codes_renew"))
    assert response.url == reverse("applications:profile")
    assert StaticToken.objects.count() == 0


# -- the test harness ----------------------------------------------------------------------------


def test_force_login_passes_the_second_factor_for_staff_only(client, programme_manager, applicant):
    client.force_login(programme_manager)
    device = TOTPDevice.objects.get(user=programme_manager)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("applications:manage_list")).status_code == 200
    client.force_login(programme_manager)  # the device is reused
    assert TOTPDevice.objects.count() == 1

    client.force_login(applicant)
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert TOTPDevice.objects.filter(user=applicant).exists() is False


# -- the demo --------------------------------------------------------------------------------------


def test_seed_demo_gives_staff_and_reviewers_the_documented_demo_authenticator():
    call_command("seed_demo", "--force", stdout=io.StringIO())
    key = base64.b32decode(DEMO_TOTP_SECRET).hex()
    with_device = set(
        TOTPDevice.objects.filter(confirmed=True, key=key).values_list("user__email", flat=True)
    )
    assert with_device == {
        "karin.sjoberg@reviewer.example.se",
        "maria.ek@agency.example.se",
        "lars.strom@agency.example.se",
        "admin@agency.example.se",
        "per.nilsson@reviewer.example.se",
        "ulla.bergstrom@reviewer.example.se",
    }
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert TOTPDevice.objects.count() == 6


def test_demo_otp_codes_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_otp_codes", stdout=io.StringIO())


def test_demo_otp_codes_prints_codes_that_log_the_demo_staff_in(client, settings):
    from reviews.management.demo_data import PASSWORD as DEMO_PASSWORD

    call_command("seed_demo", "--force", stdout=io.StringIO())
    settings.DEBUG = True
    with time_machine.travel(NOW, tick=False):
        out = io.StringIO()
        call_command("demo_otp_codes", stdout=out)
        codes = dict(re.findall(r"^  (\S+@\S+) +(\d{6})   next \d{6}$", out.getvalue(), re.M))
        assert set(codes) == {
            "karin.sjoberg@reviewer.example.se",
            "maria.ek@agency.example.se",
            "lars.strom@agency.example.se",
            "admin@agency.example.se",
            "per.nilsson@reviewer.example.se",
            "ulla.bergstrom@reviewer.example.se",
        }
        email = "maria.ek@agency.example.se"
        client.post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
        response = _verify(client, codes[email])
        assert (response.status_code, response.url) == (302, reverse("start"))
