from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from .. import selectors


@login_required
def dashboard(request):
    """The reviewer's assignments (the reviewer helper builds this page out)."""
    assignments = selectors.assignments_for_reviewer(request.user)
    return render(request, "reviews/reviewer/dashboard.html", {"assignments": assignments})


urlpatterns = [
    path("", dashboard, name="dashboard"),
]
