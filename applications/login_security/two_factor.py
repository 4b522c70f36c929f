"""Two-factor authentication (TOTP, with recovery codes), on django-otp.

Who must pass the second factor, and the writes that set it up and check it. The pages are in
``views.py``; ``middleware.TwoFactorMiddleware`` sends a person who must pass it,
and has not yet in this session, to those pages.

- An authenticator app (``otp_totp.TOTPDevice``): one confirmed device per person, made when
  the person types the first code the app shows for the secret on the setup page.
- Recovery codes (``otp_static.StaticDevice``): ten single-use codes, shown once after setup,
  accepted on the verify page instead of the app's code.
"""

import re
import secrets
import time
from binascii import unhexlify

from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..rules import is_agency_staff
from .roles import _TWO_FACTOR_ROLES, load_roles

# Set at login: the person has an authenticator app, so this session must pass it too, even
# when their role does not require it (an applicant who chose two-factor).
ENROLLED_SESSION_KEY = "two_factor_enrolled"
RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
_TOTP_CODE = re.compile(rf"\d{{{TOTP_DIGITS}}}")
# TOTPDevice's defaults; the setup page checks the first code against the same parameters.
_TOTP_STEP = 30
_TOTP_TOLERANCE = 1


def requires_two_factor(user) -> bool:
    """Whether this person's role requires the second factor.

    Agency staff (programme managers, decision makers), superusers and anyone who may use the
    admin site, then the roles registered with ``register_two_factor_role`` (reviewers: a seat
    on any panel), in registration order. Applicants do not need it (they may choose it). Group
    names and the preloaded roles are asked in one query (``load_roles``) and cached on the
    user, so later permission checks and the menu in the same request ask nothing more.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    if not hasattr(user, "_group_names_cache"):
        load_roles(user)
    if is_agency_staff.test(user):
        return True
    return any(test(user) for _name, test, _preload in _TWO_FACTOR_ROLES)


def confirmed_totp_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def new_totp_key() -> str:
    """A fresh secret in TOTPDevice's format: 20 random bytes, hex-encoded."""
    return secrets.token_hex(20)


def _clean(token: str) -> str:
    # People copy codes with spaces or dashes ("123 456", "abcd-efgh"); neither is ever part
    # of a code.
    return re.sub(r"[\s-]", "", token or "")


@transaction.atomic
def totp_device_confirm(*, user, key: str, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm a new authenticator app for ``user`` with the first code it shows for ``key``.

    Side effects: a confirmed ``TOTPDevice`` (the code just used cannot be used again) and new
    recovery codes, replacing any earlier ones. Returns the device and the recovery codes,
    which are not stored readable anywhere else the person can see them: show them once.
    """
    if TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
        raise ValidationError(
            _("Two-factor authentication is already set up for your account."), code="exists"
        )
    token = _clean(token)
    if not token:
        raise ValidationError(_("Enter the six-digit code from the app."), code="required")
    totp = TOTP(unhexlify(key), step=_TOTP_STEP, digits=TOTP_DIGITS)
    totp.time = time.time()
    if not (_TOTP_CODE.fullmatch(token) and totp.verify(int(token), tolerance=_TOTP_TOLERANCE)):
        raise ValidationError(
            _(
                "That code is not right. Check that the app shows the account you added and "
                "type the code it shows now."
            ),
            code="invalid",
        )
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(
        user=user,
        name="Authenticator app",
        key=key,
        step=_TOTP_STEP,
        digits=TOTP_DIGITS,
        tolerance=_TOTP_TOLERANCE,
        drift=totp.drift,
        last_t=totp.t(),
        confirmed=True,
    )
    return device, _recovery_codes_replace(user=user)


def _recovery_codes_replace(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """New recovery codes for a person with an authenticator app; the old ones stop working.

    Side effects: the person's recovery codes are replaced. Returns them, to show once.
    """
    if confirmed_totp_device(user) is None:
        raise ValidationError(
            _("Set up an authenticator app before getting recovery codes."), code="no_device"
        )
    return _recovery_codes_replace(user=user)


def two_factor_verify(*, user, token: str):
    """Check a code from the person's authenticator app, or one of their recovery codes.

    Returns the device that accepted it, for ``django_otp.login``. Side effects: a TOTP code is
    spent (the device remembers its time step, so the same code never works twice); a recovery
    code is deleted; a wrong code counts towards the device's throttle (django-otp doubles the
    wait after each failure), and a right one resets it.
    """
    token = _clean(token)
    if not token:
        raise ValidationError(_("Enter the code."), code="required")
    if _TOTP_CODE.fullmatch(token):
        model = TOTPDevice
    else:
        model, token = StaticDevice, token.lower()
    # The throttle's count must survive a wrong code, so the error is raised outside the
    # transaction that recorded it.
    with transaction.atomic():
        devices = model.objects.devices_for_user(user, confirmed=True).select_for_update()
        throttled = False
        for device in devices:
            allowed, _info = device.verify_is_allowed()
            if not allowed:
                throttled = True
            elif device.verify_token(token):
                return device
    if throttled:
        raise ValidationError(
            _("Too many wrong codes in a row. Wait a minute and try again."), code="throttled"
        )
    raise ValidationError(_("That code is not right. Try again."), code="invalid")


@receiver(user_logged_in, dispatch_uid="applications.login_security.two_factor.remember_enrolment")
def _remember_enrolment(sender, request, user, **kwargs):
    """Someone who set up an authenticator app must use it, whatever their role."""
    if request is not None and hasattr(request, "session"):
        request.session[ENROLLED_SESSION_KEY] = TOTPDevice.objects.filter(
            user=user, confirmed=True
        ).exists()
