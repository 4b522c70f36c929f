"""A person's own account: sign-up and its email check, profile, language, and Django's
password reset."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from config.ratelimits import rate_limited

from ..forms.account import LocalisedPasswordResetForm, ProfileForm, SignupForm
from ..login_security import lockout, two_factor
from ..services.email_verification import (
    email_verification_resend,
    email_verify,
    user_for_verification_token,
    user_sign_up,
)
from ..services.people import user_set_language, user_update_profile


def _safe_next(request, value: str | None) -> str | None:
    """A "next" address that is a path on this site, or None.

    Only a path: ``redirect`` takes a bare word ("0", "dashboard") for a view's name and fails
    with a 500 when there is none.
    """
    if (
        value
        and value.startswith("/")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return None


@rate_limited("signup")
def signup(request):
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or reverse("applications:dashboard"))
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            # The same answer whether or not the address has an account (one email either way),
            # so the page tells nobody who has one. Nobody is logged in here.
            user_sign_up(
                email=data["email"],
                full_name=data["full_name"],
                password=data["password1"],
                language=data["language"],
                next_path=next_url or "",
            )
            return redirect("applications:signup_done")
    else:
        form = SignupForm(
            initial={
                "email": request.GET.get("email", ""),
                "language": getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE),
            }
        )
    return render(
        request, "applications/account/signup.html", {"form": form, "next": next_url or ""}
    )


def signup_done(request):
    return render(request, "applications/account/signup_done.html")


def email_verify_page(request, token):
    """The link from the email: a page with a button (a GET changes nothing, so a mail
    program that opens links to check them verifies nobody); the button POSTs."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    template = "applications/account/email_verify.html"
    try:
        user = (email_verify if request.method == "POST" else user_for_verification_token)(
            token=token
        )
    except ValidationError as error:
        return render(request, template, {"error": error.messages[0]}, status=400)
    if request.method != "POST":
        return render(request, template, {"token": token, "next": next_url or ""})
    messages.success(request, _("Thank you. Your email address is confirmed."))
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect(next_url or reverse("applications:dashboard"))
    login_url = reverse("login")
    return redirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)


@require_POST
@login_required
def email_verification_send_again(request):
    email_verification_resend(user=request.user)
    if request.user.email_verified:
        messages.info(request, _("Your email address is already confirmed."))
    else:
        messages.success(
            request,
            _("A new link has been sent to %(email)s.") % {"email": request.user.email},
        )
    return redirect("applications:profile")


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            user_update_profile(user=user, **form.cleaned_data)
            messages.success(request, _("Your details have been saved."))
            response = redirect("applications:profile")
            # Keep the cookie in step, so the choice also holds after logging out.
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    else:
        form = ProfileForm(
            initial={"full_name": user.full_name, "phone": user.phone, "language": user.language}
        )
    two_factor_context = {
        "two_factor_on": two_factor.confirmed_totp_device(user) is not None,
        "recovery_codes_left": two_factor.recovery_codes_left(user),
    }
    return render(
        request, "applications/account/profile.html", {"form": form, **two_factor_context}
    )


@require_POST
def set_language(request):
    """Django's set_language (cookie and redirect), remembered on the person when logged in."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(user=request.user, language=language)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LocalisedPasswordResetForm
    html_email_template_name = "registration/password_reset_email_html.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page for the reset link; a new password also lifts a login lock-out."""

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout.lockout_clear(email=form.user.email)
        return response


urlpatterns = [
    path("account/signup/", signup, name="signup"),
    path("account/signup/sent/", signup_done, name="signup_done"),
    path("account/verify/resend/", email_verification_send_again, name="email_verification_resend"),
    path("account/verify/<str:token>/", email_verify_page, name="email_verify"),
    path("account/profile/", profile, name="profile"),
    path("account/language/", set_language, name="set_language"),
    # Same path as django.contrib.auth.urls' "password_reset", which config/urls.py includes
    # after this module: ours answers first, so the email is written in the person's language.
    path(
        "account/password_reset/",
        rate_limited("password_reset")(PasswordResetView.as_view()),
        name="password_reset",
    ),
    # Likewise for the link in that email.
    path(
        "account/reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
