"""The email-and-password login page, with the e-ID and agency SSO buttons beside it.

Django's ``LoginView`` with a form that, when ``PASSWORD_LOGIN_FOR_APPLICANTS`` is off, lets
only those whose role needs the second factor (staff, reviewers, admins: they keep a password
and TOTP) log in with a password; everyone else is pointed to the e-ID.
"""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext as _

from . import oidc, two_factor


class PasswordLoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not settings.PASSWORD_LOGIN_FOR_APPLICANTS and not two_factor.requires_two_factor(user):
            raise ValidationError(
                _("Log in with e-legitimation. Email and password are not used for applicants."),
                code="password_login_off",
            )


class PasswordLoginView(LoginView):
    authentication_form = PasswordLoginForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            eid_login=oidc.is_configured("eid"),
            staff_login=oidc.is_configured("staff"),
            password_login_for_applicants=settings.PASSWORD_LOGIN_FOR_APPLICANTS,
            **kwargs,
        )


urlpatterns = [path("account/login/", PasswordLoginView.as_view(), name="login")]
