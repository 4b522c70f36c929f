"""OpenID Connect logins through mozilla-django-oidc: the e-ID broker and the agency's SSO.

mozilla-django-oidc does one provider from global settings; here each provider is a subclass
of its backend and views whose ``get_settings`` reads that provider's dict in
``settings.OIDC_PROVIDERS`` (``"eid"``, ``"staff"``), with its own callback URL. Each backend
answers only its own callback (the view marks the request with ``oidc_provider``), and only
when its provider is configured. Why this library and not django-allauth: docs/architecture.md.

On top of the library (which checks the signature, the state and the nonce, and sends the PKCE
verifier) the backend checks the id_token's ``iss``, ``aud``, ``exp`` and ``sub``, and turns
every refusal (a provider error, a tampered token, a wrong state) into a message on the login
page instead of an error page.
"""

import logging
import time
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import assurance
from .identities import PENDING_SESSION_KEY, external_identity_login, pending_identity

logger = logging.getLogger("applications.security")

# mozilla-django-oidc settings every provider shares (the rest come from its dict).
_COMMON = {
    "OIDC_USE_PKCE": True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
    "OIDC_USE_NONCE": True,
    "OIDC_OP_CLIENT_AUTH_METHOD": "client_secret_post",
    "OIDC_CREATE_USER": True,
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_STORE_ID_TOKEN": False,
}
# Seconds of clock difference allowed when checking ``exp`` and ``iat``.
_LEEWAY = 60


def provider_settings(provider: str) -> dict | None:
    return settings.OIDC_PROVIDERS.get(provider)


def is_configured(provider: str) -> bool:
    return provider_settings(provider) is not None


def eid_login_url(next_path: str) -> str:
    """The e-ID login that comes back to ``next_path``; empty when no e-ID is configured.

    Logged in already, the e-ID is linked to the account and the session's login is strong.
    """
    if not is_configured(assurance.EID):
        return ""
    return f"{reverse('oidc_eid_login')}?{urlencode({'next': next_path})}"


class _ProviderSettings:
    provider = ""
    callback_url_name = ""

    @classmethod
    def get_settings(cls, attr, *args):
        own = provider_settings(cls.provider) or {}
        if attr == "OIDC_AUTHENTICATION_CALLBACK_URL":
            return cls.callback_url_name
        if attr in own:
            return own[attr]
        if attr in _COMMON:
            return _COMMON[attr]
        return import_from_settings(attr, *args)


class _Backend(_ProviderSettings, OIDCAuthenticationBackend):
    """Logs in the person a verified id_token names, through ``external_identity_login``."""

    def __init__(self, *args, **kwargs):
        # Not configured: answer nothing (the library's own __init__ would refuse to start).
        self.configured = is_configured(self.provider)
        if self.configured:
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        if not self.configured or getattr(request, "oidc_provider", None) != self.provider:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (
            SuspiciousOperation,
            jwt.PyJWTError,
            requests.RequestException,
            ValueError,
            KeyError,
        ) as error:
            # A tampered or replayed token, a refused code or PKCE verifier, a provider that
            # does not answer: the login fails with a message, nothing is changed.
            logger.warning("%s login refused: %s", self.provider, error)
            messages.error(request, _("The login could not be completed. Please try again."))
            return None

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        own = provider_settings(self.provider)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        now = time.time()
        if payload.get("iss") != own["ISSUER"]:
            raise SuspiciousOperation("id_token from another issuer")
        if own["OIDC_RP_CLIENT_ID"] not in audiences:
            raise SuspiciousOperation("id_token for another client")
        if not isinstance(payload.get("exp"), int | float) or payload["exp"] < now - _LEEWAY:
            raise SuspiciousOperation("id_token expired")
        if not payload.get("sub"):
            raise SuspiciousOperation("id_token without sub")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload["sub"]:
            # OpenID Connect Core 5.3.2: the userinfo must be about the same person.
            raise SuspiciousOperation("userinfo about another subject")
        # The e-ID links to the logged-in account; the agency SSO never does: it logs in the
        # agency's person (and gives their roles), whoever was logged in before.
        current = None
        if self.provider == assurance.EID and self.request.user.is_authenticated:
            current = self.request.user
        try:
            user = external_identity_login(
                provider=self.provider,
                issuer=payload["iss"],
                subject=payload["sub"],
                claims=userinfo,
                current_user=current,
            )
        except ValidationError as error:
            if error.code == "no_email" and current is None and self.provider == assurance.EID:
                # Ask for an email on the next page (oidc_email.py) rather than refuse.
                self.request.session[PENDING_SESSION_KEY] = {
                    **pending_identity(
                        provider=self.provider,
                        issuer=payload["iss"],
                        subject=payload["sub"],
                        claims=userinfo,
                    ),
                    "assurance": _assurance(payload),
                }
                return None
            for message in error.messages:
                messages.error(self.request, message)
            return None
        if not self.user_can_authenticate(user):
            return None
        user.login_assurance = _assurance(payload)
        return user


