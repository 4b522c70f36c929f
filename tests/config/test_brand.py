"""The favicon and the agency's logo (templates/base.html, settings.AGENCY_LOGO)."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_static_copy(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/samverket/img/favicon.ico"
    assert finders.find("samverket/img/favicon.ico") is not None


def test_every_page_names_the_svg_favicon_with_a_png_fallback(client):
    html = client.get(reverse("grants:call_list")).content.decode()

    assert '<link rel="icon" href="/static/samverket/img/favicon.svg" type="image/svg+xml">' in html
    assert (
        '<link rel="icon" href="/static/samverket/img/favicon-32.png" type="image/png" '
        'sizes="32x32">'
    ) in html
    for name in ("favicon.svg", "favicon-32.png", "apple-touch-icon.png"):
        assert finders.find(f"samverket/img/{name}") is not None


def test_the_header_shows_the_neutral_emblem_beside_the_agency_name_by_default(client, settings):
    settings.AGENCY_NAME = "Testverket"
    html = client.get(reverse("grants:call_list")).content.decode()

    # The emblem says nothing the name beside it does not: an empty text alternative.
    assert '<img src="/static/samverket/img/agency-logo.svg" alt="">' in html
    assert '<span class="site-header__agency">Testverket</span>' in html


def test_a_logo_that_spells_the_name_carries_it_as_its_text_alternative(client, settings):
    settings.AGENCY_NAME = "Testverket"
    settings.AGENCY_LOGO = "samverket/img/favicon.svg"
    settings.AGENCY_LOGO_HAS_NAME = True
    html = client.get(reverse("grants:call_list")).content.decode()

    assert '<img src="/static/samverket/img/favicon.svg" alt="Testverket">' in html
    assert "site-header__agency" not in html


def test_staff_pages_use_the_wide_layout_and_applicant_pages_the_readable_column(
    client, programme_manager, applicant
):
    client.force_login(programme_manager)
    assert (
        '<body class="layout--wide">'
        in client.get(reverse("applications:manage_list")).content.decode()
    )

    client.force_login(applicant)
    assert '<body class="">' in client.get(reverse("applications:dashboard")).content.decode()


def test_the_agency_logo_comes_from_the_agencys_own_static_directory(tmp_path, monkeypatch):
    from tests.config.test_deploy_settings import KEY, manage, settings_under

    own = tmp_path / "agency-static"
    (own / "agency").mkdir(parents=True)
    (own / "agency" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    values = settings_under(
        monkeypatch,
        DJANGO_SECRET_KEY=KEY,
        AGENCY_STATIC_DIR=str(own),
        AGENCY_LOGO="agency/logo.svg",
        AGENCY_LOGO_HAS_NAME="true",
    )
    assert values["STATICFILES_DIRS"] == [str(own)]
    assert values["AGENCY_LOGO"] == "agency/logo.svg"
    assert values["AGENCY_LOGO_HAS_NAME"] is True

    found = manage(tmp_path, "findstatic", "agency/logo.svg", AGENCY_STATIC_DIR=str(own))
    assert found.returncode == 0, found.stderr
    assert str(own / "agency" / "logo.svg") in found.stdout


def test_without_a_directory_of_its_own_the_site_has_only_its_own_static_files(monkeypatch):
    from tests.config.test_deploy_settings import KEY, settings_under

    values = settings_under(monkeypatch, DJANGO_SECRET_KEY=KEY)
    assert values["STATICFILES_DIRS"] == []
    assert values["AGENCY_LOGO"] == "samverket/img/agency-logo.svg"
    assert values["AGENCY_LOGO_HAS_NAME"] is False
