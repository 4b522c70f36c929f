"""The pages of the panel over time: a reviewer declines, a manager takes a reviewer off the
panel, and the assignments page flags late and declined reviews."""

import datetime as dt

import pytest
from django.urls import reverse

from reviews.models import Assignment, PanelMember
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(programme_manager):
    call = factories.CallFactory(
        reviewers_per_application=1,
        min_reviews=1,
        review_due_at=dt.datetime(2026, 3, 10, 16, 0, tzinfo=dt.UTC),
    )
    factories.CriterionFactory(call=call)
    (application,) = factories.applications_in_review(call, by=programme_manager)
    anna = factories.PanelMemberFactory(call=call, user__full_name="Anna Ek", user__language="sv")
    bo = factories.PanelMemberFactory(call=call, user__full_name="Bo Al", user__language="sv")
    factories.declare_none(anna, [application])
    factories.declare_none(bo, [application])
    assignment = Assignment.objects.create(member=anna, application=application)
    return call, application, anna, bo, assignment


def test_the_review_page_offers_to_decline(client, scene):
    _call, application, anna, _bo, _assignment = scene
    client.force_login(anna.user)

    html = client.get(reverse("reviews:review", args=[application.pk])).content.decode()

    assert "Jag kan inte bedöma den här ansökan" in html
    assert f'action="{reverse("reviews:decline", args=[application.pk])}"' in html


def test_declining_without_a_reason_is_explained_and_changes_nothing(client, scene):
    _call, application, anna, _bo, assignment = scene
    client.force_login(anna.user)

    response = client.post(reverse("reviews:decline", args=[application.pk]), {"reason": "  "})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Detta fält måste fyllas i." in html
    assert 'class="error-summary"' in html
    assignment.refresh_from_db()
    assert assignment.removed_at is None


def test_declining_passes_the_application_on_and_the_manager_sees_why(
    client, scene, programme_manager, mailoutbox, django_capture_on_commit_callbacks
):
    call, application, anna, bo, assignment = scene
    client.force_login(anna.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:decline", args=[application.pk]), {"reason": "Jäv via min sambo"}
        )

    assert response.status_code == 302 and response.url == reverse("reviews:dashboard")
    assert Assignment.objects.get(application=application, removed_at=None).member == bo
    assert [message.to for message in mailoutbox] == [[bo.user.email]]
    # Anna no longer reaches the application.
    assert client.get(reverse("reviews:review", args=[application.pk])).status_code == 404
    client.force_login(programme_manager)
    page = client.get(reverse("reviews:assignments", args=[call.slug])).content.decode()
    assert "Avböjda av bedömarna" in page and "Jäv via min sambo" in page


def test_the_manager_takes_a_reviewer_off_the_panel_with_a_reason(client, scene, programme_manager):
    call, application, anna, bo, _assignment = scene
    client.force_login(programme_manager)
    url = reverse("reviews:panel_leave", args=[call.slug, anna.pk])

    refused = client.post(url, {f"leave-{anna.pk}-reason": ""})
    assert refused.status_code == 200 and "Detta fält måste fyllas i." in refused.content.decode()
    assert PanelMember.objects.get(pk=anna.pk).is_active

    response = client.post(url, {f"leave-{anna.pk}-reason": "Har bytt tjänst"})

    assert response.status_code == 302
    assert not PanelMember.objects.get(pk=anna.pk).is_active
    assert Assignment.objects.get(application=application, removed_at=None).member == bo
    page = client.get(reverse("reviews:panel", args=[call.slug])).content.decode()
    assert "Lämnade referensgruppen" in page and "Har bytt tjänst" in page


def test_the_assignments_page_flags_a_missing_review_after_the_due_date(
    client, scene, programme_manager
):
    call, application, _anna, _bo, _assignment = scene  # due 2026-03-10, long past
    client.force_login(programme_manager)

    page = client.get(reverse("reviews:assignments", args=[call.slug])).content.decode()

    assert "1 försenad bedömning" in page
    assert "Saknas," in page and "dagar försenad" in page
