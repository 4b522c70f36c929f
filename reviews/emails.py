"""One function per email of review."""

from django.urls import reverse

from applications.emails import send_email, site_url

from .models import PanelInvitation


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
