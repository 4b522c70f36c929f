"""Every write that matters, one function per use case.

Each transition has exactly one service here, used by every caller (views, admin actions,
commands). A service checks the user's right, runs the transition, saves, writes the log row
and schedules emails with ``transaction.on_commit``. Errors meant for the user are raised as
``ValidationError`` with a translated message; a missing right is ``PermissionDenied``.
"""

import datetime as dt
import hashlib
from datetime import timedelta

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from grants.enums import InstalmentTrigger
from grants.models import Call

from . import tasks
from .audit import audit_record
from .enums import (
    ApplicationState,
    DecisionOutcome,
    DecisionStatus,
    EligibilityItem,
    IneligibilityReason,
    PaymentStatus,
    ReminderKind,
    ReportKind,
    ReportStatus,
)
from .formatting import format_kronor
from .hashing import content_sha256
from .models import (
    Acceptance,
    Application,
    ApplicationTransition,
    ApplicationVersion,
    Attachment,
    BudgetLine,
    ClosingLetter,
    DeadlineException,
    Decision,
    DecisionLetter,
    DecisionRelease,
    EligibilityCheck,
    Invitation,
    Membership,
    Organisation,
    Payment,
    RegistrationCounter,
    RepaymentClaim,
    Report,
    ReportCost,
    ReportReminder,
    User,
)
from .selectors.applications import (
    attachments_total_size,
    latest_version,
    snapshot_content,
    submission_errors,
)
from .selectors.decisions import (
    call_committed_amount,
    decision_letter_data,
    effective_decision,
    remaining_budget,
)
from .selectors.follow_up import (
    acceptance_text,
    closing_letter_data,
    closure_blockers,
    granted_budget_lines,
    report_errors,
)
from .selectors.retention import (
    ANONYMISED_EMAIL,
    ANONYMISED_NAME,
    RetentionPlan,
    personal_data_expired,
)
from .validators import (
    detect_content_type,
    normalise_orgnr,
    safe_filename,
    validate_public_sector_orgnr,
)

S = ApplicationState
INVITATION_VALID_FOR = timedelta(days=14)


def _require(user, perm: str, obj=None) -> None:
    if not rules.has_perm(f"applications.{perm}", user, obj):
        raise PermissionDenied


def _local(moment) -> str:
    """A moment as Swedes write it, in Stockholm time, whatever the reader's language."""
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0")


# -- people and organisations -------------------------------------------------------------


def user_set_language(*, user: User, language: str) -> None:
    """Remember a person's language choice (used for pages, emails and letters)."""
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


@transaction.atomic
def organisation_register(
    *, by: User, orgnr: str, name: str, kind: str, county: str, address: str = ""
) -> Organisation:
    """Register an organisation; the person registering becomes its administrator.

    Validation of the number (a legal entity in the public sector) is the form's job; the
    number is normalised again here and the unique constraint is the last word.
    """
    validate_public_sector_orgnr(orgnr)
    normalised = normalise_orgnr(orgnr)
    if Organisation.objects.filter(orgnr=normalised).exists():
        raise ValidationError(
            _(
                "An organisation with number %(orgnr)s is already registered. Ask its "
                "administrator to invite you."
            )
            % {"orgnr": normalised}
        )
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(
                orgnr=normalised, name=name, kind=kind, county=county, address=address
            )
    except IntegrityError:
        raise ValidationError(
            _("An organisation with number %(orgnr)s is already registered.")
            % {"orgnr": normalised}
        ) from None
    Membership.objects.create(user=by, organisation=organisation, is_admin=True, is_signatory=True)
    return organisation


@transaction.atomic
def invitation_create(
    *, organisation: Organisation, by: User, email: str, is_admin: bool, is_signatory: bool
) -> Invitation:
    """Invite a colleague by email. Side effect: the invitation email, after commit."""
    _require(by, "manage_organisation", organisation)
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s is already a member.") % {"email": email})
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        is_admin=is_admin,
        is_signatory=is_signatory,
        invited_by=by,
        expires_at=timezone.now() + INVITATION_VALID_FOR,
    )
    transaction.on_commit(lambda: tasks.send_invitation.enqueue(invitation_id=invitation.pk))
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, by: User) -> Membership:
    """Join the organisation with the invited roles. The invitation works once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable():
        raise ValidationError(_("This invitation has expired or has already been used."))
    if by.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership, created = Membership.objects.get_or_create(
        user=by,
        organisation=invitation.organisation,
        defaults={"is_admin": invitation.is_admin, "is_signatory": invitation.is_signatory},
    )
    if not created:
        membership.is_admin |= invitation.is_admin
        membership.is_signatory |= invitation.is_signatory
        membership.save(update_fields=["is_admin", "is_signatory"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = by
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def membership_update(
    *, membership: Membership, by: User, is_admin: bool, is_signatory: bool
) -> Membership:
    """Change a member's roles. An organisation always keeps at least one administrator."""
    _require(by, "manage_organisation", membership.organisation)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_admin and not is_admin:
        admins = Membership.objects.select_for_update().filter(
            organisation=membership.organisation, is_admin=True
        )
        if admins.count() <= 1:
            raise ValidationError(_("An organisation must keep at least one administrator."))
    membership.is_admin = is_admin
    membership.is_signatory = is_signatory
    membership.save(update_fields=["is_admin", "is_signatory"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    _require(by, "manage_organisation", membership.organisation)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_admin:
        others = Membership.objects.filter(
            organisation=membership.organisation, is_admin=True
        ).exclude(pk=membership.pk)
        if not others.exists():
            raise ValidationError(_("An organisation must keep at least one administrator."))
    membership.delete()


@transaction.atomic
def user_register(*, email: str, full_name: str, password: str, language: str) -> User:
    """Create a person's account (sign-up). The email address is unique whatever its case."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("An account with this email address already exists."))
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=password, full_name=full_name.strip(), language=language
            )
    except IntegrityError:
        raise ValidationError(_("An account with this email address already exists.")) from None


def user_update_profile(*, user: User, full_name: str, phone: str, language: str) -> User:
    """Change a person's own name, phone number and language."""
    user.full_name = full_name.strip()
    user.phone = phone.strip()
    user.language = language
    user.save(update_fields=["full_name", "phone", "language"])
    return user


# -- the working copy ----------------------------------------------------------------------


@transaction.atomic
def application_create(*, call, organisation: Organisation, by: User) -> Application:
    """Start a draft for an open call."""
    _require(by, "create_application", organisation)
    if not call.is_open():
        raise ValidationError(_("This call is not open for applications."))
    if organisation.kind not in call.eligible_kinds:
        raise ValidationError(_("Your kind of organisation may not apply to this call."))
    return Application.objects.create(
        call=call,
        organisation=organisation,
        created_by=by,
        language=by.language,
        contact_name=by.full_name,
        contact_email=by.email,
        contact_phone=by.phone,
    )


def _lock_editable(application: Application, by: User) -> Application:
    # The application's row only: the call's row is read, not locked (see ``_lock``).
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call")
        .get(pk=application.pk)
    )
    if not rules.has_perm("applications.view_application", by, locked):
        raise PermissionDenied
    if not rules.has_perm("applications.change_application", by, locked):
        raise ValidationError(_("This application can no longer be changed."))
    return locked


EDITABLE_FIELDS = (
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
    "contact_phone",
    "language",
)


@transaction.atomic
def application_update(
    *, application: Application, by: User, data: dict, budget_lines: list[dict] | None = None
) -> Application:
    """Save the working copy (a draft save or an autosave).

    ``data`` holds cleaned values of ``EDITABLE_FIELDS``; ``budget_lines``, when given, replaces
    the budget as a whole, in order. A submitted application stays what was submitted until a
    new version is submitted.
    """
    locked = _lock_editable(application, by)
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["call", "organisation", "created_by", "state"])
    locked.save()
    if budget_lines is not None:
        locked.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            BudgetLine(application=locked, position=i, **line)
            for i, line in enumerate(budget_lines)
        )
    return locked


