"""What a refused save sent beside what is stored now, field by field, for the conflict page.

When a save is refused because another tab or a colleague saved in between (``StaleEdit``),
the edit page shows the stored values in the form and, for every field where the refused save
sent something else, that text beside them, so the person can copy back what they want to keep.
"""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from ..selectors.application_form import form_definition


def _shown(field: forms.Field, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(field, forms.ModelChoiceField):
        return str(value)
    if isinstance(field, forms.ChoiceField):
        labels = dict(field.choices)
        if isinstance(value, list):
            return ", ".join(str(labels.get(v, v)) for v in value)
        return str(labels.get(value, value))
    if isinstance(value, dt.date):
        return value.isoformat()  # the Swedish date format, YYYY-MM-DD
    return str(value)


def _budget_text(lines, definition) -> str:
    return "\n".join(
        f"{definition.category_label(line['category'])}: {line['description']}, {line['amount']} kr"
        for line in lines
    )


def conflict_rows(form: forms.Form, stored: dict) -> list[dict]:
    """Label, field id, stored value and sent value of each field the refused save sent
    differently from what is stored now.

    ``form`` is the refused save's valid bound form (it holds only the fields that were sent);
    ``stored`` maps its field names to the values stored now.
    """
    rows = []
    for name, field in form.fields.items():
        if field.widget.is_hidden:
            continue  # the edit version, not a text of the person's
        sent, now = _shown(field, form.cleaned_data.get(name)), _shown(field, stored.get(name))
        if sent != now:
            rows.append(
                {
                    "label": field.label,
                    "field_id": form[name].auto_id,
                    "stored": now,
                    "sent": sent,
                }
            )
    return rows


def application_conflict_rows(form: forms.Form, current, *, sent_budget=None) -> list[dict]:
    """``conflict_rows`` of the working copy, with the budget as one more row.

    ``current`` is the stored application; ``sent_budget`` the sent budget as line dicts, or
    ``None`` when the save sent none (or only a half-typed one).
    """
    stored_form = type(form)(instance=current, call=current.call)
    stored = {
        name: stored_form.initial.get(name)
        if name in stored_form.questions
        else getattr(current, name)
        for name in form.fields
    }
    rows = conflict_rows(form, stored)
    definition = form_definition(current.call)
    current_budget = [
        {"category": line.category, "description": line.description, "amount": line.amount}
        for line in current.budget_lines.all()
    ]
    if sent_budget is not None and sent_budget != current_budget:
        rows.append(
            {
                "label": _("Budget lines"),
                "field_id": "budget",
                "stored": _budget_text(current_budget, definition),
                "sent": _budget_text(sent_budget, definition),
            }
        )
    return rows


def report_conflict_rows(form: forms.Form, current) -> list[dict]:
    """``conflict_rows`` of a report draft (``forms.follow_up.ReportForm``) against ``current``."""
    stored = {
        "what_was_done": current.what_was_done,
        "lessons": current.lessons,
        "participants": current.participants,
        "hub_days": current.hub_days,
        "total_spent": current.total_spent,
    }
    for key, value in (current.measures or {}).items():
        stored[f"measure_{key}"] = value
    for cost in current.costs.all():
        stored[f"spent_{cost.pk}"] = cost.spent
    return conflict_rows(form, stored)
