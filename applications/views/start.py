"""The start page: the work waiting for each role the person holds.

Anyone logged in may open it; it shows only the parts of their own roles
(``applications.selectors.worklists``), and to a person with no role yet the way to begin.
After logging in everyone lands here (``config.views.start``) but the decision maker, who
lands on the decisions waiting.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from ..selectors.worklists import worklists_for


@login_required
def start_page(request):
    return render(request, "applications/start/start.html", {"parts": worklists_for(request.user)})


urlpatterns = [path("home/", start_page, name="start_page")]
