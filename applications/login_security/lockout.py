"""Lock-out after repeated failed logins (django-axes): how a login is counted, and the log.

The settings are in config/settings.py (``AXES_*``); the page is
templates/registration/locked_out.html. Choosing a new password through the reset link is never
blocked (it does not log in), and it lifts the lock: whoever can read the person's email may
choose their password anyway.
"""

import logging

from axes.signals import user_locked_out
from axes.utils import reset
from django.conf import settings
from django.dispatch import receiver

logger = logging.getLogger("applications.security")


# An email address is at most 254 characters (and axes stores at most 255): a longer login
# name, which no account has, is counted by its first 254 rather than failing to be stored.
USERNAME_MAX_LENGTH = 254


def axes_whitelisted(request, credentials=None) -> bool:
    """An OpenID Connect callback is not a password guess: the lock counts passwords only.

    Its failures (a refused token, a replayed code) have no login name, so they would all count
    against the address alone, and five of them from an office behind one address would stop
    every e-ID login from there. The providers protect their own logins.
    """
    return getattr(request, "oidc_provider", None) is not None


def axes_username(request, credentials=None) -> str | None:
    """The login name as the lock counts it: email addresses log in whatever their case, so
    ``Anna@…`` and ``anna@…`` are one account and share one count."""
    if credentials:
        value = credentials.get("username")
    else:
        value = request.POST.get("username") if request is not None else None
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()[:USERNAME_MAX_LENGTH]


def lockout_clear(*, email: str) -> int:
    """Lift any lock on this login name. Side effects: its failed attempts are forgotten."""
    return reset(username=email.strip().lower())


@receiver(user_locked_out, dispatch_uid="applications.login_security.lockout.log_lockout")
def _log_lockout(sender, request, username, ip_address, **kwargs):
    logger.warning(
        "Login locked: %s failed attempts for %r from %s; locked for %s minutes.",
        settings.AXES_FAILURE_LIMIT,
        username,
        ip_address,
        int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        extra={"event": "login_locked", "username": username, "ip_address": ip_address},
    )
