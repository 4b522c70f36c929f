"""One small, complete world for the tests that walk every page of the site.

``build_world()`` makes, through the services, one object for every kind of URL argument the
site has: a call open for applications and one closed and in review, an applicant's
organisation with a draft, a submitted application, one in review (with an attachment, an
assigned reviewer and a reviewer who declared a conflict of interest), one reviewed, one with a
proposed decision and one decided with its letter released; invitations to the organisation
and to the panel; and the agency's staff. The permission table and the form fuzz both use it.

The people are the roles of the permission table (``ROLES``), each with a ``User``.
"""

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import (
    Application,
    Attachment,
    Decision,
    Invitation,
    Membership,
    Payment,
    RepaymentClaim,
    Report,
)
from applications.models import User as UserModel
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.decisions import decision_confirm
from applications.services.follow_up import (
    application_accept_grant,
    application_close,
    payment_mark_paid,
    repayment_mark_settled,
    report_approve,
)
from applications.services.letters import closing_letter_generate, decision_letter_generate
from applications.services.people import invitation_create
from applications.services.transitions import application_complete_review, application_submit
from applications.services.working_copy import attachment_add
from grants.models import Call
from reviews.enums import ConflictGround
from reviews.models import Assignment, PanelInvitation, PanelMember
from reviews.services.assignments import assignment_add
from reviews.services.conflicts import Declaration, conflicts_declare
from reviews.services.panel import panel_invite
from reviews.services.reviewing import review_save
from tests import factories

# The roles of the permission table, in the order of its columns.
ROLES = (
    "anonymous",
    "other_applicant",
    "applicant",
    "reviewer",
    "conflicted_reviewer",
    "programme_manager",
    "decision_maker",
    "superuser",
)


def tiny_pdf() -> bytes:
    """The smallest PDF the attachment checks accept."""
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


@dataclass
class World:
    # people
    applicant: UserModel  # administrator and signatory of ``organisation``
    colleague: UserModel  # a plain member of ``organisation``
    other_applicant: UserModel  # administrator of ``other_organisation``
    reviewer: UserModel  # on the panel of ``call``, assigned to ``in_review``
    conflicted_reviewer: UserModel  # on the panel, declared a conflict with ``in_review``
    programme_manager: UserModel
    decision_maker: UserModel
    superuser: UserModel
    # organisations
    organisation: object
    other_organisation: object
    colleague_membership: Membership
    invitation: Invitation
    # calls
    open_call: Call  # open for applications: ``draft`` and ``submitted`` belong to it
    call: Call  # closed, in review: every other application belongs to it
    held_call: Call  # holds its decisions for a common release date
    # applications, all of ``organisation``
    draft: Application
    submitted: Application
    in_review: Application
    reviewed: Application
    proposed: Application
    decided: Application
    # what hangs on them
    attachment: Attachment  # in ``in_review``'s submitted version
    reviewer_member: PanelMember
    conflicted_member: PanelMember
    assignment: Assignment  # ``reviewer`` on ``in_review``
    panel_invitation: PanelInvitation
    proposal: Decision  # waiting for confirmation, on ``proposed``
    decision: Decision  # confirmed, letter made and released, on ``decided``
    # follow-up (issue 5): ``granted`` accepted, its first instalment due, its final report in
    # draft; ``closed`` settled (a repayment received), closed, its closing letter made
    granted: Application
    closed: Application
    report: Report  # ``granted``'s final report
    payment: Payment  # ``granted``'s first instalment, due
    claim: RepaymentClaim  # ``closed``'s repayment, received

    def user(self, role: str) -> UserModel | None:
        return None if role == "anonymous" else getattr(self, role)


def _submitted(call, organisation, applicant, *, attachment: bool = False):
    application = factories.ApplicationFactory(
        call=call, organisation=organisation, created_by=applicant, language="en"
    )
    added = None
    if attachment:
        added = attachment_add(
            application=application,
            by=applicant,
            upload=SimpleUploadedFile("plan.pdf", tiny_pdf()),
        )
    application_submit(application=application, by=applicant)
    application.refresh_from_db()
    return application, added


