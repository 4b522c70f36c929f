"""Writes: a call as programme managers make it, change it and publish it (no admin needed).

``call_create`` and ``call_copy`` make drafts; ``call_update`` changes one section's fields;
``call_publish`` makes a draft public, by a second person (the four-eyes rule: never whoever
created the call or changed it last). Every change goes to the audit chain with the fields'
values before and after (texts only by name: the log holds no free text). A published call's
changes that touch applicants (``APPLICANT_FIELDS``) need a reason and are kept in
``grants.CallChange``, the call's public change history. ``call_lists_update`` changes the
call's eligibility checklist and its reasons for ineligibility (an entry in use is taken off the
list, never deleted, so what was recorded with it still reads).

The rules are checked here, under the call's row lock (the lock ``decision_confirm`` takes, so
a budget cut and a decision cannot pass each other): the call closes after it opens, the maximum
is never above the budget, and the budget is never below what the call has committed
(``remaining_budget``).
"""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.form_defaults import create_definition
from grants.models import (
    Call,
    CallChange,
    CallListItem,
    Criterion,
    EligibilityCheckItem,
    Hub,
    IneligibilityReasonItem,
)

from ..audit import audit_record
from ..models import Decision, EligibilityCheck, User
from ..selectors.decisions import call_committed_amount, remaining_budget
from ._common import _require
from .call_form import definition_copy

# Changes to a published call that an applicant must be told about, with a reason.
APPLICANT_FIELDS = ("closes_at", "budget", "max_amount", "eligible_kinds")

# Free text: the audit log names these fields when they change, never their contents.
TEXT_FIELDS = (
    "title_sv",
    "title_en",
    "summary_sv",
    "summary_en",
    "description_sv",
    "description_en",
    "letter_wording_sv",
    "letter_wording_en",
    "appeal_text_sv",
    "appeal_text_en",
    "legal_basis_sv",
    "legal_basis_en",
)

# What a copy takes over besides its own slug, title and dates: every other setting.
COPIED_FIELDS = tuple(
    name
    for name in (
        "title_en",
        "summary_sv",
        "summary_en",
        "description_sv",
        "description_en",
        "budget",
        "max_amount",
        "eligible_kinds",
        "project_start_earliest",
        "project_end_latest",
        "reviewers_per_application",
        "min_reviews",
        "score_visibility",
        "aggregation",
        "total_threshold",
        "disagreement_spread",
        "decision_appealable",
        "hold_decisions_for_release",
        "acceptance_days",
        "interim_reports",
        "final_report_days",
        "payment_plan",
        "report_measures",
        "reminder_days_before",
        "review_reminder_days_before",
        "personal_data_retention_years",
        *TEXT_FIELDS,
    )
    if name not in ("title_sv",)
)
CRITERION_FIELDS = (
    "position",
    "name_sv",
    "name_en",
    "guidance_sv",
    "guidance_en",
    "weight",
    "scale_min",
    "scale_max",
    "threshold",
)


def _audit_value(value):
    """A field's value as the audit chain takes it (plain JSON: no floats, no objects)."""
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return value


def _check_rules(call: Call) -> None:
    """The call's own rules, each refused on its field with a message (the model's ``clean``
    covers closing after opening, the maximum within the budget, the payment plan and the
    report measures); and the budget never below what is committed."""
    call.full_clean(exclude=["hubs"])
    _check_settings(call)
    if call.pk and remaining_budget(budget=call.budget, committed=call_committed_amount(call)) < 0:
        raise ValidationError(
            {
                "budget": _(
                    "The budget cannot be lower than what the call has already granted "
                    "(%(committed)s kr)."
                )
                % {"committed": f"{call_committed_amount(call):,}".replace(",", "\u00a0")}
            }
        )


