"""The audit page's filters: by action, and by the object an entry is about."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import FilterForm

from ..audit import ACTIONS, OBJECT_TYPES
from ..models import AuditEntry
from ..validators import WholeNumberField


class AuditFilterForm(FilterForm):
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Object"), required=False)
    object_id = WholeNumberField(
        column=AuditEntry._meta.get_field("object_id"),
        label=_("Object id"),
        required=False,
        min_value=1,
        help_text=_("The number of the object, for example the application's id."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *ACTIONS.items()]
        self.fields["object_type"].choices = [("", _("All objects")), *OBJECT_TYPES.items()]
