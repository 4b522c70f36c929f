"""Rate limits on the pages that send email or guess at secrets: sign-up, password reset,
invitations (sending one, opening or accepting a link) and autosave.

``@rate_limited("signup")`` counts requests per client address (``per="user"``: per person)
with django-ratelimit, at the rate ``settings.RATELIMITS[name]`` (read at each request, so the
environment or a test can change it). Over the limit, the view is not run: the person gets a
page (429) in their language saying when to try again, or, for the background requests of
autosave.js, the JSON it shows: ``{"errors": [...]}``. The counts live in the ``default`` cache;
``check --deploy`` warns when that is not shared by every web process.
"""

import ipaddress
import math
from functools import wraps

from django.conf import settings
from django.core import checks
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

from .client_address import client_address

# Caches that are not shared between processes or that lose counts (django-ratelimit's own
# check says the same, but as an error even in development; it is not installed as an app).
UNSHARED_CACHES = {
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


def _rate(name: str):
    def rate(group, request) -> str:
        return settings.RATELIMITS[name]

    return rate


def _client_key(group, request) -> str:
    """The client address; an IPv6 one by its /64, which is what one household or office has."""
    address = client_address(request) or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def _user_key(group, request) -> str:
    return f"user:{request.user.pk}"


def rate_limited(name: str, *, per: str = "address", methods: tuple[str, ...] = ("POST",)):
    """Refuse a view with 429 once ``settings.RATELIMITS[name]`` is reached (for ``methods``)."""
    key = _user_key if per == "user" else _client_key

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                usage = get_usage(
                    request, group=f"samverket.{name}", key=key, rate=_rate(name), increment=True
                )
                if usage is not None and usage["should_limit"]:
                    return too_many_requests(request, seconds_left=usage["time_left"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or (
        "application/json" in request.headers.get("Accept", "")
    )


def too_many_requests(request, *, seconds_left: int):
    """The 429 answer: when to try again, in the person's language (and ``Retry-After``)."""
    seconds_left = max(int(seconds_left), 1)
    minutes = math.ceil(seconds_left / 60)
    wait = ngettext(
        "Please wait %(minutes)s minute and try again.",
        "Please wait %(minutes)s minutes and try again.",
        minutes,
    ) % {"minutes": minutes}
    if _wants_json(request):
        message = _("Too many saves in a short time: your text is kept in this browser.")
        response = JsonResponse({"errors": [f"{message} {wait}"]}, status=429)
    else:
        response = render(request, "429.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(seconds_left)
    return response


@checks.register(checks.Tags.caches, deploy=True)
def check_rate_limit_cache(app_configs, **kwargs):
    backend = settings.CACHES[settings.RATELIMIT_USE_CACHE]["BACKEND"]
    if not settings.RATELIMIT_ENABLE or backend not in UNSHARED_CACHES:
        return []
    return [
        checks.Warning(
            f"The rate limits are counted in {backend}, which each web process keeps on its "
            "own: with several processes a limit is as many times higher.",
            hint="Set CACHE_URL to a cache every web process shares, e.g. "
            "redis://127.0.0.1:6379/1 (docs/deploy.md).",
            id="samverket.W001",
        )
    ]
