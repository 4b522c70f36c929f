"""The case list's copy of the latest version (``Application.submitted_title`` and
``submitted_amount``) equals what it summarises after every service that changes it, and after
those that must not."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.enums import BudgetCategory
from applications.models import Application
from applications.selectors.applications import latest_version
from applications.services.personal_data import personal_data_anonymise_expired
from applications.services.transitions import (
    application_return_for_completion,
    application_submit,
    application_withdraw,
)
from applications.services.working_copy import application_update
from tests import factories

pytestmark = pytest.mark.django_db


def assert_summary_is_the_latest_version(application: Application) -> None:
    application.refresh_from_db()
    version = latest_version(application)
    if version is None:
        assert (application.submitted_title, application.submitted_amount) == ("", None)
        return
    assert application.submitted_title == version.content["title"]
    assert application.submitted_amount == version.content["requested_amount"]


@pytest.fixture
def draft():
    return factories.ApplicationFactory(
        call=factories.CallFactory(),
        title="Första titeln",
        requested_amount=300_000,
        budget=[(BudgetCategory.HUB, "Hubbens medlemskap", 300_000)],
    )


def hub_budget(amount: int) -> list[dict]:
    return [{"category": BudgetCategory.HUB, "description": "Hubbens medlemskap", "amount": amount}]


@pytest.fixture
def applicant(draft):
    return factories.applicant_for(draft)


def test_a_draft_has_no_summary_and_saving_it_writes_none(draft, applicant):
    application_update(
        application=draft, by=applicant, data={"title": "Arbetstitel", "requested_amount": 1}
    )

    assert_summary_is_the_latest_version(draft)
    assert draft.submitted_title == ""


def test_the_first_submit_copies_the_versions_title_and_amount(draft, applicant):
    application_submit(application=draft, by=applicant)

    assert_summary_is_the_latest_version(draft)
    assert (draft.submitted_title, draft.submitted_amount) == ("Första titeln", 300_000)


def test_editing_after_submitting_changes_nothing_until_a_new_version(draft, applicant):
    application_submit(application=draft, by=applicant)
    draft.refresh_from_db()
    application_update(
        application=draft,
        by=applicant,
        data={"title": "Andra titeln", "requested_amount": 450_000},
        budget_lines=hub_budget(450_000),
    )

    assert_summary_is_the_latest_version(draft)
    assert draft.submitted_title == "Första titeln"

    application_submit(application=draft, by=applicant)

    assert_summary_is_the_latest_version(draft)
    assert (draft.submitted_title, draft.submitted_amount) == ("Andra titeln", 450_000)


def test_completing_a_returned_application_copies_the_new_version(draft, applicant):
    application_submit(application=draft, by=applicant)
    draft.refresh_from_db()
    application_return_for_completion(
        application=draft,
        by=factories.programme_manager(),
        message="Ange beloppet igen.",
        deadline=timezone.now() + dt.timedelta(days=7),
    )
    draft.refresh_from_db()
    application_update(
        application=draft,
        by=applicant,
        data={"requested_amount": 250_000},
        budget_lines=hub_budget(250_000),
    )

    assert_summary_is_the_latest_version(draft)
    assert draft.submitted_amount == 300_000

    application_submit(application=draft, by=applicant)

    assert_summary_is_the_latest_version(draft)
    assert draft.submitted_amount == 250_000


def test_a_refused_submit_leaves_the_summary_as_it_was(draft, applicant):
    application_submit(application=draft, by=applicant)
    draft.refresh_from_db()

    with pytest.raises(ValidationError):
        application_submit(application=draft, by=applicant)  # nothing changed since

    assert_summary_is_the_latest_version(draft)
    assert draft.submitted_title == "Första titeln"


def test_withdrawal_and_the_retention_job_keep_it(draft, applicant):
    application_submit(application=draft, by=applicant)
    draft.refresh_from_db()
    application_withdraw(application=draft, by=applicant, reason="Projektet ställs in.")
    personal_data_anonymise_expired(today=timezone.localdate() + dt.timedelta(days=3650 * 3))

    assert_summary_is_the_latest_version(draft)


def test_the_migration_fills_it_from_each_latest_version(draft, applicant):
    application_submit(application=draft, by=applicant)
    draft.refresh_from_db()
    application_update(application=draft, by=applicant, data={"title": "Andra titeln"})
    application_submit(application=draft, by=applicant)
    never_submitted = factories.ApplicationFactory(call=draft.call, title="Utkast")
    Application.objects.update(submitted_title="", submitted_amount=None)
    migration = importlib.import_module(
        "applications.migrations.0018_application_submitted_summary"
    )

    migration.copy_latest_versions(apps, None)

    assert_summary_is_the_latest_version(draft)
    assert draft.submitted_title == "Andra titeln"
    assert_summary_is_the_latest_version(never_submitted)
