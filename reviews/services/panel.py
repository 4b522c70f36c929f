"""Writes: inviting reviewers to a call's panel, joining it, and a member's employer."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.audit import audit_record
from applications.models import User
from applications.validators import normalise_orgnr
from grants.models import Call

from .. import tasks
from ..models import PanelInvitation, PanelMember
from .assignments import _fill_gaps, _remove_conflicting_assignments, _remove_unreviewed_assignments
from .common import _require

INVITATION_VALID_FOR = timedelta(days=30)


@transaction.atomic
def panel_invite(*, call: Call, by: User, email: str) -> PanelInvitation:
    """Invite a reviewer to the call's panel. Side effect: the invitation email, after commit."""
    _require(by, "manage_panel")
    email = email.strip().lower()
    if PanelMember.objects.filter(
        call=call, user__email__iexact=email, deactivated_at__isnull=True
    ).exists():
        raise ValidationError(_("%(email)s is already on the panel.") % {"email": email})
    invitation = PanelInvitation.objects.create(
        call=call, email=email, invited_by=by, expires_at=timezone.now() + INVITATION_VALID_FOR
    )
    transaction.on_commit(lambda: tasks.send_panel_invitation.enqueue(invitation_id=invitation.pk))
    return invitation


def _clean_employer(employer_orgnr: str) -> str:
    return normalise_orgnr(employer_orgnr) if (employer_orgnr or "").strip() else ""


@transaction.atomic
def panel_invitation_accept(
    *, invitation: PanelInvitation, by: User, employer_orgnr: str, employer_name: str = ""
) -> PanelMember:
    """Take a seat on the panel, recording the employer conflicts are checked against."""
    invitation = PanelInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable():
        raise ValidationError(_("This invitation has expired or has already been used."))
    if by.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    member, _created = PanelMember.objects.get_or_create(
        call=invitation.call,
        user=by,
        defaults={
            "employer_orgnr": _clean_employer(employer_orgnr),
            "employer_name": employer_name.strip(),
        },
    )
    if not member.is_active:
        # Invited back after leaving: the same seat, active again (its history stays on record).
        member.deactivated_at = None
        member.deactivated_by = None
        member.deactivation_reason = ""
        member.save(update_fields=["deactivated_at", "deactivated_by", "deactivation_reason"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = by
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return member


@transaction.atomic
def panel_member_set_employer(
    *, member: PanelMember, by: User, employer_orgnr: str, employer_name: str = ""
) -> PanelMember:
    """The reviewer (or a programme manager) records the reviewer's employer.

    Side effect: assignments that now meet the employer's own application are removed.
    """
    if by != member.user:
        _require(by, "manage_panel")
    member = PanelMember.objects.select_for_update().get(pk=member.pk)
    member.employer_orgnr = _clean_employer(employer_orgnr)
    member.employer_name = employer_name.strip()
    member.save(update_fields=["employer_orgnr", "employer_name"])
    _remove_conflicting_assignments(member.call, by=by)
    audit_record(
        action="panel.set_employer",
        actor=by,
        target=member,
        data={"call_id": member.call_id, "has_employer": bool(member.employer_orgnr)},
    )
    return member


DEACTIVATION_REASON_MAX_LENGTH = 2000


@transaction.atomic
def panel_member_deactivate(*, member: PanelMember, by: User, reason: str) -> PanelMember:
    """A programme manager takes a reviewer off the panel, with the reason on record.

    The seat stays, marked; the reviews already submitted stay and count. Assignments not yet
    reviewed are removed, and the gaps filled by the normal assignment with the others.
    """
    _require(by, "manage_panel")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason the reviewer leaves the panel."), code="required")
    if len(reason) > DEACTIVATION_REASON_MAX_LENGTH:
        raise ValidationError(
            _("The reason can be at most %(limit)d characters.")
            % {"limit": DEACTIVATION_REASON_MAX_LENGTH},
            code="max_length",
        )
    call = Call.objects.select_for_update().get(pk=member.call_id)
    member = PanelMember.objects.select_for_update().select_related("user").get(pk=member.pk)
    if not member.is_active:
        raise ValidationError(
            _("%(name)s has already left the panel.") % {"name": member.user.full_name}
        )
    member.deactivated_at = timezone.now()
    member.deactivated_by = by
    member.deactivation_reason = reason
    member.save(update_fields=["deactivated_at", "deactivated_by", "deactivation_reason"])
    audit_record(action="panel.deactivate", actor=by, target=member, data={"call_id": call.pk})
    _remove_unreviewed_assignments(member, by=by)
    _fill_gaps(call, by=None)
    return member
