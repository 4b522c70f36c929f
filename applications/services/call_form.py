"""Writes: a call's application form, as programme managers build it in the call editor.

Sections, questions and budget categories are added, changed, removed and reordered here.

The rules, each refused with a message and nothing changed:
- Keys are unique in the call (questions: also not a core field's name); a choice question has
  choices; a range is ordered; the call keeps at least one budget category (``_check``).
- **Frozen.** Once the call's first application is started the form is frozen: nothing may be
  added or removed and no question's kind, key, required flag, limits or choices may change,
  since answers exist for them. Only the wording (headings, questions, help texts, category
  names) may still be fixed. Moving things up or down stays possible: it changes no answer.
- **Published.** A published call's form touches applicants: every change but a move needs a
  reason and is kept in ``grants.CallChange``, the call's public change history (the reuse of
  ``services.calls``' record), as changes to the call's other applicant-facing fields are.

Every change is one audit entry, ``call.form_change``, naming what changed (texts by name only:
the log holds no free text), and makes its author the call's last editor (``changed_by``), so
the four-eyes rule of publishing covers the form too.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.enums import QuestionKind
from grants.models import BudgetCategory, Call, CallChange, FormQuestion, FormSection

from ..audit import audit_record
from ..models import User
from ..selectors.application_form import call_form_is_frozen, forget_form_definition
from ._common import _require

SECTION_TEXTS = ("title_sv", "title_en", "intro_sv", "intro_en")
QUESTION_TEXTS = ("label_sv", "label_en", "help_sv", "help_en")
QUESTION_STRUCTURE = ("key", "kind", "required", "max_length", "min_value", "max_value", "choices")
CATEGORY_TEXTS = ("label_sv", "label_en")
PARTS = {FormSection: "section", FormQuestion: "question", BudgetCategory: "category"}


def _lock(call: Call, by: User) -> Call:
    _require(by, "manage_calls", call)
    return Call.objects.select_for_update().get(pk=call.pk)


def _refuse_if_frozen(call: Call) -> None:
    if call_form_is_frozen(call):
        raise ValidationError(
            _(
                "The application form is frozen: applications to this call have been started, "
                "so questions and categories can no longer be added, removed or changed in "
                "kind, key, limits, choices or whether they are required. You may still correct "
                "their wording."
            )
        )


def _require_reason(call: Call, reason: str) -> None:
    if call.is_published and not reason.strip():
        raise ValidationError(
            {
                "reason": _(
                    "This call is published: say why you change its application form. The "
                    "reason is shown on the call's page."
                )
            }
        )


def _key_of(obj) -> str:
    return obj.key if hasattr(obj, "key") else str(obj.pk)


def _finish(
    call: Call,
    *,
    by: User,
    obj,
    operation: str,
    changed: dict,
    texts: tuple,
    reason: str,
) -> None:
    """The call's last editor, its public change history when published, the audit entry."""
    part = PARTS[type(obj)]
    call.changed_by = by
    call.save(update_fields=["changed_by", "updated_at"])
    forget_form_definition(call)
    if call.is_published and operation != "move":
        items = [
            {
                "field": "form",
                "part": part,
                "key": _key_of(obj),
                "attribute": name if operation == "change" else "",
                "before": _public(before),
                "after": _public(after),
            }
            for name, (before, after) in changed.items()
            if operation == "change"
        ] or [
            {
                "field": "form",
                "part": part,
                "key": _key_of(obj),
                "attribute": "",
                "before": "" if operation == "add" else _title_of(obj),
                "after": _title_of(obj) if operation == "add" else "",
            }
        ]
        CallChange.objects.create(
            call=call, at=timezone.now(), reason=reason.strip(), changes=items
        )
    audit_record(
        action="call.form_change",
        actor=by,
        target=call,
        data={
            "part": part,
            "operation": operation,
            "key": _key_of(obj),
            "form_changes": {
                name: {"before": before, "after": after}
                for name, (before, after) in sorted(changed.items())
                if name not in texts and name != "choices"
            },
            "form_texts_changed": sorted(
                name for name in changed if name in texts or name == "choices"
            ),
            "reason_given": bool(reason.strip()),
        },
    )


def _title_of(obj) -> str:
    return getattr(obj, "label_sv", None) or getattr(obj, "title_sv", "") or _key_of(obj)


