"""How this session logged in, and whether that login is strong enough to sign.

Set once at login (``mark_login``) and read where it matters: accepting a grant for an
organisation needs a strong login (``is_strong_login``), and the two-factor gate lets a staff
login through whose provider already asked for a second factor (``second_factor_passed``).

- ``password``: email and password here. Never strong.
- ``eid``: the e-ID broker. Strong when its ``acr`` is one of ``OIDC_EID_STRONG_ACR``
  (e.g. ``http://id.elegnamnden.se/loa/1.0/loa3``); such a login is also multi-factor.
- ``staff``: the agency's own provider. Passed a second factor when its ``amr`` holds one of
  ``OIDC_STAFF_MFA_AMR`` or its ``acr`` is one of ``OIDC_STAFF_MFA_ACR``. Not strong for
  signing: staff do not sign for organisations.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

SESSION_KEY = "login_assurance"
PASSWORD = "password"  # noqa: S105 (a login method, not a secret)
EID = "eid"
STAFF = "staff"
METHODS = frozenset({PASSWORD, EID, STAFF})


def mark_login(request, method: str, *, acr: str = "", amr: Iterable[str] = ()) -> None:
    """Record in the session how this login was made (replacing any earlier record)."""
    if method not in METHODS:
        raise ValueError(f"unknown login method {method!r}")
    request.session[SESSION_KEY] = {
        "method": method,
        "acr": acr or "",
        "amr": [str(value) for value in amr or ()],
        "at": timezone.now().isoformat(),
    }


def login_record(request) -> dict:
    session = getattr(request, "session", None)
    record = session.get(SESSION_KEY) if session is not None else None
    return record if isinstance(record, dict) else {}


def login_method(request) -> str:
    return login_record(request).get("method", "")


def is_strong_login(request) -> bool:
    """Whether the person logged in with e-ID at an assurance level that may sign."""
    record = login_record(request)
    return record.get("method") == EID and record.get("acr") in settings.OIDC_EID_STRONG_ACR


def signing_needs_strong_login(request) -> bool:
    """Whether this session must log in with e-ID before signing.

    Only when ``SIGNING_REQUIRES_STRONG_LOGIN`` is on (the default with an e-ID provider).
    """
    return settings.SIGNING_REQUIRES_STRONG_LOGIN and not is_strong_login(request)


def second_factor_passed(request) -> bool:
    """Whether the login's provider asserted a second factor, so the TOTP code is not asked.

    A strong e-ID login is multi-factor by definition (loa3 and up); a staff SSO login counts
    only when it says so in ``amr`` or ``acr``. A password login never does.
    """
    record = login_record(request)
    if record.get("method") == EID:
        return is_strong_login(request)
    if record.get("method") == STAFF:
        amr = set(record.get("amr") or ())
        return bool(amr & set(settings.OIDC_STAFF_MFA_AMR)) or (
            record.get("acr") in settings.OIDC_STAFF_MFA_ACR
        )
    return False


@receiver(user_logged_in, dispatch_uid="applications.login_security.assurance.mark_password")
def _mark_other_logins(sender, request, user, **kwargs):
    """Every login that is not through OpenID Connect is a password login (the OIDC callback
    marks its own, after Django's login, with what the provider asserted)."""
    if request is None or not hasattr(request, "session"):
        return
    if getattr(user, "login_assurance", None) is None:
        mark_login(request, PASSWORD)
