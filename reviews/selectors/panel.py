"""Reads: a call's panel and a person's seat on it."""

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from applications.enums import ApplicationState
from applications.models import Application
from grants.models import Call, Criterion

from ..models import ConflictDeclaration, PanelInvitation, PanelMember
from .assignments import active_assignments
from .scope import DECLARATION_STATES


def panel_member_for(user, call: Call) -> PanelMember | None:
    """The user's active seat on the call's panel."""
    if not user.is_authenticated:
        return None
    return (
        PanelMember.objects.filter(user=user, call=call, deactivated_at__isnull=True)
        .select_related("call", "user")
        .first()
    )


def panel_overview(call: Call) -> QuerySet[PanelMember]:
    return PanelMember.objects.filter(call=call).select_related("user").order_by("user__full_name")


def calls_for_manager() -> QuerySet[Call]:
    """Every call, newest deadline first, with its panel size, applications in review and
    criteria."""
    # Each count its own subquery: counted together over both joins, the rows were every panel
    # member times every application of the call before DISTINCT (10× the time at 10,000).
    return (
        Call.objects.annotate(
            panel_size=_count_per_call(PanelMember.objects.all()),
            in_review=_count_per_call(
                Application.objects.filter(state=ApplicationState.IN_REVIEW)  # (call, state) index
            ),
        )
        .prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("position", "pk"))
        )
        .order_by("-closes_at")
    )


def _count_per_call(rows: QuerySet):
    """How many of ``rows`` belong to the outer query's call, as a subquery (0 for none)."""
    counted = rows.filter(call=OuterRef("pk")).order_by().values("call").annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), 0)


def panel_counts(call: Call) -> tuple[int, dict[int, int], dict[int, int]]:
    """(applications in the declaration scope, member id → declared in scope, member id →
    active assignments): three grouped COUNTs in the database, whatever the call's size."""
    scope = call.applications.filter(
        state__in=DECLARATION_STATES, registration_number__isnull=False
    )
    # Declarations of the scope's applications (``IN`` a subquery, so the database walks the
    # application index from the few in scope, not every declaration the call ever had).
    declared = dict(
        ConflictDeclaration.objects.filter(member__call=call, application__in=scope.values("pk"))
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )
    load = dict(
        active_assignments(call)
        .order_by()  # not Meta.ordering's: it joins the members' users only to sort them
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )
    return scope.count(), declared, load


def pending_invitations(call: Call) -> QuerySet[PanelInvitation]:
    return (
        PanelInvitation.objects.filter(call=call, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def invitations_with_call() -> QuerySet[PanelInvitation]:
    return PanelInvitation.objects.select_related("call", "invited_by")


def panel_seats_of(user) -> QuerySet[PanelMember]:
    """The user's active seats on panels, newest deadline first."""
    return (
        PanelMember.objects.filter(user=user, deactivated_at__isnull=True)
        .select_related("call")
        .order_by("-call__closes_at", "call__slug")
    )


def panel_member_names(ids: set[int]) -> dict[int, str]:
    """The reviewers behind panel seats, for the audit log's lines."""
    return {
        pk: full_name or email
        for pk, full_name, email in PanelMember.objects.filter(pk__in=ids).values_list(
            "pk", "user__full_name", "user__email"
        )
    }
