"""The application form per call: its sections, questions and budget categories.

Import them from ``grants.models``, which names every model of the app.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..enums import QuestionKind
from .call import Call, _localised

# -- the application form per call ----------------------------------------------------------------
#
# Every call asks for the core fields (title, summary, period, requested amount, contact person,
# language: the system relies on them and keeps them as columns of the application, and the hub
# when the call has hubs). What else it asks is defined here, in sections of questions, with the
# budget categories its budget lines use. An application's answers are stored as
# ``Application.answers`` ({key: value}); the form is frozen once the call's first application
# is started (``applications.services.call_form``), so answers always match the questions.

# The core fields' names: a question's key may not take one (the edit form has one namespace).
RESERVED_KEYS = frozenset(
    {
        "title",
        "summary",
        "hub",
        "period_start",
        "period_end",
        "requested_amount",
        "contact_name",
        "contact_email",
        "contact_phone",
        "language",
        "budget",
        "answers",
        "edit_version",
        "action",
        "call",
        "organisation",
        "contact",
        "budget_lines",
        "attachments",
    }
)
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"


def _validate_identifier(value: str) -> None:
    # No double underscore: the edit form posts ``<key>__shown`` beside a choice question.
    if not re.match(KEY_PATTERN, value or "") or "__" in value:
        raise ValidationError(
            _(
                "A key is 1–50 lower-case letters a–z, digits and single underscores, starting "
                "with a letter."
            )
        )


def _validate_key(value: str) -> None:
    _validate_identifier(value)
    if value in RESERVED_KEYS:
        raise ValidationError(_("“%(key)s” is a field every call has already.") % {"key": value})


class FormSection(models.Model):
    """A group of questions on a call's application form, with its heading."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="form_sections")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title_sv = models.CharField(_("heading (Swedish)"), max_length=200)
    title_en = models.CharField(_("heading (English)"), max_length=200, blank=True)
    intro_sv = models.TextField(_("introduction (Swedish)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("form section")
        verbose_name_plural = _("form sections")

    def __str__(self) -> str:
        return self.title_sv

    @property
    def title(self) -> str:
        return _localised(self, "title")

    @property
    def intro(self) -> str:
        return _localised(self, "intro")


class FormQuestion(models.Model):
    """One question of a call's application form; its answer is ``Application.answers[key]``.

    ``max_length`` limits texts (characters); ``min_value``/``max_value`` numbers and amounts;
    ``choices`` is the list of ``{"value", "label_sv", "label_en"}`` of a choice question. An
    attachment question asks for at least one file of its kind (``Attachment.kind == key``).
    """

    section = models.ForeignKey(
        FormSection, on_delete=models.CASCADE, related_name="questions", verbose_name=_("section")
    )
    # Denormalised from the section, so that a key is unique per call in the database.
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="form_questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    key = models.CharField(
        _("key"),
        max_length=50,
        validators=[_validate_key],
        help_text=_(
            "A short identifier, unique in this call: lower-case letters, digits and "
            "underscores. It names the answer in exports."
        ),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    label_sv = models.CharField(_("question (Swedish)"), max_length=300)
    label_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    help_sv = models.TextField(_("help text (Swedish)"), blank=True)
    help_en = models.TextField(_("help text (English)"), blank=True)
    required = models.BooleanField(_("required at submission"), default=False)
    max_length = models.PositiveIntegerField(
        _("maximum length (characters)"), null=True, blank=True
    )
    min_value = models.IntegerField(_("lowest value"), null=True, blank=True)
    max_value = models.IntegerField(_("highest value"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["section__position", "section_id", "position", "pk"]
        verbose_name = _("form question")
        verbose_name_plural = _("form questions")
        constraints = [
            models.UniqueConstraint(fields=["call", "key"], name="form_question_key_per_call"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(max_value__gte=models.F("min_value")),
                name="form_question_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        return _localised(self, "label")

    @property
    def help(self) -> str:
        return _localised(self, "help")

    def choice_pairs(self) -> list[tuple[str, str]]:
        """``(value, label)`` of each choice in the reader's language."""
        english = (get_language() or "sv").startswith("en")
        return [
            (
                choice["value"],
                (choice.get("label_en") if english else None)
                or choice.get("label_sv")
                or choice["value"],
            )
            for choice in self.choices or []
        ]

    def clean(self):
        errors = {}
        if self.kind in QuestionKind.with_choices():
            values = [c.get("value") for c in self.choices or [] if isinstance(c, dict)]
            if (
                not values
                or len(values) != len(self.choices)
                or not all(isinstance(v, str) and v.strip() for v in values)
                or not all(
                    isinstance(c.get("label_sv"), str) and c["label_sv"] for c in self.choices
                )
            ):
                errors["choices"] = _(
                    "A choice question needs at least one choice, each with a label."
                )
            elif len(set(values)) != len(values):
                errors["choices"] = _("Two choices have the same value.")
        elif self.choices:
            errors["choices"] = _("Only a choice question has choices.")
        if (
            self.min_value is not None
            and self.max_value is not None
            and self.max_value < self.min_value
        ):
            errors["max_value"] = _("The highest value cannot be lower than the lowest value.")
        if (self.min_value is not None or self.max_value is not None) and (
            self.kind not in QuestionKind.with_range()
        ):
            errors["min_value"] = _("Only numbers and amounts have a lowest and highest value.")
        if self.max_length is not None and self.kind not in QuestionKind.with_length():
            errors["max_length"] = _("Only texts have a maximum length.")
        if self.section_id and self.call_id and self.section.call_id != self.call_id:
            errors["section"] = _("The section belongs to another call.")
        if errors:
            raise ValidationError(errors)


class BudgetCategory(models.Model):
    """A category a call's budget lines (and the financial reports) are sorted by."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="budget_categories")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    key = models.CharField(_("key"), max_length=20, validators=[_validate_identifier])
    label_sv = models.CharField(_("name (Swedish)"), max_length=200)
    label_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("budget category")
        verbose_name_plural = _("budget categories")
        constraints = [
            models.UniqueConstraint(fields=["call", "key"], name="budget_category_key_per_call")
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        return _localised(self, "label")