def _public(value) -> str:
    if isinstance(value, list):  # choices
        return ", ".join(str(c.get("label_sv") or c.get("value")) for c in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return "" if value is None else str(value)


def _diff(obj, values: dict) -> dict:
    return {
        name: (getattr(obj, name), value)
        for name, value in values.items()
        if getattr(obj, name) != value
    }


def _check(obj, *, exclude=()) -> None:
    obj.full_clean(exclude=["call", "section", *exclude], validate_constraints=False)


def _next_position(queryset) -> int:
    last = queryset.order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


# -- sections -----------------------------------------------------------------------------------


@transaction.atomic
def form_section_save(
    *, call: Call, by: User, values: dict, section: FormSection | None = None, reason: str = ""
) -> FormSection:
    """Add a section to the call's form (``section`` None) or change its heading and
    introduction. Refused: adding to a frozen form; no reason for a published call."""
    locked = _lock(call, by)
    if section is None:
        _refuse_if_frozen(locked)
        section = FormSection(
            call=locked, position=_next_position(locked.form_sections.all()), **values
        )
        changed, operation = {k: (None, v) for k, v in values.items()}, "add"
    else:
        section = FormSection.objects.select_for_update().get(pk=section.pk, call=locked)
        changed, operation = _diff(section, values), "change"
        if not changed:
            return section
        for name, value in values.items():
            setattr(section, name, value)
    _check(section)
    _require_reason(locked, reason)
    section.save()
    _finish(
        locked,
        by=by,
        obj=section,
        operation=operation,
        changed=changed,
        texts=SECTION_TEXTS,
        reason=reason,
    )
    return section


@transaction.atomic
def form_section_remove(*, section: FormSection, by: User, reason: str = "") -> None:
    """Remove a section and its questions. Refused once the form is frozen."""
    locked = _lock(section.call, by)
    _refuse_if_frozen(locked)
    _require_reason(locked, reason)
    section = FormSection.objects.get(pk=section.pk, call=locked)
    _finish(locked, by=by, obj=section, operation="remove", changed={}, texts=(), reason=reason)
    section.delete()


# -- questions ----------------------------------------------------------------------------------


def _unique_key(call: Call, model, key: str, exclude_pk=None) -> None:
    others = model.objects.filter(call=call, key=key).exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError(
            {"key": _("The key “%(key)s” is already used in this call.") % {"key": key}}
        )


@transaction.atomic
def form_question_save(
    *,
    call: Call,
    by: User,
    values: dict,
    question: FormQuestion | None = None,
    reason: str = "",
) -> FormQuestion:
    """Add a question (``question`` None; ``values`` names its ``section``) or change one.

    Refused with a message, nothing changed: a key used twice, an invalid definition
    (``FormQuestion.clean``); in a frozen form, adding, or changing anything but the wording or
    the section; no reason for a published call.
    """
    locked = _lock(call, by)
    values = dict(values)
    if values.get("kind") not in QuestionKind.with_choices() and "choices" in values:
        values["choices"] = values["choices"] or []
    if question is None:
        _refuse_if_frozen(locked)
        section = values["section"]
        if section.call_id != locked.pk:
            raise ValidationError({"section": _("The section belongs to another call.")})
        question = FormQuestion(
            call=locked,
            position=_next_position(FormQuestion.objects.filter(section=section)),
            **values,
        )
        changed = {
            k: (None, v) for k, v in values.items() if k != "section" and v not in (None, "", [])
        }
        operation = "add"
    else:
        question = FormQuestion.objects.select_for_update().get(pk=question.pk, call=locked)
        changed = _diff(question, values)
        if not changed:
            return question
        if set(changed) - set(QUESTION_TEXTS) and call_form_is_frozen(locked):
            _refuse_if_frozen(locked)
        if "section" in changed:
            new_section = changed.pop("section")[1]
            if new_section.call_id != locked.pk:
                raise ValidationError({"section": _("The section belongs to another call.")})
            changed["section_id"] = (question.section_id, new_section.pk)
            question.position = _next_position(FormQuestion.objects.filter(section=new_section))
        for name, value in values.items():
            setattr(question, name, value)
        operation = "change"
    _check(question)
    _unique_key(locked, FormQuestion, question.key, question.pk)
    _require_reason(locked, reason)
    question.save()
    _finish(
        locked,
        by=by,
        obj=question,
        operation=operation,
        changed=changed,
        texts=QUESTION_TEXTS,
        reason=reason,
    )
    return question


@transaction.atomic
def form_question_remove(*, question: FormQuestion, by: User, reason: str = "") -> None:
    """Remove a question. Refused once the form is frozen."""
    locked = _lock(question.call, by)
    _refuse_if_frozen(locked)
    _require_reason(locked, reason)
    question = FormQuestion.objects.get(pk=question.pk, call=locked)
    _finish(locked, by=by, obj=question, operation="remove", changed={}, texts=(), reason=reason)
    question.delete()


# -- budget categories -------------------------------------------------------------------------


@transaction.atomic
def budget_category_save(
    *,
    call: Call,
    by: User,
    values: dict,
    category: BudgetCategory | None = None,
    reason: str = "",
) -> BudgetCategory:
    """Add a budget category or change one. Refused: a key used twice; in a frozen form,
    adding one or changing a key; no reason for a published call."""
    locked = _lock(call, by)
    if category is None:
        _refuse_if_frozen(locked)
        category = BudgetCategory(
            call=locked, position=_next_position(locked.budget_categories.all()), **values
        )
        changed, operation = {k: (None, v) for k, v in values.items()}, "add"
    else:
        category = BudgetCategory.objects.select_for_update().get(pk=category.pk, call=locked)
        changed, operation = _diff(category, values), "change"
        if not changed:
            return category
        if set(changed) - set(CATEGORY_TEXTS):
            _refuse_if_frozen(locked)
        for name, value in values.items():
            setattr(category, name, value)
    _check(category)
    _unique_key(locked, BudgetCategory, category.key, category.pk)
    _require_reason(locked, reason)
    category.save()
    _finish(
        locked,
        by=by,
        obj=category,
        operation=operation,
        changed=changed,
        texts=CATEGORY_TEXTS,
        reason=reason,
    )
    return category


@transaction.atomic
def budget_category_remove(*, category: BudgetCategory, by: User, reason: str = "") -> None:
    """Remove a budget category. Refused once the form is frozen, and for the last one (a
    budget needs a category)."""
    locked = _lock(category.call, by)
    _refuse_if_frozen(locked)
    if locked.budget_categories.count() <= 1:
        raise ValidationError(_("A call needs at least one budget category."))
    _require_reason(locked, reason)
    category = BudgetCategory.objects.get(pk=category.pk, call=locked)
    _finish(locked, by=by, obj=category, operation="remove", changed={}, texts=(), reason=reason)
    category.delete()


# -- order ---------------------------------------------------------------------------------------


@transaction.atomic
def form_item_move(*, item, by: User, up: bool) -> None:
    """Move a section, a question (within its section) or a category one step up or down.
    Allowed in a frozen form too: the order changes no answer."""
    locked = _lock(item.call, by)
    model = type(item)
    if model is FormQuestion:
        siblings = FormQuestion.objects.filter(section_id=item.section_id)
    else:
        siblings = model.objects.filter(call=locked)
    ordered = list(siblings.select_for_update().order_by("position", "pk"))
    index = next(i for i, other in enumerate(ordered) if other.pk == item.pk)
    target = index - 1 if up else index + 1
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, other in enumerate(ordered):
        if other.position != position:
            model.objects.filter(pk=other.pk).update(position=position)
    moved = ordered[target]
    _finish(
        locked,
        by=by,
        obj=moved,
        operation="move",
        changed={"position": (index, target)},
        texts=(),
        reason="",
    )


# -- copy ----------------------------------------------------------------------------------------


def definition_copy(*, source: Call, target: Call) -> None:
    """Give ``target`` (a new call) the form of ``source``: sections, questions, categories.
    Called inside ``call_copy``'s transaction, which audits the copy."""
    for section in source.form_sections.order_by("position", "pk"):
        questions = list(section.questions.order_by("position", "pk"))
        section.pk, section.call = None, target
        section.save()
        for question in questions:
            question.pk, question.call, question.section = None, target, section
            question.save()
    BudgetCategory.objects.bulk_create(
        BudgetCategory(
            call=target, position=c.position, key=c.key, label_sv=c.label_sv, label_en=c.label_en
        )
        for c in source.budget_categories.order_by("position", "pk")
    )
