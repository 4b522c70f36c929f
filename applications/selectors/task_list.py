"""Reads: the parts of an application form (the rows of the applicant's task list and its
short section pages) and each part's status.

The parts are "The project" (the core fields), each of the call's sections, "Amount and
budget", "Attachments" and "Contact person". A part's status comes from the same rules the
submit uses (``submission_errors``): a part is done when none of those errors is in it,
started when something in it is filled in, else not started. Errors that belong to no field
(say, the organisation is not yet verified) are in no part: they keep the application from
being submitted, shown on the last row and on the check-answers page.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from ..models import Application
from .application_form import form_definition
from .applications import current_attachments, submission_errors

PROJECT, BUDGET, ATTACHMENTS, CONTACT = "project", "budget", "attachments", "contact"
SECTION_PREFIX = "section-"

# The core fields of each part that is not one of the call's sections, in page order.
CORE_PARTS = {
    PROJECT: ("title", "summary", "hub", "period_start", "period_end"),
    BUDGET: ("requested_amount",),
    ATTACHMENTS: (),
    CONTACT: ("contact_name", "contact_email", "contact_phone", "language"),
}
CORE_TITLES = {
    PROJECT: gettext_lazy("About the project"),
    BUDGET: gettext_lazy("Amount and budget"),
    ATTACHMENTS: gettext_lazy("Attachments"),
    CONTACT: gettext_lazy("Contact person"),
}
# The error fields of submission_errors that are not form fields, and their part.
ERROR_FIELD_PARTS = {"budget": BUDGET, "attachments": ATTACHMENTS}

NOT_STARTED, STARTED, DONE = "not_started", "started", "done"
STATUS_LABELS = {
    NOT_STARTED: pgettext_lazy("task list", "Not started"),
    STARTED: pgettext_lazy("task list", "In progress"),
    DONE: pgettext_lazy("task list", "Completed"),
}


@dataclass
class Part:
    """One part of the form: its key (the section page's address), title, the form fields it
    holds (core fields and question keys), and the section when it is one of the call's."""

    key: str
    title: str
    fields: list[str]
    section: object = None
    errors: list = field(default_factory=list)
    status: str = NOT_STARTED

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


def form_parts(call) -> list[Part]:
    """The parts of ``call``'s form, in the order the task list shows them."""
    definition = form_definition(call)
    project = [name for name in CORE_PARTS[PROJECT] if name != "hub" or definition.has_hubs]
    parts = [Part(PROJECT, str(CORE_TITLES[PROJECT]), project)]
    for number, section in enumerate(definition.sections, start=1):
        parts.append(
            Part(
                f"{SECTION_PREFIX}{number}",
                section.title,
                [q.key for q in section.questions_in_order if q.kind != "attachment"],
                section=section,
            )
        )
    for key in (BUDGET, ATTACHMENTS, CONTACT):
        parts.append(Part(key, str(CORE_TITLES[key]), list(CORE_PARTS[key])))
    return parts


def form_part(call, key: str) -> Part | None:
    """The part of ``call``'s form called ``key``, or None when the form has none."""
    return next((part for part in form_parts(call) if part.key == key), None)


def part_of_field(parts: list[Part], name: str | None) -> str | None:
    """The key of the part a form field (or an error's field) belongs to; None for none."""
    if name is None:
        return None
    if name in ERROR_FIELD_PARTS:
        return ERROR_FIELD_PARTS[name]
    for part in parts:
        if name in part.fields:
            return part.key
    return None


def _filled(value) -> bool:
    return value not in (None, "", [])


def _something_filled(application: Application, part: Part, attachment_count: int) -> bool:
    if part.key == ATTACHMENTS:
        return attachment_count > 0
    if part.key == BUDGET and application.budget_lines.exists():
        return True
    answers = application.answers or {}
    for name in part.fields:
        if name == "language":
            continue  # has a default: choosing it is not starting the part
        if part.section is not None:
            if _filled(answers.get(name)):
                return True
        elif _filled(getattr(application, f"{name}_id" if name == "hub" else name)):
            return True
    return False


def submission_errors_by_part(application: Application) -> tuple[list[Part], list]:
    """The form's parts, each with its submission errors and status, and the errors in no
    part. The errors are ``submission_errors``' own: there is one set of rules."""
    parts = form_parts(application.call)
    by_key = {part.key: part for part in parts}
    general = []
    for error in submission_errors(application):
        key = part_of_field(parts, error.field)
        if key is None:
            general.append(error)
        else:
            by_key[key].errors.append(error)
    attachment_count = current_attachments(application).count()
    for part in parts:
        if not part.errors:
            part.status = DONE
        elif _something_filled(application, part, attachment_count):
            part.status = STARTED
        else:
            part.status = NOT_STARTED
    return parts, general


def task_list(application: Application) -> dict:
    """The task list: the parts with their status, how many are done, and whether the
    application may be submitted as it stands (no error anywhere)."""
    parts, general = submission_errors_by_part(application)
    done = sum(1 for part in parts if part.status == DONE)
    return {
        "parts": parts,
        "general_errors": general,
        "done_count": done,
        "part_count": len(parts),
        "ready": done == len(parts) and not general,
        "review_status": _("Ready to submit")
        if done == len(parts) and not general
        else _("Cannot submit yet"),
    }