@transaction.atomic
def attachment_add(*, application: Application, by: User, upload) -> Attachment:
    """Store an uploaded file under an unguessable key after checking type and size."""
    from django.conf import settings

    locked = _lock_editable(application, by)
    if upload.size > settings.ATTACHMENT_MAX_FILE_BYTES:
        raise ValidationError(
            _("The file “%(name)s” is larger than %(limit)s MB.")
            % {
                "name": safe_filename(upload.name),
                "limit": _megabytes(settings.ATTACHMENT_MAX_FILE_BYTES),
            }
        )
    total = attachments_total_size(locked)
    if total + upload.size > settings.ATTACHMENT_MAX_TOTAL_BYTES:
        raise ValidationError(
            _("The application's attachments may be at most %(limit)s MB in all.")
            % {"limit": _megabytes(settings.ATTACHMENT_MAX_TOTAL_BYTES)}
        )
    content_type = detect_content_type(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = safe_filename(upload.name)
    attachment = Attachment(
        application=locked,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, by: User) -> None:
    """Take a file out of the working copy. The file stays for any version that lists it."""
    _lock_editable(attachment.application, by)
    Attachment.objects.filter(pk=attachment.pk, removed_at__isnull=True).update(
        removed_at=timezone.now()
    )


# -- transitions ------------------------------------------------------------------------------


def _log(application: Application, *, name: str, source: str, by: User | None, comment: str = ""):
    _log_transition(
        application, name=name, source=source, target=application.state, by=by, comment=comment
    )
    _audit_transition(application, name=name, source=source, by=by)


def _log_transition(
    application: Application, *, name: str, source: str, target: str, by: User | None, comment: str
) -> None:
    ApplicationTransition.objects.create(
        application=application,
        name=name,
        source=source,
        target=target,
        actor=by,
        comment=comment,
    )


def _audit_transition(application: Application, *, name: str, source: str, by: User | None):
    # The comment (a reason, a message to the applicant) stays in the transition log: the
    # audit log holds no free text.
    audit_record(
        action=f"application.{name}",
        actor=by,
        target=application,
        data={"from": source, "to": application.state},
    )


def _save_transition(application: Application) -> None:
    try:
        application.save()
    except ConcurrentTransition:
        raise ValidationError(
            _("Someone else changed this application at the same moment. Reload and try again.")
        ) from None


def _lock(application: Application, *, prefetch: tuple[str, ...] = ()) -> Application:
    # ``of=("self",)``: only the application's row. A plain FOR UPDATE over the join would lock
    # the call's and the organisation's rows too, and every submit to a call would wait for
    # the one before it to commit (the budget lock on the call is taken where it is meant).
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organisation", "hub")
        .prefetch_related(*prefetch)
        .get(pk=application.pk)
    )


def _next_registration_number(year: int) -> str:
    """The next number of the year, gap-free: the counter row stays locked until commit.

    One statement, an upsert returning the new value (PostgreSQL, and SQLite from 3.35): every
    submit of the year queues on this row until its transaction commits, so the submit takes
    it as late as it can and holds it for as few round trips as possible.
    """
    table = connection.ops.quote_name(RegistrationCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) VALUES (%s, 1) "  # noqa: S608 (our table's name)
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [year],
        )
        (last,) = cursor.fetchone()
    return f"{year}-{last:05d}"


