"""Forms for the programme manager's review pages.

They only parse input; every rule (who may, which reviewer may be assigned, a reason on record)
is the service's, so the views, the admin and the demo command agree.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.validators import SingleLineTextField, normalise_orgnr


class PanelInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the reviewer"),
        help_text=_("They get an email with a link to join the panel, valid for 30 days."),
        max_length=254,
    )


class EmployerForm(forms.Form):
    """A panel member's employer: applications from it are a conflict of interest."""

    employer_orgnr = SingleLineTextField(
        label=_("Employer's organisation number"),
        help_text=_("For example 212000-0142. Leave empty if the reviewer has no employer."),
        max_length=20,
        required=False,
    )
    employer_name = SingleLineTextField(label=_("Employer"), max_length=200, required=False)

    def clean_employer_orgnr(self):
        value = self.cleaned_data["employer_orgnr"].strip()
        return normalise_orgnr(value) if value else ""


ADD, LIFT = "add", "lift"


class ConflictOverrideForm(forms.Form):
    """Add or lift a conflict of interest for one reviewer and one application."""

    application = forms.TypedChoiceField(label=_("Application"), coerce=int)
    member = forms.TypedChoiceField(label=_("Reviewer"), coerce=int)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (ADD, _("Add a conflict of interest")),
            (LIFT, _("Lift the conflict of interest")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Kept on record with your name."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args, applications=(), members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.set_applications(applications)
        self.fields["member"].choices = [("", _("Choose a reviewer"))] + [
            (m.pk, m.user.full_name or m.user.email) for m in members
        ]

    def set_applications(self, applications) -> None:
        """The applications to choose from: a page of them on the page, the one posted when
        the form is checked (so a choice is checked against one application, not the call)."""
        self.fields["application"].choices = [("", _("Choose an application"))] + [
            (a.pk, f"{a.registration_number} {a.organisation.name}") for a in applications
        ]

    @property
    def has_conflict(self) -> bool:
        return self.cleaned_data["decision"] == ADD


class AssignmentAddForm(forms.Form):
    member = forms.TypedChoiceField(label=_("Reviewer"), coerce=int)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", _("Choose a reviewer"))] + [
            (m.pk, m.user.full_name or m.user.email) for m in members
        ]


class AssignmentRemoveForm(forms.Form):
    reason = SingleLineTextField(label=_("Reason"), max_length=2000, required=False)


class ConsensusCommentForm(forms.Form):
    text = forms.CharField(
        label=_("Consensus comment for the applicant"),
        help_text=_(
            "A summary of the reviewers' comments, in your words. The applicant reads it with "
            "the decision."
        ),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=10000,
    )


class PanelDeactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for taking the reviewer off the panel"),
        help_text=_(
            "Kept on record. Their submitted reviews stay; the applications they have not reviewed "
            "go to other reviewers."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