def _assurance(payload: dict) -> dict:
    amr = payload.get("amr") or []
    return {"acr": str(payload.get("acr") or ""), "amr": amr if isinstance(amr, list) else [amr]}


class EidBackend(_Backend):
    provider = assurance.EID
    callback_url_name = "oidc_eid_callback"


class StaffSsoBackend(_Backend):
    provider = assurance.STAFF
    callback_url_name = "oidc_staff_callback"


class _RequestView(_ProviderSettings, OIDCAuthenticationRequestView):
    """Sends the person to the provider, with state, nonce and the PKCE challenge in the
    session (mozilla-django-oidc keeps several, for logins started in more than one tab)."""

    def get_extra_params(self, request):
        # Ask the broker for a strong login: it is what signing needs.
        if self.provider == assurance.EID and settings.OIDC_EID_STRONG_ACR:
            return {"acr_values": " ".join(settings.OIDC_EID_STRONG_ACR)}
        return {}


class _CallbackView(_ProviderSettings, OIDCAuthenticationCallbackView):
    """Finishes the login: a refusal of any kind ends on the login page with a message."""

    def get(self, request):
        # Only this provider's backend answers the library's ``auth.authenticate(request=...)``.
        request.oidc_provider = self.provider
        request.session.pop(PENDING_SESSION_KEY, None)
        if request.GET.get("error"):
            messages.error(request, _("The login was cancelled or refused."))
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            # A state this session never sent (an old tab, a forged callback).
            logger.warning("%s login refused: %s", self.provider, error)
            messages.error(request, _("The login could not be completed. Please try again."))
            return self.login_failure()

    @property
    def failure_url(self):
        if self.request.session.get(PENDING_SESSION_KEY):
            return reverse("oidc_email")
        return reverse("login")

    def login_success(self):
        response = super().login_success()
        record = getattr(self.user, "login_assurance", None) or {}
        assurance.mark_login(
            self.request, self.provider, acr=record.get("acr", ""), amr=record.get("amr", ())
        )
        return response


class EidRequestView(_RequestView):
    provider = assurance.EID
    callback_url_name = EidBackend.callback_url_name


class StaffRequestView(_RequestView):
    provider = assurance.STAFF
    callback_url_name = StaffSsoBackend.callback_url_name


class EidCallbackView(_CallbackView):
    provider = assurance.EID
    callback_url_name = EidBackend.callback_url_name


class StaffCallbackView(_CallbackView):
    provider = assurance.STAFF
    callback_url_name = StaffSsoBackend.callback_url_name


def _only_when_configured(view_class):
    view = view_class.as_view()

    def configured_view(request, *args, **kwargs):
        if not is_configured(view_class.provider):
            raise Http404
        return view(request, *args, **kwargs)

    configured_view.__name__ = configured_view.__qualname__ = view_class.__name__
    return configured_view


urlpatterns = [
    path("account/e-id/login/", _only_when_configured(EidRequestView), name="oidc_eid_login"),
    path(
        "account/e-id/callback/", _only_when_configured(EidCallbackView), name="oidc_eid_callback"
    ),
    path("account/sso/login/", _only_when_configured(StaffRequestView), name="oidc_staff_login"),
    path(
        "account/sso/callback/",
        _only_when_configured(StaffCallbackView),
        name="oidc_staff_callback",
    ),
]