@transaction.atomic
def application_submit(*, application: Application, by: User) -> ApplicationVersion:
    """Submit, resubmit after completion, or submit a new version before the deadline.

    Side effects: a registration number on first submit (kept afterwards), a frozen version
    with its SHA-256, a log row, and a receipt email after commit. Submitting content identical
    to the latest version is refused, so a double click gives one submission.

    The deadline is judged once, at the moment the submit is handled (``now``, the version's
    ``submitted_at``), and the transition is made at that moment: a submit that is in time
    stays in time while it waits for its registration number behind other submits.

    Many submit at once on deadline day: everything that can is done before the registration
    number is taken, because its counter row stays locked until commit and every other submit
    of the year waits for it (benchmarks/deadline_rush.py). After the number come only the
    application's row, the audit entry (the last lock, see applications/audit.py) and the
    commit. The deadline exceptions and budget lines are read once, for the checks, the
    snapshot and the transition's condition.
    """
    locked = _lock(application, prefetch=("deadline_exceptions", "budget_lines"))
    _require(by, "submit_application", locked)
    now = timezone.now()
    if locked.state not in (S.DRAFT, S.RETURNED, S.SUBMITTED):
        raise ValidationError(_("This application can no longer be submitted."))
    late = ValidationError(
        _("The deadline, %(deadline)s, has passed. Late applications cannot be submitted.")
        % {"deadline": _local(locked.deadline)}
    )
    if now >= locked.deadline:
        raise late
    source = locked.state
    name = "submit_new_version" if source == S.SUBMITTED else "submit"
    try:
        # In memory only (saved below); the transition's own deadline condition reads the
        # clock again, microseconds after ``now``.
        if source == S.SUBMITTED:
            locked.submit_new_version(at=now)
        else:
            locked.submit(at=now)  # the registration number comes last, below
    except TransitionNotAllowed:
        raise late from None
    errors = submission_errors(locked)
    if errors:
        raise ValidationError([error.message for error in errors])
    content = snapshot_content(locked)
    digest = content_sha256(content)
    latest = latest_version(locked)
    if source == S.SUBMITTED and latest and latest.sha256 == digest:
        raise ValidationError(
            _("This version has already been submitted. Nothing has changed since then."),
            code="unchanged",
        )
    version = ApplicationVersion.objects.create(
        application=locked,
        number=(latest.number + 1) if latest else 1,
        content=content,
        sha256=digest,
        submitted_at=now,
        submitted_by=by,
    )
    attachment_ids = [attachment["id"] for attachment in content["attachments"]]
    if attachment_ids:
        version.attachments.add(*attachment_ids)
    _log_transition(
        locked,
        name=name,
        source=source,
        target=locked.state,
        by=by,
        comment=f"v{version.number} sha256:{digest}",
    )
    if not locked.registration_number:
        # The agency's year (Europe/Stockholm), whatever time zone a request has activated.
        year = timezone.localtime(now, timezone.get_default_timezone()).year
        locked.registration_number = _next_registration_number(year)
    _save_transition(locked)
    _audit_transition(locked, name=name, source=source, by=by)
    transaction.on_commit(lambda: tasks.send_submission_receipt.enqueue(version_id=version.pk))
    return version


@transaction.atomic
def application_withdraw(*, application: Application, by: User, reason: str) -> Application:
    """Withdraw with a reason. Side effect: a notification to the organisation's members."""
    locked = _lock(application)
    _require(by, "withdraw_application", locked)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason for withdrawing the application."))
    if not can_proceed(locked.withdraw):
        raise ValidationError(_("This application can no longer be withdrawn."))
    source = locked.state
    locked.withdraw(reason=reason)
    _save_transition(locked)
    _log(locked, name="withdraw", source=source, by=by, comment=reason)
    transaction.on_commit(lambda: tasks.send_withdrawal_notice.enqueue(application_id=locked.pk))
    return locked


@transaction.atomic
def application_return_for_completion(
    *, application: Application, by: User, message: str, deadline
) -> Application:
    """Ask the applicant to complete the application by a deadline. Side effect: an email."""
    locked = _lock(application)
    _require(by, "return_application", locked)
    message = (message or "").strip()
    if not message:
        raise ValidationError(_("Write what the applicant needs to complete."))
    if deadline is None or deadline <= timezone.now():
        raise ValidationError(_("The completion deadline must be in the future."))
    if not can_proceed(locked.return_for_completion):
        raise ValidationError(_("Only a submitted application can be returned for completion."))
    source = locked.state
    locked.return_for_completion(message=message, deadline=deadline)
    _save_transition(locked)
    _log(locked, name="return_for_completion", source=source, by=by, comment=message)
    transaction.on_commit(lambda: tasks.send_completion_request.enqueue(application_id=locked.pk))
    return locked


@transaction.atomic
def application_record_deadline_exception(
    *, application: Application, by: User, new_deadline, reason: str
) -> DeadlineException:
    """A late exception: a new deadline for this application alone, with the reason.

    Side effect: the organisation's members are told the new deadline, after commit.
    """
    locked = _lock(application)
    _require(by, "record_deadline_exception", locked)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give the reason for the exception, for example a documented outage.")
        )
    if new_deadline is None or new_deadline <= timezone.now():
        raise ValidationError(_("The new deadline must be in the future."))
    if locked.state not in (S.DRAFT, S.SUBMITTED):
        raise ValidationError(_("A late exception can only be made before review starts."))
    exception = DeadlineException.objects.create(
        application=locked, new_deadline=new_deadline, reason=reason, granted_by=by
    )
    audit_record(
        action="application.deadline_exception",
        actor=by,
        target=locked,
        data={"exception_id": exception.pk, "new_deadline": new_deadline},
    )
    transaction.on_commit(
        lambda: tasks.send_deadline_exception_notice.enqueue(exception_id=exception.pk)
    )
    return exception


@transaction.atomic
def application_check_eligibility(
    *, application: Application, by: User, items: dict[str, bool], comment: str = ""
) -> EligibilityCheck:
    """Record the eligibility checklist. Review can start only when every item is ticked."""
    locked = _lock(application)
    _require(by, "check_eligibility", locked)
    if locked.state != S.SUBMITTED:
        raise ValidationError(_("Eligibility is checked while the application is submitted."))
    cleaned = {item: bool(items.get(item)) for item in EligibilityItem.values}
    check, _created = EligibilityCheck.objects.update_or_create(
        application=locked,
        defaults={
            "items": cleaned,
            "comment": comment,
            "checked_by": by,
            "checked_at": timezone.now(),
        },
    )
    audit_record(
        action="application.eligibility_check",
        actor=by,
        target=locked,
        data={"items": cleaned, "passed": all(cleaned.values())},
    )
    return check


@transaction.atomic
def application_start_review(*, application: Application, by: User) -> Application:
    """Move a submitted, eligible application into review once its deadline has passed."""
    locked = _lock(application)
    _require(by, "start_review", locked)
    if locked.state != S.SUBMITTED:
        raise ValidationError(_("Only a submitted application can go to review."))
    if timezone.now() < locked.deadline:
        raise ValidationError(
            _("Review can start after the deadline, %(deadline)s.")
            % {"deadline": _local(locked.deadline)}
        )
    if not locked.eligibility_passed:
        raise ValidationError(_("Tick every item of the eligibility checklist first."))
    locked.start_review()
    _save_transition(locked)
    _log(locked, name="start_review", source=S.SUBMITTED, by=by)
    return locked


@transaction.atomic
def application_complete_review(*, application: Application, by: User | None) -> Application:
    """Mark review complete. ``by=None`` is the system, when the last review is in."""
    locked = _lock(application)
    if by is not None:
        _require(by, "complete_review", locked)
    if not can_proceed(locked.complete_review):
        raise ValidationError(_("Only an application in review can have its review completed."))
    locked.complete_review()
    _save_transition(locked)
    _log(locked, name="complete_review", source=S.IN_REVIEW, by=by)
    return locked


