"""One function per email of review."""

from django.urls import reverse

from applications.emails import send_email, site_url

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
