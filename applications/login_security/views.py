"""Two-factor pages: verify a code, set up an authenticator app, recovery codes.

The URL names have no namespace (``two_factor_verify``, ``two_factor_setup``, …), like Django's
``login`` and ``logout`` beside them: config/urls.py includes ``urlpatterns`` from here directly.
The forms are in ``forms.py``, the writes and checks in ``two_factor.py``.
"""

import base64
from binascii import unhexlify
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..views.account import _safe_next
from . import two_factor
from .forms import CodeForm, RecoveryCodeForm

SETUP_KEY_SESSION_KEY = "two_factor_setup_key"
CODES_SESSION_KEY = "two_factor_recovery_codes"


def _next(request) -> str:
    value = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    return _safe_next(request, value) or reverse("start")


def _verify_context(request, *, code_form=None, recovery_form=None) -> dict:
    return {
        "code_form": code_form or CodeForm(),
        # A second form on the page: its own ids, so each label points at its own field.
        "recovery_form": recovery_form or RecoveryCodeForm(auto_id="recovery_%s"),
        "next": _next(request),
    }


@never_cache
@login_required
def verify(request):
    """Type the app's code (or a recovery code) to finish logging in."""
    if request.user.is_verified():
        return redirect(_next(request))
    if two_factor.confirmed_totp_device(request.user) is None:
        return redirect(f"{reverse('two_factor_setup')}?{request.GET.urlencode()}")
    if request.method != "POST":
        return render(
            request, "applications/account/two_factor_verify.html", _verify_context(request)
        )

    recovery = request.POST.get("method") == "recovery"
    form = (
        RecoveryCodeForm(request.POST, auto_id="recovery_%s")
        if recovery
        else CodeForm(request.POST)
    )
    if form.is_valid():
        try:
            device = two_factor.two_factor_verify(
                user=request.user, token=form.cleaned_data["otp_token"]
            )
        except ValidationError as error:
            form.add_error("otp_token", error)
        else:
            return _verified(request, device, recovery=recovery)
    context = _verify_context(request, **{"recovery_form" if recovery else "code_form": form})
    return render(request, "applications/account/two_factor_verify.html", context)


def _verified(request, device, *, recovery: bool):
    """Log the verified device in and go on; a used recovery code says how many are left."""
    # A new session key for the higher privilege, as Django does at login.
    request.session.cycle_key()
    django_otp.login(request, device)
    if recovery:
        left = two_factor.recovery_codes_left(request.user)
        messages.warning(
            request,
            _(
                "You used a recovery code. You have %(count)s left: get new ones on "
                "your details page if you are running out."
            )
            % {"count": left},
        )
    return redirect(_next(request))


def _qr_data_uri(config_url: str) -> str:
    return segno.make(config_url, error="m").svg_data_uri(scale=5, border=4)


def _grouped(secret: str) -> str:
    """``ABCDEFGH…`` → ``ABCD EFGH …``: easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def setup(request):
    """Add an authenticator app: show its secret (text and QR code), confirm with its code."""
    user = request.user
    if two_factor.confirmed_totp_device(user) is not None:
        if user.is_verified():
            messages.info(request, _("Two-factor authentication is already set up."))
            return redirect("applications:profile")
        return redirect(f"{reverse('two_factor_verify')}?{request.GET.urlencode()}")

    # The secret lives in the session until the first code confirms it, so showing the page
    # writes nothing to the database and a reload shows the same secret.
    key = request.session.get(SETUP_KEY_SESSION_KEY)
    if not key:
        key = request.session[SETUP_KEY_SESSION_KEY] = two_factor.new_totp_key()

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.totp_device_confirm(
                user=user, key=key, token=form.cleaned_data["otp_token"]
            )
        except ValidationError as error:
            form.add_error("otp_token", error)
        else:
            return _set_up(request, device, codes)
    return render(
        request, "applications/account/two_factor_setup.html", _setup_context(request, form, key)
    )


def _set_up(request, device, codes: list[str]):
    """The app is confirmed: log its device in and show the recovery codes once."""
    request.session.cycle_key()
    django_otp.login(request, device)
    del request.session[SETUP_KEY_SESSION_KEY]
    request.session[two_factor.ENROLLED_SESSION_KEY] = True
    request.session[CODES_SESSION_KEY] = codes
    messages.success(request, _("Two-factor authentication is set up."))
    query = urlencode({"next": _next(request)})
    return redirect(f"{reverse('two_factor_recovery_codes')}?{query}")


def _setup_context(request, form, key: str) -> dict:
    # Unsaved: only for the otpauth:// address the app reads, with our issuer and the email.
    device = TOTPDevice(user=request.user, key=key)
    secret = base64.b32encode(unhexlify(key)).decode()
    return {
        "form": form,
        "next": _next(request),
        "qr_data_uri": _qr_data_uri(device.config_url),
        "secret": _grouped(secret),
        "issuer": settings.OTP_TOTP_ISSUER,
        "required": two_factor.requires_two_factor(request.user),
    }


@never_cache
@login_required
def recovery_codes(request):
    """The recovery codes just made, shown once: they leave the session as the page is shown."""
    codes = request.session.pop(CODES_SESSION_KEY, None)
    if not codes:
        messages.info(
            request,
            _(
                "Recovery codes are shown only once. If you have lost yours, get new ones on "
                "your details page."
            ),
        )
        return redirect("applications:profile")
    return render(
        request,
        "applications/account/two_factor_recovery_codes.html",
        {"codes": codes, "next": _next(request)},
    )


@require_POST
@login_required
def recovery_codes_renew(request):
    try:
        codes = two_factor.recovery_codes_renew(user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("applications:profile")
    request.session[CODES_SESSION_KEY] = codes
    query = urlencode({"next": reverse("applications:profile")})
    return redirect(f"{reverse('two_factor_recovery_codes')}?{query}")


urlpatterns = [
    path("account/two-factor/", verify, name="two_factor_verify"),
    path("account/two-factor/setup/", setup, name="two_factor_setup"),
    path("account/two-factor/recovery-codes/", recovery_codes, name="two_factor_recovery_codes"),
    path(
        "account/two-factor/recovery-codes/new/",
        recovery_codes_renew,
        name="two_factor_recovery_codes_renew",
    ),
]
