"""Ids and tokens that are not well-formed are a 404 at routing, never a 500: a NUL byte in a
token reached the query, which PostgreSQL refuses with an error."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

BAD_TOKENS = ["%00", "abc%00def", "%E2%80%AE", "a" * 65, "..", "'%20OR%201=1", "%C3%A5"]


@pytest.mark.parametrize("prefix", ["/invitations/", "/review/invitations/"])
@pytest.mark.parametrize("token", BAD_TOKENS)
def test_a_malformed_invitation_token_is_not_found(client, prefix, token):
    assert client.get(f"{prefix}{token}/").status_code == 404


@pytest.mark.parametrize("prefix", ["/invitations/", "/review/invitations/"])
def test_a_malformed_token_is_not_found_for_a_logged_in_user_too(client, applicant, prefix):
    client.force_login(applicant)

    assert client.get(f"{prefix}%00/").status_code == 404
    assert client.post(f"{prefix}%00/").status_code == 404


@pytest.mark.parametrize("fmt", ["%00", "pdf", "csv%00", "CSV", "xlsx.exe"])
def test_a_malformed_ranking_export_format_is_not_found(client, programme_manager, call, fmt):
    client.force_login(programme_manager)

    url = f"/review/manage/calls/{call.slug}/ranking.{fmt}"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/applications/%00/",
        "/applications/99999999999999999999999/",
        "/manage/applications/9223372036854775808/",
        "/calls/%00/",
        "/review/manage/calls/%00/ranking/",
    ],
)
def test_malformed_ids_elsewhere_are_not_found(client, path):
    client.force_login(factories.programme_manager())

    assert client.get(path).status_code == 404
