"""Whole numbers past what their database column holds are refused on the field, with the usual
message in the user's language, and nothing is stored: never a 500 (SQLite overflows past
2**63 - 1, PostgreSQL past each column's range) and never a value that SQLite keeps but
PostgreSQL would not (2147483648 in a ``PositiveIntegerField``).

The form fuzz (test_fuzz_forms.py) posts these values to every form; these tests pin the
messages on the forms with amounts."""

import json

import pytest
from django.urls import reverse

from applications.models import Decision
from tests import factories

pytestmark = pytest.mark.django_db

TOO_BIG = {
    # value: the message a PositiveIntegerField (0 to 2147483647) gives in Swedish
    "2147483648": "Kontrollera att detta värde är mindre än eller lika med 2147483647.",
    "9223372036854775807": "Kontrollera att detta värde är mindre än eller lika med 2147483647.",
    "9223372036854775808": "Kontrollera att detta värde är mindre än eller lika med 2147483647.",
    "99999999999999999999": "Kontrollera att detta värde är mindre än eller lika med 2147483647.",
    "-1": "Kontrollera att detta värde är större än eller lika med 0.",
}


def edit_payload(application, **overrides) -> dict:
    data = {
        "title": application.title,
        "summary": application.summary,
        "what_to_try": application.answers.get("what_to_try", ""),
        "hub": application.hub_id or "",
        "participants": application.answers.get("participants", ""),
        "period_start": application.period_start.isoformat() if application.period_start else "",
        "period_end": application.period_end.isoformat() if application.period_end else "",
        "expected_results": application.answers.get("expected_results", ""),
        "requested_amount": application.requested_amount or "",
        "contact_name": application.contact_name,
        "contact_email": application.contact_email,
        "contact_phone": application.contact_phone,
        "language": application.language,
        # The version the page was read at (a save from an older copy is refused).
        "edit_version": str(type(application).objects.get(pk=application.pk).edit_version),
        "budget-TOTAL_FORMS": "1",
        "budget-INITIAL_FORMS": "0",
        "budget-0-category": "hub",
        "budget-0-description": "Hub",
        "budget-0-amount": str(application.requested_amount or 0),
    }
    return {**data, **overrides}


@pytest.fixture
def draft():
    application = factories.ApplicationFactory()
    return application, factories.applicant_for(application)  # Swedish, the default


def _unchanged(application):
    before = (application.requested_amount, application.answers.get("participants"))
    lines = list(application.budget_lines.values_list("amount", flat=True))
    application.refresh_from_db()
    assert (application.requested_amount, application.answers.get("participants")) == before
    assert list(application.budget_lines.values_list("amount", flat=True)) == lines


@pytest.mark.parametrize("value", TOO_BIG)
@pytest.mark.parametrize("name", ["requested_amount", "participants", "budget-0-amount"])
def test_the_edit_form_refuses_a_number_its_column_cannot_hold(client, draft, name, value):
    application, applicant = draft
    client.force_login(applicant)

    response = client.post(
        reverse("applications:edit", args=[application.pk]),
        edit_payload(application, **{name: value}),
    )

    assert response.status_code == 200
    assert TOO_BIG[value] in response.content.decode()
    _unchanged(application)


@pytest.mark.parametrize("value", TOO_BIG)
@pytest.mark.parametrize("name", ["requested_amount", "participants"])
def test_autosave_refuses_a_number_its_column_cannot_hold(client, draft, name, value):
    application, applicant = draft
    client.force_login(applicant)

    response = client.post(
        reverse("applications:autosave", args=[application.pk]),
        edit_payload(application, **{name: value}),
    )

    assert response.status_code == 400
    assert json.loads(response.content) == {"errors": [TOO_BIG[value]]}
    _unchanged(application)


@pytest.mark.parametrize("value", TOO_BIG)
def test_autosave_keeps_the_stored_budget_when_a_line_is_too_big(client, draft, value):
    application, applicant = draft
    client.force_login(applicant)

    response = client.post(
        reverse("applications:autosave", args=[application.pk]),
        edit_payload(application, **{"budget-0-amount": value}),
    )

    assert response.status_code == 200
    assert json.loads(response.content)["budget_saved"] is False
    _unchanged(application)


@pytest.mark.parametrize("value", TOO_BIG)
def test_the_decision_form_refuses_a_granted_amount_its_column_cannot_hold(client, value):
    manager = factories.programme_manager()
    (application,) = factories.reviewed_applications(factories.CallFactory(), by=manager)
    client.force_login(manager)

    response = client.post(
        reverse("applications:decision_propose", args=[application.pk]),
        {"outcome": "approved", "granted_amount": value, "justification": "Bra."},
    )

    assert response.status_code == 400
    assert TOO_BIG[value] in response.content.decode()
    assert not Decision.objects.filter(application=application).exists()


CRITERION = {
    "criteria-TOTAL_FORMS": "1",
    "criteria-INITIAL_FORMS": "0",
    "criteria-0-name_sv": "Genomförbarhet",
    "criteria-0-name_en": "Feasibility",
    "criteria-0-weight": "1",
    "criteria-0-scale_min": "1",
    "criteria-0-scale_max": "7",
    "call-disagreement_spread": "2",
}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("32768", "Kontrollera att detta värde är mindre än eller lika med 32767."),
        ("9223372036854775808", "Kontrollera att detta värde är mindre än eller lika med 32767."),
        ("-1", "Kontrollera att detta värde är större än eller lika med 0."),
    ],
)
@pytest.mark.parametrize("name", ["criteria-0-position", "criteria-0-scale_max"])
def test_the_criteria_form_refuses_a_number_its_column_cannot_hold(client, name, value, message):
    call = factories.CallFactory()
    client.force_login(factories.programme_manager())

    response = client.post(
        reverse("reviews:criteria", args=[call.slug]), {**CRITERION, name: value}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not call.criteria.exists()


@pytest.mark.parametrize("value", ["9223372036854775808", "99999999999999999999"])
def test_the_audit_filter_refuses_an_object_id_its_column_cannot_hold(client, value):
    client.force_login(factories.programme_manager())

    response = client.get(reverse("applications:audit_log"), {"object_id": value})

    assert response.status_code == 200
    assert (
        "Kontrollera att detta värde är mindre än eller lika med 9223372036854775807."
        in response.content.decode()
    )
