"""Browser tests: Debian's Chromium driven by Playwright (sync API) against ``live_server``.

How to write one::

    pytestmark = pytest.mark.browser          # every test in tests/site/browser gets it anyway

    def test_something(page, live_url, login, axe):
        user = factories.UserFactory()
        login(user)                            # through the real login form
        page.goto(live_url("applications:dashboard"))
        axe(page)                              # WCAG 2.1 A/AA, fails with a readable report
        expect(page.get_by_role("heading", level=1)).to_have_text("...")

Notes:
- ``live_server`` needs a transactional database; pytest-django gives every test that uses it
  ``transactional_db`` on its own, so no ``django_db`` mark is needed (one is harmless).
- Playwright's sync API keeps an asyncio loop in the test's thread, and Django refuses ORM
  calls from a thread with a running loop. The ORM work in these tests runs in that thread
  without any real concurrency, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for browser runs.
- The page may not fetch anything outside the live server: every other request is aborted and
  the test fails at teardown, naming the addresses (no CDN, no third-party requests).
- Nothing on the page may break the Content-Security-Policy (an inline script, style or event
  handler): Chromium reports each violation in the console, and the test fails at teardown.
- Chromium missing: the tests are skipped locally with the reason; in CI (``CI`` set) a missing
  Chromium is an error, so a broken install cannot pass as "all skipped".
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEFAULT_PASSWORD = "correct horse battery"  # tests/factories.py UserFactory's password
BROWSER_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` "
        "(`make test` does), never with `playwright install`"
    )
    for item in items:
        if BROWSER_DIR not in Path(str(item.fspath)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists() and not os.environ.get("CI"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _playwright():
    if not CHROMIUM.exists():
        pytest.fail(f"CI is set but {CHROMIUM} is missing; run `apt-get install -y chromium`.")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="session")
def browser(_playwright):
    """One Chromium for the session."""
    browser = _playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def extra_allowed_hosts():
    """Hosts besides the live server the test lets the page reach (``host:port``): a test module
    overrides it for a server it starts itself (the test OpenID Connect provider)."""
    return []


@pytest.fixture
def page(browser, live_server, extra_allowed_hosts):
    """A fresh browser context (no cookies) in Swedish, in Stockholm time, for one test."""
    context = browser.new_context(
        locale="sv-SE", timezone_id="Europe/Stockholm", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    allowed_hosts = {urlsplit(live_server.url).netloc, *extra_allowed_hosts}
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:", "about:")) or urlsplit(url).netloc in allowed_hosts:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    # A page may be a 403 or 404 on purpose; its stylesheet and scripts may not.
    broken: list[str] = []
    page.on(
        "response",
        lambda response: (
            broken.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    # The strict Content-Security-Policy blocks inline scripts, styles and handlers; Chromium
    # says so in the console ("... violates the following Content Security Policy directive").
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            csp_violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert csp_violations == [], f"the page broke its Content-Security-Policy: {csp_violations}"
    assert outside == [], f"the page tried to fetch from outside the site: {outside}"
    assert broken == [], f"resources of the page failed to load: {broken}"


@pytest.fixture
def live_url(live_server):
    """``live_url("grants:call_detail", call.slug)`` → the absolute address on the live server."""

    def build(name: str, *args, query: str = "", **kwargs) -> str:
        url = live_server.url + reverse(name, args=args or None, kwargs=kwargs or None)
        return f"{url}?{query}" if query else url

    return build


def _totp_device_for(user):
    """The person's authenticator app (a confirmed TOTP device), made if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="browser test", confirmed=True)


def _totp_code_for(user) -> str:
    """The code the person's app would show now. A code works once per step: after this
    step's code was used, the next step's, which the device accepts as one step of drift."""
    import time

    from django_otp.oath import TOTP

    device = _totp_device_for(user)
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    ahead = max(0, device.last_t + 1 - totp.t())
    if ahead > 1:  # this step's code and the next one's are both spent: wait for a new step
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.05)
        ahead = max(0, device.last_t + 1 - totp.t())
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def login(page, live_url):
    """Log a user in through the real login form; returns the page after the redirect.

    ``login(user)`` uses the factories' password; pass ``password=`` for other users. Staff,
    reviewers and admins then pass the real two-factor page with their device's current code.
    """

    def do_login(user, *, password: str = DEFAULT_PASSWORD, next_url: str = ""):
        from applications.login_security.two_factor import requires_two_factor

        two_factor = requires_two_factor(type(user).objects.get(pk=user.pk))
        if two_factor:
            _totp_device_for(user)
        page.goto(live_url("login", query=f"next={next_url}" if next_url else ""))
        form = page.locator("main form").filter(has=page.locator("input[name=password]"))
        form.locator("input[name=username]").fill(user.email)
        form.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "/account/login/" not in page.url, f"login failed for {user.email}"
        if two_factor:
            # Staff and reviewers: the real second step, with the code their app would show.
            assert "/account/two-factor/?" in page.url, f"no two-factor step for {user.email}"
            code_form = page.locator("main form").filter(has=page.locator("#id_otp_token"))
            code_form.locator("#id_otp_token").fill(_totp_code_for(user))
            with page.expect_navigation():
                code_form.locator("button[type=submit]").click()
            assert "/account/two-factor/" not in page.url, f"two-factor failed for {user.email}"
        return page

    return do_login