def _check_settings(call: Call) -> None:
    """Settings that would make the call unworkable, each refused on its field: a project
    period that ends before it may start, reviews due before the call closes, no reviewer or
    no review needed, no day to accept a grant, personal data kept less than a year."""
    errors = {}
    start, end = call.project_start_earliest, call.project_end_latest
    if start and end and end <= start:
        errors["project_end_latest"] = _(
            "The latest project end must be after the earliest project start."
        )
    if call.review_due_at and call.closes_at and call.review_due_at <= call.closes_at:
        errors["review_due_at"] = _("Reviews can only be due after the call closes.")
    if call.reviewers_per_application is not None and call.reviewers_per_application < 1:
        errors["reviewers_per_application"] = _("Each application needs at least one reviewer.")
    if call.min_reviews is not None and call.min_reviews < 1:
        errors["min_reviews"] = _("At least one review is needed to complete review.")
    if call.acceptance_days is not None and call.acceptance_days < 1:
        errors["acceptance_days"] = _("A grantee needs at least one day to accept a grant.")
    if call.personal_data_retention_years is not None and call.personal_data_retention_years < 1:
        errors["personal_data_retention_years"] = _(
            "Personal data is kept at least one year after a case is closed."
        )
    if errors:
        raise ValidationError(errors)


def _record(call: Call, *, by: User, action: str, data: dict) -> None:
    audit_record(action=action, actor=by, target=call, data=data)


@transaction.atomic
def call_create(*, by: User, values: dict, hubs=()) -> Call:
    """A new draft call from the values given (at least slug, titles, texts, dates and money).

    Side effects: the call, today's eligibility checklist and reasons for ineligibility as its
    own (``grants.enums``), its audit entry (``call.create``).
    """
    _require(by, "manage_calls")
    call = Call(**values, is_published=False, created_by=by, changed_by=by)
    _check_rules(call)
    call.save()
    call.hubs.set(hubs)
    _copy_lists(call, checklist=call.checklist(), reasons=call.reasons_for_ineligibility())
    # A new call asks only the core fields until its own questions are added in the form
    # builder; its budget starts with the standard categories (it needs at least one).
    create_definition(call, sections=[])
    _record(
        call,
        by=by,
        action="call.create",
        data={
            "changes": {
                name: {"before": None, "after": _audit_value(value)}
                for name, value in sorted(values.items())
                if name not in TEXT_FIELDS
            },
            "texts_changed": sorted(name for name in values if name in TEXT_FIELDS),
            "hubs": sorted(hub.pk for hub in hubs),
        },
    )
    return call


@transaction.atomic
def call_copy(
    *,
    source: Call,
    by: User,
    slug: str,
    title_sv: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
) -> Call:
    """A draft that repeats ``source``: every setting and text, its hubs, its criteria, its
    eligibility checklist and reasons for ineligibility (those on its lists), with its own slug,
    Swedish title and dates.

    Side effects: the call, its criteria and lists, its audit entry (``call.copy``).
    """
    _require(by, "manage_calls")
    values = {name: getattr(source, name) for name in COPIED_FIELDS}
    call = Call(
        **values,
        slug=slug,
        title_sv=title_sv,
        opens_at=opens_at,
        closes_at=closes_at,
        is_published=False,
        created_by=by,
        changed_by=by,
    )
    _check_rules(call)
    call.save()
    call.hubs.set(source.hubs.all())
    Criterion.objects.bulk_create(
        Criterion(call=call, **{name: getattr(c, name) for name in CRITERION_FIELDS})
        for c in source.criteria.all()
    )
    _copy_lists(call, checklist=source.checklist(), reasons=source.reasons_for_ineligibility())
    definition_copy(source=source, target=call)
    _record(
        call,
        by=by,
        action="call.copy",
        data={
            "copied_from": source.pk,
            "changes": {
                "slug": {"before": source.slug, "after": slug},
                "opens_at": {"before": source.opens_at, "after": opens_at},
                "closes_at": {"before": source.closes_at, "after": closes_at},
            },
            "texts_changed": ["title_sv"],
        },
    )
    return call


def _diff(call: Call, values: dict) -> dict:
    return {
        name: (getattr(call, name), value)
        for name, value in values.items()
        if getattr(call, name) != value
    }


def _public_change(call: Call, changed: dict, reason: str) -> None:
    """Refuse an unexplained change that touches applicants; record an explained one."""
    touched = [name for name in APPLICANT_FIELDS if name in changed]
    if not call.is_published or not touched:
        return
    if not reason.strip():
        raise ValidationError(
            {
                "reason": _(
                    "This call is published: say why you change what applicants rely on "
                    "(closing time, budget, maximum or who may apply). The reason is shown on "
                    "the call's page."
                )
            }
        )
    CallChange.objects.create(
        call=call,
        at=timezone.now(),
        reason=reason.strip(),
        changes=[
            {"field": name, "before": _stored(changed[name][0]), "after": _stored(changed[name][1])}
            for name in touched
        ],
    )


