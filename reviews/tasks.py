from django_tasks import task

from applications.enums import DecisionStatus
from applications.models import Decision
from grants.models import Call

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


@task()
def send_proposals_from_ranking(*, call_id: int, decision_ids: list[int]) -> None:
    """The decisions proposed from a call's ranking in one go, to each decision maker. Those no
    longer waiting when the email goes (confirmed or sent back already) are not listed."""
    decisions = list(
        Decision.objects.filter(pk__in=decision_ids, status=DecisionStatus.PROPOSED)
        .select_related("application__organisation", "proposed_by")
        .order_by("application__registration_number")
    )
    if decisions:
        emails.send_proposals_from_ranking(Call.objects.get(pk=call_id), decisions)
