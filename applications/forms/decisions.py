"""Forms for proposing, sending back and confirming decisions.

They only parse input; the rules (the state, the amount applied for, the four-eyes rule, the
budget) are the services', so every path agrees.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..enums import DecisionOutcome, IneligibilityReason
from ..models import Decision
from ..validators import WholeNumberField


class DecisionProposeForm(forms.Form):
    # Needed for one outcome (an approval's amount, an ineligibility's reason), and the reason
    # for approving below a threshold whenever the form has that field: not "(optional)".
    unmarked_optional = ("granted_amount", "reason_code", "threshold_override")

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=DecisionOutcome.choices, widget=forms.RadioSelect
    )
    granted_amount = WholeNumberField(
        column=Decision._meta.get_field("granted_amount"),
        label=_("Granted amount (kr)"),
        required=False,
        min_value=0,
        help_text=_("Whole kronor, at most the amount applied for. Only for an approval."),
    )
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        help_text=_("Only for an approval. Shown in the letter."),
    )
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        help_text=_("The reasons for the decision, shown in the letter."),
    )
    reason_code = forms.ChoiceField(
        label=_("Reason the application is ineligible"),
        required=False,
        choices=[("", _("(not ineligible)")), *IneligibilityReason.choices],
        help_text=_("Only for a rejection as ineligible."),
    )
    feedback = forms.CharField(
        label=_("Feedback for the applicant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=_("The reviewers' comments for the applicant, copied into the decision."),
    )

    threshold_override = forms.CharField(
        label=_("Reason for approving below the threshold"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_(
            "Required for an approval, since the application is below a threshold of the call. "
            "Kept on record and shown to the decision maker; not in the letter."
        ),
    )

    def __init__(self, *args, outcomes=None, below_threshold=False, reasons=None, **kwargs):
        """``reasons``: the call's reasons for ineligibility as ``(key, label)`` pairs (today's
        defaults unless given)."""
        super().__init__(*args, **kwargs)
        if reasons is not None:
            self.fields["reason_code"].choices = [("", _("(not ineligible)")), *reasons]
        if not below_threshold:
            del self.fields["threshold_override"]
        if outcomes is not None:
            self.fields["outcome"].choices = [
                (value, label) for value, label in DecisionOutcome.choices if value in outcomes
            ]

    def cleaned_amount(self) -> int:
        return self.cleaned_data.get("granted_amount") or 0


class SendBackForm(forms.Form):
    comment = forms.CharField(
        label=_("Why it is sent back"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class RankingProposeForm(forms.Form):
    """Propose decisions for a whole call from its ranking: one justification per group."""

    approve_justification = forms.CharField(
        label=_("Justification for the approvals (above the funding line)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
    )
    reject_justification = forms.CharField(
        label=_("Justification for the rejections (below the funding line)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
    )