@transaction.atomic
def application_decide(
    *, application: Application, by: User, outcome: str, comment: str
) -> Application:
    """Run a decision's transition (approve, reject, reject_ineligible).

    Used by the decision services of the decisions issue, which add the Decision record, the
    four-eyes rule, the budget lock and the letter. Kept here so every transition has its one
    service and log row from the start.
    """
    locked = _lock(application)
    _require(by, "decide_application", locked)
    method = {
        "approve": locked.approve,
        "reject": locked.reject,
        "reject_ineligible": locked.reject_ineligible,
    }[outcome]
    if not can_proceed(method):
        raise ValidationError(
            _("This decision cannot be taken in the application's current state.")
        )
    source = locked.state
    method()
    _save_transition(locked)
    _log(locked, name=outcome, source=source, by=by, comment=comment)
    return locked


# -- decisions ---------------------------------------------------------------------------------
#
# A programme manager proposes; a decision maker who is not the proposer confirms or sends back.
# Only confirmation moves the application (approve, reject, reject_ineligible) and makes the
# letter. Confirmations of one call queue on the call's row, so the budget is never exceeded.

_OUTCOME_TRANSITION = {
    DecisionOutcome.APPROVED: "approve",
    DecisionOutcome.REJECTED: "reject",
    DecisionOutcome.REJECTED_INELIGIBLE: "reject_ineligible",
}


def _audit_decision(action: str, decision: Decision, *, by: User | None) -> None:
    """A decision's step in the audit log: ids, outcome, amount and codes; no texts."""
    audit_record(
        action=action,
        actor=by,
        target=decision,
        data={
            "application_id": decision.application_id,
            "outcome": decision.outcome,
            "granted_amount": decision.granted_amount,
            "reason_code": decision.reason_code,
            "status": decision.status,
            "supersedes_id": decision.supersedes_id,
        },
    )


@transaction.atomic
def decision_propose(
    *,
    application: Application,
    by: User,
    outcome: str,
    justification: str,
    granted_amount: int = 0,
    conditions: str = "",
    feedback: str = "",
    reason_code: str = "",
    supersedes: Decision | None = None,
) -> Decision:
    """Propose a decision (or, with ``supersedes``, a correction of a confirmed one).

    Approval and rejection follow review (``reviewed``); rejection as ineligible comes straight
    from ``submitted`` with a reason code. The granted amount is at most what the submitted
    version requested. ``feedback`` is the text for the applicant (the consensus comment or the
    reviewers' comments), copied in so the letter never depends on the review app.
    """
    _require(by, "propose_decision")
    locked = _lock(application)
    if outcome not in DecisionOutcome.values:
        raise ValidationError(_("Choose an outcome."))
    justification = (justification or "").strip()
    if not justification:
        raise ValidationError(_("Write the reasons for the decision."))
    version = latest_version(locked)
    requested = (version.content.get("requested_amount") if version else None) or 0
    if supersedes is None:
        if locked.decisions.filter(status=DecisionStatus.PROPOSED).exists():
            raise ValidationError(_("A proposed decision is already waiting for confirmation."))
        if effective_decision(locked):
            raise ValidationError(
                _("This application has been decided. Propose a correction instead.")
            )
        needed = S.SUBMITTED if outcome == DecisionOutcome.REJECTED_INELIGIBLE else S.REVIEWED
        if locked.state != needed:
            raise ValidationError(
                _("This decision cannot be proposed while the application is “%(state)s”.")
                % {"state": locked.get_state_display()}
            )
    else:
        # As stored, not as the caller's copy says: a copy read before confirmation is stale.
        supersedes = Decision.objects.get(pk=supersedes.pk)
        if supersedes.application_id != locked.pk or not supersedes.is_confirmed:
            raise ValidationError(
                _("Only a confirmed decision of this application can be corrected.")
            )
        if effective_decision(locked) != supersedes:
            raise ValidationError(_("This decision has already been corrected."))
        if outcome != supersedes.outcome:
            raise ValidationError(
                _("A correction keeps the outcome; a different outcome needs a new application.")
            )
        if locked.decisions.filter(status=DecisionStatus.PROPOSED).exists():
            raise ValidationError(_("A proposed decision is already waiting for confirmation."))
    if (
        outcome == DecisionOutcome.REJECTED_INELIGIBLE
        and reason_code not in IneligibilityReason.values
    ):
        raise ValidationError(_("Choose the reason the application is ineligible."))
    if outcome == DecisionOutcome.APPROVED:
        if not granted_amount or granted_amount < 1:
            raise ValidationError(_("An approval grants an amount of at least 1 kr."))
        if granted_amount > requested:
            raise ValidationError(
                _("The granted amount cannot be more than the %(requested)s kr applied for.")
                % {"requested": format_kronor(requested)}
            )
    else:
        granted_amount = 0
    decision = Decision.objects.create(
        application=locked,
        outcome=outcome,
        granted_amount=granted_amount,
        conditions=(conditions or "").strip(),
        justification=justification,
        feedback=(feedback or "").strip(),
        reason_code=reason_code if outcome == DecisionOutcome.REJECTED_INELIGIBLE else "",
        language=locked.language,
        proposed_by=by,
        proposed_at=timezone.now(),
        supersedes=supersedes,
    )
    _audit_decision("decision.propose", decision, by=by)
    return decision


def _lock_decision(decision: Decision) -> Decision:
    # Only the decision's row: PostgreSQL cannot lock the nullable side of the outer join to
    # ``supersedes``, and the call's row is locked on its own where the budget needs it.
    return (
        Decision.objects.select_for_update(of=("self",))
        .select_related(
            "application__call", "application__organisation", "proposed_by", "supersedes"
        )
        .get(pk=decision.pk)
    )


