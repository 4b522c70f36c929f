"""Two-factor authentication and the lock-out page in a real browser: a programme manager sets
up an authenticator app, saves the recovery codes, logs in again with a code; axe on every page
(the verify, setup and recovery-code pages, and the lock-out page)."""

import base64
import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def _password_login(page, live_url, email, password=PASSWORD, next_url=""):
    page.goto(live_url("login", query=f"next={next_url}" if next_url else ""))
    form = page.locator("main form").filter(has=page.locator("input[name=password]"))
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Password").fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Log in").click()


def _english(page, live_url):
    page.context.add_cookies(
        [{"name": "samverket_language", "value": "en", "url": live_url("grants:call_list")}]
    )


def test_a_manager_sets_up_an_app_saves_the_codes_and_logs_in_with_a_code(page, live_url, axe):
    manager = factories.programme_manager(language="en")
    _english(page, live_url)
    _password_login(page, live_url, manager.email, next_url="/manage/applications/")

    # The setup page: the key as text and as a QR code.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.get_by_role("img", name=re.compile("^QR code that adds your"))).to_be_visible()
    axe(page)
    secret = page.locator("code.otp-secret").inner_text().replace(" ", "")
    totp = TOTP(base64.b32decode(secret))
    page.get_by_label("Code from the app").fill("000000" if totp.token() != 0 else "111111")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    axe(page)
    page.get_by_label("Code from the app").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    # The recovery codes, once.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    shown = sorted(page.locator("ul.recovery-codes code").all_inner_texts())
    assert shown == sorted(StaticToken.objects.values_list("token", flat=True))
    axe(page)
    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page).to_have_url(live_url("applications:manage_list"))

    # Next time: the verify page, where a recovery code works too.
    page.get_by_role("button", name="Log out").click()
    _password_login(page, live_url, manager.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    axe(page)
    page.get_by_label("Recovery code").fill(shown[0])
    page.get_by_role("button", name="Use recovery code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start page")
    expect(page.locator(".messages")).to_contain_text("You used a recovery code. You have 9 left")

    page.get_by_role("button", name="Log out").click()
    _password_login(page, live_url, manager.email)
    device = TOTPDevice.objects.get(user=manager)
    totp = TOTP(device.bin_key, drift=device.drift)
    totp.time = max(totp.time, (device.last_t + 1 - device.drift) * device.step)
    page.get_by_label("Code from the app").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start page")


def test_the_lock_out_page(page, live_url, axe):
    anna = factories.UserFactory(language="en")
    _english(page, live_url)
    for _ in range(5):
        _password_login(page, live_url, anna.email, password="wrong password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logging in is paused")
    expect(page.get_by_text("You can try again in 30 minutes.")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Choose a new password").click()
    expect(page).to_have_url(live_url("password_reset"))
