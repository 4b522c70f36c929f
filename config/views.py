"""Site-wide views that belong to no single app."""

import rules
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.templatetags.static import static

from reviews.rules import is_reviewer


@login_required
def start(request):
    """Where a person lands after logging in: the work of their role."""
    user = request.user
    if rules.has_perm("applications.list_applications", user):
        return redirect("applications:manage_list")
    if is_reviewer(user) and not user.memberships.exists():
        return redirect("reviews:dashboard")
    return redirect("applications:dashboard")


def favicon(request):
    """/favicon.ico, which browsers and bookmark tools ask for without reading the page: the
    static copy (its hashed name changes with its content, so the redirect is not permanent)."""
    return redirect(static("samverket/img/favicon.ico"))
