"""The page after a first e-ID login whose provider gave no email address: the person types
one, and the account is made (``identities.external_identity_create_with_email``).

The verified login waits in the session (``identities.PENDING_SESSION_KEY``, set by the e-ID
backend) for ten minutes; without one the page sends the person to the login page.
"""

from django import forms
from django.contrib import auth, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from . import assurance
from .identities import PENDING_SESSION_KEY, external_identity_create_with_email

_BACKEND = "applications.login_security.oidc.EidBackend"


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        help_text=gettext_lazy("We send messages about your applications here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


@never_cache
def oidc_email(request):
    pending = request.session.get(PENDING_SESSION_KEY)
    if not pending:
        return redirect("login")
    form = EmailForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            user = external_identity_create_with_email(
                pending=pending, email=form.cleaned_data["email"]
            )
        except ValidationError as error:
            if error.code == "expired":
                request.session.pop(PENDING_SESSION_KEY, None)
                messages.error(request, error.messages[0])
                return redirect("login")
            form.add_error("email", error)
        else:
            next_url = request.session.get("oidc_login_next")
            auth.login(request, user, backend=_BACKEND)
            record = pending.get("assurance") or {}
            assurance.mark_login(
                request, assurance.EID, acr=record.get("acr", ""), amr=record.get("amr", ())
            )
            request.session.pop(PENDING_SESSION_KEY, None)
            return redirect(next_url or "start")
    status = 400 if form.is_bound else 200
    context = {"form": form, "name": pending.get("name", "")}
    return render(request, "registration/oidc_email.html", context, status=status)


urlpatterns = [path("account/e-id/email/", oidc_email, name="oidc_email")]
