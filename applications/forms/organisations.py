"""Forms for organisations: registration, invitations and members' roles."""

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.enums import OrganisationKind

from ..enums import County
from ..validators import SingleLineTextField, normalise_orgnr, validate_public_sector_orgnr


class OrganisationRegisterForm(forms.Form):
    orgnr = SingleLineTextField(
        label=_("Organisation number"),
        max_length=20,
        help_text=_("Ten digits, for example 212000-0142."),
    )
    name = SingleLineTextField(label=_("Name of the organisation"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=OrganisationKind.choices)
    county = forms.ChoiceField(label=_("County"), choices=County.choices)
    address = forms.CharField(
        label=_("Postal address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["orgnr"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["name"].widget.attrs["autocomplete"] = "organization"

    def clean_orgnr(self) -> str:
        # The personal-number check comes first, so that is the message a person sees.
        value = normalise_orgnr(self.cleaned_data["orgnr"])
        validate_public_sector_orgnr(value)
        return value


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Your colleague's email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    is_admin = forms.BooleanField(
        label=_("Administrator (may invite colleagues and change roles)"), required=False
    )
    is_signatory = forms.BooleanField(
        label=_("Signing right (may accept a grant for the organisation)"), required=False
    )


class MembershipForm(forms.Form):
    is_admin = forms.BooleanField(label=_("Administrator"), required=False)
    is_signatory = forms.BooleanField(label=_("Signing right"), required=False)
