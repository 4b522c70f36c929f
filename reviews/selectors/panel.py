"""Reads: a call's panel and a person's seat on it."""

from django.db.models import QuerySet

from grants.models import Call

from ..models import PanelMember


def panel_member_for(user, call: Call) -> PanelMember | None:
    if not user.is_authenticated:
        return None
    return PanelMember.objects.filter(user=user, call=call).select_related("call", "user").first()


def panel_overview(call: Call) -> QuerySet[PanelMember]:
    return PanelMember.objects.filter(call=call).select_related("user").order_by("user__full_name")
