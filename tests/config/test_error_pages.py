"""The site's own 403, 404, 500 and CSRF-failure pages, with debug off, in Swedish and English."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path, reverse

from config.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db


def _fails(request):
    raise RuntimeError("a bug")


def _refuses(request):
    raise PermissionDenied


urlpatterns = [
    path("test-500/", _fails),
    path("test-403/", _refuses),
    *site_urlpatterns,
]
handler500 = "config.errors.server_error"

HEADINGS = {
    "en": {
        404: "Page not found",
        403: "You do not have access to this page",
        500: "Something went wrong",
        "csrf": "The form could not be sent",
        "start": "Go to the start page",
    },
    "sv": {
        404: "Sidan finns inte",
        403: "Du har inte behörighet till den här sidan",
        500: "Något gick fel",
        "csrf": "Formuläret kunde inte skickas",
        "start": "Gå till startsidan",
    },
}


def _client(language, **kwargs) -> Client:
    client = Client(raise_request_exception=False, **kwargs)
    client.cookies["samverket_language"] = language
    return client


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _assert_page(response, status, language, heading):
    assert response.status_code == status
    text = _text(response)
    assert f'<html lang="{language}">' in text
    assert f"<h1>{HEADINGS[language][heading]}</h1>" in text
    assert HEADINGS[language]["start"] in text
    assert "samverket/css/site.css" in text


@pytest.mark.parametrize("language", ["sv", "en"])
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_404(language):
    _assert_page(_client(language).get("/no-such-page/"), 404, language, 404)


@pytest.mark.parametrize("language", ["sv", "en"])
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_403_from_permission_denied(language):
    _assert_page(_client(language).get("/test-403/"), 403, language, 403)


@pytest.mark.parametrize("language", ["sv", "en"])
@override_settings(DEBUG=False, ROOT_URLCONF=__name__, SUPPORT_EMAIL="hjalp@example.se")
def test_500_is_self_contained_and_names_the_contact(language):
    response = _client(language).get("/test-500/")
    _assert_page(response, 500, language, 500)
    assert 'href="mailto:hjalp@example.se"' in _text(response)


@pytest.mark.parametrize("language", ["sv", "en"])
@override_settings(DEBUG=False)
def test_csrf_failure(language):
    client = _client(language, enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a@example.se", "password": "x"})
    _assert_page(response, 403, language, "csrf")


@override_settings(DEBUG=False)
def test_a_refusal_by_a_real_view_is_the_branded_403(application, other_applicant):
    client = _client("sv")
    client.force_login(other_applicant)  # the person's own language: Swedish
    # An applicant asking for the agency's case list.
    response = client.get(reverse("applications:manage_list"))
    _assert_page(response, 403, "sv", 403)


@pytest.mark.parametrize(
    ("language", "heading"), [("sv", "Något gick fel"), ("en", "Something went wrong")]
)
def test_the_500_page_needs_nothing_from_the_request(language, heading):
    # A request no middleware has seen: no user, no session, no CSRF token, no database use.
    from django.test import RequestFactory
    from django.utils import translation

    from config.errors import server_error

    with translation.override(language):
        response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert f"<h1>{heading}</h1>" in _text(response)
