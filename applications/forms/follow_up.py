"""Forms of the follow-up: accepting a grant, the report, and the programme manager's records
of payments, repayments and report reviews.

They only parse input (a number is a whole number of zero or more and not absurdly large, a
date is a date); every rule (the deadline, the state, the right, whether a report adds up) is
the service's, so every path agrees.
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.forms import ALL_FIELDS, FilterForm
from grants.models import Call

from ..models import Report, ReportCost
from ..services.edit_conflicts import version_from_post
from ..validators import SingleLineTextField, WholeNumberField
from .applicant import DateInput

# The services refuse figures above this; the forms say so on the field first.
MAX_FIGURE = 2_000_000_000
MAX_MEASURE = Decimal(10**9)


def _whole_number(column, label, *, help_text="", required=False) -> forms.IntegerField:
    return WholeNumberField(
        column=column,
        label=label,
        required=required,
        min_value=0,
        max_value=MAX_FIGURE,
        help_text=help_text,
        error_messages={
            "invalid": _("Enter a whole number, such as 12."),
            "min_value": _("Enter zero or more."),
            "max_value": _("Enter a smaller number."),
        },
    )


class AcceptGrantForm(forms.Form):
    """The signatory ticks that they may sign and accept; ``text_sha256`` ties the POST to the
    text the page showed, so a decision corrected in between is read again."""

    confirm = forms.BooleanField(
        required=True,
        error_messages={
            "required": _("Tick the box to confirm that you may sign and that you accept.")
        },
    )
    text_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, organisation_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = _(
            "I have signing authority for %(organisation)s and accept the grant on the "
            "conditions above."
        ) % {"organisation": organisation_name}


class MeasureField(forms.CharField):
    """A measure the call asks for (satisfaction 1–5, say): a number of zero or more, with a
    decimal comma or point; kept as the text the service stores."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return ""
        try:
            number = Decimal(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Enter a number, such as 4 or 4,5."), code="invalid") from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number, such as 4 or 4,5."), code="invalid")
        if number < 0:
            raise ValidationError(_("Enter zero or more."), code="min_value")
        if number >= MAX_MEASURE:
            raise ValidationError(_("Enter a smaller number."), code="max_value")
        return str(number)


class ReportForm(forms.Form):
    """A report: the narrative, the trial's figures, the call's measures (``measure_<key>``)
    and the financial report (``spent_<cost line id>`` and the stated total).

    Every field may be blank in a draft; completeness is checked at submit by
    ``selectors.report_errors``.
    """

    # Submitting needs every field, so none is labelled "(optional)" (config/forms.py).
    unmarked_optional = ALL_FIELDS

    what_was_done = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("How the trial went: who worked from the hub, how often, what changed."),
    )
    lessons = forms.CharField(
        label=_("What the organisation learnt"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    participants = _whole_number(Report._meta.get_field("participants"), _("Employees taking part"))
    hub_days = _whole_number(
        Report._meta.get_field("hub_days"),
        _("Days used at the hub"),
        help_text=_("Working days, all participants together."),
    )
    total_spent = _whole_number(
        Report._meta.get_field("total_spent"),
        _("Total spent (kr)"),
        help_text=_("In whole kronor. Must equal the sum of the lines above."),
    )
    # The draft's ``edit_version`` when the page was read; a save from an older one is refused.
    edit_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, report, **kwargs):
        self.report = report
        self.costs = list(report.costs.all())
        call = report.application.call
        if "initial" not in kwargs:
            kwargs["initial"] = self._initial(report)
        super().__init__(*args, **kwargs)
        self.measures = list(call.report_measures or [])
        self.measure_names = []
        for measure in self.measures:
            name = f"measure_{measure['key']}"
            self.fields[name] = MeasureField(
                label=call.measure_label(measure), required=False, max_length=30
            )
            self.fields[name].widget.attrs["inputmode"] = "decimal"
            self.measure_names.append(name)
        self.cost_names = []
        for cost in self.costs:
            name = f"spent_{cost.pk}"
            self.fields[name] = _whole_number(
                ReportCost._meta.get_field("spent"),
                _("Spent on “%(line)s” (kr)") % {"line": cost.description},
            )
            self.cost_names.append(name)
        # The total comes after the lines (in the page and in the error summary).
        self.order_fields(
            [
                "what_was_done",
                "lessons",
                "participants",
                "hub_days",
                *self.measure_names,
                *self.cost_names,
                "total_spent",
            ]
        )

    @staticmethod
    def _initial(report) -> dict:
        initial = {
            "what_was_done": report.what_was_done,
            "lessons": report.lessons,
            "participants": report.participants,
            "hub_days": report.hub_days,
            "total_spent": report.total_spent,
            "edit_version": report.edit_version,
        }
        for key, value in (report.measures or {}).items():
            initial[f"measure_{key}"] = value.replace(".", ",")
        for cost in report.costs.all():
            initial[f"spent_{cost.pk}"] = cost.spent
        return initial

    def measure_fields(self):
        return [self[name] for name in self.measure_names]

    def cost_rows(self):
        """(cost line, its spent field) in the budget's order, for the financial table."""
        return [(cost, self[f"spent_{cost.pk}"]) for cost in self.costs]

    def clean_edit_version(self) -> int:
        return version_from_post(self.cleaned_data["edit_version"])

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "base_version": data["edit_version"],
            "what_was_done": data["what_was_done"],
            "lessons": data["lessons"],
            "participants": data["participants"],
            "hub_days": data["hub_days"],
            "measures": {m["key"]: data[f"measure_{m['key']}"] for m in self.measures},
            "total_spent": data["total_spent"],
            "spent": {cost.pk: data[f"spent_{cost.pk}"] for cost in self.costs},
        }


class NotInTheFutureDateField(forms.DateField):
    widget = DateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": _("Enter a date, such as 2027-03-15.")})
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and value > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="future")


class PaymentPaidForm(forms.Form):
    paid_on = NotInTheFutureDateField(label=_("Paid on"))
    reference = SingleLineTextField(
        label=_("Payment reference"),
        required=False,
        max_length=100,
        help_text=_("The finance system's reference, if any."),
    )


class RepaymentReceivedForm(forms.Form):
    settled_on = NotInTheFutureDateField(label=_("Received on"))


class ReportApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment to the applicant"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What the applicant needs to complete"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what needs to be completed.")},
    )


class FinanceFilterForm(FilterForm):
    call = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = Call.objects.all()
