"""Two tabs (or two colleagues) on one application or report: a save or autosave from the
older page is refused with nothing written, the page shows the stored text beside the refused
one, and a partial autosave changes only what it sent."""

import json

import pytest
from django.urls import reverse

from applications.enums import BudgetCategory, ReportKind
from tests import factories
from tests.applications.views.test_applicant import budget_of, edit_payload

pytestmark = pytest.mark.django_db

STALE = (
    "This was saved from another tab or by a colleague after you opened the page. "
    "Nothing from this page has been saved."
)
ADVICE = "Press Save draft to see the saved text beside yours and keep what you want."


@pytest.fixture
def application():
    return factories.ApplicationFactory(title="First title", summary="First summary")


@pytest.fixture
def member(client, application):
    user = factories.applicant_for(application, user__language="en")
    client.force_login(user)
    return user


def _edit(application):
    return reverse("applications:edit", args=[application.pk])


def _autosave(application):
    return reverse("applications:autosave", args=[application.pk])


def test_the_edit_page_carries_the_version_it_was_read_at(client, application, member):
    client.post(_edit(application), edit_payload(application, title="Saved once"))
    response = client.get(_edit(application))
    assert response.context["edit_version"] == 1
    assert '<input type="hidden" name="edit_version" value="1">' in response.content.decode()


def test_an_autosave_from_an_older_tab_does_not_undo_a_manual_save(client, application, member):
    old_tab = edit_payload(application, title="Old tab typing")  # read at version 0
    # The other tab saves new text and a new budget.
    saved = client.post(
        _edit(application),
        edit_payload(
            application,
            title="Saved in tab 1",
            summary="Tab 1's summary",
            **{
                "budget-2-category": BudgetCategory.TRAVEL,
                "budget-2-description": "Trains",
                "budget-2-amount": "0",
            },
        ),
    )
    assert saved.status_code == 302

    response = client.post(_autosave(application), old_tab)

    assert response.status_code == 409
    assert json.loads(response.content) == {"conflict": True, "errors": [f"{STALE} {ADVICE}"]}
    application.refresh_from_db()
    assert (application.title, application.summary, application.edit_version) == (
        "Saved in tab 1",
        "Tab 1's summary",
        1,
    )
    assert budget_of(application) == [
        (BudgetCategory.HUB, "Hub membership", 300_000),
        (BudgetCategory.STAFF, "Project lead", 200_000),
        (BudgetCategory.TRAVEL, "Trains", 0),
    ]


def test_a_manual_save_from_an_older_tab_does_not_undo_an_autosave(client, application, member):
    old_tab = edit_payload(application, title="Old tab's title", summary="First summary")
    autosaved = client.post(_autosave(application), edit_payload(application, summary="Newer"))
    assert json.loads(autosaved.content)["edit_version"] == 1

    response = client.post(_edit(application), old_tab)

    assert response.status_code == 409
    application.refresh_from_db()
    assert (application.title, application.summary) == ("First title", "Newer")
    # The page: the stored values in the form, the refused texts beside them, a fresh version.
    assert response.context["edit_version"] == 1
    assert response.context["form"]["summary"].value() == "Newer"
    assert response.context["conflict"]["message"] == STALE
    assert response.context["conflict"]["rows"] == [
        {
            "label": "Project title",
            "field_id": "id_title",
            "stored": "First title",
            "sent": "Old tab's title",
        },
        {"label": "Summary", "field_id": "id_summary", "stored": "Newer", "sent": "First summary"},
    ]
    html = response.content.decode()
    assert 'id="edit-conflict"' in html
    assert "Old tab&#x27;s title" in html
    assert response.context["errors"] == []

    # Keeping one's own title: the next save, from the conflict page, goes through.
    again = client.post(_edit(application), edit_payload(application, title="Old tab's title"))
    assert again.status_code == 302
    application.refresh_from_db()
    assert (application.title, application.summary, application.edit_version) == (
        "Old tab's title",
        "Newer",
        2,
    )


def test_the_conflict_page_shows_a_budget_that_differs(client, application, member):
    old_tab = edit_payload(application, **{"budget-1-amount": "150000"})
    client.post(_edit(application), edit_payload(application, title="Elsewhere"))

    response = client.post(_edit(application), old_tab)

    rows = response.context["conflict"]["rows"]
    assert rows[-1] == {
        "label": "Budget lines",
        "field_id": "budget",
        "stored": "Hub membership and rent: Hub membership, 300000 kr\n"
        "Staff time: Project lead, 200000 kr",
        "sent": "Hub membership and rent: Hub membership, 300000 kr\n"
        "Staff time: Project lead, 150000 kr",
    }
    assert budget_of(application)[1] == (BudgetCategory.STAFF, "Project lead", 200_000)


