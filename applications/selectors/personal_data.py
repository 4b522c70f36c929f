"""Reads for "My data": everything the service holds about one person, one helper per
section."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import personal_data
from ..enums import ApplicationState, DecisionOutcome, DecisionStatus, ReportKind, ReportStatus
from ..formatting import choice_label
from ..models import (
    Acceptance,
    Application,
    ApplicationTransition,
    ApplicationVersion,
    Attachment,
    DeadlineException,
    Decision,
    EligibilityCheck,
    Invitation,
    Membership,
    Payment,
    Report,
)
from ..rules import DECISION_MAKERS, PROGRAMME_MANAGERS


def personal_data_for(user) -> dict:
    """Everything the service holds about one person, for the "My data" page and its download.

    Only the person's own data: other people in the same records appear by role, never by name
    or address (the colleague an invitation went to, the contact person of an application the
    person created, the staff who decided). Codes come with their label in the active language
    (``state`` and ``state_label``), so the file reads for a person and for a machine. Parts
    held by apps above this one (a reviewer's seats, declarations and reviews) are added under
    their own key through ``personal_data.parts()``. A fixed number of queries, whatever the
    number of rows.
    """
    email = user.email.lower()
    data = {
        "generated_at": timezone.now(),
        "profile": _profile(user),
        "organisations": _organisations(user),
        "invitations_received": _invitations_received(user, email),
        "invitations_sent": _invitations_sent(user),
        "applications": _applications(user, email),
        "versions_submitted": _versions_submitted(user),
        "attachments_uploaded": _attachments_uploaded(user),
        "transitions": _transitions(user),
        "acceptances": _acceptances(user),
        "reports": _reports(user),
        # What agency staff did in office.
        "decisions": _decisions(user),
        "eligibility_checks": _eligibility_checks(user),
        "deadline_exceptions": _deadline_exceptions(user),
        "payments_recorded": _payments_recorded(user),
    }
    for part in personal_data.parts():
        data[part.key] = part.export(user)
    return data


def _profile(user) -> dict:
    role_labels = {PROGRAMME_MANAGERS: _("Programme manager"), DECISION_MAKERS: _("Decision maker")}
    roles = sorted(user.groups.values_list("name", flat=True))
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "language": user.language,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "active": user.is_active,
        "agency_roles": roles,
        "agency_roles_labels": [str(role_labels.get(role, role)) for role in roles],
    }


def _organisations(user) -> list[dict]:
    return [
        {
            "organisation": m.organisation.name,
            "orgnr": m.organisation.orgnr,
            "administrator": m.is_admin,
            "signing_right": m.is_signatory,
            "member_since": m.created_at,
        }
        for m in Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("created_at", "pk")
    ]


def _invitations_received(user, email: str) -> list[dict]:
    return [
        {
            "organisation": i.organisation.name,
            "orgnr": i.organisation.orgnr,
            "email": i.email,
            "administrator": i.is_admin,
            "signing_right": i.is_signatory,
            "invited_at": i.created_at,
            "expires_at": i.expires_at,
            "accepted_at": i.accepted_at,
        }
        for i in Invitation.objects.filter(Q(email__iexact=email) | Q(accepted_by=user))
        .select_related("organisation")
        .order_by("created_at", "pk")
    ]


def _invitations_sent(user) -> list[dict]:
    # The invited colleague's address is theirs, not this person's: left out.
    return [
        {
            "organisation": i.organisation.name,
            "orgnr": i.organisation.orgnr,
            "administrator": i.is_admin,
            "signing_right": i.is_signatory,
            "invited_at": i.created_at,
            "expires_at": i.expires_at,
            "accepted": i.accepted_at is not None,
        }
        for i in Invitation.objects.filter(invited_by=user)
        .select_related("organisation")
        .order_by("created_at", "pk")
    ]


def _applications(user, email: str) -> list[dict]:
    return [
        {
            "application": str(a),
            "registration_number": a.registration_number,
            "title": a.title,
            "call": a.call.title,
            "organisation": a.organisation.name,
            "state": a.state,
            "state_label": choice_label(ApplicationState, a.state),
            "created_at": a.created_at,
            "created_by_you": a.created_by_id == user.pk,
            "contact_person": a.contact_email.lower() == email,
            # The contact details only when they are this person's.
            "contact": {
                "name": a.contact_name,
                "email": a.contact_email,
                "phone": a.contact_phone,
            }
            if a.contact_email.lower() == email
            else None,
        }
        for a in Application.objects.filter(Q(created_by=user) | Q(contact_email__iexact=email))
        .select_related("call", "organisation")
        .order_by("created_at", "pk")
    ]


def _versions_submitted(user) -> list[dict]:
    return [
        {
            "application": str(v.application),
            "version": v.number,
            "submitted_at": v.submitted_at,
            "sha256": v.sha256,
            "redacted_at": v.redacted_at,
        }
        for v in ApplicationVersion.objects.filter(submitted_by=user)
        .select_related("application")
        .defer("content")
        .order_by("submitted_at", "pk")
    ]


def _attachments_uploaded(user) -> list[dict]:
    return [
        {
            "application": str(a.application),
            "file_name": a.original_name,
            "size": a.size,
            "uploaded_at": a.uploaded_at,
            "removed_at": a.removed_at,
        }
        for a in Attachment.objects.filter(uploaded_by=user)
        .select_related("application")
        .order_by("uploaded_at", "pk")
    ]


def _transitions(user) -> list[dict]:
    return [
        {
            "application": str(t.application),
            "transition": t.name,
            "source": t.source,
            "source_label": choice_label(ApplicationState, t.source),
            "target": t.target,
            "target_label": choice_label(ApplicationState, t.target),
            "at": t.at,
            "comment": t.comment,
        }
        for t in ApplicationTransition.objects.filter(actor=user)
        .select_related("application")
        .order_by("at", "pk")
    ]


def _acceptances(user) -> list[dict]:
    return [
        {
            "application": str(a.application),
            "accepted_at": a.accepted_at,
            "text": a.text,
            "text_sha256": a.text_sha256,
        }
        for a in Acceptance.objects.filter(accepted_by=user)
        .select_related("application")
        .order_by("accepted_at", "pk")
    ]


def _reports(user) -> list[dict]:
    return [
        {
            "application": str(r.application),
            "kind": r.kind,
            "kind_label": choice_label(ReportKind, r.kind),
            "number": r.number,
            "status": r.status,
            "status_label": choice_label(ReportStatus, r.status),
            "submitted_by_you": r.submitted_by_id == user.pk,
            "reviewed_by_you": r.reviewed_by_id == user.pk,
            "submitted_at": r.submitted_at,
            "reviewed_at": r.reviewed_at,
        }
        for r in Report.objects.filter(Q(submitted_by=user) | Q(reviewed_by=user))
        .select_related("application")
        .order_by("due_on", "pk")
    ]


def _decisions(user) -> list[dict]:
    return [
        {
            "application": str(d.application),
            "outcome": d.outcome,
            "outcome_label": choice_label(DecisionOutcome, d.outcome),
            "status": d.status,
            "status_label": choice_label(DecisionStatus, d.status),
            "granted_amount": d.granted_amount,
            "presented_by_you": d.proposed_by_id == user.pk,
            "decided_by_you": d.decided_by_id == user.pk,
            "sent_back_by_you": d.sent_back_by_id == user.pk,
            "proposed_at": d.proposed_at,
            "decided_on": d.decided_on,
            "sent_back_at": d.sent_back_at,
        }
        for d in Decision.objects.filter(
            Q(proposed_by=user) | Q(decided_by=user) | Q(sent_back_by=user)
        )
        .select_related("application")
        .order_by("proposed_at", "pk")
    ]


def _eligibility_checks(user) -> list[dict]:
    return [
        {"application": str(c.application), "passed": c.passed, "checked_at": c.checked_at}
        for c in EligibilityCheck.objects.filter(checked_by=user)
        .select_related("application")
        .order_by("checked_at", "pk")
    ]


def _deadline_exceptions(user) -> list[dict]:
    return [
        {
            "application": str(e.application),
            "new_deadline": e.new_deadline,
            "reason": e.reason,
            "granted_at": e.granted_at,
        }
        for e in DeadlineException.objects.filter(granted_by=user)
        .select_related("application")
        .order_by("granted_at", "pk")
    ]


def _payments_recorded(user) -> list[dict]:
    return [
        {
            "application": str(p.application),
            "instalment": p.position,
            "amount": p.amount,
            "paid_on": p.paid_on,
        }
        for p in Payment.objects.filter(paid_by=user)
        .select_related("application")
        .order_by("paid_on", "pk")
    ]
