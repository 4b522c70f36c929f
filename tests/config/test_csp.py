"""The strict Content-Security-Policy, and pages that keep to it.

The browser tests (tests/site/browser/) fail on any violation Chromium reports; these tests pin the
header and keep inline script and style out of the templates and the HTML the site renders.
"""

import re
from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from config.middleware import ContentSecurityPolicyMiddleware
from tests import factories
from tests.paths import ROOT_DIR

pytestmark = pytest.mark.django_db

ROOT = ROOT_DIR
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# Served pages only: emails and PDF letters are not shown by a browser under this policy.
NOT_PAGES = ("emails", "letters")


def policy_of(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {name: values for name, *values in directives}


def test_public_page_has_the_strict_policy(client):
    response = client.get(reverse("grants:call_list"))

    assert response.status_code == 200
    assert policy_of(response) == POLICY
    assert "Content-Security-Policy-Report-Only" not in response


def test_policy_has_no_unsafe_source(client):
    header = client.get(reverse("grants:call_list"))["Content-Security-Policy"]

    assert "unsafe" not in header
    assert "nonce-" not in header


@pytest.mark.parametrize("path", ["/account/login/", "/no-such-page/", "/health/", "/admin/login/"])
def test_every_kind_of_response_has_the_policy(client, path):
    assert policy_of(client.get(path)) == POLICY


def test_logged_in_page_has_the_policy(client):
    user = factories.MembershipFactory().user
    client.force_login(user)

    response = client.get(reverse("applications:dashboard"))

    assert response.status_code == 200
    assert policy_of(response) == POLICY


def test_pdf_is_left_without_a_page_policy():
    # Chromium's PDF viewer would be blocked by object-src 'none' on an inline PDF (a letter's
    # preview); a PDF runs no script of ours.
    request = RequestFactory().get("/")
    middleware = ContentSecurityPolicyMiddleware(
        lambda request: HttpResponse(b"%PDF-1.7", content_type="application/pdf")
    )

    response = middleware(request)

    assert "Content-Security-Policy" not in response


# -- no inline script or style -----------------------------------------------------------------

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def _page_templates():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if path.relative_to(ROOT / "templates").parts[0] not in NOT_PAGES:
            yield path


def test_page_templates_have_no_inline_script_or_style():
    found = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}: {what}"
        for path in _page_templates()
        for text in [path.read_text()]
        for pattern, what in INLINE
        for match in pattern.finditer(text)
    ]

    assert found == []


def test_the_scan_finds_what_it_looks_for():
    sample = (
        '<script>alert(1)</script><script src="/static/x.js"></script><style>p{}</style>'
        '<p style="color:red" onclick="go()"><a href="javascript:go()">'
    )

    assert [what for pattern, what in INLINE for _match in pattern.finditer(sample)] == [
        "inline <script>",
        "<style> element",
        "style attribute",
        "event handler attribute",
        "javascript: URL",
    ]


class InlineFinder(HTMLParser):
    """Collects what the policy would block in rendered HTML."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if tag == "script" and "src" not in names and dict(attrs).get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        self.found += [
            f"{tag} {name}=" for name in names if name == "style" or name.startswith("on")
        ]
        self.found += [
            f"{tag} {name}=javascript:"
            for name, value in attrs
            if value and value.strip().lower().startswith("javascript:")
        ]


def _inline_in(response) -> list[str]:
    finder = InlineFinder()
    finder.feed(response.content.decode())
    return finder.found


def test_rendered_public_pages_have_no_inline_script_or_style(client):
    call = factories.CallFactory()

    for url in [
        reverse("grants:call_list"),
        reverse("grants:call_detail", args=[call.slug]),
        reverse("login"),
        reverse("applications:signup"),
        reverse("password_reset"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _inline_in(response) == [], url


def test_rendered_applicant_pages_have_no_inline_script_or_style(client):
    application = factories.ApplicationFactory()
    applicant = factories.applicant_for(application, is_admin=True, is_signatory=True)
    client.force_login(applicant)

    for url in [
        reverse("applications:dashboard"),
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:edit", args=[application.pk]),
        reverse("applications:profile"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _inline_in(response) == [], url


def test_rendered_staff_pages_have_no_inline_script_or_style(client):
    application = factories.submitted_application()
    client.force_login(factories.programme_manager())

    for url in [
        reverse("applications:manage_list"),
        reverse("applications:manage_detail", args=[application.pk]),
        reverse("applications:decisions"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _inline_in(response) == [], url


def test_rendered_admin_pages_have_no_inline_script_or_style(client):
    application = factories.ApplicationFactory()
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))

    for url in [
        reverse("admin:index"),
        reverse("admin:applications_application_changelist"),
        reverse("admin:applications_application_change", args=[application.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _inline_in(response) == [], url
