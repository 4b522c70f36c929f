"""Forms for who speaks for an organisation: the agency's check, claims and their decision."""

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.enums import OrganisationKind

from ..validators import SingleLineTextField, normalise_orgnr, validate_public_sector_orgnr


class OrganisationVerifyForm(forms.Form):
    verified_kind = forms.ChoiceField(
        label=_("Kind of organisation, as the agency found it"),
        choices=OrganisationKind.choices,
    )
    signatories = forms.TypedMultipleChoiceField(
        label=_("Confirmed signatories (may accept a grant for the organisation)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Note on the check"),
        help_text=_("What was checked, against which source (say, the organisation register)."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verified_kind"].initial = organisation.declared_kind
        # Members are prefetched with their accounts (``organisations_to_verify``).
        self.fields["signatories"].choices = [
            (m.pk, m.user.full_name or m.user.email)
            for m in organisation.memberships.all()
            if m.is_admin
        ]


class OrganisationRefuseForm(forms.Form):
    note = forms.CharField(
        label=_("Why the organisation could not be verified"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OrganisationClaimForm(forms.Form):
    orgnr = SingleLineTextField(label=_("Organisation number"), max_length=20)
    message = forms.CharField(
        label=_("Your message to the agency"),
        help_text=_("Who you are at the organisation, and how the agency can check it."),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["orgnr"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_orgnr(self) -> str:
        value = normalise_orgnr(self.cleaned_data["orgnr"])
        validate_public_sector_orgnr(value)
        return value


class ClaimResolveForm(forms.Form):
    TRANSFER, DISMISS = "transfer", "dismiss"

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (TRANSFER, _("The claimant speaks for the organisation: make them its administrator")),
            (DISMISS, _("Dismiss the claim: nothing changes")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note on the decision"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
