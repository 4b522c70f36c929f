"""One function per email of review."""

from django.urls import reverse

from applications.emails import send_email, send_email_to_each, site_url
from applications.selectors.recipients import decision_makers_for

from .models import Assignment, PanelInvitation, PanelMember, ReviewReminder


def send_panel_invitation(invitation: PanelInvitation) -> None:
    send_email(
        "panel_invitation",
        to=[invitation.email],
        language=invitation.invited_by.language,
        context={
            "invitation": invitation,
            "url": site_url(reverse("reviews:panel_invitation_accept", args=[invitation.token])),
        },
    )


def _review_url(application) -> str:
    return site_url(reverse("reviews:review", args=[application.pk]))


def send_assignment_notice(member: PanelMember, assignments: list[Assignment]) -> None:
    """New applications to review, with the due date and a link to each."""
    send_email(
        "assignment_notice",
        to=[member.user.email],
        language=member.user.language,
        context={
            "member": member,
            "call": member.call,
            "items": [
                {"application": a.application, "url": _review_url(a.application)}
                for a in assignments
            ],
            "dashboard_url": site_url(reverse("reviews:dashboard")),
        },
    )


def send_review_reminder(reminder: ReviewReminder) -> None:
    """A review is due soon (``before_due``) or overdue (``overdue``)."""
    assignment = reminder.assignment
    user = assignment.member.user
    send_email(
        f"review_reminder_{reminder.kind}",
        to=[user.email],
        language=user.language,
        context={
            "application": assignment.application,
            "call": assignment.application.call,
            "url": _review_url(assignment.application),
        },
    )


def send_proposals_from_ranking(call, decisions: list) -> None:
    """Proposals made from a call's ranking wait for a decision maker: one email to each who may
    confirm them (never the proposer), listing them with outcome and amount."""
    send_email_to_each(
        "proposals_from_ranking",
        users=decision_makers_for(decisions[0]),
        context={
            "call": call,
            "decisions": decisions,
            "url": site_url(reverse("applications:decisions")),
        },
    )
