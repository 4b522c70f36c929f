"""Submissions at the same instant, on PostgreSQL: real connections, real row locks.

SQLite serialises every writer, so it proves nothing here; these tests run only when the suite
runs on PostgreSQL (``make test`` does both). Each thread has its own database connection, and a
barrier starts them together.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from applications.enums import ApplicationState
from applications.models import Application, ApplicationVersion, RegistrationCounter
from applications.services.transitions import application_submit
from tests import factories
from tests.concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
    ),
]


def _submit_job(application_pk: int, user):
    def job():
        # A new thread has no active language; read the refusal in English.
        with translation.override("en"):
            application = Application.objects.get(pk=application_pk)
            return application_submit(application=application, by=user).application_id

    return job


def test_fifty_simultaneous_submits_get_fifty_distinct_gap_free_numbers():
    call = factories.CallFactory()
    pairs = []
    for _ in range(50):
        application = factories.ApplicationFactory(call=call)
        pairs.append((application.pk, factories.applicant_for(application)))

    results, errors = run_together([_submit_job(pk, user) for pk, user in pairs])

    assert errors == []
    assert sorted(results) == sorted(pk for pk, _ in pairs)
    year = timezone.localtime().year
    numbers = sorted(Application.objects.values_list("registration_number", flat=True))
    assert numbers == [f"{year}-{n:05d}" for n in range(1, 51)]
    assert set(Application.objects.values_list("state", flat=True)) == {ApplicationState.SUBMITTED}
    assert ApplicationVersion.objects.count() == 50
    assert RegistrationCounter.objects.get(year=year).last == 50


def test_same_application_submitted_twice_at_once_is_submitted_once():
    application = factories.ApplicationFactory()
    user = factories.applicant_for(application)

    results, errors = run_together([_submit_job(application.pk, user) for _ in range(2)])

    assert results == [application.pk]
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert errors[0].messages in (
        ["This version has already been submitted. Nothing has changed since then."],
        ["Someone else changed this application at the same moment. Reload and try again."],
    )
    application.refresh_from_db()
    year = timezone.localtime().year
    assert application.registration_number == f"{year}-00001"
    assert application.versions.count() == 1
    assert application.transitions.filter(name="submit").count() == 1
    assert RegistrationCounter.objects.get(year=year).last == 1
