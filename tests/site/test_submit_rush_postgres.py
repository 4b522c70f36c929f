"""A submit handled in time stays in time while it waits for its registration number.

On deadline day submits queue on the year's registration counter (its row stays locked until
each submit commits). The deadline rush benchmark found submits that were handled before the
deadline, waited for the counter past it, and then failed with a server error: the transition
read the clock again. Now the deadline is judged once, when the submit is handled.
"""

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from applications.models import RegistrationCounter
from applications.services.transitions import application_submit
from tests import factories

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
    ),
]


def test_submit_waiting_for_its_number_past_the_deadline_is_accepted_as_handled_in_time():
    call = factories.CallFactory(closes_at=timezone.now() + dt.timedelta(seconds=2))
    application = factories.ApplicationFactory(call=call)
    applicant = factories.applicant_for(application)
    year = timezone.localtime(timezone.now(), timezone.get_default_timezone()).year
    RegistrationCounter.objects.create(year=year, last=41)
    holding, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def hold_the_counter():
        # Another submit's transaction, holding the counter until after the deadline.
        try:
            with transaction.atomic():
                RegistrationCounter.objects.select_for_update().get(year=year)
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    def submit():
        try:
            holding.wait(30)
            outcome["version"] = application_submit(application=application, by=applicant)
        except BaseException as error:  # asserted on below
            outcome["error"] = error
        finally:
            outcome["finished_at"] = timezone.now()
            connections.close_all()

    threads = [threading.Thread(target=hold_the_counter), threading.Thread(target=submit)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, (call.closes_at - timezone.now()).total_seconds()) + 0.5)
    assert "finished_at" not in outcome  # still waiting for the counter, past the deadline
    release.set()
    for thread in threads:
        thread.join(60)

    assert "error" not in outcome, repr(outcome.get("error"))
    version = outcome["version"]
    assert version.submitted_at < call.closes_at < outcome["finished_at"]
    application.refresh_from_db()
    assert application.state == "submitted"
    assert application.registration_number == f"{year}-00042"
    assert application.first_submitted_at == version.submitted_at


def test_submit_handled_after_the_deadline_is_refused_with_a_message():
    call = factories.CallFactory(closes_at=timezone.now() + dt.timedelta(seconds=1))
    application = factories.ApplicationFactory(call=call)
    applicant = factories.applicant_for(application)
    time.sleep(max(0.0, (call.closes_at - timezone.now()).total_seconds()) + 0.05)

    with translation.override("en"), pytest.raises(ValidationError, match="has passed"):
        application_submit(application=application, by=applicant)

    application.refresh_from_db()
    assert (application.state, application.registration_number) == ("draft", None)
    assert not application.versions.exists()
