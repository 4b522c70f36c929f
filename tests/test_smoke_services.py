import pytest

from applications import services
from applications.enums import ApplicationState

pytestmark = pytest.mark.django_db


def test_first_submit_gives_registration_number_and_version(application, applicant, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        version = services.application_submit(application=application, by=applicant)
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert application.registration_number.endswith("-00001")
    assert version.number == 1
    assert len(version.sha256) == 64
    assert application.transitions.get().name == "submit"
