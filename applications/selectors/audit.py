"""The audit log in sentences a person understands.

An entry is kept as it was recorded (codes, ids and plain values: that is what the chain
hashes); this reads a page of them for people: the action's label, what it concerns with the
application's registration number in place of its database id, and each detail under a label
with its value shown as the pages show it (kronor, dates, yes/no, the label of a stored code).
Ids that mean nothing to a reader (a decision's, an assignment's) are left out; the entry's
number and hash still point to the record.

``reviews`` teaches it its own keys (the reviewer, the conflict ground, the recommendation)
from its ``AppConfig.ready()``, as it does for the personal data: this app cannot import it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grants.models import Call, shown_value

from ..audit import ACTIONS, OBJECT_TYPES
from ..enums import (
    ApplicationState,
    DecisionOutcome,
    DecisionStatus,
    EligibilityItem,
    IneligibilityReason,
)
from ..formatting import choice_label, format_kronor
from ..models import Application, AuditEntry, User

# A value shown: the text, and whether it is a code to set in monospace (a checksum).
Shown = tuple[str, bool]


@dataclass(frozen=True)
class Detail:
    label: str
    value: str
    code: bool = False


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    action: str
    subject: str
    application_label: str = ""
    application_id: int | None = None
    details: list[Detail] = field(default_factory=list)


@dataclass(frozen=True)
class Key:
    """How one data key reads: its label, and its value as text (None leaves it out)."""

    label: object  # a lazy translation
    show: Callable[[object, "References"], Shown | None]


# Ids resolved for a whole page at once: reference kind -> (ids of the page -> {id: text}).
Resolver = Callable[[set[int]], dict[int, str]]
_RESOLVERS: dict[str, Resolver] = {}
_KEYS: dict[str, Key] = {}


class References:
    """The names behind the ids on one page, fetched in one query per kind."""

    def __init__(self, wanted: dict[str, set[int]]):
        self._names = {kind: _RESOLVERS[kind](ids) if ids else {} for kind, ids in wanted.items()}

    def name(self, kind: str, pk) -> str | None:
        return self._names.get(kind, {}).get(pk)


def register_key(name: str, label, show: Callable[[object, References], Shown | None]) -> None:
    _KEYS[name] = Key(label=label, show=show)


def register_reference(kind: str, resolve: Resolver) -> None:
    _RESOLVERS[kind] = resolve


# -- how values read ---------------------------------------------------------------------------


def yes_no(value, refs=None) -> Shown:
    return (_("Yes") if value else _("No")), False


def choice(choices) -> Callable[[object, References], Shown | None]:
    def show(value, refs):
        return (choice_label(choices, value), False) if value else None

    return show


def reference(kind: str) -> Callable[[object, References], Shown | None]:
    """An id shown by the name behind it; an id no longer found shows as a number."""

    def show(value, refs):
        if value is None:
            return None
        return refs.name(kind, value) or _("no. %(id)s") % {"id": value}, False

    return show


def _kronor(value, refs) -> Shown | None:
    if value is None:
        return None
    return _("%(amount)s kr") % {"amount": format_kronor(int(value))}, False


def _moment(value, refs) -> Shown | None:
    if not value:
        return None
    moment = parse_datetime(str(value))
    if moment is not None:
        return formats.date_format(moment, "DATETIME_FORMAT"), False
    day = parse_date(str(value))
    return (formats.date_format(day, "DATE_FORMAT") if day else str(value)), False


def _items(value, refs) -> Shown | None:
    if not isinstance(value, dict):
        return _plain(value, refs)
    return "; ".join(
        f"{choice_label(EligibilityItem, item)}: {yes_no(passed)[0].lower()}"
        for item, passed in value.items()
    ), False


def _roles(value, refs) -> Shown | None:
    return ", ".join(str(STAFF_ROLE_LABELS.get(role, role)) for role in value or []), False


def _filters(value, refs) -> Shown | None:
    if not value:
        return _("no filters"), False
    return "; ".join(f"{key}: {item}" for key, item in sorted(value.items())), False


def _plain(value, refs) -> Shown | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value), False
    return str(value), False


def _skip(value, refs) -> None:
    return None


STAFF_ROLE_LABELS = {
    "superuser": gettext_lazy("superuser"),
    "programme_manager": gettext_lazy("programme manager"),
    "decision_maker": gettext_lazy("decision maker"),
    "reviewer": gettext_lazy("reviewer"),
}

# The keys applications writes. Ids a reader has no use for are skipped.
register_key("from", gettext_lazy("State before"), choice(ApplicationState))
register_key("to", gettext_lazy("State after"), choice(ApplicationState))
register_key("application_id", gettext_lazy("Application"), _skip)  # shown as the subject
register_key("call_id", gettext_lazy("Call"), reference("call"))
register_key("amount", gettext_lazy("Amount"), _kronor)
register_key("granted_amount", gettext_lazy("Granted amount"), _kronor)
register_key("total_spent", gettext_lazy("Reported as spent"), _kronor)
register_key("outcome", gettext_lazy("Outcome"), choice(DecisionOutcome))
register_key("status", gettext_lazy("Decision status"), choice(DecisionStatus))
register_key("reason_code", gettext_lazy("Reason"), choice(IneligibilityReason))
register_key(
    "supersedes_id",
    gettext_lazy("Replaces an earlier decision"),
    lambda value, refs: yes_no(True) if value else None,
)
register_key(
    "below_threshold",
    gettext_lazy("Approved below a threshold"),
    lambda value, refs: yes_no(True) if value else None,
)
register_key("decision_id", gettext_lazy("Decision"), _skip)
register_key("exception_id", gettext_lazy("Exception"), _skip)
register_key("new_deadline", gettext_lazy("New deadline"), _moment)
register_key("items", gettext_lazy("Checklist"), _items)
register_key("passed", gettext_lazy("Every item met"), yes_no)
register_key("sha256", gettext_lazy("SHA-256"), lambda value, refs: (str(value), True))
register_key("size", gettext_lazy("Size"), lambda value, refs: (filesizeformat(value), False))
register_key("rows", gettext_lazy("Rows"), _plain)
register_key("filters", gettext_lazy("Filters"), _filters)
register_key("format", gettext_lazy("Format"), lambda value, refs: (str(value).upper(), False))
register_key("roles", gettext_lazy("Roles"), _roles)
register_key("has_employer", gettext_lazy("Employer recorded"), yes_no)


def _call_field_label(name: str) -> str:
    try:
        return str(capfirst(Call._meta.get_field(name).verbose_name))
    except LookupError:  # a field since removed: its name, as recorded
        return name


def _call_value(name: str, value) -> str:
    if isinstance(value, bool):
        return yes_no(value)[0]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "; ".join(", ".join(f"{k} {v}" for k, v in item.items()) for item in value)
    return shown_value(name, value)


def _call_changes(value, refs) -> Shown | None:
    """A call's changed fields: ``Budget (kr): 1 000 kr → 900 kr; …``."""
    if not isinstance(value, dict) or not value:
        return None
    return "; ".join(
        f"{_call_field_label(name)}: {_call_value(name, change.get('before'))} → "
        f"{_call_value(name, change.get('after'))}"
        for name, change in value.items()
    ), False


