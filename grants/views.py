from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .models import Call


def call_list(request):
    now = timezone.now()
    calls = Call.objects.published().filter(closes_at__gt=now).prefetch_related("hubs")
    return render(request, "grants/call_list.html", {"calls": calls, "now": now})


def call_detail(request, slug):
    call = get_object_or_404(Call.objects.published().prefetch_related("hubs"), slug=slug)
    return render(request, "grants/call_detail.html", {"call": call, "now": timezone.now()})
