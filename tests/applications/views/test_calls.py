"""The call editor's pages: a programme manager makes a call through them (no admin), changes
it section by section, a second person publishes it, and the public page shows its Markdown and
its change history."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import AuditEntry
from grants.models import Call, CallChange
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return factories.programme_manager(language="en")


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def new_call(client, manager, **overrides) -> Call:
    client.force_login(manager)
    now = timezone.now()
    data = {
        "slug": "rum-2027",
        "title_sv": "Digitala mötesrum",
        "title_en": "Digital meeting rooms",
        "summary_sv": "Kort.",
        "description_sv": "## Vem får söka\n\n- regioner\n\n<script>alert(1)</script>",
        "opens_at": local(now - dt.timedelta(days=1)),
        "closes_at": "2030-03-01T12:00",
        "budget": "2000000",
        "max_amount": "200000",
        **overrides,
    }
    response = client.post(reverse("applications:call_new"), data, HTTP_ACCEPT_LANGUAGE="en")
    call = Call.objects.get(slug=data["slug"])
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:call_manage", args=[call.pk])
    return call


def test_a_call_is_made_through_the_pages_with_its_closing_time_in_swedish_time(client, manager):
    call = new_call(client, manager)
    # 12:00 in Stockholm in March (winter time) is 11:00 UTC.
    assert call.closes_at == dt.datetime(2030, 3, 1, 11, 0, tzinfo=dt.UTC)
    assert call.is_published is False and call.created_by == manager
    page = client.get(reverse("applications:call_manage", args=[call.pk]))
    assert page.status_code == 200
    assert "A second person publishes the call" in page.content.decode()


def test_a_refused_new_call_says_why_and_makes_nothing(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("applications:call_new"),
        {
            "slug": "x",
            "title_sv": "X",
            "summary_sv": "X",
            "description_sv": "X",
            "opens_at": "2030-03-02T12:00",
            "closes_at": "2030-03-01T12:00",
            "budget": "100",
            "max_amount": "200",
        },
    )
    assert response.status_code == 200
    assert not Call.objects.filter(slug="x").exists()
    assert "The call must close after it opens." in response.content.decode()


def test_the_preview_shows_a_draft_as_applicants_will_see_it_with_its_markdown(client, manager):
    call = new_call(client, manager)
    assert client.get(reverse("grants:call_detail", args=[call.slug])).status_code == 404
    page = client.get(reverse("applications:call_preview", args=[call.pk])).content.decode()
    assert "<h3>Vem får söka</h3>" in page
    assert "<li>regioner</li>" in page
    assert "<script>alert(1)</script>" not in page


def test_the_follow_up_section_saves_a_payment_plan_and_measures(client, manager):
    call = factories.CallFactory(is_published=False)
    client.force_login(manager)
    url = reverse("applications:call_edit", args=[call.pk, "follow-up"])
    assert client.get(url).status_code == 200
    data = {
        "interim_reports": "1",
        "final_report_days": "60",
        "reminder_days_before": "7",
        "plan-TOTAL_FORMS": "3",
        "plan-INITIAL_FORMS": "0",
        "plan-0-share": "50",
        "plan-0-after": "acceptance",
        "plan-1-share": "30",
        "plan-1-after": "interim_report",
        "plan-2-share": "20",
        "plan-2-after": "final_report",
        "measures-TOTAL_FORMS": "2",
        "measures-INITIAL_FORMS": "0",
        "measures-0-key": "rooms",
        "measures-0-label_sv": "Antal rum",
        "measures-0-label_en": "Rooms",
        "measures-1-key": "",
        "measures-1-label_sv": "",
        "measures-1-label_en": "",
    }
    assert client.post(url, data).status_code == 302
    call.refresh_from_db()
    assert call.payment_plan == [
        {"share": 50, "after": "acceptance"},
        {"share": 30, "after": "interim_report"},
        {"share": 20, "after": "final_report"},
    ]
    assert call.report_measures == [{"key": "rooms", "label_sv": "Antal rum", "label_en": "Rooms"}]
    assert call.reminder_days_before == 7

    data["plan-2-share"] = "10"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "The instalments&#x27; shares must add up to exactly 100 per cent." in (
        response.content.decode()
    )
    call.refresh_from_db()
    assert call.payment_plan[2]["share"] == 20


def test_a_published_calls_closing_time_change_needs_a_reason_and_is_shown_publicly(
    client, manager
):
    call = factories.CallFactory()
    client.force_login(manager)
    url = reverse("applications:call_edit", args=[call.pk, "dates"])
    data = {
        "opens_at": local(call.opens_at),
        "closes_at": local(call.closes_at + dt.timedelta(days=2)),
        "budget": str(call.budget),
        "max_amount": str(call.max_amount),
        "reason": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert not CallChange.objects.exists()
    data["reason"] = "Driftstörning i två dagar."
    assert client.post(url, data).status_code == 302
    public = client.get(reverse("grants:call_detail", args=[call.slug])).content.decode()
    assert "Driftstörning i två dagar." in public
    history = client.get(reverse("applications:call_history", args=[call.pk])).content.decode()
    assert "Driftstörning" not in history  # the audit log holds no free text
    assert AuditEntry.objects.filter(action="call.change", object_id=call.pk).count() == 1


def test_a_decision_maker_publishes_and_the_call_is_on_the_public_list(client, manager):
    call = new_call(client, manager)
    refused = client.post(reverse("applications:call_publish", args=[call.pk]), follow=True)
    assert "A second person publishes a call" in refused.content.decode()
    assert Call.objects.get(pk=call.pk).is_published is False
    client.force_login(factories.decision_maker())
    client.post(reverse("applications:call_publish", args=[call.pk]))
    assert Call.objects.get(pk=call.pk).is_published is True
    assert "Digitala mötesrum" in client.get(reverse("grants:call_list")).content.decode()


def test_every_section_page_answers(client, manager):
    call = factories.CallFactory()
    client.force_login(manager)
    for section in (
        "texts",
        "dates",
        "eligibility",
        "checklist",
        "project",
        "review",
        "decision",
        "follow-up",
        "retention",
    ):
        assert (
            client.get(reverse("applications:call_edit", args=[call.pk, section])).status_code
            == 200
        )
    assert client.get(reverse("applications:call_edit", args=[call.pk, "nope"])).status_code == 404


def test_the_call_list_does_not_grow_in_queries_with_its_rows(
    client, manager, django_assert_num_queries
):
    client.force_login(manager)
    factories.CallFactory()
    url = reverse("applications:call_list")
    client.get(url)  # warm caches (sessions, content types)
    with django_assert_num_queries(6) as captured:
        client.get(url)
    factories.CallFactory.create_batch(5)
    with django_assert_num_queries(len(captured.captured_queries)):
        client.get(url)
