"""Forms for a person's own account: sign-up, profile and the password reset email."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from ..enums import Language
from ..models import User
from ..services.password_reset import password_reset_email_queue
from ..validators import SingleLineTextField


class SignupForm(forms.Form):
    full_name = SingleLineTextField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Enter the same password again, to check it."),
    )
    language = forms.ChoiceField(label=_("Language for pages and emails"), choices=Language.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"

    def clean_email(self) -> str:
        # No "already has an account" here: the page must not tell who has one (the service
        # sends the owner a note instead).
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif password1:
            # The validators compare the password with the name and address given here.
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ProfileForm(forms.Form):
    full_name = SingleLineTextField(label=_("Full name"), max_length=200)
    phone = SingleLineTextField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(label=_("Language for pages and emails"), choices=Language.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})


class LocalisedPasswordResetForm(PasswordResetForm):
    """Django's reset form; the email is queued (written in the person's own language by the
    worker, applications/emails.py), so an address with an account is answered as fast as one
    without (applications/services/password_reset.py)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        password_reset_email_queue(
            user_id=context["user"].pk, protocol=context["protocol"], domain=context["domain"]
        )
