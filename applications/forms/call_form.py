"""Forms of the call's form builder: a section, a question, a budget category, a removal.

Each form asks for a reason when the call is published (the service refuses a change without
one). Once the form is frozen, the fields that would change its structure are shown disabled,
so only the wording can be fixed (the service refuses the rest anyway).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.enums import QuestionKind
from grants.models import BudgetCategory, FormQuestion, FormSection

from ..validators import SingleLineTextField, WholeNumberField

REASON_HELP = _("The call is published: the reason is shown on the call's page.")


class _ReasonMixin:
    """Adds ``reason`` when the call is published, and disables ``structure`` when frozen."""

    structure: tuple[str, ...] = ()

    def _setup(self, *, call, frozen: bool):
        if call.is_published:
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the change"),
                help_text=REASON_HELP,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if frozen:
            for name in self.structure:
                if name in self.fields:
                    self.fields[name].disabled = True

    def values(self) -> tuple[dict, str]:
        """The model's values to save, and the reason ("" when not asked)."""
        reason = self.cleaned_data.get("reason", "")
        values = {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "reason" and not self.fields[name].disabled
        }
        return values, reason


class FormSectionForm(_ReasonMixin, forms.ModelForm):
    class Meta:
        model = FormSection
        fields = ["title_sv", "title_en", "intro_sv", "intro_en"]
        field_classes = {"title_sv": SingleLineTextField, "title_en": SingleLineTextField}
        widgets = {
            "intro_sv": forms.Textarea(attrs={"rows": 3}),
            "intro_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, call, frozen=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup(call=call, frozen=frozen)

    def _post_clean(self):
        pass  # the service validates the section it saves


def _choices_text(choices: list[dict]) -> str:
    return "\n".join(
        " | ".join(part for part in (c["value"], c.get("label_sv", ""), c.get("label_en", "")))
        for c in choices or []
    )


class ChoicesField(forms.CharField):
    """A choice question's choices, one a line: ``value | Svensk etikett | English label``."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value):
        return _choices_text(value) if isinstance(value, list) else value

    def to_python(self, value):
        if isinstance(value, list):  # the stored choices (a disabled field's initial value)
            return value
        text = super().to_python(value) or ""
        choices = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) > 3 or not parts[0] or len(parts) < 2 or not parts[1]:
                raise forms.ValidationError(
                    _(
                        "Line %(number)s: write the value, the Swedish label and (if you like) "
                        "the English label, separated by |."
                    )
                    % {"number": number}
                )
            choices.append({"value": parts[0], "label_sv": parts[1], "label_en": (parts + [""])[2]})
        return choices


class FormQuestionForm(_ReasonMixin, forms.ModelForm):
    structure = ("key", "kind", "required", "max_length", "min_value", "max_value", "choices")

    section = forms.ModelChoiceField(label=_("Section"), queryset=FormSection.objects.none())
    choices = ChoicesField(
        label=_("Choices"),
        required=False,
        help_text=_(
            "For a choice question: one choice a line, as value | Swedish label | English "
            "label. The value names the choice in exports."
        ),
    )

    class Meta:
        model = FormQuestion
        fields = [
            "section",
            "key",
            "kind",
            "label_sv",
            "label_en",
            "help_sv",
            "help_en",
            "required",
            "max_length",
            "min_value",
            "max_value",
            "choices",
        ]
        field_classes = {
            "key": SingleLineTextField,
            "label_sv": SingleLineTextField,
            "label_en": SingleLineTextField,
        }
        widgets = {
            "help_sv": forms.Textarea(attrs={"rows": 3}),
            "help_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, call, frozen=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = call.form_sections.all()
        self.fields["section"].empty_label = None
        self.fields["kind"].help_text = _(
            "A required attachment asks for at least one file of this kind before submission."
        )
        for name in ("max_length", "min_value", "max_value"):
            column = FormQuestion._meta.get_field(name)
            self.fields[name] = WholeNumberField(
                column=column,
                label=self.fields[name].label,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        self._setup(call=call, frozen=frozen)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and kind not in QuestionKind.with_choices() and cleaned.get("choices"):
            self.add_error("choices", _("Only a choice question has choices."))
        return cleaned

    def _post_clean(self):
        pass  # the service validates the question it saves


class BudgetCategoryForm(_ReasonMixin, forms.ModelForm):
    structure = ("key",)

    class Meta:
        model = BudgetCategory
        fields = ["key", "label_sv", "label_en"]
        field_classes = {
            "key": SingleLineTextField,
            "label_sv": SingleLineTextField,
            "label_en": SingleLineTextField,
        }

    def __init__(self, *args, call, frozen=False, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup(call=call, frozen=frozen)

    def _post_clean(self):
        pass  # the service validates the category it saves


class RemoveForm(_ReasonMixin, forms.Form):
    """Confirms a removal; asks the reason on a published call."""

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup(call=call, frozen=False)
