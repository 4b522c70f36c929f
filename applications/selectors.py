"""Reads: who sees which applications, and what a submission would contain."""

import datetime as dt
import hashlib
import json
from collections import defaultdict
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from .enums import ApplicationState, DecisionOutcome, DecisionStatus
from .models import Application, ApplicationVersion, Attachment, Decision, Organisation
from .rules import is_agency_staff


def organisations_of(user) -> QuerySet[Organisation]:
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user)


def applications_visible_to(user) -> QuerySet[Application]:
    """Applications the user may open at all.

    Applicants see their organisations' applications, drafts included. Agency staff see every
    application from its first submission on; a draft never submitted is the applicant's own
    working paper. Anyone else sees nothing.
    """
    base = Application.objects.select_related("call", "organisation", "hub")
    if not user.is_authenticated:
        return base.none()
    visible = Q(organisation__memberships__user=user)
    if is_agency_staff(user):
        visible |= Q(registration_number__isnull=False)
    return base.filter(visible).distinct()


def application_for_detail(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """What an application page needs, in a fixed number of queries."""
    return queryset.select_related("eligibility_check", "created_by").prefetch_related(
        "budget_lines",
        "deadline_exceptions",
        Prefetch("attachments", queryset=Attachment.objects.filter(removed_at__isnull=True)),
        Prefetch(
            "versions",
            queryset=ApplicationVersion.objects.select_related("submitted_by").order_by("-number"),
        ),
    )


def current_attachments(application: Application) -> QuerySet[Attachment]:
    return application.attachments.filter(removed_at__isnull=True)


def attachments_total_size(application: Application) -> int:
    return current_attachments(application).aggregate(total=Sum("size"))["total"] or 0


def latest_version(application: Application) -> ApplicationVersion | None:
    return application.versions.order_by("-number").first()


REQUIRED_FIELDS = [
    "title",
    "summary",
    "what_to_try",
    "hub",
    "participants",
    "period_start",
    "period_end",
    "expected_results",
    "requested_amount",
    "contact_name",
    "contact_email",
]


class SubmissionError(NamedTuple):
    """Why a working copy cannot be submitted, and which field to put right (None: no field)."""

    field: str | None
    message: str


def submission_errors(application: Application) -> list[SubmissionError]:
    """Everything that stops this working copy from being submitted.

    An empty list means the content may be submitted (the deadline and the user's right are
    checked by the service). ``field`` is a form field name, or ``"budget"`` for the budget lines.
    """
    errors: list[SubmissionError] = []

    def refuse(field, message):
        errors.append(SubmissionError(field, str(message)))

    for name in REQUIRED_FIELDS:
        if getattr(application, name) in (None, ""):
            label = str(Application._meta.get_field(name).verbose_name).capitalize()
            refuse(name, _("%(field)s is required.") % {"field": label})
    call = application.call
    amount = application.requested_amount
    if amount is not None:
        if amount <= 0:
            refuse("requested_amount", _("The requested amount must be more than 0 kr."))
        if amount > call.max_amount:
            refuse(
                "requested_amount",
                _("The requested amount is more than the call's maximum of %(max)s kr.")
                % {"max": format_kronor(call.max_amount)},
            )
        lines = list(application.budget_lines.all())
        total = sum(line.amount for line in lines)
        if not lines:
            refuse("budget", _("Add at least one budget line."))
        elif total != amount:
            refuse(
                "budget",
                _(
                    "The budget lines add up to %(total)s kr, but the requested amount is "
                    "%(amount)s kr. They must be equal."
                )
                % {"total": format_kronor(total), "amount": format_kronor(amount)},
            )
    if application.hub_id and not call.hubs.filter(pk=application.hub_id).exists():
        refuse("hub", _("The chosen hub is not part of this call."))
    start, end = application.period_start, application.period_end
    if start and end and end < start:
        refuse("period_end", _("The project cannot end before it starts."))
    if start and call.project_start_earliest and start < call.project_start_earliest:
        refuse(
            "period_start",
            _("The project cannot start before %(date)s.")
            % {"date": call.project_start_earliest.isoformat()},
        )
    if end and call.project_end_latest and end > call.project_end_latest:
        refuse(
            "period_end",
            _("The project must end by %(date)s.") % {"date": call.project_end_latest.isoformat()},
        )
    if application.organisation.kind not in call.eligible_kinds:
        refuse(None, _("Your kind of organisation may not apply to this call."))
    return errors


def format_kronor(amount: int) -> str:
    """Whole kronor with a non-breaking space between thousands: 600 000."""
    return f"{amount:,}".replace(",", "\u00a0")


def snapshot_content(application: Application) -> dict:
    """The content of the working copy as plain data, the thing a version freezes."""
    return {
        "call": application.call.slug,
        "organisation": {
            "orgnr": application.organisation.orgnr,
            "name": application.organisation.name,
            "kind": application.organisation.kind,
            "county": application.organisation.county,
        },
        "title": application.title,
        "summary": application.summary,
        "what_to_try": application.what_to_try,
        "hub": str(application.hub) if application.hub else None,
        "participants": application.participants,
        "period_start": application.period_start.isoformat() if application.period_start else None,
        "period_end": application.period_end.isoformat() if application.period_end else None,
        "expected_results": application.expected_results,
        "requested_amount": application.requested_amount,
        "contact": {
            "name": application.contact_name,
            "email": application.contact_email,
            "phone": application.contact_phone,
        },
        "budget_lines": [
            {"category": line.category, "description": line.description, "amount": line.amount}
            for line in application.budget_lines.all()
        ],
        "attachments": [
            {"id": a.pk, "name": a.original_name, "size": a.size, "sha256": a.sha256}
            for a in current_attachments(application).order_by("pk")
        ],
    }


def content_sha256(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def organisations_visible_to(user) -> QuerySet[Organisation]:
    """Organisations whose page the user may open: their own, or every one for agency staff."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    if is_agency_staff(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user)


def with_latest_version_summary(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate the latest submitted version's title and requested amount.

    Agency lists show what was submitted (``submitted_title``, ``submitted_amount``), never the
    working copy, which the applicant may be editing. Subqueries, so the count stays fixed.
    """
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    latest = ApplicationVersion.objects.filter(application=OuterRef("pk")).order_by("-number")
    return queryset.annotate(
        submitted_title=Subquery(
            latest.annotate(value=KeyTextTransform("title", "content")).values("value")[:1]
        ),
        submitted_amount=Subquery(
            latest.annotate(
                value=Cast(KeyTextTransform("requested_amount", "content"), IntegerField())
            ).values("value")[:1]
        ),
    )


def applications_for_deadline_exception(*, call, orgnr: str) -> QuerySet[Application]:
    """One organisation's applications to a call that a late exception can still help.

    Used by programme managers after a documented outage, when an applicant could not submit
    in time: drafts are listed too (by title and dates only, never their content), since a
    draft that never reached the agency is exactly what the exception is for.
    """
    return (
        Application.objects.filter(
            call=call,
            organisation__orgnr=orgnr,
            state__in=[ApplicationState.DRAFT, ApplicationState.SUBMITTED],
        )
        .select_related("organisation", "call")
        .prefetch_related("deadline_exceptions")
        .order_by("created_at")
    )


# -- decisions ------------------------------------------------------------------------------


def call_committed_amount(call) -> int:
    """The sum granted by the call's confirmed approvals that no confirmed correction replaced."""
    return committed_by_call([call.pk]).get(call.pk, 0)


def effective_decision(application):
    """The application's confirmed decision that no confirmed correction replaced, if any."""

    return (
        application.decisions.filter(status=DecisionStatus.CONFIRMED)
        .exclude(superseded_by__status=DecisionStatus.CONFIRMED)
        .select_related("proposed_by", "decided_by")
        .first()
    )


def decision_letter_data(decision, *, decided_by, decided_on) -> dict:
    """Everything the letter shows, frozen into the decision when it is confirmed.

    Made from the submitted version the decision was taken on, never the working copy, so the
    letter reads the same forever.
    """
    import datetime as dt

    from django.conf import settings

    application = decision.application
    call = application.call
    version = latest_version(application)
    content = version.content if version else {}
    period_end = content.get("period_end")
    final_report_due = (
        (dt.date.fromisoformat(period_end) + dt.timedelta(days=call.final_report_days)).isoformat()
        if period_end
        else None
    )
    return {
        "agency": settings.AGENCY_NAME,
        "registration_number": application.registration_number,
        "decided_on": decided_on.isoformat(),
        "language": decision.language,
        "outcome": decision.outcome,
        "granted_amount": decision.granted_amount,
        "requested_amount": content.get("requested_amount"),
        "reason_code": decision.reason_code,
        "organisation": {
            "name": application.organisation.name,
            "orgnr": application.organisation.orgnr,
            "address": application.organisation.address,
        },
        "title": content.get("title", application.title),
        "period": {"start": content.get("period_start"), "end": period_end},
        "call": {"slug": call.slug, "title_sv": call.title_sv, "title_en": call.title_en},
        "version": {"number": version.number, "sha256": version.sha256} if version else None,
        "conditions": decision.conditions,
        "justification": decision.justification,
        "feedback": decision.feedback,
        "appealable": call.decision_appealable,
        "letter_wording": call.letter_wording_en
        if decision.language == "en" and call.letter_wording_en
        else call.letter_wording_sv,
        "reporting": {"final_report_due": final_report_due},
        "decided_by": decided_by.full_name,
        "presented_by": decision.proposed_by.full_name,
        "corrects": {
            "decided_on": decision.supersedes.decided_on.isoformat(),
            "granted_amount": decision.supersedes.granted_amount,
        }
        if decision.supersedes_id
        else None,
    }


def decisions_waiting() -> QuerySet:
    """Proposed decisions waiting for a decision maker, oldest call first, in a fixed number of
    queries: each with its application, organisation, call, presenter, the decision it corrects,
    and the submitted version's title and requested amount (``submitted_title``,
    ``submitted_amount``)."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    latest = ApplicationVersion.objects.filter(application=OuterRef("application_id")).order_by(
        "-number"
    )
    return (
        Decision.objects.filter(status=DecisionStatus.PROPOSED)
        .select_related(
            "application__call", "application__organisation", "proposed_by", "supersedes"
        )
        .annotate(
            submitted_title=Subquery(
                latest.annotate(value=KeyTextTransform("title", "content")).values("value")[:1]
            ),
            submitted_amount=Subquery(
                latest.annotate(
                    value=Cast(KeyTextTransform("requested_amount", "content"), IntegerField())
                ).values("value")[:1]
            ),
        )
        .order_by(
            "application__call__closes_at",
            "application__call_id",
            "application__registration_number",
        )
    )


def effective_approvals() -> QuerySet[Decision]:
    """Confirmed approvals that no confirmed correction replaced and whose grant did not lapse.

    A grant the organisation never accepted (lapsed: closed without an acceptance) gives its
    money back to the call, so it is not counted against the budget.
    """
    return (
        Decision.objects.filter(status=DecisionStatus.CONFIRMED, outcome=DecisionOutcome.APPROVED)
        .exclude(superseded_by__status=DecisionStatus.CONFIRMED)
        .exclude(application__state=ApplicationState.CLOSED, application__acceptance__isnull=True)
    )


def committed_by_call(call_ids) -> dict[int, int]:
    """call id → the sum granted by its effective approvals (``effective_approvals``), in one
    query."""
    rows = (
        effective_approvals()
        .filter(application__call_id__in=call_ids)
        .values("application__call_id")
        .annotate(total=Sum("granted_amount"))
        .values_list("application__call_id", "total")
    )
    return dict(rows)


def decision_release_overview():
    """The outbox: each call that holds decisions for release, with how many confirmed
    decisions are held, how many of those have their letter ready, and how many were released.
    Two queries whatever the number of decisions."""
    from django.db.models import Count

    from grants.models import Call

    counts = {
        row["application__call_id"]: row
        for row in Decision.objects.filter(
            status=DecisionStatus.CONFIRMED, application__call__hold_decisions_for_release=True
        )
        .values("application__call_id")
        .annotate(
            held=Count("pk", filter=Q(release__isnull=True)),
            ready=Count("pk", filter=Q(release__isnull=True, letter__isnull=False)),
            released=Count("pk", filter=Q(release__isnull=False)),
        )
    }
    empty = {"held": 0, "ready": 0, "released": 0}
    return [
        {"call": call, **{key: counts.get(call.pk, empty)[key] for key in empty}}
        for call in Call.objects.filter(hold_decisions_for_release=True).order_by("-closes_at")
    ]


# -- follow-up ---------------------------------------------------------------------------------


def acceptance_text(application: Application, decision: Decision) -> str:
    """The text a signatory accepts: the grant, its period and the decision's conditions, in the
    application's language. Kept word for word with the acceptance."""
    from django.utils import translation

    data = decision.letter_data
    with translation.override(application.language):
        lines = [
            _(
                "%(organisation)s (%(orgnr)s) accepts the grant of %(amount)s kr decided on "
                "%(date)s for “%(title)s”, registration number %(number)s, for the period "
                "%(start)s to %(end)s, on the conditions below."
            )
            % {
                "organisation": data["organisation"]["name"],
                "orgnr": data["organisation"]["orgnr"],
                "amount": format_kronor(decision.granted_amount),
                "date": data["decided_on"],
                "title": data["title"],
                "number": data["registration_number"],
                "start": data["period"]["start"],
                "end": data["period"]["end"],
            },
            "",
            _("Conditions:"),
            decision.conditions or _("The general conditions of the call."),
            "",
            _(
                "We will report as the call requires, use the grant only for the project, and "
                "pay back what is not spent on it."
            ),
        ]
    return "\n".join(str(line) for line in lines)


def granted_budget_lines(application: Application) -> list[dict]:
    """The budget lines of the version the grant was decided on (the latest submitted)."""
    version = latest_version(application)
    return list(version.content.get("budget_lines", [])) if version else []


def report_errors(report) -> list[str]:
    """What stops a report from being submitted or approved, as messages for the user; empty
    when it is complete and its financial report adds up."""
    from .enums import ReportKind

    errors = []
    if not report.what_was_done:
        errors.append(_("Describe what was done."))
    if not report.lessons:
        errors.append(_("Describe what the organisation learnt."))
    if report.participants is None:
        errors.append(_("Give the number of employees taking part."))
    if report.hub_days is None:
        errors.append(_("Give the number of days used at the hub."))
    call = report.application.call
    if report.kind == ReportKind.FINAL:
        for measure in call.report_measures or []:
            if measure["key"] not in (report.measures or {}):
                errors.append(_("Give “%(label)s”.") % {"label": call.measure_label(measure)})
    costs = list(report.costs.all())
    if any(cost.spent is None for cost in costs):
        errors.append(_("Give the amount spent on every budget line (0 if nothing)."))
    if report.total_spent is None:
        errors.append(_("Give the total spent."))
    elif not any(cost.spent is None for cost in costs):
        lines_total = sum(cost.spent for cost in costs)
        if lines_total != report.total_spent:
            errors.append(
                _(
                    "The financial report does not add up: the lines come to %(lines)s kr but "
                    "the total spent says %(total)s kr."
                )
                % {"lines": format_kronor(lines_total), "total": format_kronor(report.total_spent)}
            )
    return errors


def closure_blockers(application: Application) -> list[str]:
    """Why a grant in follow-up cannot be closed yet; empty when it can."""
    from .enums import PaymentStatus, ReportKind, ReportStatus

    blockers = []
    reports = list(application.reports.all())
    final = next((r for r in reports if r.kind == ReportKind.FINAL), None)
    if final is None or final.status != ReportStatus.APPROVED:
        blockers.append(_("The final report has not been approved."))
    if any(r.status != ReportStatus.APPROVED for r in reports if r.kind != ReportKind.FINAL):
        blockers.append(_("An interim report has not been approved."))
    if application.payments.filter(status__in=[PaymentStatus.PLANNED, PaymentStatus.DUE]).exists():
        blockers.append(_("An instalment has not been paid yet."))
    if application.repayment_claims.filter(settled_on__isnull=True).exists():
        blockers.append(_("A repayment has not been received yet."))
    return blockers


def money_of(application: Application) -> dict:
    """Granted, paid, due, repaid and still to repay for one grant, in kronor."""
    from .enums import PaymentStatus

    payments = list(application.payments.all())
    claims = list(application.repayment_claims.all())
    decision = effective_decision(application)
    return {
        "granted": decision.granted_amount if decision else 0,
        "paid": sum(p.amount for p in payments if p.status == PaymentStatus.PAID),
        "due": sum(p.amount for p in payments if p.status == PaymentStatus.DUE),
        "reclaimed": sum(c.amount for c in claims),
        "repaid": sum(c.amount for c in claims if c.settled_on),
        "to_repay": sum(c.amount for c in claims if not c.settled_on),
    }


def closing_letter_data(application: Application, *, closed_by, closed_on) -> dict:
    """Everything the closing letter shows, frozen when the grant is closed."""
    from django.conf import settings

    from .enums import ReportKind

    decision = effective_decision(application)
    final = application.reports.get(kind=ReportKind.FINAL)
    money = money_of(application)
    return {
        "agency": settings.AGENCY_NAME,
        "registration_number": application.registration_number,
        "language": application.language,
        "closed_on": closed_on.isoformat(),
        "organisation": {
            "name": application.organisation.name,
            "orgnr": application.organisation.orgnr,
            "address": application.organisation.address,
        },
        "title": decision.letter_data["title"],
        "period": decision.letter_data["period"],
        "call": decision.letter_data["call"],
        "decided_on": decision.letter_data["decided_on"],
        "granted_amount": money["granted"],
        "spent": final.total_spent,
        "paid": money["paid"],
        "repaid": money["repaid"],
        "final_report_approved_on": final.reviewed_at.date().isoformat()
        if final.reviewed_at
        else None,
        "closed_by": closed_by.full_name,
    }


# -- personal data -----------------------------------------------------------------------------

# A case in one of these states is over; its personal data is kept for the call's
# ``personal_data_retention_years`` after its end, then the retention job removes it.
ENDED_STATES = (ApplicationState.CLOSED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN)

ANONYMISED_NAME = "Anonymiserad person {pk}"
ANONYMISED_EMAIL = "anonymised-{pk}@invalid"


def choice_label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else value


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
    from . import personal_data
    from .enums import ReportKind, ReportStatus
    from .models import (
        Acceptance,
        ApplicationTransition,
        DeadlineException,
        EligibilityCheck,
        Invitation,
        Membership,
        Payment,
        Report,
    )
    from .rules import DECISION_MAKERS, PROGRAMME_MANAGERS

    email = user.email.lower()
    role_labels = {PROGRAMME_MANAGERS: _("Programme manager"), DECISION_MAKERS: _("Decision maker")}
    roles = sorted(user.groups.values_list("name", flat=True))
    data = {
        "generated_at": timezone.now(),
        "profile": {
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
        },
        "organisations": [
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
        ],
        "invitations_received": [
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
        ],
        # The invited colleague's address is theirs, not this person's: left out.
        "invitations_sent": [
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
        ],
        "applications": [
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
        ],
        "versions_submitted": [
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
        ],
        "attachments_uploaded": [
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
        ],
        "transitions": [
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
        ],
        "acceptances": [
            {
                "application": str(a.application),
                "accepted_at": a.accepted_at,
                "text": a.text,
                "text_sha256": a.text_sha256,
            }
            for a in Acceptance.objects.filter(accepted_by=user)
            .select_related("application")
            .order_by("accepted_at", "pk")
        ],
        "reports": [
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
        ],
        # What agency staff did in office.
        "decisions": [
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
        ],
        "eligibility_checks": [
            {"application": str(c.application), "passed": c.passed, "checked_at": c.checked_at}
            for c in EligibilityCheck.objects.filter(checked_by=user)
            .select_related("application")
            .order_by("checked_at", "pk")
        ],
        "deadline_exceptions": [
            {
                "application": str(e.application),
                "new_deadline": e.new_deadline,
                "reason": e.reason,
                "granted_at": e.granted_at,
            }
            for e in DeadlineException.objects.filter(granted_by=user)
            .select_related("application")
            .order_by("granted_at", "pk")
        ],
        "payments_recorded": [
            {
                "application": str(p.application),
                "instalment": p.position,
                "amount": p.amount,
                "paid_on": p.paid_on,
            }
            for p in Payment.objects.filter(paid_by=user)
            .select_related("application")
            .order_by("paid_on", "pk")
        ],
    }
    for part in personal_data.parts():
        data[part.key] = part.export(user)
    return data


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class RetentionPlan(NamedTuple):
    """What the retention job does on a day: ids, never names (the plan is printed)."""

    case_ids: list[int]  # expired cases that still hold contact details or unredacted versions
    user_ids: list[int]  # people to anonymise


def case_ends(*, now) -> dict[int, tuple[dt.datetime, int]]:
    """Every case that is over, with the moment it ended and its call's retention in years.

    A case is over when it is closed (``closed_at``), rejected or withdrawn (the time of the
    transition into that state, which is when the decision was confirmed or the withdrawal
    made). A draft that was never submitted is over once its deadline (the call's closing time,
    or a late exception) has passed, since it can never be submitted after that.
    """
    from .models import ApplicationTransition, DeadlineException

    into_state = (
        ApplicationTransition.objects.filter(application=OuterRef("pk"), target=OuterRef("state"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    exception = (
        DeadlineException.objects.filter(application=OuterRef("pk"))
        .order_by("-granted_at", "-pk")
        .values("new_deadline")[:1]
    )
    rows = (
        Application.objects.filter(Q(state__in=ENDED_STATES) | Q(state=ApplicationState.DRAFT))
        .annotate(
            ended_at=Coalesce("closed_at", Subquery(into_state)),
            draft_deadline=Coalesce(Subquery(exception), "call__closes_at"),
        )
        .values_list(
            "pk", "state", "ended_at", "draft_deadline", "call__personal_data_retention_years"
        )
    )
    ends = {}
    for pk, state, ended_at, draft_deadline, years in rows:
        if state == ApplicationState.DRAFT:
            ended_at = draft_deadline if draft_deadline <= now else None
        if ended_at is not None:
            ends[pk] = (ended_at, years)
    return ends


def personal_data_expired(*, today: dt.date) -> RetentionPlan:
    """Which cases and which people the retention job anonymises on ``today``.

    A case has expired when it is over (``case_ends``) and more than its call's retention years
    have passed since the day it ended (Stockholm time): a case closed on 1 June 2016 with ten
    years' retention is kept through 1 June 2026 and anonymised from the 2nd.

    A person is anonymised when they are tied to at least one case and every case they are tied
    to has expired, and they are not agency staff (programme manager, decision maker, admin-site
    user or superuser) and not already anonymised. A person is tied to a case by a membership of
    the applying organisation, by having created it, being its contact person (by email
    address), submitted a version, uploaded an attachment, made a transition, accepted the grant
    or submitted a report, and through the parts of apps above (a reviewer: their panels' cases,
    declarations and assignments). An organisation with an open case, or a seat on the panel of
    a call not yet finished, therefore keeps its people. Nobody tied to no case is touched.
    """
    from . import personal_data
    from .models import (
        Acceptance,
        ApplicationTransition,
        Membership,
        Report,
        User,
    )
    from .rules import DECISION_MAKERS, PROGRAMME_MANAGERS

    now = timezone.now()
    expired = {
        pk
        for pk, (ended_at, years) in case_ends(now=now).items()
        if years_after(timezone.localdate(ended_at), years) < today
    }

    ties: dict[int, set[int]] = defaultdict(set)

    def tie(pairs) -> None:
        for user_id, application_id in pairs:
            if user_id is not None and application_id is not None:
                ties[user_id].add(application_id)

    tie(Application.objects.values_list("created_by_id", "pk"))
    tie(Membership.objects.values_list("user_id", "organisation__applications__pk"))
    tie(ApplicationVersion.objects.values_list("submitted_by_id", "application_id"))
    tie(Attachment.objects.values_list("uploaded_by_id", "application_id"))
    tie(ApplicationTransition.objects.values_list("actor_id", "application_id"))
    tie(Acceptance.objects.values_list("accepted_by_id", "application_id"))
    tie(Report.objects.values_list("submitted_by_id", "application_id"))
    people = {email.lower(): pk for pk, email in User.objects.values_list("pk", "email")}
    tie(
        (people.get(contact.lower()), pk)
        for pk, contact in Application.objects.exclude(contact_email="").values_list(
            "pk", "contact_email"
        )
    )
    kept: set[int] = set()
    for part in personal_data.parts():
        for user_id, application_ids in part.cases_of().items():
            ties[user_id] |= application_ids
        kept |= part.keeps(now)

    kept |= set(
        User.objects.filter(
            Q(is_superuser=True)
            | Q(is_staff=True)
            | Q(groups__name__in=[PROGRAMME_MANAGERS, DECISION_MAKERS])
            | Q(email__startswith="anonymised-", email__endswith="@invalid", is_active=False)
        ).values_list("pk", flat=True)
    )
    user_ids = sorted(
        user_id
        for user_id, application_ids in ties.items()
        if user_id not in kept and application_ids <= expired
    )

    unredacted = ApplicationVersion.objects.filter(
        application=OuterRef("pk"), redacted_at__isnull=True
    )
    rows = Application.objects.annotate(unredacted=Exists(unredacted)).values_list(
        "pk", "contact_name", "contact_email", "contact_phone", "unredacted"
    )
    case_ids = sorted(pk for pk, *held in rows if pk in expired and any(held))
    return RetentionPlan(case_ids=case_ids, user_ids=user_ids)


# -- the public register and the programme manager's overview --------------------------------


class RegisterStatus:
    """Where a funded project stands, as the register publishes it (stable codes)."""

    GRANTED = "granted"  # approved and released, not yet accepted
    ACCEPTED = "accepted"  # accepted, in follow-up
    CLOSED = "closed"  # accepted and closed after the final report


def register_entries() -> QuerySet:
    """The public register of funded projects, newest decision first, in one query.

    A row is an application's effective decision (confirmed, not replaced by a confirmed
    correction) that approves and has been released to the applicant, where the grant did not
    lapse: the application is approved (waiting for acceptance), in follow-up, or closed after
    it was accepted. Rejected, withdrawn, unconfirmed (proposed or sent back), unreleased and
    lapsed ones never appear.

    Rows are dicts holding only what may be published (``values()``, so a template cannot reach
    anything else): organisation name and number, the call, the title, period and decision date
    as the decision froze them, the summary of the version the decision was taken on (never the
    working copy), the granted amount, the registration number and the status. No person: not
    the contact person, not the presenter or the decision maker.
    """
    from django.db.models import (
        Case,
        DateField,
        F,
        IntegerField,
        OuterRef,
        Subquery,
        Value,
        When,
    )
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    from .enums import ApplicationState as S

    decided_version = ApplicationVersion.objects.filter(
        application=OuterRef("application_id"), number=OuterRef("decided_version")
    )
    return (
        Decision.objects.filter(
            status=DecisionStatus.CONFIRMED,
            outcome=DecisionOutcome.APPROVED,
            release__isnull=False,
        )
        .exclude(superseded_by__status=DecisionStatus.CONFIRMED)
        .filter(
            Q(application__state__in=[S.APPROVED, S.FOLLOW_UP])
            | Q(application__state=S.CLOSED, application__acceptance__isnull=False)
        )
        .annotate(decided_version=Cast(KT("letter_data__version__number"), IntegerField()))
        .values(
            "granted_amount",
            "decided_on",
            registration_number=F("application__registration_number"),
            organisation=F("application__organisation__name"),
            organisation_number=F("application__organisation__orgnr"),
            call_slug=F("application__call__slug"),
            call_title_sv=F("application__call__title_sv"),
            call_title_en=F("application__call__title_en"),
            title=KT("letter_data__title"),
            summary=Subquery(decided_version.values(value=KT("content__summary"))[:1]),
            period_start=Cast(KT("letter_data__period__start"), DateField()),
            period_end=Cast(KT("letter_data__period__end"), DateField()),
            register_status=Case(
                When(application__state=S.APPROVED, then=Value(RegisterStatus.GRANTED)),
                When(application__state=S.FOLLOW_UP, then=Value(RegisterStatus.ACCEPTED)),
                default=Value(RegisterStatus.CLOSED),
            ),
        )
        .order_by("-decided_on", "registration_number", "pk")
    )


def follow_up_money_by_call() -> list[dict]:
    """Per call with at least one approval, newest call first: budget, granted, paid, due,
    reclaimed, repaid and remaining, in kronor; four queries whatever the number of grants.

    - granted: the call's effective approvals (``effective_approvals``), the figure decisions
      are checked against; a grant that lapsed is not counted, as it is not there;
    - paid / due: instalments paid, and due for payment but not paid yet;
    - reclaimed / repaid: repayment claims made, and the part of them received;
    - remaining: budget − granted, what can still be granted under the budget rule (money paid
      back is not added back: the rule counts decisions, not payments).
    """
    from grants.models import Call

    from .enums import PaymentStatus
    from .models import Payment, RepaymentClaim

    granted = dict(
        effective_approvals()
        .values("application__call_id")
        .annotate(total=Sum("granted_amount"))
        .values_list("application__call_id", "total")
    )
    payments = {
        row["application__call_id"]: row
        for row in Payment.objects.filter(application__call_id__in=granted)
        .values("application__call_id")
        .annotate(
            paid=Sum("amount", filter=Q(status=PaymentStatus.PAID)),
            due=Sum("amount", filter=Q(status=PaymentStatus.DUE)),
        )
    }
    claims = {
        row["application__call_id"]: row
        for row in RepaymentClaim.objects.filter(application__call_id__in=granted)
        .values("application__call_id")
        .annotate(reclaimed=Sum("amount"), repaid=Sum("amount", filter=Q(settled_on__isnull=False)))
    }
    rows = []
    for call in Call.objects.filter(pk__in=granted).order_by("-closes_at", "pk"):
        paid = payments.get(call.pk, {})
        claimed = claims.get(call.pk, {})
        rows.append(
            {
                "call": call,
                "budget": call.budget,
                "granted": granted[call.pk],
                "paid": paid.get("paid") or 0,
                "due": paid.get("due") or 0,
                "reclaimed": claimed.get("reclaimed") or 0,
                "repaid": claimed.get("repaid") or 0,
                "remaining": call.budget - granted[call.pk],
            }
        )
    return rows


def follow_up_reports_due(*, today=None, within_days: int = 30) -> tuple[list, list]:
    """(due within ``within_days`` from today, overdue): reports of grants in follow-up that
    the organisation has not handed in (not submitted, or returned to it), soonest first, with
    their application, organisation and call; one query."""
    import datetime as dt

    from django.utils import timezone

    from .enums import ApplicationState, ReportStatus
    from .models import Report

    today = today or timezone.localdate()
    reports = list(
        Report.objects.filter(
            application__state=ApplicationState.FOLLOW_UP,
            status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED],
            due_on__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("application__organisation", "application__call")
        .order_by("due_on", "application__registration_number", "pk")
    )
    due_soon = [r for r in reports if r.due_on >= today]
    overdue = [r for r in reports if r.due_on < today]
    return due_soon, overdue


def follow_up_spent_by_category() -> list[tuple[str, str, int]]:
    """(category, label, kronor spent) for every budget category, in the categories' order,
    from the financial reports of approved final reports; one query."""
    from .enums import BudgetCategory, ReportKind, ReportStatus
    from .models import ReportCost

    spent = dict(
        ReportCost.objects.filter(
            report__kind=ReportKind.FINAL, report__status=ReportStatus.APPROVED
        )
        .values("category")
        .annotate(total=Sum("spent"))
        .values_list("category", "total")
    )
    return [(c.value, str(c.label), spent.get(c.value) or 0) for c in BudgetCategory]


def follow_up_granted_by_county() -> list[tuple[str, str, int]]:
    """(county code, label, kronor granted) for each county with a grant, most first; granted
    as in ``follow_up_money_by_call``; one query."""
    from .enums import County

    rows = (
        effective_approvals()
        .values("application__organisation__county")
        .annotate(total=Sum("granted_amount"))
        .values_list("application__organisation__county", "total")
    )
    labels = dict(County.choices)
    result = [(code, str(labels.get(code, code)), total or 0) for code, total in rows]
    return sorted(result, key=lambda row: (-row[2], row[1]))


class FollowUpStage:
    """How far a grant has come, for the overview's chart (stable codes, in order)."""

    AWAITING_ACCEPTANCE = "awaiting_acceptance"
    NO_REPORT_IN = "no_report_in"
    REPORTS_IN = "reports_in"
    FINAL_APPROVED = "final_approved"
    CLOSED = "closed"
    LAPSED = "lapsed"

    ORDER = [AWAITING_ACCEPTANCE, NO_REPORT_IN, REPORTS_IN, FINAL_APPROVED, CLOSED, LAPSED]


def follow_up_stages() -> list[tuple[str, int]]:
    """(stage, number of grants) for every stage of ``FollowUpStage``, in its order; one
    query. A report is "in" once submitted (or approved); one returned to the organisation is
    not."""
    from django.db.models import Count, Exists, OuterRef

    from .enums import ApplicationState as S
    from .enums import ReportKind, ReportStatus
    from .models import Acceptance, Report

    reports = Report.objects.filter(application=OuterRef("pk"))
    # Grouped by state and three facts (at most a dozen rows), then sorted into stages here:
    # counting each stage with an aggregate filter on these annotations loses one of them in
    # Django 5.2's aggregation subquery.
    groups = (
        Application.objects.filter(state__in=[S.APPROVED, S.FOLLOW_UP, S.CLOSED])
        .annotate(
            accepted=Exists(Acceptance.objects.filter(application=OuterRef("pk"))),
            report_in=Exists(
                reports.filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.APPROVED])
            ),
            final_approved=Exists(
                reports.filter(kind=ReportKind.FINAL, status=ReportStatus.APPROVED)
            ),
        )
        .values_list("state", "accepted", "report_in", "final_approved")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(FollowUpStage.ORDER, 0)
    for state, accepted, report_in, final_approved, count in groups:
        if state == S.APPROVED:
            stage = FollowUpStage.AWAITING_ACCEPTANCE
        elif state == S.CLOSED:
            stage = FollowUpStage.CLOSED if accepted else FollowUpStage.LAPSED
        elif final_approved:
            stage = FollowUpStage.FINAL_APPROVED
        else:
            stage = FollowUpStage.REPORTS_IN if report_in else FollowUpStage.NO_REPORT_IN
        counts[stage] += count
    return list(counts.items())


def finance_outstanding(*, call=None) -> tuple[QuerySet, QuerySet]:
    """For the finance system: instalments due and not yet paid, oldest first, and repayment
    claims not yet received, each with its application, organisation and call; of one call or
    of all."""
    from .enums import PaymentStatus
    from .models import Payment, RepaymentClaim

    payments = Payment.objects.filter(status=PaymentStatus.DUE)
    claims = RepaymentClaim.objects.filter(settled_on__isnull=True)
    if call is not None:
        payments = payments.filter(application__call=call)
        claims = claims.filter(application__call=call)
    related = ("application__organisation", "application__call")
    return (
        payments.select_related(*related).order_by(
            "due_since", "application__registration_number", "position"
        ),
        claims.select_related(*related).order_by("created_at", "pk"),
    )
