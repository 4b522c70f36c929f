"""The reviewer's pages: joining a panel, declaring conflicts, the dashboard, the review page and
attachments, for the allowed reviewer and every other role."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from applications.emails import site_url
from applications.enums import ApplicationState, EligibilityItem, ScanStatus
from applications.models import Application, Attachment
from applications.services.transitions import (
    application_check_eligibility,
    application_start_review,
    application_submit,
)
from applications.services.working_copy import attachment_add
from grants.enums import ScoreVisibility
from reviews.enums import ConflictGround, ReviewStatus
from reviews.models import (
    Assignment,
    ConflictDeclaration,
    PanelMember,
    Review,
    Score,
)
from reviews.services.assignments import assignment_add
from reviews.services.conflicts import Declaration, conflicts_declare
from reviews.services.panel import panel_invite, panel_member_set_employer
from reviews.services.reviewing import review_complete, review_save, review_submit
from tests import factories
from tests.applications.views.test_attachments import make_pdf

pytestmark = pytest.mark.django_db

S = ApplicationState


# -- setting the scene through the services ------------------------------------------------------


@pytest.fixture
def call():
    return factories.CallFactory(
        reviewers_per_application=2,
        min_reviews=1,
        review_due_at=dt.datetime(2027, 3, 15, 15, 0, tzinfo=dt.UTC),
    )


@pytest.fixture
def criteria(call):
    return [
        factories.CriterionFactory(call=call, name_sv="Relevans", name_en="Relevance", weight=2),
        factories.CriterionFactory(
            call=call, name_sv="Genomförbarhet", name_en="Feasibility", weight=1
        ),
    ]


@pytest.fixture
def manager():
    return factories.programme_manager()


def in_review(call, manager, count=1, *, with_attachment=False) -> list[Application]:
    """Applications submitted, checked and in review, as a programme manager puts them there."""
    applications = []
    for _ in range(count):
        application = factories.ApplicationFactory(call=call)
        applicant = factories.applicant_for(application, is_admin=True, is_signatory=True)
        if with_attachment:
            attachment_add(
                application=application,
                by=applicant,
                upload=SimpleUploadedFile("plan.pdf", make_pdf()),
            )
        application_submit(application=application, by=applicant)
        applications.append(application)
    with time_machine.travel(call.closes_at + dt.timedelta(minutes=1), tick=False):
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


def assign(member, application, manager) -> Assignment:
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[Declaration(application_id=application.pk, has_conflict=False)],
    )
    return assignment_add(member=member, application=application, by=manager)


@pytest.fixture
def application(call, manager, criteria):
    return in_review(call, manager)[0]


@pytest.fixture
def member(call):
    return factories.PanelMemberFactory(call=call)


@pytest.fixture
def assignment(member, application, manager):
    return assign(member, application, manager)


def review_url(application) -> str:
    return reverse("reviews:review", args=[application.pk])


def full_review(criteria, action="submit", **overrides) -> dict:
    data = {
        f"score_{criteria[0].pk}": "6",
        f"score_{criteria[1].pk}": "3",
        "comment_for_applicant": "A clear plan.",
        "internal_comment": "Strong municipality.",
        "recommendation": "fund",
        "action": action,
        # The draft's version as the page was read (0: no draft yet); see test_edit_conflicts.
        "edit_version": "0",
    }
    return {**data, **overrides}


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/account/login/")


# -- the panel invitation --------------------------------------------------------------------------


@pytest.fixture
def invitation(call, manager):
    return panel_invite(call=call, by=manager, email="granskare@example.se")


def test_panel_invitation_email_names_the_call_and_links_to_the_acceptance_page(
    call, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = panel_invite(call=call, by=manager, email="Granskare@Example.se")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["granskare@example.se"]
    url = site_url(reverse("reviews:panel_invitation_accept", args=[invitation.token]))
    assert url in message.body
    assert f'href="{url}"' in message.alternatives[0][0]
    assert call.title_sv in message.subject
    assert call.title_sv in message.alternatives[0][0]


def test_anonymous_visitor_sees_the_call_and_links_to_log_in_or_sign_up_and_come_back(
    client, invitation, call
):
    url = reverse("reviews:panel_invitation_accept", args=[invitation.token])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert call.title_sv in html
    assert f'href="/account/login/?next={url}"' in html
    assert "email=granskare%40example.se" in html
    assert 'name="employer_orgnr"' not in html


def test_anonymous_post_to_the_invitation_goes_to_login(client, invitation):
    url = reverse("reviews:panel_invitation_accept", args=[invitation.token])
    response = client.post(url, {"employer_orgnr": ""})
    assert is_login_redirect(response)
    assert not PanelMember.objects.exists()


def test_invited_person_joins_with_employer_and_is_sent_to_declare_conflicts(
    client, invitation, call
):
    user = factories.UserFactory(email="granskare@example.se")
    client.force_login(user)
    url = reverse("reviews:panel_invitation_accept", args=[invitation.token])
    assert 'name="employer_orgnr"' in client.get(url).content.decode()
    response = client.post(url, {"employer_orgnr": "5560360793", "employer_name": "Saab AB"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:declare", args=[call.slug])
    member = PanelMember.objects.get()
    assert (member.call, member.user) == (call, user)
    assert (member.employer_orgnr, member.employer_name) == ("556036-0793", "Saab AB")
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_joining_without_an_employer_is_allowed(client, invitation):
    client.force_login(factories.UserFactory(email="granskare@example.se"))
    url = reverse("reviews:panel_invitation_accept", args=[invitation.token])
    assert client.post(url, {"employer_orgnr": "", "employer_name": ""}).status_code == 302
    assert PanelMember.objects.get().employer_orgnr == ""


@pytest.mark.parametrize("orgnr", ["123", "811228-9874"])
def test_an_invalid_or_personal_number_is_refused_and_nothing_is_saved(
    client, invitation, orgnr, settings
):
    settings.LANGUAGE_CODE = "en"
    client.force_login(factories.UserFactory(email="granskare@example.se", language="en"))
    url = reverse("reviews:panel_invitation_accept", args=[invitation.token])
    response = client.post(url, {"employer_orgnr": orgnr})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#id_employer_orgnr"' in html
    assert not PanelMember.objects.exists()


def test_another_account_cannot_accept_the_invitation(client, invitation):
    client.force_login(factories.UserFactory(email="someone.else@example.se"))
    url = reverse("reviews:panel_invitation_accept", args=[invitation.token])
    html = client.get(url).content.decode()
    assert "someone.else@example.se" in html
    assert 'name="employer_orgnr"' not in html
    response = client.post(url, {"employer_orgnr": ""})
    assert response.status_code == 302
    assert response["Location"] == url
    assert not PanelMember.objects.exists()


def test_a_used_invitation_cannot_be_used_again(client, invitation):
    user = factories.UserFactory(email="granskare@example.se")
    client.force_login(user)
    url = reverse("reviews:panel_invitation_accept", args=[invitation.token])
    client.post(url, {"employer_orgnr": ""})
    client.force_login(user)  # now a reviewer, who must pass the second factor
    response = client.get(url)
    assert 'name="employer_orgnr"' not in response.content.decode()
    assert client.post(url, {"employer_orgnr": ""})["Location"] == url
    assert PanelMember.objects.count() == 1


def test_unknown_invitation_token_is_404(client):
    url = reverse("reviews:panel_invitation_accept", args=["nope"])
    assert client.get(url).status_code == 404


# -- declaring conflicts -------------------------------------------------------------------------


def declare_url(call) -> str:
    return reverse("reviews:declare", args=[call.slug])


def test_declaration_page_shows_only_organisation_and_title_of_each_application(
    client, call, manager, criteria, member
):
    first, second = in_review(call, manager, 2)
    # The working copy changes after submitting: the reviewer sees the submitted title.
    Application.objects.filter(pk=first.pk).update(title="Working copy title")
    client.force_login(member.user)
    response = client.get(declare_url(call))
    assert response.status_code == 200
    html = response.content.decode()
    for application in (first, second):
        assert application.organisation.name in html
        assert application.organisation.orgnr in html
        assert application.registration_number in html
        assert f'name="a{application.pk}-decision"' in html
    assert first.versions.get().content["title"] in html
    assert "Working copy title" not in html
    assert first.summary not in html
    assert first.contact_email not in html
    assert reverse("reviews:review", args=[first.pk]) not in html


def test_reviewer_declares_one_conflict_and_none_for_the_rest(
    client, call, manager, criteria, member
):
    first, second, third = in_review(call, manager, 3)
    client.force_login(member.user)
    response = client.post(
        declare_url(call),
        {
            f"a{first.pk}-decision": "conflict",
            f"a{first.pk}-ground": ConflictGround.REPRESENTATIVE,
            f"a{first.pk}-comment": "I chair its board.",
            f"a{second.pk}-decision": "none",
            f"a{third.pk}-decision": "none",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:dashboard")
    declared = {
        d.application_id: (d.has_conflict, d.ground, d.comment)
        for d in ConflictDeclaration.objects.filter(member=member)
    }
    assert declared == {
        first.pk: (True, ConflictGround.REPRESENTATIVE, "I chair its board."),
        second.pk: (False, "", ""),
        third.pk: (False, "", ""),
    }
    # The conflict is shown as declared, no longer as a choice.
    html = client.get(declare_url(call)).content.decode()
    assert f'name="a{first.pk}-decision"' not in html
    assert f'name="a{second.pk}-decision"' in html
    assert "I chair its board." in html


def test_a_conflict_without_a_ground_is_refused_and_nothing_is_saved(
    client, call, manager, criteria, member
):
    first, second = in_review(call, manager, 2)
    client.force_login(member.user)
    response = client.post(
        declare_url(call),
        {f"a{first.pk}-decision": "conflict", f"a{second.pk}-decision": "none"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert f'href="#id_a{first.pk}-ground"' in html
    assert not ConflictDeclaration.objects.exists()


def test_an_empty_declaration_form_is_refused(client, call, manager, criteria, member):
    in_review(call, manager, 1)
    client.force_login(member.user)
    response = client.post(declare_url(call), {})
    assert response.status_code == 400
    assert not ConflictDeclaration.objects.exists()


def test_a_crafted_post_cannot_turn_a_declared_conflict_back_into_none(
    client, call, manager, criteria, member
):
    (application,) = in_review(call, manager, 1)
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[
            Declaration(application.pk, has_conflict=True, ground=ConflictGround.OWN_INTEREST)
        ],
    )
    client.force_login(member.user)
    response = client.post(declare_url(call), {f"a{application.pk}-decision": "none"})
    assert response.status_code == 302  # the conflict is no field of the form: ignored
    declaration = ConflictDeclaration.objects.get()
    assert (declaration.has_conflict, declaration.ground) == (True, ConflictGround.OWN_INTEREST)


def test_declaration_page_refuses_everyone_but_the_calls_panel(
    client, call, manager, criteria, application
):
    url = declare_url(call)
    assert is_login_redirect(client.get(url))
    other_call_member = factories.PanelMemberFactory()
    for user in (
        factories.applicant_for(application),
        manager,
        factories.decision_maker(),
        other_call_member.user,
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.post(url, {f"a{application.pk}-decision": "none"}).status_code == 404
    assert not ConflictDeclaration.objects.exists()


# -- the dashboard --------------------------------------------------------------------------------


def test_dashboard_lists_the_reviewers_assignments_with_status_progress_and_due_date(
    client, call, manager, criteria, member
):
    first, second, third = in_review(call, manager, 3)
    assign(member, first, manager)
    assign(member, second, manager)
    conflicts_declare(
        member=member, by=member.user, declarations=[Declaration(third.pk, has_conflict=False)]
    )
    Application.objects.filter(pk=first.pk).update(title="Working copy title")
    a_second = Assignment.objects.get(member=member, application=second)
    review_save(
        assignment=a_second, by=member.user, scores={criteria[0].pk: 5}, recommendation="fund"
    )
    client.force_login(member.user)
    response = client.get(reverse("reviews:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    (seat,) = response.context["seats"]
    assert (seat["declared"], seat["in_scope"]) == (3, 3)
    rows = seat["rows"]
    assert [
        (r["application"].registration_number, r["title"], r["review"], r["scored"]) for r in rows
    ] == [
        (first.registration_number, first.versions.get().content["title"], None, 0),
        (second.registration_number, second.versions.get().content["title"], a_second.review, 1),
    ]
    assert "Working copy title" not in html
    assert first.organisation.name in html
    assert third.registration_number not in html
    assert "15 mars 2027 16:00" in html  # Stockholm time, Swedish format
    assert reverse("reviews:review", args=[first.pk]) in html


def test_dashboard_does_not_show_other_reviewers_assignments(
    client, call, manager, criteria, member
):
    first, second = in_review(call, manager, 2)
    other = factories.PanelMemberFactory(call=call)
    assign(member, first, manager)
    assign(other, second, manager)
    client.force_login(member.user)
    html = client.get(reverse("reviews:dashboard")).content.decode()
    assert first.registration_number in html
    assert second.registration_number not in html


def test_dashboard_requires_login(client):
    assert is_login_redirect(client.get(reverse("reviews:dashboard")))


def test_dashboard_of_someone_on_no_panel_lists_nothing(client, application):
    client.force_login(factories.applicant_for(application))
    response = client.get(reverse("reviews:dashboard"))
    assert response.status_code == 200
    assert response.context["seats"] == []
    assert application.registration_number not in response.content.decode()


def _dashboard_queries(client, django_assert_num_queries, user, expected):
    client.force_login(user)
    with django_assert_num_queries(expected):
        response = client.get(reverse("reviews:dashboard"))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("count", [3, 25])
def test_dashboard_query_count_does_not_grow_with_assignments(
    client, call, manager, criteria, django_assert_num_queries, count
):
    member = factories.PanelMemberFactory(call=call)
    second_seat = factories.PanelMemberFactory(user=member.user)
    factories.CriterionFactory(call=second_seat.call)
    applications = in_review(call, manager, count)
    for application in applications[:count]:
        assign(member, application, manager)
    review_save(
        assignment=Assignment.objects.filter(member=member).first(),
        by=member.user,
        scores={criteria[0].pk: 4},
    )
    # session, user, the two-factor device, seats, declaration scope, declarations, the
    # assignments counted for every seat, the page's ids of the seat with assignments, the rows
    # of every page, titles, criteria, and the menu's two: the user's groups and "is a reviewer"
    response = _dashboard_queries(client, django_assert_num_queries, member.user, 13)
    seat = next(s for s in response.context["seats"] if s["member"] == member)
    assert len(seat["rows"]) == count
    assert (seat["page"].paginator.count, seat["page"].submitted) == (count, 0)


def test_dashboard_shows_50_assignments_a_page_per_seat_with_counts_from_the_database(
    client, call, manager, criteria, member, django_assert_num_queries
):
    applications = in_review(call, manager, 52)
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[Declaration(application_id=a.pk, has_conflict=False) for a in applications],
    )
    for application in applications:
        assignment_add(member=member, application=application, by=manager)
    numbers = sorted(a.registration_number for a in applications)
    client.force_login(member.user)

    response = client.get(reverse("reviews:dashboard"))
    (seat,) = response.context["seats"]
    assert [r["application"].registration_number for r in seat["rows"]] == numbers[:50]
    html = response.content.decode()
    assert "52 tilldelningar, 0 inskickade." in html  # the reviewer reads Swedish
    assert f'aria-label="Sidor med dina tilldelningar i {call.title}"' in html
    assert f'href="?page-{member.pk}=2" rel="next"' in html

    with django_assert_num_queries(13):  # as on the first page
        response = client.get(reverse("reviews:dashboard"), {f"page-{member.pk}": 2})
    (seat,) = response.context["seats"]
    assert [r["application"].registration_number for r in seat["rows"]] == numbers[50:]
    assert "Sida 2 av 2" in response.content.decode()


# -- the review page: who may see it -------------------------------------------------------------


def test_assigned_reviewer_sees_the_submitted_version_with_its_hash_and_the_form(
    client, assignment, application, criteria
):
    Application.objects.filter(pk=application.pk).update(
        title="Working copy title", summary="Working copy summary"
    )
    version = application.versions.get()
    client.force_login(assignment.member.user)
    response = client.get(review_url(application))
    assert response.status_code == 200
    html = response.content.decode()
    assert version.sha256 in html
    assert version.content["title"] in html
    assert version.content["summary"] in html
    assert "Working copy" not in html
    for criterion in criteria:
        assert f'name="score_{criterion.pk}"' in html
        assert f"<legend>{criterion.name_sv}</legend>" in html
    assert 'id="submit-review"' in html


def test_review_page_refuses_everyone_but_the_assigned_reviewer(
    client, call, manager, criteria, assignment, application
):
    url = review_url(application)
    assert is_login_redirect(client.get(url))
    unassigned = factories.PanelMemberFactory(call=call)
    conflicts_declare(
        member=unassigned,
        by=unassigned.user,
        declarations=[Declaration(application.pk, has_conflict=False)],
    )
    for user in (
        factories.applicant_for(application),
        manager,
        factories.decision_maker(),
        factories.PanelMemberFactory().user,  # another call's panel
        unassigned.user,
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.post(url, full_review(criteria)).status_code == 404, user
    assert not Review.objects.exists()


def test_a_conflict_found_later_closes_the_review_page_and_its_attachments(
    client, call, manager, criteria
):
    (application,) = in_review(call, manager, 1, with_attachment=True)
    member = factories.PanelMemberFactory(call=call)
    assignment = assign(member, application, manager)
    attachment = application.versions.get().attachments.get()
    attachment_url = reverse("reviews:attachment_download", args=[application.pk, attachment.pk])
    client.force_login(member.user)
    assert client.get(review_url(application)).status_code == 200
    panel_member_set_employer(
        member=member, by=member.user, employer_orgnr=application.organisation.orgnr
    )
    assignment.refresh_from_db()
    assert assignment.removed_at is not None
    assert client.get(review_url(application)).status_code == 404
    assert client.get(attachment_url).status_code == 404
    html = client.get(reverse("reviews:dashboard")).content.decode()
    assert application.registration_number not in html


def test_a_declared_conflict_on_an_active_assignment_is_still_404(
    client, call, manager, criteria, assignment, application
):
    # The services never leave this state; the page does not rely on that alone.
    ConflictDeclaration.objects.filter(member=assignment.member).update(
        has_conflict=True, ground=ConflictGround.OTHER
    )
    assert Assignment.objects.get(pk=assignment.pk).removed_at is None
    client.force_login(assignment.member.user)
    assert client.get(review_url(application)).status_code == 404
    response = client.post(review_url(application), full_review(criteria))
    assert response.status_code == 404
    assert not Review.objects.exists()


# -- the review page: saving and submitting ------------------------------------------------------


def test_save_draft_with_missing_scores(client, assignment, application, criteria):
    client.force_login(assignment.member.user)
    data = full_review(criteria, action="save", **{f"score_{criteria[1].pk}": ""})
    response = client.post(review_url(application), data)
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.status == ReviewStatus.DRAFT
    assert {s.criterion_id: s.value for s in review.scores.all()} == {criteria[0].pk: 6}
    assert review.comment_for_applicant == "A clear plan."
    html = client.get(review_url(application)).content.decode()
    pk = criteria[0].pk
    assert f'<input type="radio" name="score_{pk}" value="6" id="id_score_{pk}_5" checked>' in html


def test_submit_locks_the_review_and_completes_the_last_review(
    client, assignment, application, criteria
):
    client.force_login(assignment.member.user)
    response = client.post(review_url(application), full_review(criteria))
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.status == ReviewStatus.SUBMITTED
    assert {s.criterion_id: s.value for s in review.scores.all()} == {
        criteria[0].pk: 6,
        criteria[1].pk: 3,
    }
    application.refresh_from_db()
    assert application.state == S.REVIEWED
    html = client.get(review_url(application)).content.decode()
    assert 'id="review-form"' not in html
    assert "A clear plan." in html
    assert '<td class="num">5,00</td>' in html  # (2×6 + 1×3) / 3, in Swedish format


def test_submitting_an_incomplete_review_keeps_the_draft_and_says_what_is_missing(
    client, assignment, application, criteria, settings
):
    client.force_login(assignment.member.user)
    data = full_review(criteria, **{f"score_{criteria[1].pk}": "", "recommendation": ""})
    response = client.post(review_url(application), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "Genomförbarhet" in html
    review = Review.objects.get()
    assert review.status == ReviewStatus.DRAFT
    assert review.scores.count() == 1
    application.refresh_from_db()
    assert application.state == S.IN_REVIEW


@pytest.mark.parametrize("value", ["0", "8", "5.5", "x"])
def test_a_score_outside_the_scale_is_refused_and_nothing_is_saved(
    client, assignment, application, criteria, value
):
    client.force_login(assignment.member.user)
    data = full_review(criteria, **{f"score_{criteria[0].pk}": value})
    response = client.post(review_url(application), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert f'href="#id_score_{criteria[0].pk}"' in html
    assert not Review.objects.exists()
    assert not Score.objects.exists()


def test_a_crafted_post_after_submitting_changes_nothing(
    client, call, manager, criteria, member, application
):
    other = factories.PanelMemberFactory(call=call)
    assignment = assign(member, application, manager)
    assign(other, application, manager)  # keeps the application in review after the first
    client.force_login(member.user)
    client.post(review_url(application), full_review(criteria))
    review = Review.objects.get(assignment=assignment)
    before = (review.updated_at, review.comment_for_applicant, review.recommendation)
    for action in ("save", "submit"):
        response = client.post(
            review_url(application),
            full_review(
                criteria,
                action=action,
                comment_for_applicant="Changed",
                recommendation="do_not_fund",
                **{f"score_{criteria[0].pk}": "1"},
            ),
        )
        assert response.status_code == 302
    review.refresh_from_db()
    assert (review.updated_at, review.comment_for_applicant, review.recommendation) == before
    assert review.scores.get(criterion=criteria[0]).value == 6
    with translation.override("sv"):
        refusal = gettext("The review has been submitted and can no longer be changed.")
    assert refusal in client.get(review_url(application)).content.decode()


def test_an_application_no_longer_in_review_is_read_only(
    client, call, manager, criteria, member, application
):
    assignment = assign(member, application, manager)
    review_save(assignment=assignment, by=member.user, scores={criteria[0].pk: 2})
    # Another reviewer submits and the manager completes review.
    other = factories.PanelMemberFactory(call=call)
    other_assignment = assign(other, application, manager)
    review_save(
        assignment=other_assignment,
        by=other.user,
        scores={c.pk: 4 for c in criteria},
        comment_for_applicant="Fine.",
        recommendation="fund",
    )
    review_submit(assignment=other_assignment, by=other.user)
    review_complete(application=application, by=manager)
    client.force_login(member.user)
    html = client.get(review_url(application)).content.decode()
    assert 'id="review-form"' not in html
    assert 'role="status"' in html
    response = client.post(review_url(application), full_review(criteria))
    assert response.status_code == 302
    review = Review.objects.get(assignment=assignment)
    assert review.status == ReviewStatus.DRAFT
    assert review.scores.count() == 1


# -- other reviewers' scores, by the call's policy -----------------------------------------------


@pytest.fixture
def two_reviewers(call, manager, criteria, application):
    """Two reviewers on the application; the second has submitted a review."""
    first = factories.PanelMemberFactory(call=call)
    second = factories.PanelMemberFactory(call=call)
    a_first = assign(first, application, manager)
    a_second = assign(second, application, manager)
    review_save(
        assignment=a_second,
        by=second.user,
        scores={criteria[0].pk: 7, criteria[1].pk: 1},
        comment_for_applicant="Other reviewer's public comment",
        internal_comment="Other reviewer's internal note",
        recommendation="do_not_fund",
    )
    review_submit(assignment=a_second, by=second.user)
    return a_first, a_second


OTHER_MARKERS = ("Other reviewer&#x27;s internal note", "Other reviewer&#x27;s public comment")


def _page(client, user, application) -> str:
    client.force_login(user)
    response = client.get(review_url(application))
    assert response.status_code == 200
    return response.content.decode()


def _submit_own(client, assignment, application, criteria):
    client.force_login(assignment.member.user)
    assert client.post(review_url(application), full_review(criteria)).status_code == 302


@pytest.mark.parametrize(
    "policy,before,after",
    [
        (ScoreVisibility.NEVER, False, False),
        (ScoreVisibility.AFTER_OWN, False, True),
        (ScoreVisibility.ALWAYS, True, True),
    ],
)
def test_other_reviewers_scores_show_only_as_the_policy_says(
    client, call, application, criteria, two_reviewers, policy, before, after
):
    call.score_visibility = policy
    call.save()
    mine, _other = two_reviewers
    html = _page(client, mine.member.user, application)
    for marker in OTHER_MARKERS:
        assert (marker in html) is before
    assert ('class="card other-review"' in html) is before
    assert ('<td class="num">5,00</td>' in html) is before  # (2×7 + 1×1) / 3
    _submit_own(client, mine, application, criteria)
    html = _page(client, mine.member.user, application)
    for marker in OTHER_MARKERS:
        assert (marker in html) is after
    assert ('class="card other-review"' in html) is after
    assert _other.member.user.full_name not in html  # anonymous to each other


# -- attachments --------------------------------------------------------------------------------


@pytest.fixture
def with_attachment(call, manager, criteria, member):
    (application,) = in_review(call, manager, 1, with_attachment=True)
    assign(member, application, manager)
    return application


def test_assigned_reviewer_downloads_an_attachment_of_the_submitted_version(
    client, member, with_attachment
):
    application = with_attachment
    attachment = application.versions.get().attachments.get()
    client.force_login(member.user)
    html = client.get(review_url(application)).content.decode()
    url = reverse("reviews:attachment_download", args=[application.pk, attachment.pk])
    assert f'href="{url}"' in html
    staff_url = reverse("applications:attachment_download", args=[application.pk, attachment.pk])
    assert f'href="{staff_url}"' not in html
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == make_pdf()
    assert 'filename="plan.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


def test_an_attachment_not_in_the_submitted_version_is_404(client, member, with_attachment):
    application = with_attachment
    applicant = application.organisation.memberships.get().user
    # A file added to the working copy after submission (as the service would, were it editable).
    from applications.models import Attachment

    extra = Attachment.objects.create(
        application=application,
        file=SimpleUploadedFile("later.pdf", make_pdf()),
        original_name="later.pdf",
        content_type="application/pdf",
        size=len(make_pdf()),
        sha256="0" * 64,
        uploaded_by=applicant,
    )
    client.force_login(member.user)
    url = reverse("reviews:attachment_download", args=[application.pk, extra.pk])
    assert client.get(url).status_code == 404


def test_attachment_download_refuses_everyone_but_the_assigned_reviewer(
    client, call, manager, with_attachment
):
    application = with_attachment
    attachment = application.versions.get().attachments.get()
    url = reverse("reviews:attachment_download", args=[application.pk, attachment.pk])
    assert is_login_redirect(client.get(url))
    for user in (
        factories.MembershipFactory().user,
        manager,
        factories.PanelMemberFactory(call=call).user,
        factories.PanelMemberFactory().user,
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (ScanStatus.PENDING, "Filen ”plan.pdf” kontrolleras mot skadlig kod."),
        (ScanStatus.REFUSED, "Filen ”plan.pdf” avvisades: kontrollen mot skadlig kod hittade"),
    ],
)
def test_the_reviewer_gets_only_a_clean_attachment(
    client, member, with_attachment, status, message
):
    application = with_attachment
    attachment = application.versions.get().attachments.get()
    # The state the malware check leaves a file in (applications/services/scanning.py).
    Attachment.objects.filter(pk=attachment.pk).update(scan_status=status)
    client.force_login(member.user)

    response = client.get(
        reverse("reviews:attachment_download", args=[application.pk, attachment.pk])
    )

    assert response.status_code == 409
    assert message in response.content.decode()
    assert "Content-Disposition" not in response


def test_review_page_and_due_date_use_the_swedish_format(client, assignment, application):
    client.force_login(assignment.member.user)
    html = client.get(review_url(application)).content.decode()
    assert "15 mars 2027 16:00" in html
