"""Public call pages: anyone may read the open calls and each call's texts."""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .models import Call, CallChange


def call_list(request):
    now = timezone.now()
    calls = Call.objects.published().filter(closes_at__gt=now).order_by("closes_at", "pk")
    return render(request, "grants/call_list.html", {"calls": calls, "now": now})


def call_detail(request, slug):
    call = get_object_or_404(Call.objects.published().prefetch_related("hubs"), slug=slug)
    return render(request, "grants/call_detail.html", call_page_context(request, call))


def call_page_context(request, call: Call, *, preview: bool = False) -> dict:
    """What the public call page shows; the programme manager's preview passes ``preview``
    (a draft too, and no apply form)."""
    now = timezone.now()
    # grants imports no other app: the person's organisations are reached through the user's
    # own relation, and the "Apply" form posts to the applications app by URL name.
    organisations = []
    ineligible = []
    if request.user.is_authenticated:
        for organisation in request.user.organisations.order_by("name"):
            (
                organisations
                if organisation.provisional_kind in call.eligible_kinds
                else ineligible
            ).append(organisation)
    return {
        "call": call,
        "now": now,
        "is_open": call.is_open(now),
        "has_closed": call.has_closed(now),
        "organisations": organisations,
        "ineligible_organisations": ineligible,
        "changes": list(CallChange.objects.filter(call=call)),
        "preview": preview,
    }
