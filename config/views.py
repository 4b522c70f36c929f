"""Site-wide views that belong to no single app."""

import rules
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from reviews.rules import is_reviewer

from .middleware import session_keep_active, session_seconds_left
from .ratelimits import rate_limited


@login_required
def start(request):
    """Where a person lands after logging in: the work of their role."""
    user = request.user
    if rules.has_perm("applications.list_applications", user):
        return redirect("applications:manage_list")
    if is_reviewer(user) and not user.memberships.exists():
        return redirect("reviews:dashboard")
    return redirect("applications:dashboard")


@require_POST
@rate_limited("session_keep_alive", per="user")
def session_keep_alive(request):
    """The "Stay logged in" button of the session warning (config/static/samverket/js/session.js).

    A logged-in person's session starts its idle time again; the answer says how long it now
    has (``seconds_left``; never past the session's longest life, which nothing extends). An
    anonymous visitor (the session has already ended) gets ``{"authenticated": false}``, and the
    page clears its local copies. POST with the CSRF token, rate limited per person.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False})
    session_keep_active(request)
    return JsonResponse({"authenticated": True, "seconds_left": session_seconds_left(request)})
