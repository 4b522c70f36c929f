"""Forms of the applicant's journey: the working copy, its budget, attachments, withdrawal.

The forms only check types (a number is a number, a date is a date). Completeness is never a
reason to refuse a draft save; it is checked at submit by ``selectors.submission_errors``.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from grants.enums import QuestionKind
from grants.models import FormQuestion

from ..models import Application, BudgetLine
from ..selectors.application_form import form_definition
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


K = QuestionKind
YES, NO = "yes", "no"
# Posted beside a choice question's inputs, so a save knows the question was on the page even
# when nothing is ticked (a form posts no value for an empty checkbox group or radio group).
SHOWN_SUFFIX = "__shown"


def _number_field(question: FormQuestion, **kwargs) -> forms.Field:
    # A text box like every whole number (WholeNumberField's own widget): "600 000" is read.
    low = (
        question.min_value
        if question.min_value is not None
        else (0 if question.kind == K.AMOUNT else None)
    )
    return WholeNumberField(
        column=FormQuestion._meta.get_field("max_value"),
        min_value=low,
        max_value=question.max_value,
        **kwargs,
    )


def question_formfield(question: FormQuestion) -> forms.Field:
    """The edit form's field for one of the call's questions, its widget by kind. Never
    required: a draft may leave anything empty; required questions are checked at submit."""
    kwargs = {"label": question.label, "help_text": question.help, "required": False}
    kind = question.kind
    if kind == K.SHORT_TEXT:
        return SingleLineTextField(max_length=question.max_length or 300, **kwargs)
    if kind == K.LONG_TEXT:
        return forms.CharField(
            max_length=question.max_length, widget=forms.Textarea(attrs={"rows": 6}), **kwargs
        )
    if kind == K.NUMBER:
        return _number_field(question, **kwargs)
    if kind == K.AMOUNT:
        if not kwargs["help_text"]:
            kwargs["help_text"] = _("In whole kronor.")
        return _number_field(question, **kwargs)
    if kind == K.DATE:
        return forms.DateField(widget=DateInput(), **kwargs)
    if kind == K.SINGLE_CHOICE:
        return forms.ChoiceField(
            choices=question.choice_pairs(), widget=forms.RadioSelect, **kwargs
        )
    if kind == K.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=question.choice_pairs(), widget=forms.CheckboxSelectMultiple, **kwargs
        )
    if kind == K.YES_NO:
        return forms.ChoiceField(
            choices=[(YES, _("Yes")), (NO, _("No"))], widget=forms.RadioSelect, **kwargs
        )
    raise ValueError(f"no form field for {kind}")


def _stored_answer(question: FormQuestion, value):
    """A stored answer as the field shows it."""
    if question.kind == K.YES_NO and isinstance(value, bool):
        return YES if value else NO
    return value


def _answer_value(question: FormQuestion, value):
    """A cleaned field value as ``Application.answers`` stores it (JSON: None = unanswered)."""
    if value in (None, "", []):
        return None
    if question.kind == K.DATE:
        return value.isoformat()
    if question.kind == K.YES_NO:
        return value == YES
    return value


class ApplicationForm(forms.ModelForm):
    """The working copy's form: the core fields every call has and, built from the call's
    definition, a field per question (named by its key), grouped by section on the page
    (``sections``)."""

    # A draft may leave these empty, but submitting needs them: their labels do not say
    # "(optional)" (config/forms.py). The required questions are added per call.
    unmarked_optional = REQUIRED_FIELDS

    class Meta:
        model = Application
        fields = list(EDITABLE_FIELDS)
        formfield_callback = formfield_for_column  # amounts that fit their column
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "period_start": DateInput(),
            "period_end": DateInput(),
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
        self.definition = definition = form_definition(call)
        if definition.has_hubs:
            self.fields["hub"].queryset = call.hubs.all()
            self.fields["hub"].empty_label = _("Choose a hub")
        else:
            del self.fields["hub"]  # not asked: a call without hubs
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["contact_email"].widget.attrs["autocomplete"] = "email"
        answers = self.instance.answers or {}
        self.questions = {}
        for question in definition.input_questions:
            self.fields[question.key] = question_formfield(question)
            self.questions[question.key] = question
            if question.key in answers and question.key not in self.initial:
                self.initial[question.key] = _stored_answer(question, answers[question.key])
        self.unmarked_optional = [
            *REQUIRED_FIELDS,
            *(q.key for q in definition.input_questions if q.required),
        ]
        if only is not None:
            for name in set(self.fields) - set(only):
                del self.fields[name]

    @property
    def core_names(self) -> list[str]:
        return [name for name in self.fields if name not in self.questions]

    def sections(self) -> list[dict]:
        """The call's sections for the page: heading, introduction and bound fields."""
        return [
            {
                "section": section,
                "fields": [self[q.key] for q in section.questions_in_order if q.key in self.fields],
            }
            for section in self.definition.sections
        ]

    def answers(self) -> dict:
        """The cleaned answers of the questions this form holds, as stored (None: cleared)."""
        return {
            key: _answer_value(question, self.cleaned_data.get(key))
            for key, question in self.questions.items()
            if key in self.fields
        }

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


def application_form_preview(call) -> ApplicationForm:
    """The edit form of a new application to ``call``, for the call editor's preview."""
    return ApplicationForm(instance=Application(call=call), call=call)


class BudgetLineForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    description = SingleLineTextField(label=_("Description"), max_length=300)
    amount = WholeNumberField(
        column=BudgetLine._meta.get_field("amount"),
        label=_("Amount (kr)"),
        min_value=0,
        widget=WholeNumberInput(attrs={"data-budget-amount": ""}),
    )


class BaseBudgetLineFormSet(forms.BaseFormSet):
    # The call's categories, set by ``budget_formset`` before any row is built.
    category_choices: list[tuple[str, str]] = []

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Every row's, the empty template row's too (budget.js copies it for a new line).
        form.fields["DELETE"].label = _("Remove this line")
        form.fields["category"].choices = self.category_choices

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
    """The budget lines, their categories the call's (a stored line whose category the call
    no longer has is offered as its key, so a save does not silently change it)."""
    initial = [
        {"category": line.category, "description": line.description, "amount": line.amount}
        for line in application.budget_lines.all()
    ]
    # Initial values only for showing the form. A posted budget is read as posted: compared
    # with the lines stored now, rows equal to them would count as "unchanged extra rows" and
    # be dropped, so an autosave racing a save (or a second tab) would wipe the budget.
    choices = form_definition(application.call).category_choices()
    known = {key for key, _label in choices}
    stored = [line["category"] for line in initial if line["category"] not in known]
    formset = BudgetLineFormSet(
        data=data, initial=None if data is not None else initial, prefix="budget"
    )
    formset.category_choices = [
        ("", _("Choose a category")),
        *choices,
        *((key, key) for key in dict.fromkeys(stored)),
    ]
    return formset


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Add a file"),
        help_text=_("PDF, Word (DOCX), Excel (XLSX), OpenDocument (ODT, ODS), PNG or JPEG."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.docx,.xlsx,.odt,.ods,.png,.jpg,.jpeg"}
        ),
    )
    kind = forms.ChoiceField(label=_("What the file is"), required=False)

    def __init__(self, *args, call=None, **kwargs):
        """With the call's attachment questions as the kinds of file to choose from; without
        any (or no call), no choice is asked."""
        super().__init__(*args, **kwargs)
        questions = form_definition(call).attachment_questions if call is not None else []
        if questions:
            self.fields["kind"].choices = [
                ("", _("Another attachment")),
                *((q.key, q.label) for q in questions),
            ]
        else:
            del self.fields["kind"]


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
