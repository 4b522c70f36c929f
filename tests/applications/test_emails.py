import datetime as dt

import pytest
import time_machine

from applications.services.transitions import (
    application_return_for_completion,
    application_submit,
    application_withdraw,
)
from tests import factories

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def submitted_in_english():
    """A submitted application whose emails go out in English (stable message ids)."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC), tick=False):
        application = factories.ApplicationFactory(
            language="en", contact_email="contact@kommun.example.se"
        )
        applicant = factories.applicant_for(application)
        application_submit(application=application, by=applicant)
    application.refresh_from_db()
    return application, applicant


def test_return_for_completion_sends_the_request_with_message_and_deadline(
    submitted_in_english, programme_manager, django_capture_on_commit_callbacks, mailoutbox
):
    application, applicant = submitted_in_english

    with (
        time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        application_return_for_completion(
            application=application,
            by=programme_manager,
            message="Attach the hub's written offer.",
            deadline=dt.datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
        )

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == sorted(["contact@kommun.example.se", applicant.email])
    assert email.subject == f"Please complete your application {application.registration_number}"
    url = f"http://testserver/applications/{application.pk}/"
    # 11:00 UTC is 12:00 in Stockholm (winter time).
    deadline = "by 1 December 2026 at 12:00 (Swedish time)"
    assert "Attach the hub's written offer." in email.body
    assert deadline in email.body
    assert url in email.body
    assert "Innovationsmyndigheten (demo)" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "Attach the hub&#x27;s written offer." in html
    assert deadline in html
    assert f'href="{url}"' in html


def test_withdrawal_sends_the_notice_with_the_reason(
    submitted_in_english, django_capture_on_commit_callbacks, mailoutbox
):
    application, applicant = submitted_in_english
    colleague = factories.applicant_for(application)

    with django_capture_on_commit_callbacks(execute=True):
        application_withdraw(
            application=application, by=applicant, reason="We could not staff the trial."
        )

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == sorted([applicant.email, colleague.email])
    assert email.subject == (
        f"The application {application.registration_number} has been withdrawn"
    )
    assert "We could not staff the trial." in email.body
    assert application.title in email.body
    assert f"http://testserver/applications/{application.pk}/" in email.body
    assert "We could not staff the trial." in email.alternatives[0][0]


def test_completion_request_is_sent_in_the_applications_language(
    programme_manager, django_capture_on_commit_callbacks, mailoutbox
):
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC), tick=False):
        application = factories.ApplicationFactory(language="sv")
        application_submit(application=application, by=factories.applicant_for(application))
        with django_capture_on_commit_callbacks(execute=True):
            application_return_for_completion(
                application=application,
                by=programme_manager,
                message="Komplettera budgeten.",
                deadline=dt.datetime(2026, 12, 1, 11, 0, tzinfo=UTC),
            )

    body = mailoutbox[0].body
    assert "Komplettera budgeten." in body
    assert "1 december 2026" in body  # Swedish month name, Stockholm time
    assert "12:00" in body
