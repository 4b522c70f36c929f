"""The one form-rendering layer: every form on the site renders its fields through the templates
in templates/forms/ (``{{ form }}``, ``{{ field.as_field_group }}``), and every page's error
summary comes from the ``{% error_summary %}`` tag (config/templatetags/samverket_forms.py).

Django links a field's help text and errors to its input (``aria-describedby`` with
``<id>_helptext`` and ``<id>_error``, ``aria-invalid``); the templates only put those ids on the
help and the error list.
"""

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

ALL_FIELDS = "__all__"


class SamverketBoundField(BoundField):
    """A bound field that knows whether its label should say "(optional)"."""

    @property
    def marked_optional(self) -> bool:
        """True for a field a person may really leave empty.

        Not for a required field, a hidden one, a single checkbox (unticked is an answer), or a
        field its form lists in ``unmarked_optional`` (a filter, or a draft's field that
        submitting requires): "(optional)" there would tell the person something untrue.
        """
        if self.field.required or self.is_hidden or self.widget_type == "checkbox":
            return False
        unmarked = getattr(self.form, "unmarked_optional", ())
        return unmarked != ALL_FIELDS and self.name not in unmarked

    @property
    def error_target(self) -> str:
        """The id the error summary links to: the input's, or a group's fieldset's (which has the
        field's id, forms/field.html)."""
        return self.id_for_label or self.auto_id or ""


class FormRenderer(TemplatesSetting):
    """Django's renderer, reading the site's templates (and Django's widgets from django.forms)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
    bound_field_class = SamverketBoundField


class FilterForm(forms.Form):
    """The base of a list's filter form: every field may be empty, and none says so."""

    unmarked_optional = ALL_FIELDS
