"""The audit log on PostgreSQL: triggers refuse changes in SQL, and appends from many
connections at once form one gap-free chain.

SQLite serialises every writer and has no triggers here, so these run only when the suite runs
on PostgreSQL (``DATABASE_URL``). Each thread of ``run_together`` has its own connection.
"""

import random

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from applications.audit import audit_record, audit_verify_chain
from applications.models import Application, AuditChainHead, AuditEntry
from applications.services.transitions import application_submit
from tests import factories
from tests.concurrency import run_together

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
)
pytestmark = [pytest.mark.postgres, postgres_only]


# -- the triggers -------------------------------------------------------------------------------


def _refused(sql: str) -> str:
    """Run ``sql`` in a savepoint and return PostgreSQL's refusal."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql)
    return str(excinfo.value).splitlines()[0]


@pytest.mark.django_db
def test_sql_update_of_an_entry_is_refused():
    entry = audit_record(action="test.step", actor=None, data={"n": 1})

    assert (
        _refused("UPDATE applications_auditentry SET action = 'test.other'")
        == "audit entries are never changed or deleted"
    )
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.step"


@pytest.mark.django_db
def test_sql_delete_of_an_entry_is_refused():
    audit_record(action="test.step", actor=None)

    assert _refused("DELETE FROM applications_auditentry") == (
        "audit entries are never changed or deleted"
    )
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db
def test_truncate_is_refused():
    audit_record(action="test.step", actor=None)
    # The test database lets Django's flush truncate (tests/conftest.py); switch the trigger
    # back on as production has it, inside this test's transaction.
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred foreign-key check: run those first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE applications_auditentry ENABLE TRIGGER audit_entry_no_truncate")

    assert _refused("TRUNCATE applications_auditentry") == (
        "audit entries are never changed or deleted"
    )
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db
def test_verify_finds_an_sql_change_made_with_the_trigger_switched_off():
    for n in range(4):
        audit_record(action="test.step", actor=None, data={"n": n})
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE applications_auditentry DISABLE TRIGGER audit_entry_is_immutable"
        )
        cursor.execute(
            """UPDATE applications_auditentry SET data = '{"n": 99}'::jsonb WHERE sequence = 2"""
        )

    report = audit_verify_chain()

    assert (report.ok, report.broken_at, report.count) == (False, 2, 1)
    assert report.broken.startswith("the content does not match its hash")


# -- many writers at once --------------------------------------------------------------------------


def _append_job(n: int, *, roll_back: bool = False):
    def job():
        try:
            with transaction.atomic():
                entry = audit_record(action="test.concurrent", actor=None, data={"n": n})
                if roll_back:
                    raise RuntimeError("the change failed after its entry")
        except RuntimeError:
            return None
        return entry.sequence

    return job


@pytest.mark.django_db(transaction=True)
def test_forty_concurrent_appends_form_one_chain_without_gaps():
    results, errors = run_together([_append_job(n) for n in range(40)])

    assert errors == []
    assert sorted(results) == list(range(1, 41))
    assert sorted(AuditEntry.objects.values_list("data__n", flat=True)) == list(range(40))
    report = audit_verify_chain()
    assert (report.ok, report.count) == (True, 40)
    assert AuditChainHead.objects.get().sequence == 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_that_roll_back_leave_no_gap():
    rolled_back = set(random.Random(6).sample(range(40), 15))
    jobs = [_append_job(n, roll_back=n in rolled_back) for n in range(40)]

    results, errors = run_together(jobs)

    assert errors == []
    assert sorted(r for r in results if r is not None) == list(range(1, 26))
    kept = sorted(AuditEntry.objects.values_list("data__n", flat=True))
    assert kept == sorted(set(range(40)) - rolled_back)
    report = audit_verify_chain()
    assert (report.ok, report.count) == (True, 25)


@pytest.mark.django_db(transaction=True)
def test_thirty_simultaneous_submits_write_thirty_entries_in_one_chain():
    call = factories.CallFactory()
    pairs = []
    for _ in range(30):
        application = factories.ApplicationFactory(call=call)
        pairs.append((application.pk, factories.applicant_for(application)))

    def submit(pk, user):
        def job():
            with translation.override("en"):
                application = Application.objects.get(pk=pk)
                return application_submit(application=application, by=user).number

        return job

    results, errors = run_together([submit(pk, user) for pk, user in pairs])

    assert errors == []
    assert results == [1] * 30
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert [e.sequence for e in entries] == list(range(1, 31))
    assert {e.action for e in entries} == {"application.submit"}
    assert sorted(e.object_id for e in entries) == sorted(pk for pk, _ in pairs)
    # Each entry's actor is the applicant who submitted that application.
    assert {(e.object_id, e.actor_id) for e in entries} == {(pk, u.pk) for pk, u in pairs}
    assert audit_verify_chain().ok
