"""``with_unsent_changes``: whether a submitted application's working copy has changed since
its latest submitted version (a save, a file added or removed), from markers alone."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Application, ApplicationVersion
from applications.selectors.applications import with_unsent_changes
from applications.services.transitions import application_submit
from applications.services.working_copy import (
    application_update,
    attachment_add,
    attachment_remove,
)
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 15, 10, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def application():
    call = factories.CallFactory(
        opens_at=NOW - dt.timedelta(days=10), closes_at=NOW + dt.timedelta(days=1)
    )
    return factories.submitted_application(call=call)


def _unsent(application) -> bool:
    return (
        with_unsent_changes(Application.objects.filter(pk=application.pk)).get().has_unsent_changes
    )


def _member(application):
    return application.organisation.memberships.get().user


def _pdf(name="plan.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_a_version_records_the_edit_version_it_was_made_from(application):
    version = application.versions.get()
    assert version.edit_version == application.edit_version


def test_just_submitted_has_no_unsent_changes(application):
    assert _unsent(application) is False


def test_a_save_after_submitting_is_an_unsent_change_until_it_is_submitted(application, frozen):
    frozen.shift(60)
    application_update(application=application, by=_member(application), data={"title": "Nytt"})
    assert _unsent(application) is True

    frozen.shift(60)
    application_submit(application=application, by=_member(application))
    assert _unsent(application) is False


def test_a_file_added_after_submitting_is_an_unsent_change(application, frozen):
    frozen.shift(60)
    attachment_add(application=application, by=_member(application), upload=_pdf())
    assert _unsent(application) is True


def test_a_file_removed_after_submitting_is_an_unsent_change(frozen):
    call = factories.CallFactory(
        opens_at=NOW - dt.timedelta(days=10), closes_at=NOW + dt.timedelta(days=1)
    )
    application = factories.ApplicationFactory(call=call)
    member = factories.applicant_for(application)
    attachment = attachment_add(application=application, by=member, upload=_pdf())
    frozen.shift(60)
    application_submit(application=application, by=member)
    assert _unsent(application) is False

    frozen.shift(60)
    attachment_remove(attachment=attachment, by=member)
    assert _unsent(application) is True


def test_a_file_added_and_removed_again_after_submitting_is_no_change(application, frozen):
    frozen.shift(60)
    attachment = attachment_add(application=application, by=_member(application), upload=_pdf())
    attachment_remove(attachment=attachment, by=_member(application))
    assert _unsent(application) is False


def test_a_draft_never_submitted_has_no_unsent_changes():
    application = factories.ApplicationFactory()
    application_update(application=application, by=factories.applicant_for(application), data={})
    assert _unsent(application) is False


def test_a_version_from_before_the_marker_shows_no_changes(application, frozen):
    ApplicationVersion.objects.filter(application=application).update(edit_version=None)
    frozen.shift(60)
    application_update(application=application, by=_member(application), data={"title": "Nytt"})
    assert _unsent(application) is False
