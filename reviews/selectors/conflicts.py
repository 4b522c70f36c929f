"""Reads: conflicts of interest, declared or found, and how far each panel member has
declared."""

from dataclasses import dataclass, field

from django.db.models import Count

from applications.models import Application
from grants.models import Call

from ..models import ConflictDeclaration, ConflictOverride, PanelMember
from .scope import DECLARATION_STATES, declaration_scope, latest_titles


def conflict_pairs(call: Call, *, application_ids=None) -> set[tuple[int, int]]:
    """Every (panel member id, application id) of the call with a conflict of interest, or of
    the applications ``application_ids`` only (a page of them) when given.

    A conflict is declared by the reviewer, or found because the applicant's organisation
    number is the reviewer's employer's; a programme manager's latest override decides over
    both. Computed in four queries, and the employer match by the organisation number's
    lookup, not members × applications.
    """
    employers: dict[str, list[int]] = {}
    for member_id, employer in (
        PanelMember.objects.filter(call=call).order_by().values_list("pk", "employer_orgnr")
    ):
        if employer:
            employers.setdefault(employer, []).append(member_id)
    applications = call.applications.exclude(registration_number__isnull=True).filter(
        organisation__orgnr__in=list(employers)
    )
    declarations = ConflictDeclaration.objects.filter(member__call=call, has_conflict=True)
    overrides = ConflictOverride.objects.filter(member__call=call)
    if application_ids is not None:
        application_ids = list(application_ids)
        applications = applications.filter(pk__in=application_ids)
        declarations = declarations.filter(application_id__in=application_ids)
        overrides = overrides.filter(application_id__in=application_ids)
    pairs = {
        (member_id, application_id)
        for application_id, orgnr in applications.values_list("pk", "organisation__orgnr")
        for member_id in employers[orgnr]
    }
    pairs |= set(declarations.values_list("member_id", "application_id"))
    decided: dict[tuple[int, int], bool] = {}
    for member_id, application_id, has_conflict in overrides.order_by(
        "decided_at", "pk"
    ).values_list("member_id", "application_id", "has_conflict"):
        decided[(member_id, application_id)] = has_conflict  # the latest wins
    for pair, has_conflict in decided.items():
        if has_conflict:
            pairs.add(pair)
        else:
            pairs.discard(pair)
    return pairs


def has_conflict(member: PanelMember, application: Application) -> bool:
    latest = (
        ConflictOverride.objects.filter(member=member, application=application)
        .order_by("-decided_at", "-pk")
        .values_list("has_conflict", flat=True)
        .first()
    )
    if latest is not None:
        return latest
    if member.employer_orgnr and member.employer_orgnr == application.organisation.orgnr:
        return True
    return ConflictDeclaration.objects.filter(
        member=member, application=application, has_conflict=True
    ).exists()


def declared_pairs(call: Call, *, application_ids=None) -> set[tuple[int, int]]:
    """(member id, application id) for which the reviewer has declared (conflict or none); of
    the applications ``application_ids`` only when given."""
    declarations = ConflictDeclaration.objects.filter(member__call=call)
    if application_ids is not None:
        declarations = declarations.filter(application_id__in=list(application_ids))
    return set(declarations.values_list("member_id", "application_id"))


def declaration_progress(members) -> dict[int, tuple[int, int]]:
    """panel member id → (declared, in scope) for the declaration scope of each one's call.

    Two queries whatever the number of seats or applications.
    """
    members = list(members)
    scope = Application.objects.filter(
        call_id__in={m.call_id for m in members},
        state__in=DECLARATION_STATES,
        registration_number__isnull=False,
    )
    in_scope = dict(scope.values("call_id").annotate(n=Count("pk")).values_list("call_id", "n"))
    # From the scope's applications (``IN`` a subquery): the database walks the application
    # index from the few in scope, not every declaration the members ever made.
    declared = dict(
        ConflictDeclaration.objects.filter(member__in=members, application__in=scope.values("pk"))
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    )
    return {m.pk: (declared.get(m.pk, 0), in_scope.get(m.call_id, 0)) for m in members}


@dataclass
class ConflictEntry:
    """One reviewer's standing on one application, and where it comes from."""

    member: PanelMember
    has_conflict: bool
    declaration: ConflictDeclaration | None = None
    employer_match: bool = False
    override: ConflictOverride | None = None


@dataclass
class ConflictRow:
    application: object
    title: str
    entries: list[ConflictEntry] = field(default_factory=list)
    undeclared: list[PanelMember] = field(default_factory=list)


def conflict_table(
    call: Call, *, applications, members, versions
) -> tuple[list[ConflictRow], list[ConflictOverride]]:
    """One row per application of ``applications`` (a page of the declaration scope), with the
    members who have a conflict (or an override) and those who have not declared; and the
    call's overrides, oldest first. The declarations read are those of the page only."""
    declarations = {
        (d.member_id, d.application_id): d
        for d in ConflictDeclaration.objects.filter(
            member__call=call, application_id__in=[a.pk for a in applications]
        )
    }
    history = list(
        ConflictOverride.objects.filter(member__call=call)
        .select_related("member__user", "application", "decided_by")
        .order_by("decided_at", "pk")
    )
    latest = {(o.member_id, o.application_id): o for o in history}  # the latest wins
    rows = []
    for application in applications:
        version = versions.get(application.pk)
        row = ConflictRow(
            application=application,
            title=version.content.get("title", "") if version else application.title,
        )
        for member in members:
            pair = (member.pk, application.pk)
            declaration = declarations.get(pair)
            entry = _conflict_entry(member, application, declaration, latest.get(pair))
            if entry is not None:
                row.entries.append(entry)
            if declaration is None:
                row.undeclared.append(member)
        rows.append(row)
    return rows, history


def _conflict_entry(member, application, declaration, override) -> ConflictEntry | None:
    """The member's entry in the application's row, or None when there is nothing to show."""
    employer_match = bool(
        member.employer_orgnr and member.employer_orgnr == application.organisation.orgnr
    )
    declared_conflict = bool(declaration and declaration.has_conflict)
    if override is not None:
        has_conflict = override.has_conflict
    else:
        has_conflict = declared_conflict or employer_match
    if not (has_conflict or override is not None):
        return None
    return ConflictEntry(
        member=member,
        has_conflict=has_conflict,
        declaration=declaration if declared_conflict else None,
        employer_match=employer_match,
        override=override,
    )


def declaration_sheet(member: PanelMember, call: Call) -> dict:
    """What a reviewer's declaration page shows: the scope (each application with its
    ``version_title``), the member's declarations by application id, the applications declared
    with a conflict (with their declaration), the ones still open and the ones declared free."""
    scope = list(declaration_scope(call))
    titles = latest_titles(a.pk for a in scope)
    for application in scope:
        application.version_title = titles.get(application.pk, "")
    declarations = {d.application_id: d for d in ConflictDeclaration.objects.filter(member=member)}
    conflicts = [
        (a, declarations[a.pk])
        for a in scope
        if a.pk in declarations and declarations[a.pk].has_conflict
    ]
    open_ = [a for a in scope if not (a.pk in declarations and declarations[a.pk].has_conflict)]
    declared_none = {pk for pk, d in declarations.items() if not d.has_conflict}
    return {
        "scope": scope,
        "declarations": declarations,
        "conflicts": conflicts,
        "open": open_,
        "declared_none": declared_none,
    }
