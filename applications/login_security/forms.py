"""The two-factor pages' forms: a code from the authenticator app, or a recovery code."""

from django import forms
from django.utils.translation import gettext_lazy

from ..validators import SingleLineTextField


class CodeForm(forms.Form):
    """The six-digit code from the authenticator app."""

    otp_token = SingleLineTextField(
        label=gettext_lazy("Code from the app"),
        max_length=20,
        help_text=gettext_lazy("Six digits. Spaces do not matter."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "input--code",
            }
        ),
    )


class RecoveryCodeForm(forms.Form):
    """One of the person's recovery codes: letters and digits, so no numeric keypad."""

    otp_token = SingleLineTextField(
        label=gettext_lazy("Recovery code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "input--code",
            }
        ),
    )
