"""Forms for the programme manager's actions on one application.

The forms only parse input; every rule (a deadline in the future, a state that allows the
action, the user's right) is the service's, so the admin, the views and any command agree.
"""

from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.models import Call

from ..enums import EligibilityItem
from ..validators import SingleLineTextField, normalise_orgnr

STOCKHOLM = ZoneInfo("Europe/Stockholm")


class StockholmDateTimeField(forms.DateTimeField):
    """A date and time entered (and shown) in Swedish time, whatever time zone is active.

    Accepts ``2026-12-01 12:00`` and the browser's ``2026-12-01T12:00``; the value is an aware
    datetime, stored in UTC by the database layer.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        with timezone.override(STOCKHOLM):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(STOCKHOLM):
            return super().prepare_value(value)


DATETIME_HELP = _("Swedish time. For example 2026-12-01 12:00.")


class ReturnForCompletionForm(forms.Form):
    message = forms.CharField(
        label=_("What the applicant needs to complete"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )
    deadline = StockholmDateTimeField(label=_("Completion deadline"), help_text=DATETIME_HELP)


class DeadlineExceptionForm(forms.Form):
    new_deadline = StockholmDateTimeField(label=_("New deadline"), help_text=DATETIME_HELP)
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("For example a documented outage. The reason is kept on record."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class EligibilityCheckForm(forms.Form):
    """One checkbox per item of the call's checklist (``items``: ``(key, label)`` pairs, today's
    default checklist unless given), and a comment."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args, check=None, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        ticked = check.items if check else {}
        self.item_keys = [key for key, _label in (items or EligibilityItem.choices)]
        fields = {
            key: forms.BooleanField(label=label, required=False, initial=ticked.get(key) is True)
            for key, label in (items or EligibilityItem.choices)
        }
        # Checkboxes first, in the checklist's order, then the comment.
        self.fields = {**fields, "comment": self.fields["comment"]}
        if check and not self.is_bound:
            self.initial.setdefault("comment", check.comment)

    def item_fields(self):
        return [self[key] for key in self.item_keys]

    def cleaned_items(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(key)) for key in self.item_keys}


class LateExceptionLookupForm(forms.Form):
    """Find an organisation's applications to a call, to record a late exception."""

    call = forms.ModelChoiceField(label=_("Call"), queryset=Call.objects.none())
    orgnr = SingleLineTextField(label=_("Organisation number"), max_length=13)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = Call.objects.order_by("-closes_at")

    def clean_orgnr(self):
        return normalise_orgnr(self.cleaned_data["orgnr"])
