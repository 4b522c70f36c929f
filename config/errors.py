"""The site's own error pages: a form refused by the CSRF check, and the 500 page.

403 and 404 are Django's own handlers, which render templates/403.html and 404.html with the
request (so a permission refusal, ``PermissionDenied``, gets the site's page, menu and language).
"""

from django.conf import settings
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: what to do next, not Django's developer page."""
    return render(request, "403_csrf.html", status=403)


@requires_csrf_token
def server_error(request):
    """handler500: templates/500.html with settings only, no request context (a context
    processor or the database may be what failed). The language is the one the request had."""
    template = loader.get_template("500.html")
    context = {"AGENCY_NAME": settings.AGENCY_NAME, "SUPPORT_EMAIL": settings.SUPPORT_EMAIL}
    return HttpResponseServerError(template.render(context))
