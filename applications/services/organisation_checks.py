"""Who speaks for an organisation: the agency's check of a new organisation, and claims.

A newly registered organisation is pending until a programme manager has checked its number,
name and kind against what the agency knows (the verified kind is the one eligibility asks),
and confirmed its first signatory. Someone who finds their organisation's number already
registered sends a claim, which a programme manager decides: transfer the administrator role
to the claimant, or dismiss it. Each step has an audit entry (ids only; the notes stay here).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grants.enums import OrganisationKind

from ..audit import audit_record
from ..enums import ClaimStatus, VerificationStatus
from ..models import Membership, Organisation, OrganisationClaim, User
from ._common import _enqueue_on_commit, _require
from .people import require_verified_email


def _lock_organisation(organisation: Organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _require_note(note: str) -> str:
    note = note.strip()
    if not note:
        raise ValidationError(_("Write a note saying what was checked and why."))
    return note


@transaction.atomic
def organisation_verify(
    *,
    organisation: Organisation,
    by: User,
    verified_kind: str,
    note: str = "",
    signatory_ids: list[int] | tuple[int, ...] = (),
) -> Organisation:
    """The agency verifies an organisation and records its kind; the administrators named in
    ``signatory_ids`` get signing right (the first signatory is the agency's to confirm).

    Side effects: signing right on those memberships, an audit entry.
    """
    _require(by, "verify_organisation", organisation)
    if verified_kind not in OrganisationKind.values:
        raise ValidationError(_("Choose the kind of organisation the agency has found."))
    locked = _lock_organisation(organisation)
    if locked.verification_status == VerificationStatus.VERIFIED:
        raise ValidationError(_("This organisation has already been verified."))
    admins = {
        m.pk: m
        for m in Membership.objects.select_for_update().filter(organisation=locked, is_admin=True)
    }
    if any(pk not in admins for pk in signatory_ids):
        raise ValidationError(
            _("Only an administrator of the organisation can be confirmed as its signatory.")
        )
    locked.verification_status = VerificationStatus.VERIFIED
    locked.verified_kind = verified_kind
    locked.verified_at = timezone.now()
    locked.verified_by = by
    locked.verification_note = note.strip()
    locked.save(
        update_fields=[
            "verification_status",
            "verified_kind",
            "verified_at",
            "verified_by",
            "verification_note",
        ]
    )
    signatories = sorted(set(signatory_ids))
    Membership.objects.filter(pk__in=signatories).update(is_signatory=True)
    audit_record(
        action="organisation.verify",
        actor=by,
        target=locked,
        data={
            "declared_kind": locked.declared_kind,
            "verified_kind": verified_kind,
            "signatories": [admins[pk].user_id for pk in signatories],
            "note": bool(locked.verification_note),
        },
    )
    return locked


@transaction.atomic
def organisation_refuse(*, organisation: Organisation, by: User, note: str) -> Organisation:
    """The agency could not verify the organisation; it may keep drafts but never submit.

    A note is required. Side effect: an audit entry.
    """
    _require(by, "verify_organisation", organisation)
    note = _require_note(note)
    locked = _lock_organisation(organisation)
    if locked.verification_status != VerificationStatus.PENDING:
        raise ValidationError(_("Only an organisation waiting for the check can be refused."))
    locked.verification_status = VerificationStatus.REFUSED
    locked.verified_kind = ""
    locked.verified_at = timezone.now()
    locked.verified_by = by
    locked.verification_note = note
    locked.save(
        update_fields=[
            "verification_status",
            "verified_kind",
            "verified_at",
            "verified_by",
            "verification_note",
        ]
    )
    audit_record(action="organisation.refuse", actor=by, target=locked, data={"note": True})
    return locked


@transaction.atomic
def organisation_claim_create(
    *, organisation: Organisation, by: User, message: str
) -> OrganisationClaim:
    """Someone says a registered organisation number is theirs ("this is our number").

    Needs a verified email address and a message; one open claim per person and organisation.
    Side effects: an email to the programme managers (after commit), an audit entry.
    """
    require_verified_email(by)
    message = message.strip()
    if not message:
        raise ValidationError(_("Tell the agency why the number is yours."))
    if Membership.objects.filter(organisation=organisation, user=by, is_admin=True).exists():
        raise ValidationError(_("You are already an administrator of this organisation."))
    try:
        with transaction.atomic():
            claim = OrganisationClaim.objects.create(
                organisation=organisation, claimant=by, message=message
            )
    except IntegrityError:
        raise ValidationError(
            _("You have already told the agency about this organisation. It will contact you.")
        ) from None
    audit_record(
        action="organisation.claim",
        actor=by,
        target=claim,
        data={"organisation": organisation.pk},
    )
    _enqueue_on_commit("send_organisation_claim", claim_id=claim.pk)
    return claim


@transaction.atomic
def organisation_claim_resolve(
    *, claim: OrganisationClaim, by: User, transfer: bool, note: str
) -> OrganisationClaim:
    """A programme manager decides a claim, with a note.

    ``transfer``: the claimant becomes the organisation's administrator (and, when the
    organisation is verified, its signatory, confirmed by the agency as at verification); the
    present administrators keep their membership but lose the administrator role and signing
    right. Otherwise the claim is dismissed and nothing else changes. Side effect: an audit
    entry.
    """
    _require(by, "verify_organisation", claim.organisation)
    note = _require_note(note)
    locked = OrganisationClaim.objects.select_for_update().get(pk=claim.pk)
    if locked.status != ClaimStatus.OPEN:
        raise ValidationError(_("This claim has already been decided."))
    organisation = _lock_organisation(locked.organisation)
    demoted = []
    if transfer:
        others = Membership.objects.select_for_update().filter(organisation=organisation)
        demoted = sorted(
            m.user_id
            for m in others
            if (m.is_admin or m.is_signatory) and m.user_id != locked.claimant_id
        )
        others.exclude(user_id=locked.claimant_id).update(is_admin=False, is_signatory=False)
        membership, _created = Membership.objects.get_or_create(
            user_id=locked.claimant_id, organisation=organisation
        )
        membership.is_admin = True
        membership.is_signatory = membership.is_signatory or organisation.is_verified
        membership.save(update_fields=["is_admin", "is_signatory"])
    locked.status = ClaimStatus.TRANSFERRED if transfer else ClaimStatus.DISMISSED
    locked.resolved_at = timezone.now()
    locked.resolved_by = by
    locked.resolution_note = note
    locked.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
    audit_record(
        action="organisation.claim_resolve",
        actor=by,
        target=locked,
        data={
            "organisation": organisation.pk,
            "outcome": locked.status,
            "claimant": locked.claimant_id,
            "demoted": demoted,
        },
    )
    _enqueue_on_commit("send_organisation_claim_decided", claim_id=locked.pk)
    return locked
