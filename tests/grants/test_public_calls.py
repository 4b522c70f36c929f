"""Public call pages and starting an application from a call."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from applications.enums import ApplicationState
from applications.models import Application
from grants.enums import OrganisationKind
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def make_call(**kwargs):
    defaults = {
        "opens_at": NOW - dt.timedelta(days=10),
        # 11:00 UTC is 12:00 in Stockholm in January.
        "closes_at": dt.datetime(2027, 1, 15, 11, 0, tzinfo=dt.UTC),
    }
    return factories.CallFactory(**{**defaults, **kwargs})


def test_call_list_shows_open_calls_with_swedish_dates_and_amounts(client, frozen):
    call = make_call(title_sv="Samverket 2027", summary_sv="Pröva coworking.", max_amount=600_000)
    response = client.get(reverse("grants:call_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Samverket 2027" in html
    assert "Pröva coworking." in html
    assert "600\u00a0000\u00a0kr" in html
    assert "15 januari 2027 12:00" in html
    assert reverse("grants:call_detail", args=[call.slug]) in html


def test_call_list_leaves_out_unpublished_and_closed_calls(client, frozen):
    make_call(title_sv="Opublicerad", is_published=False)
    make_call(
        title_sv="Stängd",
        opens_at=NOW - dt.timedelta(days=30),
        closes_at=NOW - dt.timedelta(seconds=1),
    )
    response = client.get(reverse("grants:call_list"))
    html = response.content.decode()
    assert list(response.context["calls"]) == []
    assert "Opublicerad" not in html
    assert "Stängd" not in html


def test_call_list_query_count_does_not_grow_with_calls(client, django_assert_num_queries, frozen):
    make_call()
    with django_assert_num_queries(1):
        client.get(reverse("grants:call_list"))
    for _ in range(5):
        make_call()
    with django_assert_num_queries(1):
        response = client.get(reverse("grants:call_list"))
    assert len(response.context["calls"]) == 6


def test_call_detail_shows_texts_dates_budget_kinds_and_hubs(client, frozen):
    hub = factories.HubFactory(name="Samverket Stockholm", city="Stockholm")
    call = make_call(
        description_sv="Hela utlysningstexten.",
        budget=6_000_000,
        max_amount=600_000,
        eligible_kinds=[OrganisationKind.MUNICIPALITY, OrganisationKind.REGION],
        hubs=[hub],
    )
    response = client.get(reverse("grants:call_detail", args=[call.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hela utlysningstexten." in html
    assert "31 december 2026 10:00" in html  # opens: 10 days before NOW, in Stockholm
    assert "15 januari 2027 12:00" in html
    assert "6\u00a0000\u00a0000\u00a0kr" in html
    assert "600\u00a0000\u00a0kr" in html
    assert f"{OrganisationKind.MUNICIPALITY.label}, {OrganisationKind.REGION.label}" in html
    assert "Samverket Stockholm (Stockholm)" in html


def test_call_detail_in_english_uses_english_texts(client, frozen):
    call = make_call(title_en="Coworking trial", description_en="The English call text.")
    client.cookies["samverket_language"] = "en"
    response = client.get(reverse("grants:call_detail", args=[call.slug]))
    html = response.content.decode()
    assert "Coworking trial" in html
    assert "The English call text." in html
    assert "15 January 2027 12:00" in html


def test_unpublished_call_detail_is_404(client, frozen):
    call = make_call(is_published=False)
    assert client.get(reverse("grants:call_detail", args=[call.slug])).status_code == 404


def test_call_detail_offers_anonymous_visitors_login_and_signup(client, frozen):
    call = make_call()
    html = client.get(reverse("grants:call_detail", args=[call.slug])).content.decode()
    assert reverse("login") + "?next=" in html
    assert reverse("applications:signup") in html
    assert reverse("applications:application_create", args=[call.slug]) not in html


def test_call_detail_offers_a_member_the_apply_form_for_their_organisation(client, frozen):
    call = make_call()
    membership = factories.MembershipFactory()
    client.force_login(membership.user)
    html = client.get(reverse("grants:call_detail", args=[call.slug])).content.decode()
    assert reverse("applications:application_create", args=[call.slug]) in html
    assert f'type="hidden" name="organisation" value="{membership.organisation.pk}"' in html


def test_call_detail_lets_a_member_of_several_organisations_choose(client, frozen):
    call = make_call()
    first = factories.MembershipFactory()
    second = factories.MembershipFactory(user=first.user)
    client.force_login(first.user)
    html = client.get(reverse("grants:call_detail", args=[call.slug])).content.decode()
    assert f'type="radio" name="organisation" id="organisation-{first.organisation.pk}"' in html
    assert f'type="radio" name="organisation" id="organisation-{second.organisation.pk}"' in html


def test_call_detail_tells_an_ineligible_organisation_it_may_not_apply(client, frozen):
    call = make_call(eligible_kinds=[OrganisationKind.REGION])
    membership = factories.MembershipFactory(organisation__kind=OrganisationKind.MUNICIPALITY)
    client.force_login(membership.user)
    response = client.get(reverse("grants:call_detail", args=[call.slug]))
    assert response.context["organisations"] == []
    assert response.context["ineligible_organisations"] == [membership.organisation]
    assert reverse("applications:application_create", args=[call.slug]) not in (
        response.content.decode()
    )


def test_call_detail_asks_a_person_without_organisation_to_register_one(client, frozen):
    call = make_call()
    client.force_login(factories.UserFactory())
    html = client.get(reverse("grants:call_detail", args=[call.slug])).content.decode()
    assert reverse("applications:organisation_register") in html


def test_closed_call_detail_says_it_has_closed(client, frozen):
    call = make_call(opens_at=NOW - dt.timedelta(days=30), closes_at=NOW - dt.timedelta(hours=1))
    membership = factories.MembershipFactory()
    client.force_login(membership.user)
    response = client.get(reverse("grants:call_detail", args=[call.slug]))
    assert response.context["has_closed"] is True
    assert reverse("applications:application_create", args=[call.slug]) not in (
        response.content.decode()
    )


def test_member_starts_a_draft_from_the_call(client, frozen):
    call = make_call()
    membership = factories.MembershipFactory(user__full_name="Anna Berg", user__language="en")
    client.force_login(membership.user)
    response = client.post(
        reverse("applications:application_create", args=[call.slug]),
        {"organisation": membership.organisation.pk},
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("applications:detail", args=[application.pk])
    assert application.state == ApplicationState.DRAFT
    assert application.call == call
    assert application.organisation == membership.organisation
    assert application.contact_name == "Anna Berg"
    assert application.language == "en"


def test_starting_a_draft_for_an_organisation_one_is_not_member_of_is_404(client, frozen):
    call = make_call()
    client.force_login(factories.MembershipFactory().user)
    other = factories.OrganisationFactory()
    response = client.post(
        reverse("applications:application_create", args=[call.slug]), {"organisation": other.pk}
    )
    assert response.status_code == 404
    assert Application.objects.count() == 0


def test_starting_a_draft_anonymously_redirects_to_login(client, frozen):
    call = make_call()
    url = reverse("applications:application_create", args=[call.slug])
    response = client.post(url, {"organisation": factories.OrganisationFactory().pk})
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"
    assert Application.objects.count() == 0


def test_starting_a_draft_in_a_closed_call_is_refused_with_a_message(client, frozen):
    call = make_call(opens_at=NOW - dt.timedelta(days=30), closes_at=NOW - dt.timedelta(seconds=1))
    # English, so the message ids are what is shown whatever the translations say.
    membership = factories.MembershipFactory(user__language="en")
    client.force_login(membership.user)
    response = client.post(
        reverse("applications:application_create", args=[call.slug]),
        {"organisation": membership.organisation.pk},
        follow=True,
    )
    assert Application.objects.count() == 0
    assert response.redirect_chain == [(reverse("grants:call_detail", args=[call.slug]), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "This call is not open for applications."
    ]


def test_starting_a_draft_for_an_ineligible_kind_is_refused(client, frozen):
    call = make_call(eligible_kinds=[OrganisationKind.REGION])
    membership = factories.MembershipFactory(organisation__kind=OrganisationKind.MUNICIPALITY)
    client.force_login(membership.user)
    response = client.post(
        reverse("applications:application_create", args=[call.slug]),
        {"organisation": membership.organisation.pk},
    )
    assert response.status_code == 302
    assert response.url == reverse("grants:call_detail", args=[call.slug])
    assert Application.objects.count() == 0


def test_starting_a_draft_needs_post(client, frozen):
    call = make_call()
    client.force_login(factories.MembershipFactory().user)
    response = client.get(reverse("applications:application_create", args=[call.slug]))
    assert response.status_code == 405


def test_pages_are_swedish_whatever_the_browser_asks(client, frozen):
    call = make_call()
    response = client.get(
        reverse("grants:call_detail", args=[call.slug]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.headers["Content-Language"] == "sv"
    assert '<html lang="sv">' in response.content.decode()


def test_every_page_title_names_the_page_and_the_site(client, frozen):
    call = make_call(title_sv="Kust & hav")  # escaped once, not twice
    detail = client.get(reverse("grants:call_detail", args=[call.slug])).content.decode()
    assert "<title>Kust &amp; hav – Samverket Grants</title>" in detail
    listing = client.get(reverse("grants:call_list")).content.decode()
    assert "<title>Öppna utlysningar – Samverket Grants</title>" in listing