@pytest.fixture
def axe():
    """``axe(page)`` runs axe-core's WCAG 2.1 A and AA rules and fails on any violation.

    axe-playwright-python ships axe.min.js inside the package and injects it with
    ``page.evaluate``, so nothing is fetched from the internet. ``context`` narrows the check
    to part of the page (a CSS selector), ``disable`` switches named rules off (say why).
    """
    from axe_playwright_python.sync_playwright import Axe

    checker = Axe()

    def check(page, *, context: str | None = None, disable: tuple[str, ...] = ()):
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        if disable:
            options["rules"] = {rule: {"enabled": False} for rule in disable}
        results = checker.run(page, context=context, options=options)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
        return results

    return check


def assert_no_horizontal_overflow(page):
    """Fail when the document is wider than the viewport (the page scrolls sideways).

    A table that scrolls inside its own box (``.table-wrap``) is fine; the document itself may
    not. Names the elements that stick out furthest past the right edge, to say what to fix.
    """
    widths = page.evaluate(
        """() => {
            const root = document.documentElement;
            const limit = window.innerWidth;
            const culprits = [];
            if (root.scrollWidth > limit) {
                for (const el of document.body.querySelectorAll("*")) {
                    const box = el.getBoundingClientRect();
                    if (box.right > limit + 1 && box.width > 0) {
                        const name = el.tagName.toLowerCase()
                            + (el.id ? "#" + el.id : "")
                            + (el.classList.length ? "." + [...el.classList].join(".") : "");
                        const edge = Math.round(box.right);
                        culprits.push([box.right, `${name} (right edge ${edge} px)`]);
                    }
                }
            }
            culprits.sort((a, b) => b[0] - a[0]);
            const named = culprits.slice(0, 8).map((c) => c[1]);
            return {scroll: root.scrollWidth, inner: limit, culprits: named};
        }"""
    )
    assert widths["scroll"] <= widths["inner"], (
        f"{page.url}: the document is {widths['scroll']} px wide in a {widths['inner']} px "
        f"viewport; sticking out: {widths['culprits']}"
    )


def docs_screenshot(page, name: str) -> None:
    """With ``DOCS_SCREENSHOTS=1``, the page at 1280 px wide, cropped to the viewport, saved as
    ``docs/images/<name>`` (the documentation's pictures come from a test run, not a script).
    Without it nothing is written."""
    if not os.environ.get("DOCS_SCREENSHOTS"):
        return
    page.set_viewport_size({"width": 1280, "height": 900})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(BROWSER_DIR.parents[2] / "docs" / "images" / name))


@pytest.fixture(name="assert_no_horizontal_overflow")
def assert_no_horizontal_overflow_fixture():
    """The same check as a fixture: ``assert_no_horizontal_overflow(page)`` in a test."""
    return assert_no_horizontal_overflow


@pytest.fixture
def demo_world(live_server):
    """The demo's world (``manage.py seed_demo``, and the pages about the service): four
    calls (one of them the regions' meeting-room call, with its own form), applications in
    every state, each role's people. ``demo_world.people["manager"]``
    is a user (keys as in reviews/management/demo_data.py's PEOPLE); log in with
    ``login(user, password=demo_world.password)``. ``demo_world.application("2026-00001")``
    finds one by its registration number; ``demo_world.calls`` are the calls by slug."""
    import importlib
    import io
    from types import SimpleNamespace

    from django.apps import apps as django_apps
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from applications.models import Application, User
    from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
    from grants.models import Call
    from reviews.management.demo_data import PASSWORD, PEOPLE

    # The groups and the pages about the service come from data migrations, which a
    # transactional test's flush has removed after the first live-server test.
    for name in (PROGRAMME_MANAGERS, DECISION_MAKERS):
        Group.objects.get_or_create(name=name)
    migrations = Path(importlib.import_module("grants.migrations").__file__).parent
    (texts,) = migrations.glob("*_site_page_default_texts.py")
    importlib.import_module(f"grants.migrations.{texts.stem}").seed_pages(django_apps, None)
    call_command("seed_demo", "--force", stdout=io.StringIO())
    emails = {key: email for key, email, *_rest in PEOPLE}
    users = {user.email: user for user in User.objects.filter(email__in=emails.values())}
    return SimpleNamespace(
        password=PASSWORD,
        people={key: users[email] for key, email in emails.items()},
        calls={call.slug: call for call in Call.objects.all()},
        application=lambda number: Application.objects.get(registration_number=number),
    )