@transaction.atomic
def decision_confirm(*, decision: Decision, by: User) -> Decision:
    """A decision maker, never the proposer, confirms: the application moves and the letter follows.

    After the decision's row, the call's row is locked, so concurrent confirmations of one call
    queue and the sum granted never exceeds the budget. A correction that does not grant more
    than its decision always passes (even if the budget was lowered since). Side effects: the
    transition and its log row, the frozen ``letter_data``, and the letter task after commit.
    """
    locked = _lock_decision(decision)
    if not rules.has_perm("applications.confirm_decision", by, locked):
        raise PermissionDenied
    if locked.status != DecisionStatus.PROPOSED:
        raise ValidationError(_("This decision is not waiting for confirmation."))
    call = Call.objects.select_for_update().get(pk=locked.application.call_id)
    if locked.outcome == DecisionOutcome.APPROVED:
        committed = call_committed_amount(call)
        replaced = locked.supersedes.granted_amount if locked.supersedes_id else 0
        # What this decision may grant: what the budget leaves, plus what a corrected decision
        # had; never less than that, so a correction downwards passes a lowered budget.
        remaining = max(
            remaining_budget(budget=call.budget, committed=committed) + replaced, replaced
        )
        if locked.granted_amount > remaining:
            raise ValidationError(
                _(
                    "Confirming this would exceed the call's budget: %(remaining)s kr remain of "
                    "%(budget)s kr, and the decision grants %(amount)s kr."
                )
                % {
                    "remaining": format_kronor(remaining),
                    "budget": format_kronor(call.budget),
                    "amount": format_kronor(locked.granted_amount),
                }
            )
    if not locked.supersedes_id:
        application_decide(
            application=locked.application,
            by=by,
            outcome=_OUTCOME_TRANSITION[locked.outcome],
            comment=locked.justification,
        )
    now = timezone.now()
    decided_on = timezone.localdate(now)
    locked.letter_data = decision_letter_data(locked, decided_by=by, decided_on=decided_on)
    locked.status = DecisionStatus.CONFIRMED
    locked.decided_by = by
    locked.confirmed_at = now
    locked.decided_on = decided_on
    locked.save()
    if locked.supersedes_id and locked.outcome == DecisionOutcome.APPROVED:
        payments_replan(application=locked.application, granted=locked.granted_amount)
    _audit_decision("decision.confirm", locked, by=by)
    transaction.on_commit(lambda: tasks.generate_decision_letter.enqueue(decision_id=locked.pk))
    return locked


def decisions_confirm_batch(*, decisions: list[Decision], by: User) -> list[tuple[Decision, str]]:
    """Confirm many, each on its own: one refused (the budget, say) does not stop the others.

    Returns ``(decision, "")`` for each confirmed and ``(decision, message)`` for each refused.
    """
    results = []
    for decision in decisions:
        try:
            results.append((decision_confirm(decision=decision, by=by), ""))
        except ValidationError as error:
            results.append((decision, " ".join(error.messages)))
        except PermissionDenied:
            if decision.proposed_by_id == by.pk:
                message = _("You may not confirm a decision you proposed.")
            else:
                message = _("You do not have the right to confirm decisions.")
            results.append((decision, message))
    return results


