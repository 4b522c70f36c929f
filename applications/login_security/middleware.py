"""The two-factor gate: a person who must pass the second factor is sent to it first."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import assurance, two_factor

# URL names a person who must pass the second factor may still reach before passing it: the
# two-factor pages themselves, logging in and out, the language switch and the public pages.
TWO_FACTOR_OPEN_URL_NAMES = frozenset(
    {
        "two_factor_verify",
        "two_factor_setup",
        "two_factor_recovery_codes",
        "login",
        "logout",
        "oidc_eid_login",
        "oidc_eid_callback",
        "oidc_staff_login",
        "oidc_staff_callback",
        "oidc_email",
        "applications:set_language",
        "grants:call_list",
        "grants:call_detail",
        "applications:register",
        "applications:register_json",
        "applications:register_csv",
        "health",
    }
)
# Paths open whatever their URL name: static files (whitenoise serves most of them before any
# middleware runs) and the health check, which load balancers call without a session.
TWO_FACTOR_OPEN_PATH_PREFIXES = (
    settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
    "/health/",
)


def two_factor_exempt(view):
    """Mark a public view as reachable before the second factor (like ``csrf_exempt``)."""
    view.two_factor_exempt = True
    return view


class TwoFactorMiddleware:
    """Staff, reviewers and admins pass the second factor before anything else.

    A logged-in person who must (``two_factor.requires_two_factor``, or who chose it) and has
    not in this session is sent to the verify page, or to the setup page when they have no
    authenticator app yet, with ``next`` so they come back to where they were going. The Django
    admin is covered like every other page. Requests made by scripts (``X-Requested-With`` or
    HTMX's ``HX-Request``) get a 403 with a JSON message and ``HX-Redirect`` instead of a
    redirect, which ``fetch`` would follow silently into an HTML page.

    Must come after AuthenticationMiddleware and django-otp's OTPMiddleware (which sets
    ``request.user.is_verified()``). Works in ``process_view`` so the URL's name is known.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if self._is_open(request, view_func):
            return None
        if assurance.second_factor_passed(request):
            # The login's provider asked for a second factor (docs/architecture.md).
            return None
        if not (
            request.session.get(two_factor.ENROLLED_SESSION_KEY)
            or two_factor.requires_two_factor(user)
        ):
            return None
        if two_factor.confirmed_totp_device(user) is None:
            url = reverse("two_factor_setup")
        else:
            url = reverse("two_factor_verify")
        if request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request") == "true" or "X-Requested-With" in request.headers:
            message = _("Confirm it is you with your second factor, then try again.")
            return JsonResponse(
                {"errors": [str(message)], "redirect": url},
                status=403,
                headers={"HX-Redirect": url},
            )
        return redirect(url)

    @staticmethod
    def _is_open(request, view_func) -> bool:
        if getattr(view_func, "two_factor_exempt", False):
            return True
        if request.path_info.startswith(TWO_FACTOR_OPEN_PATH_PREFIXES):
            return True
        match = request.resolver_match
        return match is not None and match.view_name in TWO_FACTOR_OPEN_URL_NAMES
