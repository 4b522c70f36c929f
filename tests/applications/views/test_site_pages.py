"""The institutional pages: public in both languages, seeded with their default texts, edited by
programme managers only, their Markdown cleaned, every change in the audit log."""

import pytest
from django.urls import reverse

from applications.models import AuditEntry
from grants.enums import SitePageSlug
from grants.models import SitePage
from tests import factories

pytestmark = pytest.mark.django_db

SLUGS = [slug.value for slug in SitePageSlug]

# The default texts' headings, from the data migration: Swedish, English.
TITLES = {
    "accessibility": ("Tillgänglighetsredogörelse", "Accessibility statement"),
    "privacy": ("Så behandlar vi dina personuppgifter", "How we handle your personal data"),
    "cookies": ("Kakor (cookies)", "Cookies"),
    "contact": ("Kontakt", "Contact"),
}


def page_url(slug: str) -> str:
    return reverse("applications:site_page", args=[slug])


def edit_url(slug: str) -> str:
    return reverse("applications:site_page_edit", args=[slug])


def values(**overrides) -> dict:
    data = {
        "title_sv": "Kontakta oss",
        "title_en": "Contact us",
        "body_sv": "Skriv till oss.",
        "body_en": "Write to us.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize(("language", "index"), [("sv", 0), ("en", 1)])
def test_every_page_is_public_in_both_languages_with_its_default_text(
    client, slug, language, index
):
    client.cookies["samverket_language"] = language

    response = client.get(page_url(slug))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{TITLES[slug][index]}</h1>" in html
    assert f'<html lang="{language}">' in html


def test_the_accessibility_statement_follows_digg_s_model():
    """Compliance status, known shortcomings, how to report, the supervisory authority and how
    to reach it, and the date of the assessment (DIGG's model statement)."""
    body = SitePage.objects.get(slug="accessibility").body_sv

    for heading in (
        "## Hur tillgänglig är tjänsten?",
        "## Kända brister",
        "## Rapportera brister i tjänstens tillgänglighet",
        "## Tillsyn",
        "## Hur vi testat tjänsten",
    ):
        assert heading in body
    assert "delvis förenlig med lagen om tillgänglighet till digital offentlig service" in body
    assert "Myndigheten för digital förvaltning (DIGG)" in body
    assert "[info@digg.se](mailto:info@digg.se)" in body
    assert "Senaste bedömningen gjordes den 3 december 2026." in body


def test_the_privacy_notice_names_the_controller_legal_basis_and_links_my_data(client):
    page = SitePage.objects.get(slug="privacy")
    for heading in (
        "## Personuppgiftsansvarig",
        "## Rättslig grund",
        "## Hur länge vi sparar uppgifterna",
        "## Dina rättigheter",
    ):
        assert heading in page.body_sv
    assert "artikel 6.1 e i dataskyddsförordningen" in page.body_sv

    html = client.get(page_url("privacy")).content.decode()

    my_data = reverse("applications:my_data")
    assert f'<a href="{my_data}">Se och ladda ned de uppgifter vi har om dig</a>' in html


def test_the_cookie_page_lists_the_cookies_the_settings_name(client, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client.cookies["samverket_language"] = "en"

    html = client.get(page_url("cookies")).content.decode()

    for name in ("sessionid", "csrftoken", "samverket_language"):
        assert f'<th scope="row"><code>{name}</code></th>' in html
    assert "or after 30 minutes without activity." in html


def test_every_page_s_footer_links_the_four_pages(client):
    html = client.get(reverse("grants:call_list")).content.decode()

    for slug in SLUGS:
        assert f'<a href="{page_url(slug)}">' in html


def test_an_unknown_page_is_404(client, programme_manager):
    client.force_login(programme_manager)
    SitePage.objects.filter(slug="contact").delete()

    assert client.get(page_url("no-such-page")).status_code == 404
    assert client.get(page_url("contact")).status_code == 404  # not seeded: not there
    assert client.get(edit_url("no-such-page")).status_code == 404


def test_an_english_reader_of_a_page_without_english_text_gets_the_swedish_marked_as_such(client):
    SitePage.objects.filter(slug="contact").update(body_en="")
    client.cookies["samverket_language"] = "en"

    html = client.get(page_url("contact")).content.decode()

    assert '<div class="prose" lang="sv">' in html
    assert "Frågor om en utlysning eller din ansökan" in html


# -- editing ---------------------------------------------------------------------------------------


def test_a_programme_manager_sees_the_pages_and_edits_one(client, programme_manager):
    client.force_login(programme_manager)

    listing = client.get(reverse("applications:site_pages_manage"))
    assert listing.status_code == 200
    for slug in SLUGS:
        assert f'href="{edit_url(slug)}"' in listing.content.decode()
    form = client.get(edit_url("contact"))
    assert form.status_code == 200
    assert "Kontakt" in form.content.decode()

    response = client.post(edit_url("contact"), values())

    assert response.status_code == 302
    assert response["Location"] == reverse("applications:site_pages_manage")
    page = SitePage.objects.get(slug="contact")
    assert (page.title_sv, page.title_en, page.body_sv, page.body_en) == (
        "Kontakta oss",
        "Contact us",
        "Skriv till oss.",
        "Write to us.",
    )
    assert page.updated_by == programme_manager
    assert client.get(page_url("contact")).content.decode().count("<h1>Kontakta oss</h1>") == 1


def test_a_change_is_in_the_audit_log_by_field_name_only(client, programme_manager):
    client.force_login(programme_manager)

    client.post(edit_url("contact"), values(title_sv="Kontakt", title_en="Contact"))

    entry = AuditEntry.objects.get(action="site_page.change")
    page = SitePage.objects.get(slug="contact")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        programme_manager,
        "grants.sitepage",
        page.pk,
    )
    assert entry.data == {"page": "contact", "texts_changed": ["body_sv", "body_en"]}


def test_saving_without_a_change_writes_nothing(client, programme_manager):
    page = SitePage.objects.get(slug="contact")
    client.force_login(programme_manager)

    response = client.post(
        edit_url("contact"),
        values(
            title_sv=page.title_sv,
            title_en=page.title_en,
            body_sv=page.body_sv,
            body_en=page.body_en,
        ),
        follow=True,
    )

    assert "Inget hade ändrats, så inget sparades." in response.content.decode()
    assert not AuditEntry.objects.filter(action="site_page.change").exists()
    page.refresh_from_db()
    assert page.updated_by is None


def test_a_page_without_a_swedish_text_is_refused_with_a_message_and_nothing_changes(
    client, programme_manager
):
    before = SitePage.objects.get(slug="contact").body_sv
    client.force_login(programme_manager)

    response = client.post(edit_url("contact"), values(body_sv="  "))

    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Fel:" in html
    assert "Detta fält måste fyllas i." in html
    assert SitePage.objects.get(slug="contact").body_sv == before


@pytest.mark.parametrize(
    "make",
    [
        factories.decision_maker,
        lambda: factories.PanelMemberFactory().user,
        factories.UserFactory,
        lambda: factories.UserFactory(is_superuser=True, is_staff=True),
    ],
    ids=["decision_maker", "reviewer", "applicant", "superuser"],
)
def test_every_other_role_is_refused_and_nothing_changes(client, make):
    client.force_login(make())
    before = SitePage.objects.get(slug="contact").body_sv

    assert client.get(reverse("applications:site_pages_manage")).status_code == 403
    assert client.get(edit_url("contact")).status_code == 403
    assert client.post(edit_url("contact"), values()).status_code == 403
    assert SitePage.objects.get(slug="contact").body_sv == before


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(edit_url("contact"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# -- the Markdown is cleaned -----------------------------------------------------------------------


def test_a_script_or_an_event_handler_in_a_page_never_reaches_the_reader(client, programme_manager):
    client.force_login(programme_manager)
    hostile = (
        "<script>alert(1)</script>\n\n"
        '<img src="https://evil.example/x.png" onerror="alert(2)">\n\n'
        "[klicka](javascript:alert(3))\n\n"
        "## Rubrik\n\nVanlig text med **fetstil** och [en länk](https://www.digg.se)."
    )
    client.post(edit_url("contact"), values(body_sv=hostile))
    client.logout()

    html = client.get(page_url("contact")).content.decode()
    prose = html.split('<div class="prose">')[1].split("</div>")[0]

    # Raw HTML is never HTML: it shows as the text it is, and a javascript: link is no link.
    assert "<script" not in prose
    assert "<img" not in prose
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in prose
    assert 'href="javascript' not in prose
    assert "<h2>Rubrik</h2>" in prose  # a section of the page, under its own <h1>
    assert "<strong>fetstil</strong>" in prose
    assert '<a href="https://www.digg.se" rel="noopener noreferrer">en länk</a>' in prose


def test_a_text_sent_with_browser_line_endings_is_stored_with_plain_ones(client, programme_manager):
    client.force_login(programme_manager)

    client.post(edit_url("contact"), values(body_sv="Rad ett\r\n\r\nRad två"))

    assert SitePage.objects.get(slug="contact").body_sv == "Rad ett\n\nRad två"


def test_the_footer_links_the_editor_for_programme_managers_only(
    client, programme_manager, decision_maker
):
    manage = reverse("applications:site_pages_manage")
    client.force_login(programme_manager)
    assert f'<a href="{manage}">Redigera de här sidorna</a>' in client.get("/").content.decode()

    client.force_login(decision_maker)
    assert manage not in client.get("/").content.decode()
    client.logout()
    assert manage not in client.get("/").content.decode()
