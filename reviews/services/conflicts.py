"""Writes: conflicts of interest, declared by a reviewer or decided by a programme manager."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.audit import audit_record
from applications.models import Application, User

from ..enums import ConflictGround
from ..models import ConflictDeclaration, ConflictOverride, PanelMember
from ..selectors.scope import declaration_scope
from .assignments import _remove_conflicting_assignments
from .common import _require


@dataclass(frozen=True)
class Declaration:
    application_id: int
    has_conflict: bool
    ground: str = ""
    comment: str = ""


@transaction.atomic
def conflicts_declare(
    *, member: PanelMember, by: User, declarations: list[Declaration]
) -> list[ConflictDeclaration]:
    """The reviewer declares, for each application, a conflict with its ground, or none.

    Only applications in the call's declaration scope. A declared conflict is final for the
    reviewer (only a programme manager can lift it); "none" can later become a conflict, which
    removes any assignment.
    """
    if by != member.user:
        raise PermissionDenied
    _require(by, "declare_conflicts", member.call)
    scope = set(declaration_scope(member.call).values_list("pk", flat=True))
    existing = {
        d.application_id: d
        for d in ConflictDeclaration.objects.select_for_update().filter(member=member)
    }
    saved = []
    changed = []  # for the audit log: what this request declared or changed
    for declaration in declarations:
        if declaration.application_id not in scope:
            raise ValidationError(_("One of the applications cannot be declared for."))
        ground = declaration.ground if declaration.has_conflict else ""
        if declaration.has_conflict and ground not in ConflictGround.values:
            raise ValidationError(_("Choose the ground for each conflict of interest."))
        previous = existing.get(declaration.application_id)
        if previous is not None:
            if previous.has_conflict and not declaration.has_conflict:
                raise ValidationError(
                    _("A declared conflict of interest can only be lifted by a programme manager.")
                )
            if previous.has_conflict == declaration.has_conflict and previous.ground == ground:
                saved.append(previous)
                continue
            previous.has_conflict = declaration.has_conflict
            previous.ground = ground
            previous.comment = declaration.comment.strip()
            previous.declared_at = timezone.now()
            previous.save()
            saved.append(previous)
            changed.append(previous)
        else:
            created = ConflictDeclaration.objects.create(
                member=member,
                application_id=declaration.application_id,
                has_conflict=declaration.has_conflict,
                ground=ground,
                comment=declaration.comment.strip(),
            )
            # The same application twice in one request is checked against the first.
            existing[declaration.application_id] = created
            saved.append(created)
            changed.append(created)
    _remove_conflicting_assignments(member.call, by=by)
    for declaration in changed:
        audit_record(
            action="conflict.declare",
            actor=by,
            target=declaration,
            data={
                "member_id": member.pk,
                "application_id": declaration.application_id,
                "has_conflict": declaration.has_conflict,
                "ground": declaration.ground,
            },
        )
    return saved


@transaction.atomic
def conflict_override(
    *, member: PanelMember, application: Application, by: User, has_conflict: bool, reason: str
) -> ConflictOverride:
    """A programme manager adds or lifts a conflict, with the reason, on record.

    Adding one removes the reviewer's assignment to that application (its review no longer
    counts).
    """
    _require(by, "manage_panel")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the decision on the conflict of interest."))
    if application.call_id != member.call_id:
        raise ValidationError(_("The reviewer is not on this call's panel."))
    override = ConflictOverride.objects.create(
        member=member,
        application=application,
        has_conflict=has_conflict,
        reason=reason,
        decided_by=by,
    )
    _remove_conflicting_assignments(member.call, by=by)
    audit_record(
        action="conflict.override",
        actor=by,
        target=override,
        data={
            "member_id": member.pk,
            "application_id": application.pk,
            "has_conflict": has_conflict,
        },
    )
    return override
