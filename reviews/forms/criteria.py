"""Forms for a call's criteria: one form per criterion in a formset, and the call's thresholds.

They only parse input; the rules (weights above 0, scales in order, thresholds on the scale, and
nothing that changes scoring once a review has begun) are ``reviews.services.criteria_save``'s.
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.validators import SingleLineTextField, WholeNumberField
from grants.models import Criterion

_column = Criterion._meta.get_field


class DecimalCommaField(forms.DecimalField):
    """A decimal written with a comma, as Swedish writes it, or a point, in either language.

    Shown with a comma and without trailing zeros: ``Decimal("1.50")`` is ``1,5``.
    """

    widget = forms.TextInput

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal"}

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f").replace(".", ",")
        return value


class CriterionForm(forms.Form):
    # Empty in a row left blank, but a criterion needs its Swedish name (``clean``).
    unmarked_optional = ("name_sv",)
    row_number = None  # set by the formset, for the error summary

    id = WholeNumberField(column=_column("id"), widget=forms.HiddenInput, required=False)
    position = WholeNumberField(
        column=_column("position"),
        label=_("Order"),
        help_text=_("Criteria are shown to reviewers from the lowest number."),
        required=False,
    )
    name_sv = SingleLineTextField(label=_("Name (Swedish)"), max_length=200, required=False)
    name_en = SingleLineTextField(label=_("Name (English)"), max_length=200, required=False)
    guidance_sv = forms.CharField(
        label=_("Guidance (Swedish)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    guidance_en = forms.CharField(
        label=_("Guidance (English)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    weight = DecimalCommaField(
        label=_("Weight"),
        help_text=_("How much the criterion counts in the weighted score, for example 2 or 1,5."),
        max_digits=5,
        decimal_places=2,
        initial=1,
        error_messages={"required": _("Enter a weight.")},
    )
    scale_min = WholeNumberField(
        column=_column("scale_min"),
        label=_("Lowest score"),
        initial=1,
        error_messages={"required": _("Enter a number.")},
    )
    scale_max = WholeNumberField(
        column=_column("scale_max"),
        label=_("Highest score"),
        initial=7,
        error_messages={"required": _("Enter a number.")},
    )
    threshold = DecimalCommaField(
        label=_("Threshold"),
        help_text=_("An application whose mean score here is below this cannot be funded."),
        max_digits=4,
        decimal_places=2,
        required=False,
    )

    # Fields that may no longer change once a review of the call has begun.
    FAIRNESS_FIELDS = ("position", "weight", "scale_min", "scale_max", "threshold")

    def __init__(self, *args, locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        if locked:
            # Read-only, not disabled: the values are still sent, so a page loaded before the
            # first score that changes them is refused by the service with its message.
            for name in self.FAIRNESS_FIELDS:
                self.fields[name].widget.attrs["readonly"] = True

    def summary_label(self, field) -> str:
        """How the page's error summary names a field: with the criterion's number."""
        if self.row_number is None:
            return field.label
        return _("Criterion %(number)s, %(label)s") % {
            "number": self.row_number,
            "label": field.label,
        }


class BaseCriterionFormSet(forms.BaseFormSet):
    def __init__(self, *args, locked=False, **kwargs):
        self.locked = locked
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "locked": self.locked}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if index is not None:
            form.row_number = index + 1
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this criterion")


# More than any call needs. Also the most forms Django builds for a posted TOTAL_FORMS, which
# would otherwise be up to two thousand, each rendered back on the page.
MAX_CRITERIA = 30


def criterion_formset(*, locked: bool):
    """Two empty rows to add criteria to, and removal, until a review has begun."""
    return forms.formset_factory(
        CriterionForm,
        formset=BaseCriterionFormSet,
        extra=0 if locked else 2,
        can_delete=not locked,
        max_num=MAX_CRITERIA,
        validate_max=True,
        absolute_max=MAX_CRITERIA,
    )


class ReviewThresholdsForm(forms.Form):
    total_threshold = DecimalCommaField(
        label=_("Threshold for the total score"),
        help_text=_(
            "An application whose aggregated weighted score is below this cannot be funded."
        ),
        max_digits=4,
        decimal_places=2,
        required=False,
    )
    disagreement_spread = DecimalCommaField(
        label=_("Spread that flags disagreement"),
        help_text=_(
            "Reviewers disagree strongly when their weighted scores differ by at least this much."
        ),
        max_digits=4,
        decimal_places=2,
        error_messages={"required": _("Enter a spread.")},
    )

    def __init__(self, *args, locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        if locked:
            self.fields["total_threshold"].widget.attrs["readonly"] = True
