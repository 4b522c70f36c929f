"""Two saves of one text (working copy, report draft, review draft) from the same version at the
same instant, on PostgreSQL: exactly one wins, the other is refused as stale and writes nothing
(real connections, real row locks).

SQLite serialises every writer, so it proves nothing here; these run when the suite runs on
PostgreSQL (``make test`` does both).
"""

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import translation

from applications.enums import ReportKind
from applications.models import Application, Report
from applications.services.edit_conflicts import StaleEdit
from applications.services.follow_up import report_save
from applications.services.working_copy import application_create, application_update
from grants.models import Call
from reviews.models import Assignment, Review
from reviews.services.reviewing import review_save
from tests import factories
from tests.concurrency import run_together
from tests.reviews.views.test_reviewer import assign, in_review

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
    ),
]


def _save_job(application_pk: int, user, title: str):
    def job():
        with translation.override("en"):
            application = Application.objects.get(pk=application_pk)
            application_update(
                application=application,
                by=user,
                data={"title": title},
                budget_lines=[{"category": "travel", "description": title, "amount": 1}],
                base_version=0,
            )
            return title

    return job


@pytest.mark.parametrize("round_", range(3))
def test_of_two_saves_from_the_same_version_exactly_one_wins(round_):
    application = factories.ApplicationFactory()
    tab_1, tab_2 = factories.applicant_for(application), factories.applicant_for(application)

    results, errors = run_together(
        [_save_job(application.pk, tab_1, "Tab 1"), _save_job(application.pk, tab_2, "Tab 2")]
    )

    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], StaleEdit)
    application.refresh_from_db()
    assert application.edit_version == 1
    assert application.title == results[0]
    # The winner's budget whole, nothing of the loser's.
    assert list(application.budget_lines.values_list("description", flat=True)) == results


def _report_job(report_pk: int, user, lessons: str):
    def job():
        with translation.override("en"):
            report_save(
                report=Report.objects.get(pk=report_pk),
                by=user,
                what_was_done=lessons,
                lessons=lessons,
                participants=1,
                hub_days=1,
                measures={},
                total_spent=None,
                spent={},
                base_version=0,
            )
            return lessons

    return job


def test_of_two_report_saves_from_the_same_version_exactly_one_wins():
    grant = factories.grant_in_follow_up()
    report = grant.reports.get(kind=ReportKind.FINAL)
    colleague = factories.applicant_for(grant, is_signatory=True)

    results, errors = run_together(
        [
            _report_job(report.pk, grant.signatory, "Signatory"),
            _report_job(report.pk, colleague, "Colleague"),
        ]
    )

    assert len(results) == 1
    assert [type(error) for error in errors] == [StaleEdit]
    report.refresh_from_db()
    assert (report.edit_version, report.lessons, report.what_was_done) == (
        1,
        results[0],
        results[0],
    )


def _review_job(assignment_pk: int, user, comment: str):
    def job():
        with translation.override("en"):
            review_save(
                assignment=Assignment.objects.get(pk=assignment_pk),
                by=user,
                scores={},
                internal_comment=comment,
                base_version=0,
            )
            return comment

    return job


def test_of_two_first_review_saves_from_two_tabs_exactly_one_wins():
    call = factories.CallFactory(reviewers_per_application=1, min_reviews=1)
    manager = factories.programme_manager()
    application = in_review(call, manager)[0]
    member = factories.PanelMemberFactory(call=call)
    assignment = assign(member, application, manager)

    results, errors = run_together(
        [_review_job(assignment.pk, member.user, text) for text in ("Tab 1", "Tab 2")]
    )

    assert len(results) == 1
    assert [type(error) for error in errors] == [StaleEdit]
    review = Review.objects.get(assignment=assignment)
    assert (review.edit_version, review.internal_comment) == (1, results[0])


def test_starting_a_draft_waits_for_the_call_lock_the_form_builder_holds():
    # The form builder changes a form under the call's row lock after checking that no
    # application exists; a draft started meanwhile must wait for that lock, or the form would
    # change under an application written against it.
    existing = factories.ApplicationFactory()
    call, organisation = existing.call, existing.organisation
    person = factories.applicant_for(existing)
    locked, release = threading.Event(), threading.Event()

    def builder_holding_the_lock():
        try:
            with transaction.atomic():
                Call.objects.select_for_update().get(pk=call.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=builder_holding_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            with pytest.raises(OperationalError, match="lock timeout"):
                application_create(call=call, organisation=organisation, by=person)
    finally:
        release.set()
        holder.join(timeout=30)
    assert Application.objects.filter(call=call).count() == 1  # nothing was started
    # Once the lock is free, the draft starts.
    application_create(call=call, organisation=organisation, by=person)
    assert Application.objects.filter(call=call).count() == 2
