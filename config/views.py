"""Site-wide views that belong to no single app."""

import rules
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def start(request):
    """Where a person lands after logging in (``LOGIN_REDIRECT_URL``, and the two-factor pages
    when no ``next`` was asked for): the start page with the work of their roles; a decision
    maker who is not also a programme manager on the decisions waiting for them."""
    user = request.user
    if rules.has_perm("applications.decide_application", user) and not rules.has_perm(
        "applications.manage_calls", user
    ):
        return redirect("applications:decisions")
    return redirect("applications:start_page")
