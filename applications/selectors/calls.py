"""Reads for the call editor: the calls agency staff manage, one call's facts, its history."""

from django.db.models import QuerySet

from grants.models import Call

from ..audit import audit_entries
from .decisions import call_committed_amount, remaining_budget


def calls_for_staff() -> QuerySet[Call]:
    """Every call, drafts first, then by opening time (newest first)."""
    return Call.objects.order_by("is_published", "-opens_at", "pk")


def call_for_staff(pk: int) -> Call | None:
    return Call.objects.prefetch_related("hubs").filter(pk=pk).first()


def call_budget_facts(call: Call) -> dict:
    """What the call has committed and what it can still grant (the budget rule)."""
    committed = call_committed_amount(call)
    return {
        "committed": committed,
        "remaining": remaining_budget(budget=call.budget, committed=committed),
    }


def call_history(call: Call):
    """The call's audit entries, newest first."""
    return audit_entries(object_type="grants.call", object_id=call.pk)
