"""A person's own account: sign-up, profile, language, and Django's password reset."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from config.ratelimits import rate_limited

from ..forms.account import LocalisedPasswordResetForm, ProfileForm, SignupForm
from ..login_security import lockout, two_factor
from ..services.people import user_register, user_set_language, user_update_profile

# Sign-up logs the new person in; with two authentication backends Django must be told which.
_BACKEND = "django.contrib.auth.backends.ModelBackend"


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
            try:
                user = user_register(
                    email=data["email"],
                    full_name=data["full_name"],
                    password=data["password1"],
                    language=data["language"],
                )
            except ValidationError as error:
                form.add_error("email", error)
            else:
                login(request, user, backend=_BACKEND)
                messages.success(request, _("Welcome! Your account has been created."))
                return redirect(next_url or reverse("applications:dashboard"))
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