@transaction.atomic
def decision_send_back(*, decision: Decision, by: User, comment: str) -> Decision:
    """A decision maker sends a proposal back to the programme manager, with a comment."""
    locked = _lock_decision(decision)
    if not rules.has_perm("applications.confirm_decision", by, locked):
        raise PermissionDenied
    if locked.status != DecisionStatus.PROPOSED:
        raise ValidationError(_("This decision is not waiting for confirmation."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Say why the proposal is sent back."))
    locked.status = DecisionStatus.SENT_BACK
    locked.sent_back_by = by
    locked.sent_back_at = timezone.now()
    locked.sent_back_comment = comment
    locked.save()
    _audit_decision("decision.send_back", locked, by=by)
    return locked


@transaction.atomic
def decision_release(*, decision: Decision, by: User | None) -> DecisionRelease | None:
    """Send a confirmed decision's letter out: the applicant sees it and is emailed.

    ``by=None`` is the system, releasing as soon as the letter exists when the call does not
    hold decisions. Nothing happens before the letter exists or when already released.
    """
    if by is not None:
        _require(by, "release_decisions")
    locked = _lock_decision(decision)
    if not locked.is_confirmed or not DecisionLetter.objects.filter(decision=locked).exists():
        return None
    release, created = DecisionRelease.objects.get_or_create(
        decision=locked, defaults={"released_by": by}
    )
    if created and locked.outcome == DecisionOutcome.APPROVED:
        application = _lock(locked.application)
        if application.state == S.APPROVED and application.accept_by is None:
            # The applicant's time to accept runs from the day they are told.
            application.accept_by = timezone.localdate() + timedelta(
                days=application.call.acceptance_days
            )
            application.save(update_fields=["accept_by"])
    if created:
        _audit_decision("decision.release", locked, by=by)
        transaction.on_commit(lambda: tasks.send_decision_ready.enqueue(decision_id=locked.pk))
    return release if created else None


def decisions_release_for_call(*, call: Call, by: User) -> tuple[int, int]:
    """Release every held decision of a call whose letter is ready.

    Returns (released, still waiting for their letter).
    """
    _require(by, "release_decisions")
    held = Decision.objects.filter(
        application__call=call, status=DecisionStatus.CONFIRMED, release__isnull=True
    )
    released = waiting = 0
    for decision in held:
        if decision_release(decision=decision, by=by):
            released += 1
        else:
            waiting += 1
    return released, waiting


# -- follow-up ---------------------------------------------------------------------------------
#
# After approval: a signatory accepts before ``accept_by``; the payment plan and the reports are
# made from the call's settings and the effective decision; reports are submitted and approved or
# returned; the final report's approval settles the money (a repayment claim when less was spent
# than paid); the programme manager closes the grant and a closing letter follows.


def split_instalments(amount: int, shares: list[int]) -> list[int]:
    """``amount`` split by per-cent ``shares`` (adding up to 100) in whole kronor, exactly."""
    if sum(shares) != 100:
        raise ValueError("The shares must add up to 100.")
    return split_proportionally(amount, shares)


def split_proportionally(amount: int, weights: list[int]) -> list[int]:
    """``amount`` split in proportion to positive ``weights``, in whole kronor, exactly.

    Each part gets the floor of its proportion; the kronor left over go, one each, to the parts
    with the largest remainders (the earlier on a tie), so the parts always add up to
    ``amount``: no öre is lost or made.
    """
    total = sum(weights)
    parts = [amount * weight // total for weight in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in by_remainder[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def _report_due_dates(call: Call, period_start, period_end) -> list[tuple[str, int, object]]:
    """(kind, number, due date) of the reports a grant owes, from the decision's period.

    Interim reports are spread evenly over the period; the final report is due the call's
    ``final_report_days`` after the period ends.
    """
    dates = []
    length = (period_end - period_start).days
    for number in range(1, (call.interim_reports or 0) + 1):
        dates.append(
            (
                ReportKind.INTERIM,
                number,
                period_start + timedelta(days=length * number // (call.interim_reports + 1)),
            )
        )
    dates.append((ReportKind.FINAL, 1, period_end + timedelta(days=call.final_report_days)))
    return dates


@transaction.atomic
def application_accept_grant(*, application: Application, by: User, text: str) -> Acceptance:
    """A signatory accepts the grant's conditions before ``accept_by``.

    ``text`` is the text the person was shown and accepted; it must be the one the service
    would show now (a decision corrected in between makes the person read it again).
    Side effects: the acceptance record, the transition to follow-up with its log row, the
    payment plan (instalments due on acceptance become due today) and the reports owed.
    """
    locked = _lock(application)
    _require(by, "accept_grant", locked)
    if locked.state != S.APPROVED:
        raise ValidationError(_("Only an approved grant can be accepted."))
    if not can_proceed(locked.accept_grant):
        raise ValidationError(
            _("The last day to accept this grant was %(date)s. It can no longer be accepted.")
            % {"date": date_format(locked.accept_by, "j F Y") if locked.accept_by else "–"}
        )
    decision = effective_decision(locked)
    expected = acceptance_text(locked, decision)
    if text != expected:
        raise ValidationError(
            _("The conditions have changed since the page was shown. Read them again.")
        )
    now = timezone.now()
    acceptance = Acceptance.objects.create(
        application=locked,
        decision=decision,
        accepted_by=by,
        accepted_at=now,
        text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    locked.accept_grant()
    _save_transition(locked)
    _log(locked, name="accept_grant", source=S.APPROVED, by=by)
    _payments_plan(locked, granted=decision.granted_amount, today=timezone.localdate(now))
    period = decision.letter_data["period"]
    start = dt.date.fromisoformat(period["start"])
    end = dt.date.fromisoformat(period["end"])
    for kind, number, due_on in _report_due_dates(locked.call, start, end):
        report = Report.objects.create(application=locked, kind=kind, number=number, due_on=due_on)
        ReportCost.objects.bulk_create(
            [
                ReportCost(
                    report=report,
                    position=i,
                    category=line["category"],
                    description=line["description"],
                    budgeted=line["amount"],
                )
                for i, line in enumerate(granted_budget_lines(locked))
            ]
        )
    return acceptance


def _payments_plan(application: Application, *, granted: int, today) -> None:
    plan = application.call.instalment_plan()
    amounts = split_instalments(granted, [share for share, _trigger in plan])
    interim = 0
    payments = []
    for position, ((share, trigger), amount) in enumerate(zip(plan, amounts, strict=True), 1):
        report_number = None
        if trigger == InstalmentTrigger.INTERIM_REPORT:
            interim += 1
            report_number = interim
        due = trigger == InstalmentTrigger.ACCEPTANCE
        payments.append(
            Payment(
                application=application,
                position=position,
                trigger=trigger,
                report_number=report_number,
                share=share,
                planned_amount=amount,
                amount=amount,
                status=PaymentStatus.DUE if due else PaymentStatus.PLANNED,
                due_since=today if due else None,
            )
        )
    Payment.objects.bulk_create(payments)


def payments_replan(*, application: Application, granted: int) -> RepaymentClaim | None:
    """After a confirmed correction of a grant in follow-up: the instalments not yet paid are
    planned again so the plan adds up to the new amount; if more was paid than is now granted,
    the unpaid ones are cancelled and a repayment claim is made for the difference."""
    payments = list(application.payments.select_for_update().order_by("position"))
    if not payments:
        return None
    paid = sum(p.amount for p in payments if p.status == PaymentStatus.PAID)
    open_ = [p for p in payments if p.status in (PaymentStatus.PLANNED, PaymentStatus.DUE)]
    left = granted - paid
    if left > 0 and not open_:
        # Everything planned is paid (or was cancelled): what a correction upwards adds is one
        # more instalment, due now, or the plan would no longer add up to the grant.
        last = payments[-1]
        Payment.objects.create(
            application=application,
            position=last.position + 1,
            trigger=last.trigger,
            report_number=last.report_number,
            share=0,
            planned_amount=left,
            amount=left,
            status=PaymentStatus.DUE,
            due_since=timezone.localdate(),
        )
        return None
    if left <= 0:
        for payment in open_:
            payment.status = PaymentStatus.CANCELLED
            payment.amount = 0
            payment.planned_amount = 0
            payment.save()
        if left < 0:
            return RepaymentClaim.objects.create(application=application, amount=-left)
        return None
    shares = [p.share for p in open_]
    # An instalment added by a correction has no share of the plan: split evenly then.
    parts = split_proportionally(left, shares if any(shares) else [1] * len(shares))
    for payment, part in zip(open_, parts, strict=True):
        payment.planned_amount = payment.amount = part
        payment.save()
    return None


@transaction.atomic
def application_lapse(*, application: Application) -> Application | None:
    """The system closes an approved grant not accepted by ``accept_by``.

    Returns None, changing nothing, when the grant was accepted or lapsed meanwhile (the daily
    job may run twice). Side effects: the log row and a notification after commit.
    """
    locked = _lock(application)
    if locked.state != S.APPROVED or not can_proceed(locked.lapse):
        return None
    locked.lapse(at=timezone.now())
    _save_transition(locked)
    _log(locked, name="lapse", source=S.APPROVED, by=None, comment=f"accept_by {locked.accept_by}")
    transaction.on_commit(lambda: tasks.send_grant_lapsed.enqueue(application_id=locked.pk))
    return locked


def grants_lapse_expired(*, today=None) -> int:
    """Lapse every approved grant whose last day to accept has passed. Returns how many."""
    today = today or timezone.localdate()
    lapsed = 0
    for application in Application.objects.filter(state=S.APPROVED, accept_by__lt=today):
        if application_lapse(application=application):
            lapsed += 1
    return lapsed


def _lock_report(report: Report) -> Report:
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("application__call", "application__organisation")
        .get(pk=report.pk)
    )


def _clean_measures(call: Call, measures: dict) -> dict:
    """The call's measures as decimal strings; unknown keys are dropped, blanks kept blank."""
    from decimal import Decimal, InvalidOperation

    cleaned = {}
    for measure in call.report_measures or []:
        raw = str((measures or {}).get(measure["key"], "") or "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or abs(value) >= 10**9:
            raise ValidationError(
                _("“%(label)s” must be a number.") % {"label": call.measure_label(measure)}
            )
        cleaned[measure["key"]] = str(value)
    return cleaned


@transaction.atomic
def report_save(
    *,
    report: Report,
    by: User,
    what_was_done: str,
    lessons: str,
    participants: int | None,
    hub_days: int | None,
    measures: dict,
    total_spent: int | None,
    spent: dict[int, int | None],
) -> Report:
    """Save a report as a draft (nothing is checked for completeness until it is submitted).

    ``spent`` maps cost line ids to kronor spent. Refused once the report is submitted.
    """
    locked = _lock_report(report)
    _require(by, "edit_report", locked)
    if not locked.is_editable:
        raise ValidationError(_("A submitted report cannot be changed."))
    for value in (participants, hub_days, total_spent, *spent.values()):
        if value is not None and (value < 0 or value > 2_000_000_000):
            raise ValidationError(_("Figures must be whole numbers of zero or more."))
    locked.what_was_done = (what_was_done or "").strip()
    locked.lessons = (lessons or "").strip()
    locked.participants = participants
    locked.hub_days = hub_days
    locked.measures = _clean_measures(locked.application.call, measures)
    locked.total_spent = total_spent
    locked.save()
    costs = {cost.pk: cost for cost in locked.costs.all()}
    unknown = set(spent) - set(costs)
    if unknown:
        raise ValidationError(_("The cost lines have changed. Reload the page."))
    for pk, value in spent.items():
        costs[pk].spent = value
    ReportCost.objects.bulk_update(list(costs.values()), ["spent"])
    return locked


@transaction.atomic
def report_submit(*, report: Report, by: User) -> Report:
    """Submit a report to the agency; it is locked from then on.

    Refused, with every missing piece named, when the report is incomplete or its financial
    report does not add up.
    """
    locked = _lock_report(report)
    _require(by, "edit_report", locked)
    if not locked.is_editable:
        raise ValidationError(_("This report has already been submitted."))
    if locked.application.state != S.FOLLOW_UP:
        raise ValidationError(_("Reports are only submitted for grants in follow-up."))
    errors = report_errors(locked)
    if errors:
        raise ValidationError(errors)
    locked.status = ReportStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = by
    locked.save()
    audit_record(
        action="report.submit",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id, "total_spent": locked.total_spent},
    )
    return locked


@transaction.atomic
def report_return(*, report: Report, by: User, comment: str) -> Report:
    """The programme manager returns a submitted report with a comment; the applicant is
    emailed after commit and may change and submit it again."""
    locked = _lock_report(report)
    _require(by, "review_report", locked)
    if locked.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be returned."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Say what needs to be completed."))
    locked.status = ReportStatus.RETURNED
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.review_comment = comment
    locked.save()
    audit_record(
        action="report.return",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id},
    )
    transaction.on_commit(lambda: tasks.send_report_returned.enqueue(report_id=locked.pk))
    return locked


@transaction.atomic
def report_approve(*, report: Report, by: User, comment: str = "") -> Report:
    """Approve a submitted report.

    Refused when the financial report does not add up. An interim report makes its instalment
    due; the final report settles the grant: the instalments still to pay are lowered to what
    was spent, and a repayment claim is made when less was spent than was paid.
    """
    locked = _lock_report(report)
    _require(by, "review_report", locked)
    if locked.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be approved."))
    errors = report_errors(locked)
    if errors:
        raise ValidationError(errors)
    application = _lock(locked.application)
    if (
        locked.kind == ReportKind.FINAL
        and application.reports.filter(kind=ReportKind.INTERIM)
        .exclude(status=ReportStatus.APPROVED)
        .exists()
    ):
        raise ValidationError(_("Approve the interim reports before the final report."))
    locked.status = ReportStatus.APPROVED
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.review_comment = (comment or "").strip()
    locked.save()
    today = timezone.localdate()
    if locked.kind == ReportKind.INTERIM:
        application.payments.filter(
            trigger=InstalmentTrigger.INTERIM_REPORT,
            report_number=locked.number,
            status=PaymentStatus.PLANNED,
        ).update(status=PaymentStatus.DUE, due_since=today)
    else:
        _settle(application, report=locked, today=today, by=by)
    audit_record(
        action="report.approve",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id, "total_spent": locked.total_spent},
    )
    transaction.on_commit(lambda: tasks.send_report_approved.enqueue(report_id=locked.pk))
    return locked