def _stored(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


@transaction.atomic
def call_update(
    *, call: Call, by: User, values: dict, hubs: list[Hub] | None = None, reason: str = ""
) -> Call:
    """Change some of a call's fields (one section of the editor), and its hubs if given.

    Refused with a message on the field, nothing changed: a rule of ``_check_rules``; a change
    to a published call that touches applicants without a reason. Side effects: the call (and
    who changed it last), its public change history when published, one audit entry
    (``call.change``) with every changed field, or nothing at all when nothing changed.
    """
    _require(by, "manage_calls", call)
    locked = Call.objects.select_for_update().get(pk=call.pk)
    changed = _diff(locked, values)
    hubs_before = sorted(locked.hubs.values_list("pk", flat=True))
    hubs_after = sorted(hub.pk for hub in hubs) if hubs is not None else hubs_before
    if not changed and hubs_before == hubs_after:
        return locked
    for name, (_before, after) in changed.items():
        setattr(locked, name, after)
    _check_rules(locked)
    _public_change(locked, changed, reason)
    locked.changed_by = by
    locked.save()
    if hubs is not None:
        locked.hubs.set(hubs)
    data = {
        "changes": {
            name: {"before": _audit_value(before), "after": _audit_value(after)}
            for name, (before, after) in sorted(changed.items())
            if name not in TEXT_FIELDS
        },
        "texts_changed": sorted(name for name in changed if name in TEXT_FIELDS),
        "reason_given": bool(reason.strip()),
    }
    if hubs_before != hubs_after:
        data["hubs"] = {"before": hubs_before, "after": hubs_after}
    _record(locked, by=by, action="call.change", data=data)
    return locked


@transaction.atomic
def call_publish(*, call: Call, by: User) -> Call:
    """Publish a draft: the second pair of eyes.

    Allowed to a programme manager or a decision maker who neither created the call nor changed
    it last (``applications.publish_call``); refused with a message otherwise, and for a call
    already published or one whose rules no longer hold. Side effects: ``is_published``,
    ``published_at``, ``published_by``; the audit entry ``call.publish``.
    """
    _require(by, "publish_call")  # agency staff; whose call it is comes next, with a message
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if locked.is_published:
        raise ValidationError(_("This call is already published."))
    if by.pk in (locked.created_by_id, locked.changed_by_id):
        raise ValidationError(
            _(
                "A second person publishes a call: you created it or changed it last, so "
                "another programme manager or a decision maker must publish it."
            )
        )
    _check_rules(locked)
    locked.is_published = True
    locked.published_at = timezone.now()
    locked.published_by = by
    locked.save(update_fields=["is_published", "published_at", "published_by", "updated_at"])
    _record(locked, by=by, action="call.publish", data={"created_by": locked.created_by_id})
    return locked


# -- the eligibility checklist and the reasons for ineligibility ----------------------------

LIST_KEY = re.compile(r"^[a-z0-9_-]{1,20}$")


def _copy_lists(call: Call, *, checklist, reasons) -> None:
    """Give a new call these entries (active ones, in order) as its own lists."""
    for model, entries in ((EligibilityCheckItem, checklist), (IneligibilityReasonItem, reasons)):
        model.objects.bulk_create(
            model(
                call=call,
                key=entry.key,
                label_sv=entry.label_sv,
                label_en=entry.label_en,
                position=position,
            )
            for position, entry in enumerate(entries)
        )


def _list_rows(rows: list[CallListItem]) -> list[dict]:
    """A list as the audit chain takes it: each entry's key, labels and whether it is on it."""
    return [
        {
            "key": row.key,
            "label_sv": row.label_sv,
            "label_en": row.label_en,
            "active": row.is_active,
        }
        for row in rows
    ]


def _check_entries(entries: list[dict], *, field: str, empty_message: str) -> None:
    if not entries:
        raise ValidationError({field: empty_message})
    keys = [entry["key"] for entry in entries]
    bad = [key for key in keys if not LIST_KEY.match(key or "")]
    if bad:
        raise ValidationError(
            {
                field: _(
                    "A key is 1 to 20 small letters, digits, hyphens or underscores: "
                    "%(keys)s is not."
                )
                % {"keys": ", ".join(bad)}
            }
        )
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ValidationError(
            {field: _("Each key can be on the list once: %(keys)s.") % {"keys": ", ".join(twice)}}
        )
    if not all((entry.get("label_sv") or "").strip() for entry in entries):
        raise ValidationError({field: _("Each entry needs its Swedish label.")})


def _apply_list(current: list[CallListItem], entries: list[dict], *, in_use: set[str], model):
    """Make the stored list read as ``entries`` (in order): change labels and order, add new
    keys, take an entry no longer listed off the list when something recorded uses it and
    delete it otherwise. ``current`` may be today's defaults, unsaved."""
    by_key = {row.key: row for row in current}
    listed = set()
    for position, entry in enumerate(entries):
        row = by_key.get(entry["key"]) or model(call=entry["call"], key=entry["key"])
        row.label_sv = entry["label_sv"].strip()
        row.label_en = (entry.get("label_en") or "").strip()
        row.position = position
        row.is_active = True
        row.save()
        listed.add(row.key)
    for row in current:
        if row.key in listed:
            continue
        if row.key in in_use:
            row.is_active = False
            row.position = len(entries) + row.position
            row.save()
        elif row.pk:
            row.delete()


@transaction.atomic
def call_lists_update(*, call: Call, by: User, checklist: list[dict], reasons: list[dict]) -> Call:
    """Set the call's eligibility checklist and its reasons for ineligibility, each a list of
    ``{"key", "label_sv", "label_en"}`` in order.

    Labels and order may change and entries may be added at any time. An entry left out is
    deleted, unless an eligibility check (an item) or a decision (a reason) of the call uses
    its key: then it is taken off the list (inactive), so those still read with its label, and
    listing its key again puts it back. A check recorded before an item was added does not
    pass until it is made again. Refused with a message, nothing changed: an empty list, a key
    that is not 1-20 small letters, digits, hyphens or underscores, a key twice, an entry
    without its Swedish label. Side effects: the lists, who changed the call last, one audit
    entry (``call.change``) with both lists before and after, or nothing when nothing changed.
    """
    _require(by, "manage_calls", call)
    locked = Call.objects.select_for_update().get(pk=call.pk)
    _check_entries(
        checklist,
        field="checklist",
        empty_message=_("The eligibility checklist needs at least one item."),
    )
    _check_entries(
        reasons,
        field="reasons",
        empty_message=_("Give at least one reason for rejecting an application as ineligible."),
    )
    items_before = locked.checklist(with_inactive=True)
    reasons_before = locked.reasons_for_ineligibility(with_inactive=True)
    checks_use = {
        key
        for items in EligibilityCheck.objects.filter(application__call=locked).values_list(
            "items", flat=True
        )
        for key in (items or {})
    }
    decisions_use = set(
        Decision.objects.filter(application__call=locked)
        .exclude(reason_code="")
        .values_list("reason_code", flat=True)
    )
    before = {"checklist": _list_rows(items_before), "reasons": _list_rows(reasons_before)}
    _apply_list(
        items_before,
        [{**entry, "call": locked} for entry in checklist],
        in_use=checks_use,
        model=EligibilityCheckItem,
    )
    _apply_list(
        reasons_before,
        [{**entry, "call": locked} for entry in reasons],
        in_use=decisions_use,
        model=IneligibilityReasonItem,
    )
    after = {
        "checklist": _list_rows(locked.checklist(with_inactive=True)),
        "reasons": _list_rows(locked.reasons_for_ineligibility(with_inactive=True)),
    }
    if before == after:
        return locked
    locked.changed_by = by
    locked.save(update_fields=["changed_by", "updated_at"])
    _record(
        locked,
        by=by,
        action="call.change",
        data={
            name: {"before": before[name], "after": after[name]}
            for name in ("checklist", "reasons")
            if before[name] != after[name]
        },
    )
    return locked
