"""The panel over time: a reviewer leaves or declines, the gap is refilled, reviewers are told
of new work and reminded of due dates, and late reviews are flagged."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from applications.audit import audit_entries
from reviews.models import Assignment, PanelMember, ReviewReminder
from reviews.rules import is_reviewer
from reviews.selectors.assignments import declined_assignments, late_review_count, late_reviews
from reviews.services.assignments import assignment_decline, assignments_auto
from reviews.services.panel import panel_invitation_accept, panel_invite, panel_member_deactivate
from reviews.services.reminders import review_reminders_send
from tests import factories

pytestmark = pytest.mark.django_db

STOCKHOLM = timezone.get_default_timezone()


@pytest.fixture(autouse=True)
def english():
    """The services' messages read in English here; the emails go in each reviewer's language."""
    with translation.override("en"):
        yield


@pytest.fixture
def pm():
    return factories.programme_manager()


@pytest.fixture
def panel(pm):
    """Two applications in review, three declared reviewers, two of them assigned to both."""
    call = factories.CallFactory(reviewers_per_application=2, min_reviews=1)
    criterion = factories.CriterionFactory(call=call)
    application, second = factories.applications_in_review(call, by=pm, count=2)
    members = [
        factories.PanelMemberFactory(call=call, user__full_name=name, user__language=language)
        for name, language in (("Anna", "sv"), ("Bo", "en"), ("Cecilia", "sv"))
    ]
    for member in members:
        factories.declare_none(member, [application, second])
    # The first two on both applications, by hand so which two is known; the third is the spare.
    for member in members[:2]:
        Assignment.objects.create(member=member, application=application)
        Assignment.objects.create(member=member, application=second)
    return call, criterion, application, members


def _active(application):
    return sorted(
        Assignment.objects.filter(application=application, removed_at=None).values_list(
            "member__user__full_name", flat=True
        )
    )


# -- a reviewer declines --------------------------------------------------------------------------


def test_declining_hands_the_application_to_the_spare_reviewer(
    panel, mailoutbox, django_capture_on_commit_callbacks
):
    call, _criterion, application, (anna, _bo, cecilia) = panel
    assignment = Assignment.objects.get(member=anna, application=application)

    with django_capture_on_commit_callbacks(execute=True):
        result = assignment_decline(assignment=assignment, by=anna.user, reason="Sjuk i två veckor")

    assert _active(application) == ["Bo", "Cecilia"]
    assert [a.member for a in result.created] == [cecilia]
    assignment.refresh_from_db()
    assert (assignment.declined, assignment.removed_reason) == (True, "Sjuk i två veckor")
    assert list(declined_assignments(call)) == [assignment]
    # The new reviewer is told, in Swedish (her language), with a link to the review.
    (notice,) = mailoutbox
    assert notice.to == [cecilia.user.email]
    assert application.registration_number in notice.body
    assert f"/review/applications/{application.pk}/" in notice.body
    assert "granska" in notice.subject.lower()
    entry = audit_entries(action="assignment.remove").first()
    assert entry.data == {
        "member_id": anna.pk,
        "application_id": application.pk,
        "reason": "declined",
    }


def test_a_declined_application_never_comes_back_to_the_same_reviewer(panel, pm):
    _call, _criterion, application, (anna, bo, cecilia) = panel
    assignment_decline(
        assignment=Assignment.objects.get(member=anna, application=application),
        by=anna.user,
        reason="Jäv upptäckt sent",
    )
    assignment_decline(
        assignment=Assignment.objects.get(member=cecilia, application=application),
        by=cecilia.user,
        reason="Ingen tid",
    )

    result = assignments_auto(call=application.call, by=pm)

    assert _active(application) == ["Bo"]
    assert [s.missing for s in result.shortfalls] == [1]


@pytest.mark.parametrize("reason", ["", "   "])
def test_declining_needs_a_reason_and_changes_nothing(panel, reason):
    _call, _criterion, application, (anna, *_rest) = panel
    assignment = Assignment.objects.get(member=anna, application=application)

    with pytest.raises(ValidationError, match="Say why you decline"):
        assignment_decline(assignment=assignment, by=anna.user, reason=reason)

    assert _active(application) == ["Anna", "Bo"]


def test_only_the_reviewer_can_decline_and_not_after_submitting(panel):
    _call, criterion, application, (anna, bo, _cecilia) = panel
    assignment = Assignment.objects.get(member=anna, application=application)

    with pytest.raises(ValidationError, match="no longer yours"):
        assignment_decline(assignment=assignment, by=bo.user, reason="Not mine")
    factories.submit_review(assignment, {criterion: 4})
    with pytest.raises(ValidationError, match="submitted your review"):
        assignment_decline(assignment=assignment, by=anna.user, reason="Too late")

    assert _active(application) == ["Anna", "Bo"]


# -- a programme manager takes a reviewer off the panel -------------------------------------------


def test_leaving_keeps_submitted_reviews_and_reassigns_the_rest(panel, pm):
    call, criterion, application, (anna, bo, cecilia) = panel
    second = call.applications.exclude(pk=application.pk).get()
    reviewed = Assignment.objects.get(member=anna, application=application)
    factories.submit_review(reviewed, {criterion: 5})

    panel_member_deactivate(member=anna, by=pm, reason="Har bytt arbetsgivare")

    anna.refresh_from_db()
    assert not anna.is_active and anna.deactivated_by == pm
    assert _active(application) == ["Anna", "Bo"]  # her submitted review stays and counts
    assert sorted(_active(second)) == ["Bo", "Cecilia"]  # the unreviewed one went to others
    assert not is_reviewer(type(anna.user).objects.get(pk=anna.user_id))
    assert audit_entries(action="panel.deactivate").first().object_id == anna.pk


def test_a_reviewer_who_left_gets_no_new_work(panel, pm):
    call, _criterion, application, (anna, bo, cecilia) = panel
    Assignment.objects.filter(member=bo).delete()
    panel_member_deactivate(member=bo, by=pm, reason="Föräldraledig")

    assignments_auto(call=call, by=pm)

    assert _active(application) == ["Anna", "Cecilia"]


def test_leaving_needs_a_programme_manager_and_a_reason(panel, pm):
    _call, _criterion, application, (anna, bo, _cecilia) = panel

    with pytest.raises(PermissionDenied):
        panel_member_deactivate(member=anna, by=bo.user, reason="Colleague says so")
    with pytest.raises(ValidationError, match="Give the reason"):
        panel_member_deactivate(member=anna, by=pm, reason=" ")
    panel_member_deactivate(member=anna, by=pm, reason="Slutat")
    with pytest.raises(ValidationError, match="already left"):
        panel_member_deactivate(member=anna, by=pm, reason="Again")

    assert PanelMember.objects.get(pk=anna.pk).deactivation_reason == "Slutat"


def test_invited_back_the_same_seat_is_active_again(panel, pm):
    call, _criterion, _application, (anna, *_rest) = panel
    panel_member_deactivate(member=anna, by=pm, reason="Paus")

    invitation = panel_invite(call=call, by=pm, email=anna.user.email)
    member = panel_invitation_accept(invitation=invitation, by=anna.user, employer_orgnr="")

    assert member.pk == anna.pk and member.is_active and member.deactivation_reason == ""


# -- emails about new work ------------------------------------------------------------------------


def test_automatic_assignment_emails_each_reviewer_once_in_their_language(
    pm, mailoutbox, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(reviewers_per_application=1, min_reviews=1)
    applications = factories.applications_in_review(call, by=pm, count=2)
    member = factories.PanelMemberFactory(call=call, user__language="en")
    factories.declare_none(member, applications)

    with django_capture_on_commit_callbacks(execute=True):
        assignments_auto(call=call, by=pm)

    (notice,) = mailoutbox
    assert notice.to == [member.user.email]
    assert notice.subject == f"2 applications to review in {call.title_en or call.title_sv}"
    for application in applications:
        assert application.registration_number in notice.body
    assert "decline it on its review page" in notice.body


# -- reminders and late reviews -------------------------------------------------------------------


def _due(call, day: dt.date):
    call.review_due_at = dt.datetime.combine(day, dt.time(17, 0), tzinfo=STOCKHOLM)
    call.save(update_fields=["review_due_at"])


def test_reminders_go_once_before_the_due_date_and_once_when_overdue(
    panel, mailoutbox, django_capture_on_commit_callbacks
):
    call, criterion, application, (anna, bo, _cecilia) = panel
    call.review_reminder_days_before = 3
    call.save(update_fields=["review_reminder_days_before"])
    Assignment.objects.exclude(application=application).delete()  # one application is enough
    _due(call, dt.date(2026, 3, 10))
    factories.submit_review(
        Assignment.objects.get(member=bo, application=application), {criterion: 3}
    )

    def run(day):
        with django_capture_on_commit_callbacks(execute=True):
            return review_reminders_send(today=day)

    assert run(dt.date(2026, 3, 6)) == 0  # four days before: not yet
    assert run(dt.date(2026, 3, 7)) == 1  # three days before: Anna (Bo has submitted)
    assert run(dt.date(2026, 3, 8)) == 0  # once only
    assert run(dt.date(2026, 3, 10)) == 0  # the due day itself is not overdue
    assert run(dt.date(2026, 3, 11)) == 1
    assert run(dt.date(2026, 3, 11)) == 0
    assert [m.to for m in mailoutbox] == [[anna.user.email], [anna.user.email]]
    assert "10 mars 2026" in mailoutbox[0].subject
    assert "försenad" in mailoutbox[1].subject.lower()
    assert ReviewReminder.objects.filter(assignment__member=anna).count() == 2


def test_the_reminder_comes_the_calls_own_lead_time_before_the_due_date(
    panel, django_capture_on_commit_callbacks
):
    call, _criterion, application, _members = panel
    call.review_reminder_days_before = 7
    call.save(update_fields=["review_reminder_days_before"])
    Assignment.objects.exclude(application=application).delete()
    _due(call, dt.date(2026, 3, 10))

    def run(day):
        with django_capture_on_commit_callbacks(execute=True):
            return review_reminders_send(today=day)

    assert run(dt.date(2026, 3, 2)) == 0  # eight days before: not yet
    assert run(dt.date(2026, 3, 3)) == 2  # seven days before: both reviewers assigned


def test_late_reviews_are_flagged_missing_or_submitted_late(panel):
    call, criterion, application, (anna, bo, _cecilia) = panel
    _due(call, dt.date(2026, 3, 10))
    with time_machine.travel(dt.datetime(2026, 3, 12, 9, 0, tzinfo=STOCKHOLM)):
        factories.submit_review(
            Assignment.objects.get(member=bo, application=application), {criterion: 3}
        )
        now = timezone.now()

    late = {
        row.assignment.member.user.full_name: row
        for row in late_reviews(call, now=now)
        if row.assignment.application_id == application.pk
    }

    assert (late["Anna"].submitted, late["Anna"].days_late) == (False, 2)
    assert (late["Bo"].submitted, late["Bo"].days_late) == (True, 2)


def test_late_reviews_are_counted_whole_and_listed_up_to_a_limit(panel):
    call, criterion, application, (anna, bo, _cecilia) = panel
    _due(call, dt.date(2026, 3, 10))
    now = dt.datetime(2026, 3, 12, 9, 0, tzinfo=STOCKHOLM)
    every = late_reviews(call, now=now)

    assert len(every) >= 2
    assert late_review_count(call, now=now) == len(every)
    assert late_reviews(call, now=now, limit=1) == every[:1]
    # Before the due date has passed only a review submitted after it would be late.
    assert late_review_count(call, now=dt.datetime(2026, 3, 9, tzinfo=STOCKHOLM)) == 0


def test_reviews_in_on_time_are_not_late(panel):
    call, criterion, application, (anna, bo, _cecilia) = panel
    _due(call, timezone.localdate() + dt.timedelta(days=5))
    factories.submit_review(
        Assignment.objects.get(member=bo, application=application), {criterion: 3}
    )

    assert late_reviews(call) == []
