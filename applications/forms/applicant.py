"""Forms of the applicant's journey: the working copy, its budget, attachments, withdrawal.

The forms only check types (a number is a number, a date is a date). Completeness is never a
reason to refuse a draft save; it is checked at submit by ``selectors.submission_errors``.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..enums import BudgetCategory
from ..models import Application, BudgetLine
from ..selectors.applications import REQUIRED_FIELDS
from ..services.working_copy import EDITABLE_FIELDS
from ..validators import (
    SingleLineTextField,
    WholeNumberField,
    WholeNumberInput,
    formfield_for_column,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ApplicationForm(forms.ModelForm):
    # A draft may leave these empty, but submitting needs them: their labels do not say
    # "(optional)" (config/forms.py).
    unmarked_optional = REQUIRED_FIELDS

    class Meta:
        model = Application
        fields = list(EDITABLE_FIELDS)
        formfield_callback = formfield_for_column  # amounts that fit their column
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "what_to_try": forms.Textarea(attrs={"rows": 6}),
            "expected_results": forms.Textarea(attrs={"rows": 6}),
            "period_start": DateInput(),
            "period_end": DateInput(),
            "participants": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "requested_amount": WholeNumberInput(),
            "contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }
        help_texts = {
            "requested_amount": _("In whole kronor. The budget lines must add up to this amount."),
            "language": _(
                "The language of the receipt, letters and emails about this application."
            ),
        }

    def __init__(self, *args, call, only=None, **kwargs):
        """``only``: the names of the fields to keep (the ones a save actually sent), so a
        partial post changes those fields and leaves the others as stored."""
        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = call.hubs.all()
        self.fields["hub"].empty_label = _("Choose a hub")
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["contact_email"].widget.attrs["autocomplete"] = "email"
        if only is not None:
            for name in set(self.fields) - set(only):
                del self.fields[name]

    def _post_clean(self):
        # The service runs the model's validation on the locked row; running it here too would
        # only repeat it on an object the view must not change.
        pass

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The project cannot end before it starts."))
        return cleaned


class BudgetLineForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("Choose a category")), *BudgetCategory.choices]
    )
    description = SingleLineTextField(label=_("Description"), max_length=300)
    amount = WholeNumberField(
        column=BudgetLine._meta.get_field("amount"),
        label=_("Amount (kr)"),
        min_value=0,
        widget=WholeNumberInput(attrs={"data-budget-amount": ""}),
    )


class BaseBudgetLineFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Every row's, the empty template row's too (budget.js copies it for a new line).
        form.fields["DELETE"].label = _("Remove this line")

    def lines(self) -> list[dict]:
        """The rows to keep, in order: filled in and not marked for removal."""
        lines = []
        for form in self.forms:
            if self._should_delete_form(form) or not form.cleaned_data:
                continue  # marked for removal, or an empty extra row
            lines.append(
                {key: form.cleaned_data[key] for key in ("category", "description", "amount")}
            )
        return lines


# At most 50 lines, also when a crafted post claims more: ``absolute_max`` stops Django from
# building (and the page from rendering) up to a thousand forms for a posted TOTAL_FORMS.
MAX_BUDGET_LINES = 50
BudgetLineFormSet = forms.formset_factory(
    BudgetLineForm,
    formset=BaseBudgetLineFormSet,
    extra=3,
    can_delete=True,
    max_num=MAX_BUDGET_LINES,
    validate_max=True,
    absolute_max=MAX_BUDGET_LINES,
)


def budget_formset(application, data=None) -> BaseBudgetLineFormSet:
    initial = [
        {"category": line.category, "description": line.description, "amount": line.amount}
        for line in application.budget_lines.all()
    ]
    # Initial values only for showing the form. A posted budget is read as posted: compared
    # with the lines stored now, rows equal to them would count as "unchanged extra rows" and
    # be dropped, so an autosave racing a save (or a second tab) would wipe the budget.
    return BudgetLineFormSet(
        data=data, initial=None if data is not None else initial, prefix="budget"
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Add a file"),
        help_text=_("PDF, Word (DOCX), Excel (XLSX), OpenDocument (ODT, ODS), PNG or JPEG."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.docx,.xlsx,.odt,.ods,.png,.jpg,.jpeg"}
        ),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def form_errors(*forms_) -> list[tuple[str, str]]:
    """Every error of the given forms as (field id, message), for the error summary."""
    errors = []
    for form in forms_:
        if isinstance(form, forms.BaseFormSet):
            for message in form.non_form_errors():
                errors.append(("", message))
            nested = form.forms
        else:
            nested = [form]
        for f in nested:
            for name, messages in f.errors.items():
                field_id = f[name].id_for_label if name in f.fields else ""
                errors.extend((field_id, message) for message in messages)
    return errors


class SubmitForm(forms.Form):
    """The declaration before submitting: the person confirms the content and their right to
    submit for the organisation. The server checks it; the browser's own check is off
    (``novalidate``), so the message is the site's, in the person's language."""

    declaration = forms.BooleanField(
        label=_(
            "I confirm that the information is correct and that I may submit on behalf of "
            "the organisation"
        ),
        error_messages={
            "required": _(
                "Tick the box to confirm that the information is correct and that you may "
                "submit on behalf of the organisation."
            )
        },
    )