def _settle(application: Application, *, report: Report, today, by: User) -> None:
    """What is still to pay after the final report: at most what was spent, in all."""
    granted = effective_decision(application).granted_amount
    owed = min(report.total_spent, granted)
    payments = list(application.payments.select_for_update().order_by("position"))
    owed -= sum(p.amount for p in payments if p.status == PaymentStatus.PAID)
    for payment in payments:
        if payment.status not in (PaymentStatus.PLANNED, PaymentStatus.DUE):
            continue
        pay = max(0, min(payment.amount, owed))
        owed -= pay
        payment.amount = pay
        if pay:
            payment.status = PaymentStatus.DUE
            payment.due_since = payment.due_since or today
        else:
            payment.status = PaymentStatus.CANCELLED
        payment.save()
    if owed < 0:
        claim = RepaymentClaim.objects.create(application=application, report=report, amount=-owed)
        audit_record(
            action="repayment.claim",
            actor=by,
            target=claim,
            data={"application_id": application.pk, "amount": claim.amount},
        )


@transaction.atomic
def payment_mark_paid(*, payment: Payment, by: User, paid_on, reference: str = "") -> Payment:
    """A programme manager records that an instalment due was paid (on a day not in the
    future)."""
    locked = Payment.objects.select_for_update().select_related("application").get(pk=payment.pk)
    _require(by, "manage_payments", locked.application)
    if locked.status != PaymentStatus.DUE:
        raise ValidationError(_("Only an instalment due for payment can be marked as paid."))
    if paid_on is None or paid_on > timezone.localdate():
        raise ValidationError(_("Give the day the payment was made; it cannot be in the future."))
    locked.status = PaymentStatus.PAID
    locked.paid_on = paid_on
    locked.paid_by = by
    locked.reference = (reference or "").strip()[:100]
    locked.save()
    audit_record(
        action="payment.paid",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id, "amount": locked.amount},
    )
    return locked


