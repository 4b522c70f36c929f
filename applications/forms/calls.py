"""The call editor's forms: one per section, a new call, a copy, and the two small formsets
(the payment plan and the report measures).

The forms only parse what was typed, with the model's own labels and help texts
(``fields_for_model``); every rule (closing after opening, the maximum within the budget, the
budget not below what is committed, a reason for a published call's change) is the service's
(``applications.services.calls``), so nothing typed here can get round it.

A section is a name, its title and its form; a later section (the application form per call)
is one more entry in ``SECTIONS``. The checklist section is two formsets only: the call's
eligibility checklist and its reasons for ineligibility (``call_lists_update``).
"""

from dataclasses import dataclass

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from grants.enums import InstalmentTrigger, OrganisationKind
from grants.models import Call, Hub

from ..validators import SingleLineTextField
from .manage import DATETIME_HELP, StockholmDateTimeField

LONG_TEXT_ROWS = 12
MARKDOWN_HELP = _(
    "Markdown: a line starting with ## is a heading, - starts a list item, "
    "[text](https://…) is a link. Other HTML is removed."
)
REASON_HELP = _(
    "Needed when a published call's closing time, budget, maximum or eligible organisations "
    "change. It is shown on the call's public page."
)


def _fields(names, **overrides) -> dict:
    fields = forms.fields_for_model(Call, fields=[n for n in names if n not in overrides])
    fields.update(overrides)
    return {name: fields[name] for name in names}


def _datetime(name: str, *, required: bool = True) -> StockholmDateTimeField:
    field = Call._meta.get_field(name)
    return StockholmDateTimeField(
        label=capfirst(field.verbose_name), help_text=DATETIME_HELP, required=required
    )


def _reason() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for the change"),
        help_text=REASON_HELP,
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _form(name: str, fields: dict) -> type[forms.Form]:
    return type(name, (forms.Form,), dict(fields))


def _text(name: str, rows: int = 4, help_text=None) -> forms.CharField:
    field = Call._meta.get_field(name)
    return forms.CharField(
        label=capfirst(field.verbose_name),
        required=not field.blank,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text if help_text is not None else field.help_text,
    )


TEXT_FIELDS = {
    "title_sv": None,
    "title_en": None,
    "summary_sv": _text("summary_sv"),
    "summary_en": _text("summary_en"),
    "description_sv": _text("description_sv", LONG_TEXT_ROWS, MARKDOWN_HELP),
    "description_en": _text("description_en", LONG_TEXT_ROWS, MARKDOWN_HELP),
}


def _texts() -> dict:
    return _fields(
        list(TEXT_FIELDS), **{name: field for name, field in TEXT_FIELDS.items() if field}
    )


def _dates_money() -> dict:
    return {
        **_fields(
            ["opens_at", "closes_at", "budget", "max_amount"],
            opens_at=_datetime("opens_at"),
            closes_at=_datetime("closes_at"),
        ),
        "reason": _reason(),
    }


