"""The audit log read for people: labels, values as the pages show them, registration numbers."""

import pytest
from django.utils import translation

from applications.audit import audit_record
from applications.models import AuditEntry
from applications.selectors.audit import audit_log_rows
from reviews.enums import ConflictGround
from tests import factories

pytestmark = pytest.mark.django_db


def _row(entry):
    (row,) = audit_log_rows([entry])
    return row


def _details(row):
    return {detail.label: detail.value for detail in row.details}


def test_a_confirmed_decision_reads_as_a_sentence_with_the_registration_number():
    application = factories.submitted_application()
    entry = audit_record(
        action="decision.confirm",
        actor=None,
        target=application,
        data={
            "application_id": application.pk,
            "granted_amount": 450000,
            "outcome": "approved",
            "reason_code": "",
            "status": "confirmed",
            "supersedes_id": None,
        },
    )

    with translation.override("en"):
        row = _row(entry)

    assert row.action == "Decision confirmed"
    assert (row.subject, row.application_label) == ("Application", application.registration_number)
    assert row.application_id == application.pk
    assert _details(row) == {
        "Granted amount": "450\u00a0000 kr",
        "Outcome": "Approved",
        "Decision status": "Confirmed",
    }


def test_in_swedish_the_states_and_labels_are_swedish():
    application = factories.submitted_application()
    entry = audit_record(
        action="application.submit",
        actor=None,
        target=application,
        data={"from": "draft", "to": "submitted"},
    )

    with translation.override("sv"):
        row = _row(entry)

    assert row.action == "Ansökan inskickad"
    assert _details(row) == {"Status före": "Utkast", "Status efter": "Inskickad"}


def test_reviews_keys_name_the_reviewer_and_the_ground():
    member = factories.PanelMemberFactory(user__full_name="Rut Granskare")
    application = factories.submitted_application(call=member.call)
    entry = audit_record(
        action="conflict.declare",
        actor=member.user,
        target=application,
        data={
            "member_id": member.pk,
            "application_id": application.pk,
            "has_conflict": True,
            "ground": ConflictGround.CLOSE_RELATION,
        },
    )

    with translation.override("en"):
        details = _details(_row(entry))

    assert details == {
        "Reviewer": "Rut Granskare",
        "Conflict of interest": "Yes",
        "Ground": "Close relation: someone close to the reviewer is a party",
    }


def test_a_staff_login_names_the_person_and_the_roles():
    manager = factories.programme_manager(full_name="Petra Programansvarig")
    entry = audit_record(
        action="login.staff", actor=manager, target=manager, data={"roles": ["programme_manager"]}
    )

    with translation.override("en"):
        row = _row(entry)

    assert row.subject == "Person: Petra Programansvarig"
    assert _details(row) == {"Roles": "programme manager"}


def test_an_unknown_key_and_a_deleted_reference_still_read():
    entry = audit_record(
        action="test.step", actor=None, data={"call_id": 999_999, "new_thing": None, "count": 3}
    )

    with translation.override("en"):
        row = _row(entry)

    assert row.action == "test.step"  # an action nobody labelled shows as written
    assert _details(row) == {"Call": "no. 999999", "Count": "3"}


def test_one_query_per_kind_of_reference_for_a_whole_page(django_assert_num_queries):
    applications = [factories.submitted_application() for _ in range(5)]
    for application in applications:
        audit_record(action="application.withdraw", actor=None, target=application)
    entries = list(AuditEntry.objects.filter(action="application.withdraw").order_by("-sequence"))

    with django_assert_num_queries(1):  # the applications' registration numbers
        rows = audit_log_rows(entries)

    assert [row.application_label for row in rows] == [
        application.registration_number for application in reversed(applications)
    ]
