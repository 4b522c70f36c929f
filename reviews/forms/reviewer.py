"""Forms of the reviewer's pages: joining a panel, declaring conflicts, and the review."""

from django import forms
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from applications.services.edit_conflicts import version_from_post
from applications.validators import SingleLineTextField, normalise_orgnr

from ..enums import ConflictGround, Recommendation
from ..services.conflicts import Declaration

NO_CONFLICT = "none"
CONFLICT = "conflict"


class PanelJoinForm(forms.Form):
    employer_orgnr = SingleLineTextField(
        label=_("Your employer's organisation number"),
        max_length=20,
        required=False,
        help_text=_(
            "Any company, authority or other organisation, for example 556677-8899. Applications "
            "from this organisation are found automatically as a conflict of interest, so you "
            "are never assigned them. Leave it empty if you have no employer."
        ),
    )
    employer_name = SingleLineTextField(
        label=_("Your employer's name"), max_length=200, required=False
    )

    def clean_employer_orgnr(self) -> str:
        value = self.cleaned_data["employer_orgnr"].strip()
        return normalise_orgnr(value) if value else ""


class DeclarationForm(forms.Form):
    """One group of fields per application, named ``a<pk>-decision|ground|comment``.

    ``applications`` are the applications the reviewer may still answer for: undeclared ones
    and ones declared free of conflict (which can still become a conflict). An application
    left unanswered is simply not declared yet.
    """

    def __init__(self, *args, applications, declared_none=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.applications = list(applications)
        # An application may be left for later, but one declared a conflict needs its ground:
        # neither is labelled "(optional)" (config/forms.py).
        self.unmarked_optional = set()
        for application in self.applications:
            prefix = f"a{application.pk}"
            self.unmarked_optional |= {f"{prefix}-decision", f"{prefix}-ground"}
            self.fields[f"{prefix}-decision"] = forms.ChoiceField(
                label=_("Do you have a conflict of interest with %(number)s?")
                % {"number": application.registration_number},
                choices=[
                    (NO_CONFLICT, _("No conflict of interest")),
                    (CONFLICT, _("Conflict of interest")),
                ],
                required=False,
                widget=forms.RadioSelect,
                initial=NO_CONFLICT if application.pk in declared_none else None,
            )
            self.fields[f"{prefix}-ground"] = forms.ChoiceField(
                label=_("Ground, if you have a conflict of interest"),
                choices=ConflictGround.choices,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"{prefix}-comment"] = forms.CharField(
                label=_("Comment"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def clean(self):
        cleaned = super().clean()
        answered = 0
        for application in self.applications:
            prefix = f"a{application.pk}"
            decision = cleaned.get(f"{prefix}-decision")
            if decision:
                answered += 1
            if decision == CONFLICT and not cleaned.get(f"{prefix}-ground"):
                self.add_error(
                    f"{prefix}-ground",
                    _("Choose the ground for the conflict of interest."),
                )
        if self.applications and not answered and not self.errors:
            raise forms.ValidationError(
                _("Declare for at least one application: a conflict of interest or none.")
            )
        return cleaned

    def summary_label(self, field) -> str:
        """How the error summary names a ground or comment: after its registration number (the
        decision's label has it already)."""
        prefix, name = field.name.split("-", 1)
        application = next(a for a in self.applications if f"a{a.pk}" == prefix)
        if name == "decision" or not application.registration_number:
            return field.label
        return f"{application.registration_number}, {field.label}"

    def rows(self):
        """(application, decision field, ground field, comment field) for the template."""
        for application in self.applications:
            prefix = f"a{application.pk}"
            yield (
                application,
                self[f"{prefix}-decision"],
                self[f"{prefix}-ground"],
                self[f"{prefix}-comment"],
            )

    def declarations(self) -> list[Declaration]:
        result = []
        for application in self.applications:
            prefix = f"a{application.pk}"
            decision = self.cleaned_data.get(f"{prefix}-decision")
            if not decision:
                continue
            has_conflict = decision == CONFLICT
            result.append(
                Declaration(
                    application_id=application.pk,
                    has_conflict=has_conflict,
                    ground=self.cleaned_data.get(f"{prefix}-ground", "") if has_conflict else "",
                    comment=self.cleaned_data.get(f"{prefix}-comment", ""),
                )
            )
        return result


class ReviewForm(forms.Form):
    """Scores per criterion (``score_<criterion pk>``), the comments and the recommendation.

    Every field may be empty in a draft; the service says what submitting needs.
    """

    # Submitting needs them, so their labels do not say "(optional)" (config/forms.py); the
    # scores are added to this in ``__init__``.
    unmarked_optional = ("comment_for_applicant", "recommendation")

    comment_for_applicant = forms.CharField(
        label=_("Comment for the applicant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The applicant may read this, in the decision letter."),
    )
    internal_comment = forms.CharField(
        label=_("Internal comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Not shown to the applicant."),
    )
    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=Recommendation.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    # The draft's ``edit_version`` when the page was read; a save from an older one is refused.
    edit_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        score_fields = {}
        for criterion in self.criteria:
            message = _(
                "The score for “%(criterion)s” must be a whole number from %(low)s to %(high)s."
            ) % {
                "criterion": criterion.name,
                "low": criterion.scale_min,
                "high": criterion.scale_max,
            }
            hint = _("From %(low)s (lowest) to %(high)s (highest).") % {
                "low": criterion.scale_min,
                "high": criterion.scale_max,
            }
            score_fields[f"score_{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name,
                # The criterion's guidance (the agency's text, escaped) above the scale.
                help_text=format_html("{}<br>{}", linebreaksbr(criterion.guidance), hint)
                if criterion.guidance
                else hint,
                choices=[(value, str(value)) for value in criterion.scale],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": message},
            )
        # Scores first, in the criteria's order.
        self.fields = {**score_fields, **self.fields}
        self.unmarked_optional = (*self.unmarked_optional, *score_fields)

    def clean_edit_version(self) -> int:
        return version_from_post(self.cleaned_data["edit_version"])

    def score_rows(self):
        for criterion in self.criteria:
            yield criterion, self[f"score_{criterion.pk}"]

    def scores(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(f"score_{c.pk}") for c in self.criteria}


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you decline this assignment"),
        help_text=_(
            "The programme manager reads it. Another reviewer is assigned in your place. If the "
            "reason is a conflict of interest, declare it on the conflicts page instead."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