@transaction.atomic
def repayment_mark_settled(*, claim: RepaymentClaim, by: User, settled_on) -> RepaymentClaim:
    """A programme manager records that a repayment was received."""
    locked = (
        RepaymentClaim.objects.select_for_update().select_related("application").get(pk=claim.pk)
    )
    _require(by, "manage_payments", locked.application)
    if locked.settled_on:
        raise ValidationError(_("This repayment has already been recorded."))
    if settled_on is None or settled_on > timezone.localdate():
        raise ValidationError(_("Give the day the money came in; it cannot be in the future."))
    locked.settled_on = settled_on
    locked.settled_by = by
    locked.save()
    audit_record(
        action="repayment.received",
        actor=by,
        target=locked,
        data={"application_id": locked.application_id, "amount": locked.amount},
    )
    return locked


@transaction.atomic
def application_close(*, application: Application, by: User) -> Application:
    """Close a grant in follow-up once its final report is approved and its money settled.

    Side effects: the log row, the closing letter's frozen data, and the letter task after
    commit.
    """
    locked = _lock(application)
    _require(by, "close_application", locked)
    if not can_proceed(locked.close):
        raise ValidationError(_("Only a grant in follow-up can be closed."))
    blockers = closure_blockers(locked)
    if blockers:
        raise ValidationError(blockers)
    now = timezone.now()
    locked.close(at=now)
    _save_transition(locked)
    _log(locked, name="close", source=S.FOLLOW_UP, by=by)
    letter = ClosingLetter.objects.create(
        application=locked,
        letter_data=closing_letter_data(locked, closed_by=by, closed_on=timezone.localdate(now)),
    )
    transaction.on_commit(lambda: tasks.generate_closing_letter.enqueue(letter_id=letter.pk))
    return locked


def follow_up_reminders_send(*, today=None) -> int:
    """Queue the reminder emails due today: before a report's due date (within the call's
    ``reminder_days_before``) and once it is overdue. Each reminder is sent at most once: the
    ``ReportReminder`` row's unique constraint decides, so two runs at the same moment, on
    any number of machines, send it once. Returns how many were queued."""
    today = today or timezone.localdate()
    queued = 0
    reports = Report.objects.filter(
        application__state=S.FOLLOW_UP,
        status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED],
    ).select_related("application__call")
    for report in reports.iterator():
        if today > report.due_on:
            kind = ReminderKind.OVERDUE
        elif today >= report.due_on - timedelta(days=report.application.call.reminder_days_before):
            kind = ReminderKind.BEFORE_DUE
        else:
            continue
        try:
            with transaction.atomic():
                reminder = ReportReminder.objects.create(report=report, kind=kind)
                transaction.on_commit(
                    lambda pk=reminder.pk: tasks.send_report_reminder.enqueue(reminder_id=pk)
                )
        except IntegrityError:
            continue
        queued += 1
    return queued


# -- personal data -----------------------------------------------------------------------------

# A batch of ids per query, well under every database's limit on bound parameters.
_CHUNK = 500


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def redact_snapshot(content: dict) -> dict:
    """A frozen version's content with the contact person's details blanked.

    The rest (the organisation, a legal entity, and what it applied for) stays: it is the
    agency's record of what was received, and the version's SHA-256 still proves it.
    """
    redacted = dict(content)
    if "contact" in redacted:
        redacted["contact"] = {"name": "", "email": "", "phone": ""}
    return redacted


def _person_anonymise(user: User, *, at) -> None:
    from django.db.models import Q

    from . import personal_data

    old_email = user.email
    user.full_name = ANONYMISED_NAME.format(pk=user.pk)
    user.email = ANONYMISED_EMAIL.format(pk=user.pk)
    user.phone = ""
    user.is_active = False
    user.last_login = None
    user.set_unusable_password()
    user.save(update_fields=["full_name", "email", "phone", "is_active", "last_login", "password"])
    user.groups.clear()
    user.user_permissions.clear()
    Membership.objects.filter(user=user).delete()
    Invitation.objects.filter(Q(email__iexact=old_email) | Q(accepted_by=user)).update(
        email=user.email
    )
    # Nobody joins through an anonymised person's invitation, or with their old address.
    Invitation.objects.filter(
        Q(email=user.email) | Q(invited_by=user), accepted_at__isnull=True, expires_at__gt=at
    ).update(expires_at=at)
    for part in personal_data.parts():
        part.anonymise(user=user, old_email=old_email, at=at)


@transaction.atomic
def personal_data_anonymise_expired(*, today) -> RetentionPlan:
    """The daily retention job: anonymise the people and cases whose retention has run out.

    Who and which (``personal_data_expired``): cases over for longer than their
    call's ``personal_data_retention_years``, and people tied only to such cases.

    Side effects, in one transaction:
    - each such person: name ``Anonymiserad person <id>``, email ``anonymised-<id>@invalid``,
      phone blank, unusable password, inactive (so they can no longer log in, and their
      sessions stop working); agency groups, memberships ended; invitations to their address
      carry the anonymised address, and pending ones to or from them are ended; the parts of
      apps above (a reviewer's panel invitations and employer) are anonymised by those apps;
    - each such case: the contact person's name, email and phone blanked on the application,
      and inside every frozen version's content, which records ``redacted_at`` and keeps its
      ``sha256``, the hash of what was received.
    Decisions, their letters and the closing letters are official records and are not changed
    (they name only the agency's staff, acting in office, and the organisation); the audit log
    holds no personal data. Running it again changes nothing more. Returns what was done.
    """
    plan = personal_data_expired(today=today)
    now = timezone.now()
    for ids in _chunks(plan.user_ids):
        for user in User.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            _person_anonymise(user, at=now)
    for ids in _chunks(plan.case_ids):
        Application.objects.filter(pk__in=ids).update(
            contact_name="", contact_email="", contact_phone=""
        )
        versions = ApplicationVersion.objects.select_for_update().filter(
            application_id__in=ids, redacted_at__isnull=True
        )
        for version in versions.order_by("pk"):
            version.content = redact_snapshot(version.content)
            version.redacted_at = now
            version.save(update_fields=["content", "redacted_at"])
    return plan