def _call_texts(value, refs) -> Shown | None:
    return (", ".join(_call_field_label(name) for name in value), False) if value else None


def _hub_ids(value, refs) -> Shown | None:
    if isinstance(value, dict):
        return _("%(before)s → %(after)s") % {
            "before": ", ".join(str(pk) for pk in value.get("before") or []) or "–",
            "after": ", ".join(str(pk) for pk in value.get("after") or []) or "–",
        }, False
    return _plain(value, refs)


def _call_list(value, refs) -> Shown | None:
    """A call's checklist or reasons before and after: ``key (label); … → …``, an entry taken
    off the list marked so."""

    def entries(rows) -> str:
        return (
            "; ".join(
                f"{row.get('key')} ({row.get('label_sv')})"
                + ("" if row.get("active", True) else f" [{_('off the list')}]")
                for row in rows or []
            )
            or "–"
        )

    if not isinstance(value, dict):
        return _plain(value, refs)
    return f"{entries(value.get('before'))} → {entries(value.get('after'))}", False


register_key("changes", gettext_lazy("Changed"), _call_changes)
register_key("checklist", gettext_lazy("Eligibility checklist"), _call_list)
register_key("reasons", gettext_lazy("Reasons for ineligibility"), _call_list)
register_key("texts_changed", gettext_lazy("Texts changed"), _call_texts)
register_key("reason_given", gettext_lazy("Reason given"), yes_no)
register_key("hubs", gettext_lazy("Hubs (ids)"), _hub_ids)
register_key("copied_from", gettext_lazy("Copy of"), reference("call"))
# The application form's changes (``services.call_form``): names and values, never texts.


