"""Reads: a call's application form (its definition) and what an application's content looks
like through it.

The definition is the call's sections, questions and budget categories (``grants``). Every page
that shows an application's content (the preview, the applicant's version page, the agency's
and the reviewers' pages, the exports, the letters) turns it into rows with ``content_display``,
so a question is labelled the same way everywhere. A version frozen before the form was defined
per call holds its answers at the top level of its content (``what_to_try`` …); they are read
from there (``content_answers``).
"""

from dataclasses import dataclass, field

from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from grants.enums import QuestionKind
from grants.models import BudgetCategory, Call, FormQuestion, FormSection

from ..formatting import format_kronor

K = QuestionKind


@dataclass
class FormDefinition:
    """A call's form: its sections in order (each with ``questions`` in order), every
    question, and the budget categories."""

    sections: list[FormSection]
    questions: list[FormQuestion]
    categories: list[BudgetCategory]
    has_hubs: bool
    by_key: dict = field(default_factory=dict)

    def category_choices(self) -> list[tuple[str, str]]:
        return [(c.key, c.label) for c in self.categories]

    def category_label(self, key: str) -> str:
        """The category's label in the reader's language; an unknown key is shown as itself."""
        for category in self.categories:
            if category.key == key:
                return category.label
        return key

    @property
    def input_questions(self) -> list[FormQuestion]:
        """The questions answered in the edit form (an attachment question is answered by
        uploading a file of its kind)."""
        return [q for q in self.questions if q.kind != K.ATTACHMENT]

    @property
    def attachment_questions(self) -> list[FormQuestion]:
        return [q for q in self.questions if q.kind == K.ATTACHMENT]


def form_definition(call: Call) -> FormDefinition:
    """The call's form, read once per call object (three queries) and kept on it."""
    cached = getattr(call, "_form_definition", None)
    if cached is not None:
        return cached
    sections = list(FormSection.objects.filter(call=call).order_by("position", "pk"))
    questions = list(
        FormQuestion.objects.filter(call=call).order_by(
            "section__position", "section_id", "position", "pk"
        )
    )
    by_section: dict[int, list] = {s.pk: [] for s in sections}
    for question in questions:
        by_section[question.section_id].append(question)
    for section in sections:
        section.questions_in_order = by_section[section.pk]
    definition = FormDefinition(
        sections=sections,
        questions=questions,
        categories=list(BudgetCategory.objects.filter(call=call).order_by("position", "pk")),
        has_hubs=call.hubs.exists(),
        by_key={q.key: q for q in questions},
    )
    call._form_definition = definition
    return definition


def forget_form_definition(call: Call) -> None:
    """Drop the definition kept on ``call`` (after the form builder changed it)."""
    call.__dict__.pop("_form_definition", None)


def call_form_is_frozen(call: Call) -> bool:
    """The form is frozen once the call's first application is started: from then on answers
    exist for its questions, so only their wording may change."""
    return call.applications.exists()


# -- content as rows ----------------------------------------------------------------------------


def content_answers(content: dict, definition: FormDefinition) -> dict:
    """The answers in a version's (or the preview's) content. A version frozen before forms
    per call has no ``answers``: its answers are the top-level keys of the same names."""
    if "answers" in content:
        return content["answers"] or {}
    return {q.key: content[q.key] for q in definition.questions if q.key in content}


def _date(value):
    """The date an answer holds, or None (also for a well-formed impossible one: 2027-13-45)."""
    try:
        return parse_date(str(value))
    except ValueError:
        return None


def _yes_no(value) -> str:
    return _("Yes") if value else _("No")


def display_value(question: FormQuestion, value, *, attachments=()) -> str:
    """An answer as text for a page, a CSV cell or a letter; "" when unanswered."""
    kind = question.kind
    if kind == K.ATTACHMENT:
        return ", ".join(a["name"] for a in attachments if a.get("kind") == question.key)
    if value in (None, "", []):
        return ""
    if kind == K.AMOUNT and isinstance(value, int):
        return f"{format_kronor(value)}\u00a0kr"
    if kind == K.DATE:
        day = _date(value)
        return formats.date_format(day, "j F Y") if day else str(value)
    if kind == K.YES_NO:
        return _yes_no(value)
    if kind in K.with_choices():
        labels = dict(question.choice_pairs())
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in values)
    return str(value)


