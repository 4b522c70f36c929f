from django_tasks import task

from . import emails
from .models import Assignment, PanelInvitation, PanelMember, ReviewReminder


@task()
def send_panel_invitation(*, invitation_id: int) -> None:
    emails.send_panel_invitation(
        PanelInvitation.objects.select_related("call", "invited_by").get(pk=invitation_id)
    )


@task()
def send_assignment_notice(*, member_id: int, assignment_ids: list[int]) -> None:
    """A reviewer's new assignments of one run. Those taken away again before the email went
    (a conflict found, the reviewer left) are not listed; with none left, nothing is sent."""
    member = PanelMember.objects.select_related("user", "call").get(pk=member_id)
    assignments = list(
        Assignment.objects.filter(pk__in=assignment_ids, removed_at__isnull=True)
        .select_related("application")
        .order_by("application__registration_number")
    )
    if assignments:
        emails.send_assignment_notice(member, assignments)


@task()
def send_review_reminder(*, reminder_id: int) -> None:
    emails.send_review_reminder(
        ReviewReminder.objects.select_related(
            "assignment__member__user", "assignment__application__call"
        ).get(pk=reminder_id)
    )