def _form_changes(value, refs) -> Shown | None:
    """``required: No → Yes; max_length: – → 2000``."""
    if not isinstance(value, dict) or not value:
        return None

    def shown(item) -> str:
        plain = _plain(item, refs)
        return plain[0] if plain else "–"

    return "; ".join(
        f"{name}: {shown(c.get('before'))} → {shown(c.get('after'))}" for name, c in value.items()
    ), False


register_key("part", gettext_lazy("Part of the form"), _plain)
register_key("operation", gettext_lazy("Change"), _plain)
register_key("key", gettext_lazy("Key"), _plain)
register_key("form_changes", gettext_lazy("Changed"), _form_changes)
register_key(
    "form_texts_changed",
    gettext_lazy("Texts changed"),
    lambda value, refs: (", ".join(value), False) if value else None,
)
register_key("created_by", gettext_lazy("Created by"), reference("user"))


def _application_labels(ids: set[int]) -> dict[int, str]:
    return {
        pk: number or title or _("draft no. %(id)s") % {"id": pk}
        for pk, number, title in Application.objects.filter(pk__in=ids).values_list(
            "pk", "registration_number", "title"
        )
    }


def _call_titles(ids: set[int]) -> dict[int, str]:
    return {call.pk: call.title for call in Call.objects.filter(pk__in=ids)}


def _user_names(ids: set[int]) -> dict[int, str]:
    return {
        user.pk: user.full_name or user.email
        for user in User.objects.filter(pk__in=ids).only("pk", "full_name", "email")
    }


register_reference("application", _application_labels)
register_reference("call", _call_titles)
register_reference("user", _user_names)


# -- a page of entries -----------------------------------------------------------------------

# Which reference kind a data key's value is an id of, for the page's bulk lookups.
_KEY_REFERENCES = {"call_id": "call", "copied_from": "call", "created_by": "user"}


def register_key_reference(name: str, kind: str) -> None:
    _KEY_REFERENCES[name] = kind


def _application_of(entry: AuditEntry) -> int | None:
    if entry.object_type == "applications.application":
        return entry.object_id
    value = entry.data.get("application_id")
    return value if isinstance(value, int) else None


def _wanted(entries: list[AuditEntry]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {kind: set() for kind in _RESOLVERS}
    for entry in entries:
        if (application_id := _application_of(entry)) is not None:
            wanted["application"].add(application_id)
        if entry.object_type == "applications.user" and entry.object_id is not None:
            wanted["user"].add(entry.object_id)
        if entry.object_type == "grants.call" and entry.object_id is not None:
            wanted["call"].add(entry.object_id)
        for key, value in entry.data.items():
            kind = _KEY_REFERENCES.get(key)
            if kind and isinstance(value, int):
                wanted[kind].add(value)
    return wanted


def _details(entry: AuditEntry, refs: References) -> list[Detail]:
    details = []
    for key, value in entry.data.items():
        known = _KEYS.get(key)
        shown = (known.show if known else _plain)(value, refs)
        if shown is not None:
            label = str(known.label) if known else key.replace("_", " ").capitalize()
            details.append(Detail(label=label, value=shown[0], code=shown[1]))
    return details


def _subject(entry: AuditEntry, refs: References) -> str:
    label = str(OBJECT_TYPES.get(entry.object_type, entry.object_type))
    if entry.object_type == "applications.user":
        name = refs.name("user", entry.object_id)
        return f"{label}: {name}" if name else label
    if entry.object_type == "grants.call":
        title = refs.name("call", entry.object_id)
        return f"{label}: {title}" if title else label
    return label


def audit_log_rows(entries: Iterable[AuditEntry]) -> list[AuditRow]:
    """One readable row per entry of a page, in the page's order (one query per id kind)."""
    entries = list(entries)
    refs = References(_wanted(entries))
    rows = []
    for entry in entries:
        application_id = _application_of(entry)
        rows.append(
            AuditRow(
                entry=entry,
                action=str(ACTIONS.get(entry.action, entry.action)),
                subject=_subject(entry, refs),
                application_id=application_id if refs.name("application", application_id) else None,
                application_label=refs.name("application", application_id) or "",
                details=_details(entry, refs),
            )
        )
    return rows