def _eligibility() -> dict:
    return {
        "eligible_kinds": forms.MultipleChoiceField(
            label=_("Organisation kinds that may apply"),
            choices=OrganisationKind.choices,
            widget=forms.CheckboxSelectMultiple,
        ),
        "hubs": forms.ModelMultipleChoiceField(
            label=_("Hubs"),
            queryset=Hub.objects.all(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Optional: where the trial may take place."),
        ),
        "reason": _reason(),
    }


def _project() -> dict:
    date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return _fields(
        ["project_start_earliest", "project_end_latest"],
        project_start_earliest=forms.DateField(
            label=_("Earliest project start"), required=False, widget=date
        ),
        project_end_latest=forms.DateField(
            label=_("Latest project end"), required=False, widget=date
        ),
    )


def _review() -> dict:
    return _fields(
        [
            "reviewers_per_application",
            "min_reviews",
            "score_visibility",
            "aggregation",
            "total_threshold",
            "disagreement_spread",
            "review_due_at",
            "review_reminder_days_before",
        ],
        review_due_at=_datetime("review_due_at", required=False),
    )


def _decision() -> dict:
    return _fields(
        [
            "decision_appealable",
            "appeal_text_sv",
            "appeal_text_en",
            "legal_basis_sv",
            "legal_basis_en",
            "hold_decisions_for_release",
            "acceptance_days",
            "letter_wording_sv",
            "letter_wording_en",
        ],
        **{
            name: _text(name)
            for name in (
                "appeal_text_sv",
                "appeal_text_en",
                "legal_basis_sv",
                "legal_basis_en",
                "letter_wording_sv",
                "letter_wording_en",
            )
        },
    )


def _follow_up() -> dict:
    return _fields(["interim_reports", "final_report_days", "reminder_days_before"])


def _retention() -> dict:
    return _fields(["personal_data_retention_years"])


@dataclass(frozen=True)
class Section:
    name: str
    title: object  # a lazy translation
    form: type[forms.Form]
    formsets: bool = False  # the payment plan and the measures come with it
    lists: bool = False  # the eligibility checklist and the reasons for ineligibility


SECTIONS = {
    section.name: section
    for section in (
        Section("texts", _("Texts"), _form("CallTextsForm", _texts())),
        Section("dates", _("Dates and money"), _form("CallDatesForm", _dates_money())),
        Section(
            "eligibility", _("Eligibility and hubs"), _form("CallEligibilityForm", _eligibility())
        ),
        Section(
            "checklist",
            _("Eligibility checklist and reasons for ineligibility"),
            _form("CallListsForm", {}),
            lists=True,
        ),
        Section("project", _("Project period"), _form("CallProjectForm", _project())),
        Section("review", _("Review settings"), _form("CallReviewForm", _review())),
        Section("decision", _("Decision settings"), _form("CallDecisionForm", _decision())),
        Section(
            "follow-up",
            _("Follow-up: payments, reports, reminders"),
            _form("CallFollowUpForm", _follow_up()),
            formsets=True,
        ),
        Section("retention", _("Retention"), _form("CallRetentionForm", _retention())),
    )
}


def section_initial(section: Section, call: Call) -> dict:
    initial = {name: getattr(call, name) for name in section.form.base_fields if name != "reason"}
    if "hubs" in initial:
        initial["hubs"] = list(call.hubs.all())
    return initial


def section_values(form: forms.Form) -> tuple[dict, list | None, str]:
    """The section's call fields, its hubs (None when the section has none) and the reason."""
    values = dict(form.cleaned_data)
    reason = values.pop("reason", "") or ""
    hubs = values.pop("hubs", None)
    return values, (list(hubs) if hubs is not None else None), reason


class CallCreateForm(forms.Form):
    """What a new call needs before it can be saved as a draft; the rest has defaults."""

    slug = forms.SlugField(
        label=_("Short name in addresses"),
        max_length=80,
        help_text=_(
            "Letters, digits and hyphens, e.g. samverket-2027. It cannot be changed later."
        ),
    )
    title_sv = SingleLineTextField(label=_("Title (Swedish)"), max_length=200)
    opens_at = _datetime("opens_at")
    closes_at = _datetime("closes_at")


class NewCallForm(CallCreateForm):
    title_en = SingleLineTextField(label=_("Title (English)"), max_length=200, required=False)
    summary_sv = _text("summary_sv")
    description_sv = _text("description_sv", LONG_TEXT_ROWS, MARKDOWN_HELP)
    budget = forms.IntegerField(label=_("Budget (kr)"), min_value=1)
    max_amount = forms.IntegerField(label=_("Maximum per application (kr)"), min_value=1)


class PaymentStepForm(forms.Form):
    share = forms.IntegerField(label=_("Share (%)"), min_value=1, max_value=100)
    # An empty first choice, so the empty row for a new instalment stays unchanged (and is
    # skipped) until someone fills it in.
    after = forms.ChoiceField(label=_("Paid"), choices=[("", "–"), *InstalmentTrigger.choices])


class MeasureForm(forms.Form):
    key = forms.RegexField(
        label=_("Key"),
        regex=r"^[A-Za-z_][A-Za-z0-9_]*$",
        max_length=40,
        help_text=_("Letters, digits and underscores, e.g. satisfaction."),
        error_messages={"invalid": _("Use letters, digits and underscores only.")},
    )
    label_sv = SingleLineTextField(label=_("Label (Swedish)"), max_length=200)
    label_en = SingleLineTextField(label=_("Label (English)"), max_length=200, required=False)


PaymentPlanFormSet = forms.formset_factory(PaymentStepForm, extra=1, can_delete=True)
MeasureFormSet = forms.formset_factory(MeasureForm, extra=1, can_delete=True)


def _rows(formset) -> list[dict]:
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def follow_up_formsets(call: Call, data=None) -> tuple:
    plan = PaymentPlanFormSet(data, prefix="plan", initial=None if data else call.payment_plan)
    measures = MeasureFormSet(
        data, prefix="measures", initial=None if data else call.report_measures
    )
    plan.legend = _("Payment plan: instalments in order, adding up to 100 per cent")
    measures.legend = _("Measures asked for in reports, besides participants and days at the hub")
    return plan, measures


def follow_up_values(plan, measures) -> dict:
    """The payment plan and the measures as the call stores them (the service checks the sum)."""
    return {
        "payment_plan": [{"share": row["share"], "after": row["after"]} for row in _rows(plan)],
        "report_measures": [
            {"key": row["key"], "label_sv": row["label_sv"], "label_en": row["label_en"]}
            for row in _rows(measures)
        ],
    }


class ListEntryForm(forms.Form):
    """One entry of the call's checklist or reasons. The key of an entry already on the list
    is shown but cannot be changed: checks and decisions store it."""

    key = forms.RegexField(
        label=_("Key"),
        regex=r"^[a-z0-9_-]+$",
        max_length=20,
        help_text=_(
            "Small letters, digits, hyphens and underscores, e.g. budget. Stored with each "
            "check or decision; it cannot be changed later."
        ),
        error_messages={"invalid": _("Use small letters, digits, hyphens and underscores only.")},
    )
    label_sv = SingleLineTextField(label=_("Label (Swedish)"), max_length=300)
    label_en = SingleLineTextField(label=_("Label (English)"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.initial.get("key"):
            self.fields["key"].disabled = True
            self.fields["key"].help_text = _("Stored with each check or decision: it stays.")


ListFormSet = forms.formset_factory(ListEntryForm, extra=1, can_delete=True)


def _entries(rows) -> list[dict]:
    return [{"key": r.key, "label_sv": r.label_sv, "label_en": r.label_en} for r in rows]


def call_lists_formsets(call: Call, data=None) -> tuple:
    """The checklist and the reasons as formsets (only the entries on the lists; one taken off
    comes back by listing its key again)."""
    checklist = ListFormSet(data, prefix="checklist", initial=_entries(call.checklist()))
    reasons = ListFormSet(
        data, prefix="reasons", initial=_entries(call.reasons_for_ineligibility())
    )
    checklist.legend = _("Eligibility checklist: every item is ticked before review starts")
    reasons.legend = _("Reasons for rejecting an application as ineligible")
    checklist.inactive = call.checklist(with_inactive=True)
    reasons.inactive = call.reasons_for_ineligibility(with_inactive=True)
    for formset in (checklist, reasons):
        formset.inactive = [row for row in formset.inactive if not row.is_active]
    return checklist, reasons


def call_lists_values(checklist, reasons) -> dict:
    return {
        "checklist": [
            {"key": row["key"], "label_sv": row["label_sv"], "label_en": row["label_en"]}
            for row in _rows(checklist)
        ],
        "reasons": [
            {"key": row["key"], "label_sv": row["label_sv"], "label_en": row["label_en"]}
            for row in _rows(reasons)
        ],
    }
