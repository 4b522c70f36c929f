"""The working copy and report drafts count their saves, and a save from an older read is
refused with nothing written (two tabs, or two colleagues, on one text)."""

import pytest
from django.utils import translation

from applications.enums import BudgetCategory, ReportKind
from applications.services.edit_conflicts import StaleEdit
from applications.services.follow_up import report_save
from applications.services.working_copy import application_update
from tests import factories

pytestmark = pytest.mark.django_db

LINES = [
    {"category": BudgetCategory.HUB, "description": "Desks", "amount": 300_000},
    {"category": BudgetCategory.TRAVEL, "description": "Trains", "amount": 100_000},
]
STALE = (
    "This was saved from another tab or by a colleague after you opened the page. "
    "Nothing from this page has been saved."
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def budget_of(application) -> list[tuple]:
    return list(application.budget_lines.values_list("category", "description", "amount"))


def test_every_save_counts_the_version_up_by_one():
    application = factories.ApplicationFactory()
    applicant = factories.applicant_for(application)
    assert application.edit_version == 0

    saved = application_update(
        application=application, by=applicant, data={"title": "One"}, base_version=0
    )
    assert saved.edit_version == 1
    saved = application_update(
        application=application, by=applicant, data={"summary": "Two"}, base_version=1
    )
    assert saved.edit_version == 2
    application.refresh_from_db()
    assert (application.edit_version, application.title, application.summary) == (2, "One", "Two")


def test_a_save_from_an_older_read_is_refused_and_writes_nothing():
    application = factories.ApplicationFactory()
    applicant = factories.applicant_for(application)
    colleague = factories.applicant_for(application)
    # Tab 1 (or a colleague) saves text and budget on top of version 0.
    application_update(
        application=application,
        by=colleague,
        data={"title": "Colleague's title", "summary": "Colleague's summary"},
        budget_lines=LINES,
        base_version=0,
    )

    # Tab 2, still on version 0, saves (or autosaves) its older copy.
    with pytest.raises(StaleEdit) as refused:
        application_update(
            application=application,
            by=applicant,
            data={"title": "Old tab's title", "summary": ""},
            budget_lines=[],
            base_version=0,
        )

    assert refused.value.messages == [STALE]
    assert refused.value.current.title == "Colleague's title"
    application.refresh_from_db()
    assert (application.title, application.summary, application.edit_version) == (
        "Colleague's title",
        "Colleague's summary",
        1,
    )
    assert budget_of(application) == [
        (BudgetCategory.HUB, "Desks", 300_000),
        (BudgetCategory.TRAVEL, "Trains", 100_000),
    ]


def test_a_save_from_a_version_not_yet_stored_is_refused_too():
    application = factories.ApplicationFactory()
    applicant = factories.applicant_for(application)
    with pytest.raises(StaleEdit):
        application_update(
            application=application, by=applicant, data={"title": "X"}, base_version=-1
        )
    with pytest.raises(StaleEdit):
        application_update(
            application=application, by=applicant, data={"title": "X"}, base_version=7
        )
    application.refresh_from_db()
    assert application.edit_version == 0
    assert application.title != "X"


def test_a_save_changes_only_the_fields_it_was_given():
    application = factories.ApplicationFactory(title="Kept", summary="Kept too")
    applicant = factories.applicant_for(application)
    before = budget_of(application)

    application_update(
        application=application, by=applicant, data={"language": "sv"}, base_version=0
    )

    application.refresh_from_db()
    assert (application.title, application.summary, application.language) == (
        "Kept",
        "Kept too",
        "sv",
    )
    assert budget_of(application) == before


# -- report drafts ------------------------------------------------------------------------------


def _report_arguments(**overrides) -> dict:
    return {
        "what_was_done": "Worked from the hub.",
        "lessons": "Fewer commutes.",
        "participants": 20,
        "hub_days": 180,
        "measures": {},
        "total_spent": None,
        "spent": {},
        **overrides,
    }


def test_a_report_draft_counts_its_saves_and_refuses_a_save_from_an_older_read():
    grant = factories.grant_in_follow_up()
    report = grant.reports.get(kind=ReportKind.FINAL)
    signatory = grant.signatory

    saved = report_save(
        report=report, by=signatory, **_report_arguments(lessons="Tab 1"), base_version=0
    )
    assert saved.edit_version == 1

    with pytest.raises(StaleEdit) as refused:
        report_save(
            report=report,
            by=signatory,
            **_report_arguments(what_was_done="", lessons="Tab 2"),
            base_version=0,
        )

    assert refused.value.messages == [STALE]
    report.refresh_from_db()
    assert (report.what_was_done, report.lessons, report.edit_version) == (
        "Worked from the hub.",
        "Tab 1",
        1,
    )