def content_display(content: dict, call: Call) -> dict:
    """What the content templates show beside the core fields: the call's sections, each with
    its rows ``{"key", "label", "value", "long"}``; whether to show the hub; and the budget
    lines with their category labels."""
    definition = form_definition(call)
    answers = content_answers(content, definition)
    attachments = content.get("attachments") or []
    sections = []
    for section in definition.sections:
        rows = [
            {
                "key": q.key,
                "label": q.label,
                "value": display_value(q, answers.get(q.key), attachments=attachments),
                "long": q.kind == K.LONG_TEXT,
            }
            for q in section.questions_in_order
        ]
        sections.append({"title": section.title, "rows": rows})
    return {
        "sections": sections,
        "show_hub": definition.has_hubs or bool(content.get("hub")),
        "budget_lines": [
            {**line, "label": definition.category_label(line.get("category", ""))}
            for line in content.get("budget_lines") or []
        ],
    }


def answer_columns(calls) -> list[FormQuestion]:
    """The questions of ``calls`` for an export's columns: one per key, in the calls' order."""
    seen, columns = set(), []
    for call in calls:
        for question in form_definition(call).questions:
            if question.key not in seen:
                seen.add(question.key)
                columns.append(question)
    return columns


# -- completeness at submit ------------------------------------------------------------------------


def _valid_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def answer_errors(definition: FormDefinition, answers: dict, attachment_kinds) -> list[tuple]:
    """``(field, message)`` for every answer that stops a submission: a required question
    unanswered, a text too long, a number out of range, a choice not offered, a required
    attachment kind without a file. ``attachment_kinds``: the kinds of the working copy's
    files. ``field`` is the question's key (its field in the edit form), or ``"attachments"``."""
    errors = []
    kinds = set(attachment_kinds)
    for question in definition.questions:
        label = question.label
        value = answers.get(question.key)
        if question.kind == K.ATTACHMENT:
            if question.required and question.key not in kinds:
                errors.append(
                    ("attachments", _("Attach a file for “%(question)s”.") % {"question": label})
                )
            continue
        if value in (None, "", []):
            if question.required:
                errors.append(
                    (question.key, _("“%(question)s” must be answered.") % {"question": label})
                )
            continue
        message = _answer_error(question, value)
        if message:
            errors.append((question.key, message))
    return errors


def _answer_error(question: FormQuestion, value) -> str | None:
    message = _answer_message(question, value)
    if message is None:
        return None
    text, limit = message
    return text % {"question": question.label, "limit": limit}


def _answer_message(question: FormQuestion, value) -> tuple[str, object] | None:
    kind = question.kind
    if kind in K.with_length():
        if not isinstance(value, str):
            return _("The answer to “%(question)s” is not a text."), None
        if question.max_length and len(value) > question.max_length:
            return _(
                "“%(question)s” may be at most %(limit)s characters long."
            ), question.max_length
    elif kind in K.with_range():
        if not _valid_int(value):
            return _("The answer to “%(question)s” must be a whole number."), None
        if question.min_value is not None and value < question.min_value:
            return _("“%(question)s” must be at least %(limit)s."), question.min_value
        if question.max_value is not None and value > question.max_value:
            return _("“%(question)s” must be at most %(limit)s."), question.max_value
    elif kind == K.DATE:
        if not isinstance(value, str) or _date(value) is None:
            return _("The answer to “%(question)s” must be a date."), None
    elif kind == K.YES_NO:
        if not isinstance(value, bool):
            return _("Answer “%(question)s” with yes or no."), None
    elif kind in K.with_choices():
        offered = {c["value"] for c in question.choices or []}
        values = value if kind == K.MULTIPLE_CHOICE else [value]
        if not isinstance(values, list) or not all(v in offered for v in values):
            return _("The answer to “%(question)s” is not one of its choices."), None
    return None