def test_a_save_without_a_version_is_refused(client, application, member):
    payload = edit_payload(application, title="No version")
    del payload["edit_version"]
    assert client.post(_edit(application), payload).status_code == 409
    assert client.post(_autosave(application), payload).status_code == 409
    payload["edit_version"] = "١"  # not a number the form could have sent
    assert client.post(_autosave(application), payload).status_code == 409
    application.refresh_from_db()
    assert (application.title, application.edit_version) == ("First title", 0)


def test_a_refused_form_keeps_the_version_it_was_read_at(client, application, member):
    old_tab = edit_payload(application, participants="many")
    client.post(_autosave(application), edit_payload(application, title="Elsewhere"))

    response = client.post(_edit(application), old_tab)

    # A type error is shown first; the page must not hand out the newer version with it.
    assert response.status_code == 200
    assert response.context["edit_version"] == 0
    assert '<input type="hidden" name="edit_version" value="0">' in response.content.decode()


def test_a_partial_autosave_changes_only_the_fields_it_sent(client, application, member):
    before = budget_of(application)
    response = client.post(_autosave(application), {"language": "sv", "edit_version": "0"})

    assert response.status_code == 200
    assert json.loads(response.content)["edit_version"] == 1
    application.refresh_from_db()
    assert (application.title, application.summary, application.language) == (
        "First title",
        "First summary",
        "sv",
    )
    assert budget_of(application) == before


def test_a_partial_manual_save_changes_only_the_fields_it_sent(client, application, member):
    before = budget_of(application)
    response = client.post(_edit(application), {"summary": "Only this", "edit_version": "0"})

    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.title, application.summary) == ("First title", "Only this")
    assert budget_of(application) == before


# -- report drafts ------------------------------------------------------------------------------


def _report_post(report, version, **overrides) -> dict:
    data = {
        "what_was_done": "Worked from the hub.",
        "lessons": "Fewer commutes.",
        "participants": "20",
        "hub_days": "180",
        "total_spent": "",
        "action": "save",
        "edit_version": str(version),
    }
    for cost in report.costs.all():
        data[f"spent_{cost.pk}"] = ""
    for measure in report.application.call.report_measures or []:
        data[f"measure_{measure['key']}"] = ""
    data.update(overrides)
    return data


def test_a_report_draft_saved_from_an_older_tab_is_refused_and_both_texts_shown(client):
    grant = factories.grant_in_follow_up()
    report = grant.reports.get(kind=ReportKind.FINAL)
    signatory = grant.signatory
    signatory.language = "en"
    signatory.save(update_fields=["language"])
    client.force_login(signatory)
    url = reverse("applications:report_edit", args=[grant.pk, report.pk])
    page = client.get(url)
    assert page.context["form"]["edit_version"].value() == 0

    first = client.post(url, _report_post(report, 0, lessons="Tab 1's lessons"))
    assert first.status_code == 302
    refused = client.post(url, _report_post(report, 0, lessons="Tab 2's lessons"))

    assert refused.status_code == 409
    report.refresh_from_db()
    assert (report.lessons, report.edit_version) == ("Tab 1's lessons", 1)
    assert refused.context["conflict"]["rows"] == [
        {
            "label": "What the organisation learnt",
            "field_id": "id_lessons",
            "stored": "Tab 1's lessons",
            "sent": "Tab 2's lessons",
        }
    ]
    assert refused.context["form"]["edit_version"].value() == 1
    assert 'name="edit_version" value="1"' in refused.content.decode()
    assert client.post(url, _report_post(report, 1, lessons="Kept")).status_code == 302
    report.refresh_from_db()
    assert report.lessons == "Kept"


def test_a_refused_partial_save_shows_the_whole_page(client, application, member):
    response = client.post(_edit(application), {"participants": "many", "budget-TOTAL_FORMS": "0"})

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields) >= {"title", "summary", "language"}
    assert form["title"].value() == "First title"
    assert form.errors == {"participants": ["Enter a whole number."]}
    application.refresh_from_db()
    assert application.answers.get("participants") == 20
