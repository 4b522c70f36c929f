"""Review services: conflicts of interest, manual assignment, reviewing and completion.

Every case is reached through the services themselves; "nothing changed" is checked by reading
the database back after a refusal.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from applications.enums import ApplicationState
from applications.models import ApplicationTransition
from applications.services.transitions import application_withdraw
from reviews.enums import ConflictGround, ReviewStatus
from reviews.models import (
    Assignment,
    ConflictDeclaration,
    ConflictOverride,
    ConsensusComment,
    PanelInvitation,
    PanelMember,
    Review,
    Score,
)
from reviews.selectors import conflicts as conflict_selectors
from reviews.selectors.assignments import assignment_for_reviewer, assignments_for_reviewer
from reviews.selectors.conflicts import conflict_pairs, declared_pairs
from reviews.selectors.reviews import other_reviews_visible, other_submitted_reviews
from reviews.services.assignments import assignment_add, assignment_remove, assignments_auto
from reviews.services.conflicts import Declaration, conflict_override, conflicts_declare
from reviews.services.panel import panel_invitation_accept, panel_invite, panel_member_set_employer
from reviews.services.reviewing import (
    consensus_comment_save,
    review_complete,
    review_save,
    review_submit,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def pm():
    return factories.programme_manager()


@pytest.fixture
def review_call():
    return factories.CallFactory(reviewers_per_application=2, min_reviews=2)


@pytest.fixture
def criteria(review_call):
    return [
        factories.CriterionFactory(call=review_call, name_en="Relevance", weight=2),
        factories.CriterionFactory(call=review_call, name_en="Feasibility", weight=1),
    ]


@pytest.fixture
def in_review(review_call, pm):
    return factories.applications_in_review(review_call, by=pm, count=1)[0]


@pytest.fixture
def member(review_call):
    return factories.PanelMemberFactory(call=review_call)


@pytest.fixture
def assignment(member, in_review, pm, criteria):
    factories.declare_none(member, [in_review])
    return assignment_add(member=member, application=in_review, by=pm)


def messages(excinfo) -> list[str]:
    return excinfo.value.messages


def active(member, application) -> bool:
    return Assignment.objects.filter(
        member=member, application=application, removed_at__isnull=True
    ).exists()


# -- the panel -------------------------------------------------------------------------------------


def test_programme_manager_invites_and_the_invited_person_takes_the_seat(review_call, pm):
    invitation = panel_invite(call=review_call, by=pm, email=" Rita@Example.se ")
    assert invitation.email == "rita@example.se"
    rita = factories.UserFactory(email="rita@example.se")

    member = panel_invitation_accept(
        invitation=invitation, by=rita, employer_orgnr="2120000142", employer_name=" Region X "
    )

    assert (member.call, member.user) == (review_call, rita)
    assert (member.employer_orgnr, member.employer_name) == ("212000-0142", "Region X")
    invitation.refresh_from_db()
    assert invitation.accepted_by == rita


def test_invitation_cannot_be_accepted_twice_or_by_another_address(review_call, pm):
    invitation = panel_invite(call=review_call, by=pm, email="rita@example.se")
    with pytest.raises(ValidationError) as excinfo:
        panel_invitation_accept(
            invitation=invitation, by=factories.UserFactory(), employer_orgnr=""
        )
    assert messages(excinfo) == [
        "This invitation was sent to rita@example.se. Log in with that address to accept it."
    ]
    rita = factories.UserFactory(email="rita@example.se")
    panel_invitation_accept(invitation=invitation, by=rita, employer_orgnr="")
    with pytest.raises(ValidationError) as excinfo:
        panel_invitation_accept(invitation=invitation, by=rita, employer_orgnr="")
    assert messages(excinfo) == ["This invitation has expired or has already been used."]
    assert PanelMember.objects.filter(call=review_call).count() == 1


def test_inviting_a_panel_member_again_is_refused(review_call, pm, member):
    with pytest.raises(ValidationError) as excinfo:
        panel_invite(call=review_call, by=pm, email=member.user.email.upper())
    assert messages(excinfo) == [f"{member.user.email} is already on the panel."]
    assert not PanelInvitation.objects.exists()


@pytest.mark.parametrize("role", ["decision_maker", "reviewer", "applicant"])
def test_only_a_programme_manager_invites(review_call, role, member, application):
    user = {
        "decision_maker": factories.decision_maker(),
        "reviewer": member.user,
        "applicant": factories.applicant_for(application),
    }[role]
    with pytest.raises(PermissionDenied):
        panel_invite(call=review_call, by=user, email="x@example.se")
    assert not PanelInvitation.objects.exists()


# -- conflicts of interest -------------------------------------------------------------------------


def test_declared_conflict_is_a_conflict(member, in_review):
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[
            Declaration(
                application_id=in_review.pk,
                has_conflict=True,
                ground=ConflictGround.CLOSE_RELATION,
                comment=" My sister leads the project. ",
            )
        ],
    )
    declaration = ConflictDeclaration.objects.get(member=member, application=in_review)
    assert (declaration.ground, declaration.comment) == (
        ConflictGround.CLOSE_RELATION,
        "My sister leads the project.",
    )
    assert conflict_selectors.has_conflict(member, in_review) is True
    assert conflict_pairs(member.call) == {(member.pk, in_review.pk)}


def test_declared_none_is_no_conflict(member, in_review):
    factories.declare_none(member, [in_review])
    assert conflict_selectors.has_conflict(member, in_review) is False
    assert conflict_pairs(member.call) == set()
    assert declared_pairs(member.call) == {(member.pk, in_review.pk)}


def test_a_conflict_needs_a_ground(member, in_review):
    with pytest.raises(ValidationError) as excinfo:
        conflicts_declare(
            member=member,
            by=member.user,
            declarations=[Declaration(application_id=in_review.pk, has_conflict=True)],
        )
    assert messages(excinfo) == ["Choose the ground for each conflict of interest."]
    assert not ConflictDeclaration.objects.exists()


def test_declaring_outside_the_calls_scope_is_refused_and_nothing_is_saved(
    member, in_review, review_call
):
    draft = factories.ApplicationFactory(call=review_call)
    elsewhere = factories.submitted_application()
    for outside in (draft, elsewhere):
        with pytest.raises(ValidationError) as excinfo:
            conflicts_declare(
                member=member,
                by=member.user,
                declarations=[
                    Declaration(application_id=in_review.pk, has_conflict=False),
                    Declaration(application_id=outside.pk, has_conflict=False),
                ],
            )
        assert messages(excinfo) == ["One of the applications cannot be declared for."]
    assert not ConflictDeclaration.objects.exists()


def test_only_the_member_declares_for_themselves(member, in_review, pm):
    other_member = factories.PanelMemberFactory(call=member.call)
    for user in (other_member.user, pm):
        with pytest.raises(PermissionDenied):
            conflicts_declare(
                member=member,
                by=user,
                declarations=[Declaration(application_id=in_review.pk, has_conflict=False)],
            )
    assert not ConflictDeclaration.objects.exists()


def test_reviewer_cannot_lift_their_declared_conflict(member, in_review):
    conflict = Declaration(
        application_id=in_review.pk, has_conflict=True, ground=ConflictGround.OWN_INTEREST
    )
    conflicts_declare(member=member, by=member.user, declarations=[conflict])
    with pytest.raises(ValidationError) as excinfo:
        conflicts_declare(
            member=member,
            by=member.user,
            declarations=[Declaration(application_id=in_review.pk, has_conflict=False)],
        )
    assert messages(excinfo) == [
        "A declared conflict of interest can only be lifted by a programme manager."
    ]
    assert ConflictDeclaration.objects.get().has_conflict is True
    assert conflict_selectors.has_conflict(member, in_review) is True


def test_a_conflict_and_none_for_the_same_application_in_one_request_is_refused(member, in_review):
    with pytest.raises(ValidationError) as excinfo:
        conflicts_declare(
            member=member,
            by=member.user,
            declarations=[
                Declaration(
                    application_id=in_review.pk,
                    has_conflict=True,
                    ground=ConflictGround.OTHER,
                ),
                Declaration(application_id=in_review.pk, has_conflict=False),
            ],
        )
    assert messages(excinfo) == [
        "A declared conflict of interest can only be lifted by a programme manager."
    ]
    assert not ConflictDeclaration.objects.exists()


def test_declaring_the_same_application_twice_in_one_request_keeps_one_declaration(
    member, in_review
):
    none = Declaration(application_id=in_review.pk, has_conflict=False)
    conflicts_declare(member=member, by=member.user, declarations=[none, none])
    assert ConflictDeclaration.objects.filter(member=member).count() == 1


def test_none_later_becoming_a_conflict_removes_the_assignment(assignment, member, in_review):
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[
            Declaration(
                application_id=in_review.pk,
                has_conflict=True,
                ground=ConflictGround.REPRESENTATIVE,
            )
        ],
    )
    assignment.refresh_from_db()
    assert assignment.removed_at is not None
    assert assignment.removed_reason == "Conflict of interest"


def test_employer_match_is_a_conflict(review_call, pm):
    organisation = factories.OrganisationFactory()
    application = factories.applications_in_review(review_call, by=pm, organisation=organisation)[0]
    member = factories.PanelMemberFactory(call=review_call, employer_orgnr=organisation.orgnr)
    assert conflict_selectors.has_conflict(member, application) is True
    assert conflict_pairs(review_call) == {(member.pk, application.pk)}


def test_setting_the_employer_to_the_applicant_removes_the_assignment(
    assignment, member, in_review
):
    panel_member_set_employer(
        member=member, by=member.user, employer_orgnr=in_review.organisation.orgnr
    )
    assignment.refresh_from_db()
    assert assignment.removed_at is not None
    member.refresh_from_db()
    assert conflict_selectors.has_conflict(member, in_review) is True


def test_another_reviewer_cannot_set_a_members_employer(member):
    other = factories.PanelMemberFactory(call=member.call)
    with pytest.raises(PermissionDenied):
        panel_member_set_employer(member=member, by=other.user, employer_orgnr="212000-0142")
    member.refresh_from_db()
    assert member.employer_orgnr == ""


def test_manager_adds_a_conflict_with_a_reason_and_it_removes_the_assignment(
    assignment, member, in_review, pm
):
    override = conflict_override(
        member=member, application=in_review, by=pm, has_conflict=True, reason=" Former boss. "
    )
    assert (override.reason, override.decided_by) == ("Former boss.", pm)
    assert conflict_selectors.has_conflict(member, in_review) is True
    assert not active(member, in_review)


def test_manager_lifts_a_declared_conflict_and_the_member_can_then_be_assigned(
    member, in_review, pm
):
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[
            Declaration(application_id=in_review.pk, has_conflict=True, ground=ConflictGround.OTHER)
        ],
    )
    conflict_override(
        member=member,
        application=in_review,
        by=pm,
        has_conflict=False,
        reason="Met once at a conference.",
    )
    assert conflict_selectors.has_conflict(member, in_review) is False
    assert conflict_pairs(member.call) == set()
    assert assignment_add(member=member, application=in_review, by=pm).is_active


def test_manager_lifts_an_employer_match(review_call, pm):
    organisation = factories.OrganisationFactory()
    application = factories.applications_in_review(review_call, by=pm, organisation=organisation)[0]
    member = factories.PanelMemberFactory(call=review_call, employer_orgnr=organisation.orgnr)
    conflict_override(
        member=member,
        application=application,
        by=pm,
        has_conflict=False,
        reason="Left that employer last year.",
    )
    assert conflict_selectors.has_conflict(member, application) is False
    assert conflict_pairs(review_call) == set()


def test_the_latest_override_wins(member, in_review, pm):
    factories.declare_none(member, [in_review])
    for has_conflict in (True, False, True):
        conflict_override(
            member=member, application=in_review, by=pm, has_conflict=has_conflict, reason="r"
        )
    assert conflict_selectors.has_conflict(member, in_review) is True
    assert (member.pk, in_review.pk) in conflict_pairs(member.call)
    conflict_override(member=member, application=in_review, by=pm, has_conflict=False, reason="r")
    assert conflict_selectors.has_conflict(member, in_review) is False
    assert conflict_pairs(member.call) == set()


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_reason(member, in_review, pm, reason):
    with pytest.raises(ValidationError) as excinfo:
        conflict_override(
            member=member, application=in_review, by=pm, has_conflict=True, reason=reason
        )
    assert messages(excinfo) == ["Give the reason for the decision on the conflict of interest."]
    assert not ConflictOverride.objects.exists()


def test_an_override_for_another_calls_application_is_refused(member, pm):
    elsewhere = factories.applications_in_review(factories.CallFactory(), by=pm)[0]
    with pytest.raises(ValidationError) as excinfo:
        conflict_override(
            member=member, application=elsewhere, by=pm, has_conflict=True, reason="r"
        )
    assert messages(excinfo) == ["The reviewer is not on this call's panel."]
    assert not ConflictOverride.objects.exists()


@pytest.mark.parametrize("role", ["decision_maker", "reviewer"])
def test_only_a_programme_manager_overrides(member, in_review, role):
    user = factories.decision_maker() if role == "decision_maker" else member.user
    with pytest.raises(PermissionDenied):
        conflict_override(
            member=member, application=in_review, by=user, has_conflict=False, reason="r"
        )
    assert not ConflictOverride.objects.exists()


# -- manual assignment -----------------------------------------------------------------------------


def test_manager_assigns_a_declared_reviewer(member, in_review, pm):
    factories.declare_none(member, [in_review])
    assignment = assignment_add(member=member, application=in_review, by=pm)
    assert (assignment.member, assignment.application, assignment.assigned_by) == (
        member,
        in_review,
        pm,
    )
    assert assignment.is_active


def test_manual_add_refuses_a_reviewer_who_has_not_declared(member, in_review, pm):
    with pytest.raises(ValidationError) as excinfo:
        assignment_add(member=member, application=in_review, by=pm)
    assert messages(excinfo) == [
        f"{member.user.full_name} has not yet declared conflicts of interest for this application."
    ]
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("how", ["declared", "employer", "override"])
def test_manual_add_refuses_a_conflicted_reviewer(member, in_review, pm, how):
    if how == "declared":
        conflicts_declare(
            member=member,
            by=member.user,
            declarations=[
                Declaration(
                    application_id=in_review.pk, has_conflict=True, ground=ConflictGround.OTHER
                )
            ],
        )
    else:
        factories.declare_none(member, [in_review])
    if how == "employer":
        panel_member_set_employer(
            member=member, by=member.user, employer_orgnr=in_review.organisation.orgnr
        )
        member.refresh_from_db()
    if how == "override":
        conflict_override(
            member=member, application=in_review, by=pm, has_conflict=True, reason="Partner."
        )
    with pytest.raises(ValidationError) as excinfo:
        assignment_add(member=member, application=in_review, by=pm)
    assert messages(excinfo) == [
        f"{member.user.full_name} has a conflict of interest with this application."
    ]
    assert not Assignment.objects.exists()


def test_manual_add_refuses_an_application_not_in_review(member, review_call, pm):
    submitted = factories.submitted_application(review_call)
    factories.declare_none(member, [submitted])
    with pytest.raises(ValidationError) as excinfo:
        assignment_add(member=member, application=submitted, by=pm)
    assert messages(excinfo) == ["Only applications in review can be assigned."]
    assert not Assignment.objects.exists()


def test_manual_add_refuses_a_member_of_another_calls_panel(in_review, pm):
    other_member = factories.PanelMemberFactory()
    with pytest.raises(ValidationError) as excinfo:
        assignment_add(member=other_member, application=in_review, by=pm)
    assert messages(excinfo) == ["The reviewer is not on this call's panel."]
    assert not Assignment.objects.exists()


def test_manual_add_refuses_a_reviewer_already_assigned(assignment, member, in_review, pm):
    with pytest.raises(ValidationError) as excinfo:
        assignment_add(member=member, application=in_review, by=pm)
    assert messages(excinfo) == [f"{member.user.full_name} is already assigned."]
    assert Assignment.objects.count() == 1


def test_manual_add_after_a_removal_brings_the_assignment_back(assignment, member, in_review, pm):
    assignment_remove(assignment=assignment, by=pm, reason="Too busy.")
    assignment.refresh_from_db()
    assert (assignment.is_active, assignment.removed_reason) == (False, "Too busy.")
    again = assignment_add(member=member, application=in_review, by=pm)
    assert (again.pk, again.is_active, again.removed_reason) == (assignment.pk, True, "")


def test_removing_without_a_reason_records_who_removed_it(assignment, pm):
    assignment_remove(assignment=assignment, by=pm)
    assignment.refresh_from_db()
    assert assignment.removed_reason == "Removed by a programme manager"


def test_a_submitted_review_cannot_be_removed_with_its_assignment(assignment, criteria, pm):
    factories.submit_review(assignment, {criteria[0]: 5, criteria[1]: 4})
    with pytest.raises(ValidationError) as excinfo:
        assignment_remove(assignment=assignment, by=pm)
    assert messages(excinfo) == [
        "The review has been submitted. Record a conflict of interest to exclude it."
    ]
    assignment.refresh_from_db()
    assert assignment.is_active


@pytest.mark.parametrize("role", ["decision_maker", "reviewer"])
def test_only_a_programme_manager_assigns_and_removes(assignment, member, in_review, role):
    user = factories.decision_maker() if role == "decision_maker" else member.user
    with pytest.raises(PermissionDenied):
        assignment_add(member=member, application=in_review, by=user)
    with pytest.raises(PermissionDenied):
        assignment_remove(assignment=assignment, by=user)
    with pytest.raises(PermissionDenied):
        assignments_auto(call=member.call, by=user)
    assignment.refresh_from_db()
    assert assignment.is_active


# -- reviewing -------------------------------------------------------------------------------------


def save(assignment, scores, **fields):
    return review_save(
        assignment=assignment,
        by=assignment.member.user,
        scores={criterion.pk: value for criterion, value in scores.items()},
        **fields,
    )


def test_reviewer_saves_a_draft_and_changes_it(assignment, criteria):
    save(assignment, {criteria[0]: 3}, comment_for_applicant=" Good. ", recommendation="fund")
    review = save(
        assignment,
        {criteria[0]: None, criteria[1]: 7},
        comment_for_applicant="Better.",
        internal_comment="Check the budget.",
        recommendation="fund_with_changes",
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    assert review.submitted_at is None
    assert (review.comment_for_applicant, review.internal_comment, review.recommendation) == (
        "Better.",
        "Check the budget.",
        "fund_with_changes",
    )
    assert dict(review.scores.values_list("criterion_id", "value")) == {criteria[1].pk: 7}


@pytest.mark.parametrize("value", [0, 8, -1, "5", 4.5])
def test_a_score_outside_the_scale_is_refused_and_nothing_changes(assignment, criteria, value):
    save(assignment, {criteria[0]: 3}, comment_for_applicant="First.")
    with pytest.raises(ValidationError) as excinfo:
        save(assignment, {criteria[1]: 5, criteria[0]: value}, comment_for_applicant="Second.")
    assert messages(excinfo) == ["The score for “Relevance” must be a whole number from 1 to 7."]
    review = Review.objects.get(assignment=assignment)
    assert review.comment_for_applicant == "First."
    assert dict(review.scores.values_list("criterion_id", "value")) == {criteria[0].pk: 3}


def test_a_criterion_with_its_own_scale_refuses_scores_beyond_it(assignment, criteria):
    criteria[1].scale_min, criteria[1].scale_max = 0, 4
    criteria[1].save()
    save(assignment, {criteria[1]: 0})
    with pytest.raises(ValidationError) as excinfo:
        save(assignment, {criteria[1]: 5})
    assert messages(excinfo) == ["The score for “Feasibility” must be a whole number from 0 to 4."]
    assert list(Score.objects.values_list("value", flat=True)) == [0]


def test_a_score_for_another_calls_criterion_is_refused(assignment, criteria):
    foreign = factories.CriterionFactory()
    with pytest.raises(ValidationError) as excinfo:
        save(assignment, {criteria[0]: 3, foreign: 3})
    assert messages(excinfo) == ["A score was given for a criterion this call does not have."]
    assert not Review.objects.exists()
    assert not Score.objects.exists()


def test_an_unknown_recommendation_is_refused(assignment, criteria):
    with pytest.raises(ValidationError) as excinfo:
        save(assignment, {criteria[0]: 3}, recommendation="maybe")
    assert messages(excinfo) == ["Choose a recommendation from the list."]
    assert not Review.objects.exists()


def test_submitting_an_incomplete_review_names_what_is_missing_and_keeps_the_draft(
    assignment, criteria
):
    save(assignment, {criteria[1]: 4})
    with pytest.raises(ValidationError) as excinfo:
        review_submit(assignment=assignment, by=assignment.member.user)
    assert messages(excinfo) == [
        "Score every criterion: Relevance.",
        "Choose a recommendation.",
        "Write a comment for the applicant.",
    ]
    review = Review.objects.get(assignment=assignment)
    assert (review.status, review.submitted_at) == (ReviewStatus.DRAFT, None)


@pytest.mark.parametrize(
    "missing, message",
    [
        ("recommendation", "Choose a recommendation."),
        ("comment_for_applicant", "Write a comment for the applicant."),
    ],
)
def test_submit_needs_a_recommendation_and_a_comment_for_the_applicant(
    assignment, criteria, missing, message
):
    fields = {"recommendation": "fund", "comment_for_applicant": "Good."}
    fields[missing] = "   " if missing == "comment_for_applicant" else ""
    save(assignment, {criteria[0]: 3, criteria[1]: 4}, **fields)
    with pytest.raises(ValidationError) as excinfo:
        review_submit(assignment=assignment, by=assignment.member.user)
    assert messages(excinfo) == [message]
    assert Review.objects.get().status == ReviewStatus.DRAFT


def test_submitted_review_is_locked_against_every_change(assignment, criteria, review_call, pm):
    # A second reviewer keeps the application in review, so the lock is the only refusal.
    second = factories.PanelMemberFactory(call=review_call)
    factories.declare_none(second, [assignment.application])
    assignment_add(member=second, application=assignment.application, by=pm)
    review = factories.submit_review(assignment, {criteria[0]: 5, criteria[1]: 4})
    submitted_at = review.submitted_at
    locked = ["The review has been submitted and can no longer be changed."]

    attempts = [
        lambda: save(assignment, {criteria[0]: 1}),
        lambda: save(assignment, {criteria[0]: None}),
        lambda: save(assignment, {}, comment_for_applicant="Changed.", recommendation="fund"),
        lambda: review_submit(assignment=assignment, by=assignment.member.user),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as excinfo:
            attempt()
        assert messages(excinfo) == locked

    review.refresh_from_db()
    assert (review.status, review.submitted_at) == (ReviewStatus.SUBMITTED, submitted_at)
    assert review.comment_for_applicant == "Clear and feasible."
    assert dict(review.scores.values_list("criterion_id", "value")) == {
        criteria[0].pk: 5,
        criteria[1].pk: 4,
    }


def test_review_of_an_application_no_longer_in_review_is_refused(assignment, criteria):
    save(assignment, {criteria[0]: 3}, comment_for_applicant="Draft.")
    application = assignment.application
    application_withdraw(
        application=application, by=factories.applicant_for(application), reason="Merged."
    )
    for attempt in (
        lambda: save(assignment, {criteria[0]: 6}, comment_for_applicant="Late."),
        lambda: review_submit(assignment=assignment, by=assignment.member.user),
    ):
        with pytest.raises(ValidationError) as excinfo:
            attempt()
        assert messages(excinfo) == ["The application is no longer in review."]
    review = Review.objects.get()
    assert (review.status, review.comment_for_applicant) == (ReviewStatus.DRAFT, "Draft.")
    assert list(review.scores.values_list("value", flat=True)) == [3]


@pytest.mark.parametrize("who", ["other_reviewer", "programme_manager", "applicant"])
def test_another_persons_assignment_is_refused(assignment, criteria, who, pm):
    user = {
        "other_reviewer": factories.PanelMemberFactory(call=assignment.member.call).user,
        "programme_manager": pm,
        "applicant": factories.applicant_for(assignment.application),
    }[who]
    with pytest.raises(PermissionDenied):
        review_save(
            assignment=assignment, by=user, scores={criteria[0].pk: 3}, recommendation="fund"
        )
    with pytest.raises(PermissionDenied):
        review_submit(assignment=assignment, by=user)
    assert not Review.objects.exists()


def test_a_removed_assignment_cannot_be_reviewed(assignment, criteria, pm):
    assignment_remove(assignment=assignment, by=pm)
    with pytest.raises(PermissionDenied):
        save(assignment, {criteria[0]: 3})
    assert not Review.objects.exists()


def test_the_last_submitted_review_completes_review_by_the_system(
    review_call, in_review, criteria, pm
):
    members = factories.PanelMemberFactory.create_batch(3, call=review_call)
    for member in members:
        factories.declare_none(member, [in_review])
    first, second, third = (assignment_add(member=m, application=in_review, by=pm) for m in members)
    # A removed reviewer's unfinished draft does not hold the application back.
    save(third, {criteria[0]: 2})
    assignment_remove(assignment=third, by=pm)

    factories.submit_review(first, {criteria[0]: 5, criteria[1]: 4})
    in_review.refresh_from_db()
    assert in_review.state == ApplicationState.IN_REVIEW

    factories.submit_review(second, {criteria[0]: 6, criteria[1]: 6})
    in_review.refresh_from_db()
    assert in_review.state == ApplicationState.REVIEWED
    log = ApplicationTransition.objects.filter(application=in_review).latest("pk")
    assert (log.name, log.source, log.target, log.actor) == (
        "complete_review",
        ApplicationState.IN_REVIEW,
        ApplicationState.REVIEWED,
        None,
    )


def test_fewer_submitted_reviews_than_the_minimum_do_not_complete_review(
    review_call, assignment, criteria
):
    # The only active assignment is in, but the call wants two reviews: a manager decides.
    factories.submit_review(assignment, {criteria[0]: 5, criteria[1]: 4})
    assignment.application.refresh_from_db()
    assert assignment.application.state == ApplicationState.IN_REVIEW


def test_manager_completes_review_once_the_minimum_is_in(review_call, assignment, criteria, pm):
    application = assignment.application
    with pytest.raises(ValidationError) as excinfo:
        review_complete(application=application, by=pm)
    assert messages(excinfo) == ["0 of at least 2 reviews are submitted."]

    factories.submit_review(assignment, {criteria[0]: 5, criteria[1]: 4})
    with pytest.raises(ValidationError) as excinfo:
        review_complete(application=application, by=pm)
    assert messages(excinfo) == ["1 of at least 2 reviews are submitted."]
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_REVIEW

    review_call.min_reviews = 1
    review_call.save()
    application.refresh_from_db()
    review_complete(application=application, by=pm)
    application.refresh_from_db()
    assert application.state == ApplicationState.REVIEWED
    log = ApplicationTransition.objects.filter(application=application).latest("pk")
    assert (log.name, log.actor) == ("complete_review", pm)


@pytest.mark.parametrize("role", ["decision_maker", "reviewer", "superuser"])
def test_only_a_programme_manager_completes_review(assignment, criteria, role, review_call):
    review_call.min_reviews = 0
    review_call.save()
    user = {
        "decision_maker": factories.decision_maker(),
        "reviewer": assignment.member.user,
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
    }[role]
    application = assignment.application
    with pytest.raises(PermissionDenied):
        review_complete(application=application, by=user)
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_REVIEW


def test_consensus_comment_is_written_and_rewritten_by_the_manager(in_review, pm):
    consensus_comment_save(application=in_review, by=pm, text=" First. ")
    consensus_comment_save(application=in_review, by=pm, text="Second.")
    comment = ConsensusComment.objects.get()
    assert (comment.application, comment.text, comment.written_by) == (in_review, "Second.", pm)


def test_consensus_comment_needs_text_and_a_programme_manager(in_review, pm, member):
    with pytest.raises(ValidationError) as excinfo:
        consensus_comment_save(application=in_review, by=pm, text="  ")
    assert messages(excinfo) == ["Write the comment for the applicant."]
    for user in (factories.decision_maker(), member.user):
        with pytest.raises(PermissionDenied):
            consensus_comment_save(application=in_review, by=user, text="Hi.")
    assert not ConsensusComment.objects.exists()


# -- what a reviewer sees of the others ------------------------------------------------------------


@pytest.mark.parametrize(
    "policy, before_own, after_own",
    [("never", False, False), ("after_own", False, True), ("always", True, True)],
)
def test_other_reviews_follow_the_calls_policy(
    review_call, in_review, criteria, pm, policy, before_own, after_own
):
    review_call.score_visibility = policy
    # Keep the application in review after both reviews are in.
    review_call.reviewers_per_application = review_call.min_reviews = 3
    review_call.save()
    members = factories.PanelMemberFactory.create_batch(2, call=review_call)
    for m in members:
        factories.declare_none(m, [in_review])
    mine, theirs = (assignment_add(member=m, application=in_review, by=pm) for m in members)
    factories.submit_review(theirs, {criteria[0]: 5, criteria[1]: 4})

    mine = assignment_for_reviewer(members[0].user, in_review.pk)
    assert other_reviews_visible(mine) is before_own
    factories.submit_review(mine, {criteria[0]: 2, criteria[1]: 2})
    mine = assignment_for_reviewer(members[0].user, in_review.pk)
    assert other_reviews_visible(mine) is after_own
    assert [r.assignment for r in other_submitted_reviews(mine)] == [theirs]


def test_other_submitted_reviews_leave_out_drafts_and_removed_reviewers(
    review_call, in_review, criteria, pm
):
    review_call.reviewers_per_application = review_call.min_reviews = 9
    review_call.save()
    members = factories.PanelMemberFactory.create_batch(4, call=review_call)
    for m in members:
        factories.declare_none(m, [in_review])
    mine, submitted, draft, removed = (
        assignment_add(member=m, application=in_review, by=pm) for m in members
    )
    factories.submit_review(submitted, {criteria[0]: 5, criteria[1]: 4})
    save(draft, {criteria[0]: 5})
    factories.submit_review(removed, {criteria[0]: 1, criteria[1]: 1})
    conflict_override(
        member=removed.member, application=in_review, by=pm, has_conflict=True, reason="Found."
    )
    assert [r.assignment for r in other_submitted_reviews(mine)] == [submitted]


def test_a_reviewers_assignments_are_only_their_active_ones(review_call, criteria, pm):
    applications = factories.applications_in_review(review_call, by=pm, count=3)
    member, other = factories.PanelMemberFactory.create_batch(2, call=review_call)
    factories.declare_none(member, applications)
    factories.declare_none(other, applications)
    kept, removed, _ = (assignment_add(member=member, application=a, by=pm) for a in applications)
    assignment_add(member=other, application=applications[2], by=pm)
    assignment_remove(assignment=removed, by=pm)
    assert list(assignments_for_reviewer(member.user)) == [
        kept,
        Assignment.objects.get(member=member, application=applications[2]),
    ]
    assert assignment_for_reviewer(member.user, applications[1].pk) is None
    assert assignment_for_reviewer(other.user, applications[0].pk) is None