def build_world() -> World:
    en = {"language": "en"}
    programme_manager = factories.programme_manager(full_name="Petra Programme", **en)
    decision_maker = factories.decision_maker(full_name="Dag Decider", **en)
    superuser = factories.UserFactory(full_name="Sara Super", is_superuser=True, **en)
    superuser.is_staff = True
    superuser.save(update_fields=["is_staff"])

    organisation = factories.OrganisationFactory(name="Östersunds kommun")
    other_organisation = factories.OrganisationFactory(name="Andra kommunen")
    applicant = factories.MembershipFactory(
        organisation=organisation,
        is_admin=True,
        is_signatory=True,
        user__full_name="Anna Applicant",
        user__language="en",
    ).user
    colleague_membership = factories.MembershipFactory(
        organisation=organisation, user__full_name="Carl Colleague", user__language="en"
    )
    other_applicant = factories.MembershipFactory(
        organisation=other_organisation,
        is_admin=True,
        is_signatory=True,
        user__full_name="Otto Other",
        user__language="en",
    ).user
    invitation = invitation_create(
        organisation=organisation,
        by=applicant,
        email="invited@example.se",
        is_admin=False,
        is_signatory=False,
    )

    open_call = factories.CallFactory(slug="open-call")
    call = factories.CallFactory(slug="review-call")
    held_call = factories.CallFactory(slug="held-call", hold_decisions_for_release=True)
    criterion = factories.CriterionFactory(call=call)

    draft = factories.ApplicationFactory(
        call=open_call, organisation=organisation, created_by=applicant, language="en"
    )
    submitted, _none = _submitted(open_call, organisation, applicant)
    in_review, attachment = _submitted(call, organisation, applicant, attachment=True)
    reviewed, _none = _submitted(call, organisation, applicant)
    proposed, _none = _submitted(call, organisation, applicant)
    decided, _none = _submitted(call, organisation, applicant)
    granted, _none = _submitted(call, organisation, applicant)
    closed, _none = _submitted(call, organisation, applicant)

    # Close the call and put its applications in review (factories.start_review).
    factories.start_review(
        [in_review, reviewed, proposed, decided, granted, closed], by=programme_manager
    )

    reviewer_member = factories.PanelMemberFactory(
        call=call, user__full_name="Rita Reviewer", user__language="en"
    )
    conflicted_member = factories.PanelMemberFactory(
        call=call, user__full_name="Conny Conflict", user__language="en"
    )
    factories.declare_none(reviewer_member, [in_review, reviewed, proposed, decided])
    conflicts_declare(
        member=conflicted_member,
        by=conflicted_member.user,
        declarations=[
            Declaration(
                application_id=in_review.pk,
                has_conflict=True,
                ground=ConflictGround.CLOSE_RELATION,
            )
        ],
    )
    assignment = assignment_add(member=reviewer_member, application=in_review, by=programme_manager)
    review_save(
        assignment=assignment,
        by=reviewer_member.user,
        scores={criterion.pk: 5},
        comment_for_applicant="Clear and feasible.",
        recommendation="fund",
    )
    panel_invitation = panel_invite(
        call=call, by=programme_manager, email="new-reviewer@example.se"
    )

    for application in (reviewed, proposed, decided):
        application_complete_review(application=application, by=programme_manager)
        application.refresh_from_db()
    proposal = factories.proposed_decision(proposed, by=programme_manager)
    decision = factories.proposed_decision(decided, by=programme_manager)
    decision_confirm(decision=decision, by=decision_maker)
    # What the letter task does after commit: make the letter, release it (the call does not
    # hold its decisions).
    decision_letter_generate(decision.pk)
    decision.refresh_from_db()
    for application in (in_review, reviewed, proposed, decided):
        application.refresh_from_db()

    # Follow-up: both decided, released and accepted by the applicant (a signatory).
    for application in (granted, closed):
        application_complete_review(application=application, by=programme_manager)
        approval = factories.proposed_decision(application, by=programme_manager)
        decision_confirm(decision=approval, by=decision_maker)
        decision_letter_generate(approval.pk)
        application.refresh_from_db()
        application_accept_grant(
            application=application,
            by=applicant,
            text=acceptance_text(application, effective_decision(application)),
        )
        application.refresh_from_db()
    today = timezone.localdate()
    payment_mark_paid(payment=closed.payments.get(position=1), by=programme_manager, paid_on=today)
    closed_report = closed.reports.get()
    factories.complete_report(closed_report, by=applicant, spent=[250_000, 100_000])
    report_approve(report=closed_report, by=programme_manager)
    claim = closed.repayment_claims.get()
    repayment_mark_settled(claim=claim, by=programme_manager, settled_on=today)
    application_close(application=closed, by=programme_manager)
    # What the closing letter task does after commit.
    closing_letter_generate(closed.closing_letter.pk)
    closed.refresh_from_db()

    return World(
        applicant=applicant,
        colleague=colleague_membership.user,
        other_applicant=other_applicant,
        reviewer=reviewer_member.user,
        conflicted_reviewer=conflicted_member.user,
        programme_manager=programme_manager,
        decision_maker=decision_maker,
        superuser=superuser,
        organisation=organisation,
        other_organisation=other_organisation,
        colleague_membership=colleague_membership,
        invitation=invitation,
        open_call=open_call,
        call=call,
        held_call=held_call,
        draft=draft,
        submitted=submitted,
        in_review=in_review,
        reviewed=reviewed,
        proposed=proposed,
        decided=decided,
        attachment=attachment,
        reviewer_member=reviewer_member,
        conflicted_member=conflicted_member,
        assignment=assignment,
        panel_invitation=panel_invitation,
        proposal=proposal,
        decision=decision,
        granted=granted,
        closed=closed,
        report=granted.reports.get(),
        payment=granted.payments.get(position=1),
        claim=claim,
    )
