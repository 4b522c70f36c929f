from django_tasks import task

from . import emails
from .models import PanelInvitation


@task()
def send_panel_invitation(*, invitation_id: int) -> None:
    emails.send_panel_invitation(
        PanelInvitation.objects.select_related("call", "invited_by").get(pk=invitation_id)
    )
