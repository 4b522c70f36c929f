"""The programme manager's review pages: calls and criteria, panel, conflicts, assignments and
one application's reviews. Each page: the programme manager succeeds, everyone else is refused."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from applications.enums import ApplicationState, EligibilityItem
from applications.services.transitions import (
    application_check_eligibility,
    application_start_review,
    application_submit,
)
from reviews.enums import ConflictGround, Recommendation, ReviewStatus
from reviews.models import (
    Assignment,
    ConflictOverride,
    ConsensusComment,
    PanelInvitation,
)
from reviews.services.assignments import assignment_add, assignments_auto
from reviews.services.conflicts import Declaration, conflict_override, conflicts_declare
from reviews.services.reviewing import review_save, review_submit
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState


@pytest.fixture
def programme_manager():
    # English users: the assertions read the English message ids.
    return factories.programme_manager(language="en")


@pytest.fixture
def decision_maker():
    return factories.decision_maker(language="en")


@pytest.fixture
def call():
    call = factories.CallFactory(reviewers_per_application=2, min_reviews=2)
    factories.CriterionFactory(call=call, name_en="Relevance", weight=2, threshold=4)
    factories.CriterionFactory(call=call, name_en="Feasibility", weight=1)
    return call


def in_review(call, manager, count=1, **kwargs):
    """Applications of ``call`` submitted in time, checked and put in review."""
    applications = [factories.ApplicationFactory(call=call, **kwargs) for _ in range(count)]
    for application in applications:
        application_submit(application=application, by=factories.applicant_for(application))
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=1)):
        for application in applications:
            application_check_eligibility(
                application=application,
                by=manager,
                items=dict.fromkeys(EligibilityItem.values, True),
            )
            application_start_review(application=application, by=manager)
    for application in applications:
        application.refresh_from_db()
    return applications


def reviewer(call, **kwargs):
    return factories.PanelMemberFactory(
        call=call, user=factories.UserFactory(language="en"), **kwargs
    )


def declare_none(member, applications):
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[Declaration(a.pk, False) for a in applications],
    )


def submit_review(assignment, relevance, feasibility, comment="Good."):
    criteria = list(assignment.application.call.criteria.order_by("position"))
    review_save(
        assignment=assignment,
        by=assignment.member.user,
        scores={criteria[0].pk: relevance, criteria[1].pk: feasibility},
        comment_for_applicant=comment,
        internal_comment="Internal note.",
        recommendation=Recommendation.FUND,
    )
    return review_submit(assignment=assignment, by=assignment.member.user)


def url(name, *args):
    return reverse(f"reviews:{name}", args=args)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# -- who may open the pages --------------------------------------------------------------------

CALL_PAGES = ["panel", "conflicts", "assignments"]


@pytest.mark.parametrize("name", CALL_PAGES)
def test_call_pages_open_for_the_programme_manager(client, programme_manager, call, name):
    client.force_login(programme_manager)
    assert client.get(url(name, call.slug)).status_code == 200


def test_calls_page_opens_for_the_programme_manager(client, programme_manager, call):
    client.force_login(programme_manager)
    assert client.get(url("manage_calls")).status_code == 200


@pytest.mark.parametrize("name", CALL_PAGES)
def test_call_pages_send_anonymous_visitors_to_login(client, call, name):
    response = client.get(url(name, call.slug))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_calls_page_sends_anonymous_visitors_to_login(client):
    response = client.get(url("manage_calls"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["applicant", "reviewer", "decision_maker"])
@pytest.mark.parametrize("name", [*CALL_PAGES, "manage_calls"])
def test_call_pages_are_refused_to_everyone_but_programme_managers(
    client, call, decision_maker, name, role
):
    users = {
        "applicant": factories.MembershipFactory().user,
        "reviewer": reviewer(call).user,
        "decision_maker": decision_maker,
    }
    client.force_login(users[role])
    address = url(name) if name == "manage_calls" else url(name, call.slug)
    assert client.get(address).status_code == 403


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("panel_invite", {"invite-email": "new@example.se"}),
        ("conflict_override", {}),
        ("assignments_auto", {}),
    ],
)
def test_call_actions_are_refused_to_a_decision_maker(client, call, decision_maker, name, data):
    client.force_login(decision_maker)
    assert client.post(url(name, call.slug), data).status_code == 403
    assert PanelInvitation.objects.count() == 0


def test_unknown_call_is_404_for_the_programme_manager(client, programme_manager):
    client.force_login(programme_manager)
    assert client.get(url("panel", "no-such-call")).status_code == 404


# -- calls and criteria ------------------------------------------------------------------------


def test_calls_page_lists_each_call_with_its_criteria(client, programme_manager, call):
    other = factories.CallFactory(title_en="Without criteria")
    client.force_login(programme_manager)

    response = client.get(url("manage_calls"))

    page = response.content.decode()
    assert list(response.context["calls"]) == sorted(
        [call, other], key=lambda c: c.closes_at, reverse=True
    )
    assert "Relevance" in page and "Feasibility" in page
    assert url("panel", call.slug) in page
    assert url("assignments", other.slug) in page
    assert "No criteria yet." in page


def test_calls_page_counts_each_calls_panel_and_applications_in_review(
    client, programme_manager, call
):
    other = factories.CallFactory()
    for _ in range(3):
        factories.PanelMemberFactory(call=call)
    factories.PanelMemberFactory(call=other)
    factories.submitted_application(call=call)  # submitted, not in review: not counted
    factories.applications_in_review(call, by=programme_manager, count=2)
    client.force_login(programme_manager)

    calls = {c.pk: c for c in client.get(url("manage_calls")).context["calls"]}

    assert (calls[call.pk].panel_size, calls[call.pk].in_review) == (3, 2)
    assert (calls[other.pk].panel_size, calls[other.pk].in_review) == (1, 0)


def test_calls_page_query_count_does_not_grow_with_calls(
    client, programme_manager, django_assert_num_queries
):
    factories.CriterionFactory()
    client.force_login(programme_manager)
    client.get(url("manage_calls"))  # warm the session and the permission cache
    with django_assert_num_queries(7) as few:
        client.get(url("manage_calls"))
    for _ in range(5):
        factories.CriterionFactory()
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url("manage_calls"))


# -- the panel ---------------------------------------------------------------------------------


def test_invite_sends_an_invitation_and_lists_it_as_pending(
    client, programme_manager, call, django_capture_on_commit_callbacks
):
    client.force_login(programme_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("panel_invite", call.slug), {"invite-email": "Eva@Example.se"}, follow=True
        )

    invitation = PanelInvitation.objects.get()
    assert (invitation.call, invitation.email, invitation.invited_by) == (
        call,
        "eva@example.se",
        programme_manager,
    )
    assert messages_of(response) == ["An invitation was sent to eva@example.se."]
    assert list(response.context["invitations"]) == [invitation]
    assert [m.to for m in mail.outbox] == [["eva@example.se"]]


def test_invite_with_a_bad_address_is_refused_with_the_error_linked(
    client, programme_manager, call
):
    client.force_login(programme_manager)

    response = client.post(url("panel_invite", call.slug), {"invite-email": "not an address"})

    assert response.status_code == 200
    assert PanelInvitation.objects.count() == 0
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'href="#id_invite-email"' in page
    assert 'aria-describedby="id_invite-email_helptext id_invite-email_error"' in page


def test_inviting_someone_already_on_the_panel_is_refused(client, programme_manager, call):
    member = reviewer(call)
    client.force_login(programme_manager)

    response = client.post(url("panel_invite", call.slug), {"invite-email": member.user.email})

    assert response.context["invite_form"].errors == {
        "email": [f"{member.user.email} is already on the panel."]
    }
    assert PanelInvitation.objects.count() == 0


def test_panel_shows_employer_declarations_and_load(client, programme_manager, call):
    applications = in_review(call, programme_manager, count=2)
    member = reviewer(call, employer_orgnr="212000-0142", employer_name="Umeå kommun")
    idle = reviewer(call)
    declare_none(member, applications[:1])
    assignment_add(member=member, application=applications[0], by=programme_manager)
    client.force_login(programme_manager)

    response = client.get(url("panel", call.slug))

    rows = {row["member"]: (row["declared"], row["load"]) for row in response.context["rows"]}
    assert rows == {member: (1, 1), idle: (0, 0)}
    assert response.context["scope_size"] == 2
    assert "Umeå kommun (212000-0142)" in response.content.decode()


def test_setting_an_employer_removes_the_assignment_it_conflicts_with(
    client, programme_manager, call
):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    declare_none(member, [application])
    assignment = assignment_add(member=member, application=application, by=programme_manager)
    client.force_login(programme_manager)

    response = client.post(
        url("panel_employer", call.slug, member.pk),
        {
            f"employer-{member.pk}-employer_orgnr": application.organisation.orgnr,
            f"employer-{member.pk}-employer_name": application.organisation.name,
        },
        follow=True,
    )

    member.refresh_from_db()
    assignment.refresh_from_db()
    assert member.employer_orgnr == application.organisation.orgnr
    assert assignment.removed_at is not None
    assert messages_of(response) == [f"The employer of {member.user.full_name} was saved."]


def test_an_invalid_employer_number_is_refused_and_nothing_changes(client, programme_manager, call):
    member = reviewer(call, employer_orgnr="212000-0142")
    client.force_login(programme_manager)

    response = client.post(
        url("panel_employer", call.slug, member.pk),
        {f"employer-{member.pk}-employer_orgnr": "811228-9874"},
    )

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.employer_orgnr == "212000-0142"
    assert "This looks like a personal identity number." in response.content.decode()


def test_employer_of_another_calls_member_is_404(client, programme_manager, call):
    stranger = reviewer(factories.CallFactory())
    client.force_login(programme_manager)
    response = client.post(
        url("panel_employer", call.slug, stranger.pk),
        {f"employer-{stranger.pk}-employer_orgnr": ""},
    )
    assert response.status_code == 404


# -- conflicts of interest ---------------------------------------------------------------------


def test_conflicts_page_names_each_source_and_who_has_not_declared(client, programme_manager, call):
    first, second = in_review(call, programme_manager, count=2)
    declaring = reviewer(call)
    employed = reviewer(call, employer_orgnr=second.organisation.orgnr)
    conflicts_declare(
        member=declaring,
        by=declaring.user,
        declarations=[
            Declaration(first.pk, True, ConflictGround.CLOSE_RELATION, "My sister."),
            Declaration(second.pk, False),
        ],
    )
    conflict_override(
        member=employed,
        application=first,
        by=programme_manager,
        has_conflict=True,
        reason="Was on the applicant's steering group.",
    )
    client.force_login(programme_manager)

    response = client.get(url("conflicts", call.slug))

    rows = {row.application: row for row in response.context["rows"]}
    first_entries = {e.member: e for e in rows[first].entries}
    assert first_entries[declaring].declaration.ground == ConflictGround.CLOSE_RELATION
    assert first_entries[employed].override.reason == "Was on the applicant's steering group."
    assert [(e.member, e.employer_match) for e in rows[second].entries] == [(employed, True)]
    assert rows[first].undeclared == [employed]
    assert rows[second].undeclared == [employed]
    page = response.content.decode()
    assert "My sister." in page
    assert "employer match" in page


def test_adding_a_conflict_is_on_record_and_removes_the_assignment(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    declare_none(member, [application])
    assignment = assignment_add(member=member, application=application, by=programme_manager)
    client.force_login(programme_manager)

    response = client.post(
        url("conflict_override", call.slug),
        {
            "application": application.pk,
            "member": member.pk,
            "decision": "add",
            "reason": "Former colleague of the project lead.",
        },
        follow=True,
    )

    override = ConflictOverride.objects.get()
    assert (override.has_conflict, override.reason, override.decided_by) == (
        True,
        "Former colleague of the project lead.",
        programme_manager,
    )
    assignment.refresh_from_db()
    assert assignment.removed_at is not None
    assert list(response.context["history"]) == [override]


def test_lifting_a_declared_conflict_makes_the_reviewer_assignable(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[Declaration(application.pk, True, ConflictGround.OTHER, "Unsure")],
    )
    client.force_login(programme_manager)

    client.post(
        url("conflict_override", call.slug),
        {
            "application": application.pk,
            "member": member.pk,
            "decision": "lift",
            "reason": "Checked: no real tie.",
        },
    )

    assert assignment_add(member=member, application=application, by=programme_manager)


def test_a_decision_without_reason_is_refused_and_nothing_is_recorded(
    client, programme_manager, call
):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    client.force_login(programme_manager)

    response = client.post(
        url("conflict_override", call.slug),
        {"application": application.pk, "member": member.pk, "decision": "add", "reason": " "},
    )

    assert response.status_code == 200
    assert ConflictOverride.objects.count() == 0
    assert response.context["failed_form"].errors == {"reason": ["This field is required."]}
    assert 'href="#id_reason"' in response.content.decode()


def test_a_decision_about_another_calls_application_is_refused(client, programme_manager, call):
    (foreign,) = in_review(factories.CallFactory(), programme_manager)
    member = reviewer(call)
    client.force_login(programme_manager)

    response = client.post(
        url("conflict_override", call.slug),
        {"application": foreign.pk, "member": member.pk, "decision": "add", "reason": "X"},
    )

    assert "application" in response.context["failed_form"].errors
    assert ConflictOverride.objects.count() == 0


# -- assignments -------------------------------------------------------------------------------


def test_automatic_assignment_reports_what_it_made_and_each_shortfall(
    client, programme_manager, call
):
    first, second = in_review(call, programme_manager, count=2)
    members = [reviewer(call) for _ in range(3)]
    for member in members[:2]:
        declare_none(member, [first, second])
    declare_none(members[2], [first])
    conflict_override(
        member=members[1],
        application=second,
        by=programme_manager,
        has_conflict=True,
        reason="Tie.",
    )
    client.force_login(programme_manager)

    response = client.post(url("assignments_auto", call.slug), follow=True)

    assert Assignment.objects.filter(application=first).count() == 2
    assert Assignment.objects.filter(application=second).count() == 1
    assert messages_of(response) == [
        "3 assignments were made.",
        f"{second.registration_number} lacks 1 reviewer. Of the panel, 1 have a conflict of "
        "interest, 1 have not declared and 0 were removed by hand.",
    ]
    rows = {row.application: row for row in response.context["rows"]}
    assert (rows[second].missing, rows[second].conflicts, rows[second].undeclared) == (1, 1, 1)
    assert response.context["short"] == 1


def test_running_automatic_assignment_again_changes_nothing(client, programme_manager, call):
    applications = in_review(call, programme_manager, count=2)
    for _ in range(2):
        declare_none(reviewer(call), applications)
    client.force_login(programme_manager)
    client.post(url("assignments_auto", call.slug), follow=True)

    response = client.post(url("assignments_auto", call.slug), follow=True)

    assert Assignment.objects.count() == 4
    assert messages_of(response) == [
        "Every application already has its reviewers. Nothing changed."
    ]


def test_loads_show_min_and_max(client, programme_manager, call):
    applications = in_review(call, programme_manager, count=3)
    members = [reviewer(call) for _ in range(3)]
    for member in members:
        declare_none(member, applications)
    assignments_auto(call=call, by=programme_manager)
    client.force_login(programme_manager)

    response = client.get(url("assignments", call.slug))

    assert sorted(entry["load"] for entry in response.context["loads"]) == [2, 2, 2]
    assert (response.context["load_min"], response.context["load_max"]) == (2, 2)


def test_manual_add_assigns_a_declared_reviewer(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    declare_none(member, [application])
    client.force_login(programme_manager)

    response = client.post(
        url("assignment_add", call.slug, application.pk),
        {f"add-{application.pk}-member": member.pk},
        follow=True,
    )

    assignment = Assignment.objects.get()
    assert (assignment.member, assignment.assigned_by) == (member, programme_manager)
    assert messages_of(response) == [
        f"{member.user.full_name} was assigned to {application.registration_number}."
    ]


def test_manual_add_of_a_reviewer_with_a_conflict_is_refused_clearly(
    client, programme_manager, call
):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call, employer_orgnr=application.organisation.orgnr)
    declare_none(member, [application])
    client.force_login(programme_manager)

    response = client.post(
        url("assignment_add", call.slug, application.pk),
        {f"add-{application.pk}-member": member.pk},
    )

    assert Assignment.objects.count() == 0
    error = f"{member.user.full_name} has a conflict of interest with this application."
    assert response.context["failed_form"].errors == {"member": [error]}
    page = response.content.decode()
    assert f'href="#id_add-{application.pk}-member"' in page
    assert f"{member.user.full_name} (conflict of interest)" in page


def test_manual_add_of_a_reviewer_who_has_not_declared_is_refused(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    client.force_login(programme_manager)

    response = client.post(
        url("assignment_add", call.slug, application.pk),
        {f"add-{application.pk}-member": member.pk},
    )

    assert Assignment.objects.count() == 0
    assert response.context["failed_form"].errors == {
        "member": [
            f"{member.user.full_name} has not yet declared conflicts of interest for this "
            "application."
        ]
    }


def test_manual_add_without_a_choice_is_refused(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    reviewer(call)
    client.force_login(programme_manager)

    response = client.post(url("assignment_add", call.slug, application.pk), {})

    assert response.context["failed_form"].errors == {"member": ["This field is required."]}
    assert Assignment.objects.count() == 0


def test_remove_takes_a_reviewer_off_with_the_reason(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    declare_none(member, [application])
    assignment = assignment_add(member=member, application=application, by=programme_manager)
    client.force_login(programme_manager)

    client.post(
        url("assignment_remove", call.slug, assignment.pk),
        {f"remove-{assignment.pk}-reason": "On leave."},
    )

    assignment.refresh_from_db()
    assert assignment.removed_at is not None
    assert assignment.removed_reason == "On leave."


def test_removing_a_reviewer_whose_review_is_submitted_is_refused(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    declare_none(member, [application])
    assignment = assignment_add(member=member, application=application, by=programme_manager)
    submit_review(assignment, 5, 5)
    client.force_login(programme_manager)

    response = client.post(url("assignment_remove", call.slug, assignment.pk), {})

    assignment.refresh_from_db()
    assert assignment.removed_at is None
    assert response.context["failed_form"].errors == {
        "reason": ["The review has been submitted. Record a conflict of interest to exclude it."]
    }


def test_assignment_actions_are_refused_to_a_reviewer(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    declare_none(member, [application])
    client.force_login(member.user)

    response = client.post(
        url("assignment_add", call.slug, application.pk),
        {f"add-{application.pk}-member": member.pk},
    )

    assert response.status_code == 403
    assert Assignment.objects.count() == 0


def _assignment_page_with(call, manager, count):
    applications = in_review(call, manager, count=count)
    for _ in range(3):
        member = reviewer(call)
        declare_none(member, applications)
    assignments_auto(call=call, by=manager)
    return applications


def test_assignments_page_query_count_does_not_grow_with_applications(
    client, programme_manager, django_assert_num_queries
):
    small, large = factories.CallFactory(), factories.CallFactory()
    _assignment_page_with(small, programme_manager, 3)
    _assignment_page_with(large, programme_manager, 25)
    client.force_login(programme_manager)
    client.get(url("assignments", small.slug))

    # 19 with the page's count, ids and rows, the call-wide loads and shortfall, the declined
    # assignments (and the late reviews, when the call has a due date).
    with django_assert_num_queries(19):
        response = client.get(url("assignments", small.slug))
    assert len(response.context["rows"]) == 3
    with django_assert_num_queries(19):
        response = client.get(url("assignments", large.slug))
    assert len(response.context["rows"]) == 25


def test_assignments_page_shows_50_applications_a_page_with_call_wide_counts(
    client, programme_manager, call, django_assert_num_queries
):
    applications = in_review(call, programme_manager, count=52)
    first, second = reviewer(call), reviewer(call)
    declare_none(first, applications)
    declare_none(second, applications)
    assignment_add(member=first, application=applications[-1], by=programme_manager)
    client.force_login(programme_manager)
    client.get(url("assignments", call.slug))

    with django_assert_num_queries(19):
        response = client.get(url("assignments", call.slug))
    numbers = sorted(a.registration_number for a in applications)
    assert [row.application.registration_number for row in response.context["rows"]] == numbers[:50]
    assert response.context["short"] == 52  # the call wants 2 reviewers: all lack some
    assert {e["member"]: e["load"] for e in response.context["loads"]} == {first: 1, second: 0}
    page = response.content.decode()
    assert 'aria-label="Pages of the applications in review"' in page
    assert "Page 1 of 2" in page
    assert "52 applications in review" in page

    with django_assert_num_queries(19):
        response = client.get(url("assignments", call.slug), {"page": 2})
    assert [row.application.registration_number for row in response.context["rows"]] == numbers[50:]
    last = next(a for a in applications if a.registration_number == numbers[-1])
    assert f"/assignments/applications/{last.pk}/add/?page=2" in response.content.decode()


def test_adding_on_a_later_page_returns_to_that_page(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    declare_none(member, [application])
    client.force_login(programme_manager)

    response = client.post(
        url("assignment_add", call.slug, application.pk) + "?page=2",
        {f"add-{application.pk}-member": member.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == url("assignments", call.slug) + "?page=2"
    assert Assignment.objects.filter(member=member, application=application).exists()


def test_panel_and_conflicts_pages_query_count_does_not_grow_with_applications(
    client, programme_manager, django_assert_num_queries
):
    small, large = factories.CallFactory(), factories.CallFactory()
    _assignment_page_with(small, programme_manager, 3)
    _assignment_page_with(large, programme_manager, 25)
    client.force_login(programme_manager)
    # The conflicts page: its page's count, ids and rows, and the page's declarations only.
    for name, queries in (("panel", 11), ("conflicts", 13)):
        with django_assert_num_queries(queries):
            client.get(url(name, small.slug))
        with django_assert_num_queries(queries):
            client.get(url(name, large.slug))


def test_conflicts_page_shows_50_applications_a_page(
    client, programme_manager, call, django_assert_num_queries
):
    applications = in_review(call, programme_manager, count=52)
    member = reviewer(call)
    declare_none(member, applications[:10])
    client.force_login(programme_manager)
    numbers = sorted(a.registration_number for a in applications)

    with django_assert_num_queries(13):
        response = client.get(url("conflicts", call.slug), {"page": 2})

    rows = response.context["rows"]
    assert [row.application.registration_number for row in rows] == numbers[50:]
    page = response.content.decode()
    assert 'aria-label="Pages of the applications received"' in page
    assert "Page 2 of 2" in page
    assert "52 applications received" in page
    choices = [value for value, _label in response.context["form"].fields["application"].choices]
    assert choices == ["", *(row.application.pk for row in rows)]


def test_a_decision_about_an_application_on_another_page_returns_to_the_page(
    client, programme_manager, call
):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    client.force_login(programme_manager)

    response = client.post(
        url("conflict_override", call.slug) + "?page=2",
        {"application": application.pk, "member": member.pk, "decision": "add", "reason": "Kin."},
    )

    assert response.status_code == 302
    assert response["Location"] == url("conflicts", call.slug) + "?page=2"
    assert ConflictOverride.objects.get().application == application


@pytest.mark.parametrize("page", ["x", "²", "2?next=//elsewhere", "9999999999"])
def test_a_decision_sent_from_a_strange_page_returns_to_the_first(
    client, programme_manager, call, page
):
    (application,) = in_review(call, programme_manager)
    member = reviewer(call)
    client.force_login(programme_manager)

    response = client.post(
        url("conflict_override", call.slug) + "?" + urlencode({"page": page}),
        {"application": application.pk, "member": member.pk, "decision": "add", "reason": "Kin."},
    )

    assert response["Location"] == url("conflicts", call.slug)
    assert ConflictOverride.objects.count() == 1


@pytest.mark.parametrize("posted", ["", "abc", "²", "99999999999999999999999"])
def test_a_decision_about_no_application_is_refused_clearly(
    client, programme_manager, call, posted
):
    in_review(call, programme_manager)
    member = reviewer(call)
    client.force_login(programme_manager)

    response = client.post(
        url("conflict_override", call.slug),
        {"application": posted, "member": member.pk, "decision": "add", "reason": "X"},
    )

    assert response.status_code == 200
    assert "application" in response.context["failed_form"].errors
    assert ConflictOverride.objects.count() == 0


# -- one application's reviews -----------------------------------------------------------------


@pytest.fixture
def reviewed(call, programme_manager):
    """An application in review with two submitted reviews and one not started."""
    (application,) = in_review(call, programme_manager)
    call.reviewers_per_application = 3
    call.save()
    members = [reviewer(call) for _ in range(3)]
    for member in members:
        declare_none(member, [application])
    assignments = [
        assignment_add(member=m, application=application, by=programme_manager) for m in members
    ]
    submit_review(assignments[0], 6, 3, comment="A clear plan.")
    submit_review(assignments[1], 3, 6, comment="The budget is thin.")
    application.refresh_from_db()
    return application


def test_application_reviews_show_scores_weighted_score_and_both_comments(
    client, programme_manager, reviewed
):
    client.force_login(programme_manager)

    response = client.get(url("application_reviews", reviewed.pk))

    assert response.status_code == 200
    submitted = [e for e in response.context["reviews"] if e["submitted"]]
    # (2×6 + 1×3) / 3 = 5 and (2×3 + 1×6) / 3 = 4; the mean is 4.5, the spread 1.
    assert sorted(e["weighted"] for e in submitted) == [Decimal("4.00"), Decimal("5.00")]
    assert response.context["aggregate"] == Decimal("4.50")
    assert response.context["spread"] == Decimal("1.00")
    assert response.context["can_complete"] is True
    page = response.content.decode()
    assert "A clear plan." in page and "The budget is thin." in page
    assert "Internal note." in page
    assert "Not started." in page


def test_consensus_comment_is_drawn_from_the_reviewers_comments(
    client, programme_manager, reviewed
):
    client.force_login(programme_manager)

    response = client.get(url("application_reviews", reviewed.pk))

    initial = response.context["consensus_form"].initial["text"]
    assert sorted(initial.split("\n\n")) == ["A clear plan.", "The budget is thin."]


def test_consensus_comment_is_saved(client, programme_manager, reviewed):
    client.force_login(programme_manager)

    response = client.post(
        url("consensus_comment", reviewed.pk),
        {"consensus-text": "A relevant plan with a thin budget."},
        follow=True,
    )

    comment = ConsensusComment.objects.get()
    assert (comment.application, comment.text, comment.written_by) == (
        reviewed,
        "A relevant plan with a thin budget.",
        programme_manager,
    )
    assert response.context["consensus_form"].initial["text"] == comment.text


def test_an_empty_consensus_comment_is_refused(client, programme_manager, reviewed):
    client.force_login(programme_manager)

    response = client.post(url("consensus_comment", reviewed.pk), {"consensus-text": "  "})

    assert response.status_code == 200
    assert ConsensusComment.objects.count() == 0
    assert 'href="#id_consensus-text"' in response.content.decode()


def test_complete_review_moves_the_application_to_reviewed(client, programme_manager, reviewed):
    client.force_login(programme_manager)

    client.post(url("review_complete", reviewed.pk))

    reviewed.refresh_from_db()
    assert reviewed.state == S.REVIEWED
    assert reviewed.transitions.last().actor == programme_manager


def test_complete_review_with_too_few_reviews_is_refused(client, programme_manager, call):
    (application,) = in_review(call, programme_manager)
    client.force_login(programme_manager)

    response = client.post(url("review_complete", application.pk))

    application.refresh_from_db()
    assert application.state == S.IN_REVIEW
    assert response.context["complete_errors"] == ["0 of at least 2 reviews are submitted."]
    assert 'class="error-summary"' in response.content.decode()


def test_a_decision_maker_reads_the_reviews_but_cannot_act(client, decision_maker, reviewed):
    client.force_login(decision_maker)

    response = client.get(url("application_reviews", reviewed.pk))
    assert response.status_code == 200
    assert response.context["may_act"] is False
    assert url("review_complete", reviewed.pk) not in response.content.decode()

    assert client.post(url("review_complete", reviewed.pk)).status_code == 403
    assert (
        client.post(url("consensus_comment", reviewed.pk), {"consensus-text": "X"}).status_code
        == 403
    )
    reviewed.refresh_from_db()
    assert reviewed.state == S.IN_REVIEW
    assert ConsensusComment.objects.count() == 0


def test_application_reviews_refuse_applicants_and_reviewers(client, reviewed):
    own_applicant = factories.applicant_for(reviewed)
    other_applicant = factories.MembershipFactory().user
    assigned = Assignment.objects.filter(review__status=ReviewStatus.SUBMITTED).first().member.user

    client.force_login(own_applicant)
    assert client.get(url("application_reviews", reviewed.pk)).status_code == 403
    client.force_login(other_applicant)
    assert client.get(url("application_reviews", reviewed.pk)).status_code == 404
    # Reviewers are not agency staff: the agency's pages do not exist for them.
    client.force_login(assigned)
    assert client.get(url("application_reviews", reviewed.pk)).status_code == 404


def test_application_reviews_send_anonymous_visitors_to_login(client, reviewed):
    response = client.get(url("application_reviews", reviewed.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# -- the Django admin --------------------------------------------------------------------------


@pytest.fixture
def superuser():
    from applications.models import User

    return User.objects.create_superuser(
        email="admin@agency.example.se", password="x", full_name="Admin", language="en"
    )


REVIEW_MODELS = [
    "panelinvitation",
    "panelmember",
    "conflictdeclaration",
    "conflictoverride",
    "assignment",
    "review",
    "consensuscomment",
]


@pytest.mark.parametrize("model", REVIEW_MODELS)
def test_admin_lists_review_records_but_cannot_add_them(client, superuser, reviewed, model):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:reviews_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:reviews_{model}_add")).status_code == 403


def test_admin_shows_a_submitted_review_read_only_with_its_scores(client, superuser, reviewed):
    review = Assignment.objects.filter(review__status=ReviewStatus.SUBMITTED).first().review
    client.force_login(superuser)

    response = client.get(reverse("admin:reviews_review_change", args=[review.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "A clear plan." in page or "The budget is thin." in page
    assert 'name="comment_for_applicant"' not in page


def test_admin_edits_criteria_on_the_call_page(client, superuser, call):
    client.force_login(superuser)

    response = client.get(reverse("admin:grants_call_change", args=[call.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="criteria-TOTAL_FORMS" value="0"' not in page
    assert 'name="criteria-0-name_sv"' in page
    assert 'name="criteria-1-weight"' in page
    assert 'name="total_threshold"' in page


# -- links from the case-handling pages --------------------------------------------------------


def test_case_list_links_the_review_pages_for_programme_managers_only(
    client, programme_manager, decision_maker
):
    client.force_login(programme_manager)
    assert url("manage_calls") in client.get(reverse("applications:manage_list")).content.decode()
    client.force_login(decision_maker)
    assert (
        url("manage_calls") not in client.get(reverse("applications:manage_list")).content.decode()
    )


def test_case_page_links_the_reviews_once_review_has_started(client, programme_manager, reviewed):
    client.force_login(programme_manager)
    page = client.get(reverse("applications:manage_detail", args=[reviewed.pk])).content.decode()
    assert url("application_reviews", reviewed.pk) in page
