"""Every write that matters, one function per use case.

Each transition has exactly one service here, used by every caller (views, admin actions,
commands). A service checks the user's right, runs the transition, saves, writes the log row
and schedules emails with ``transaction.on_commit``. Errors meant for the user are raised as
``ValidationError`` with a translated message; a missing right is ``PermissionDenied``.
"""

import hashlib
from datetime import timedelta

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from grants.models import Call

from . import selectors, tasks
from .enums import (
    ApplicationState,
    DecisionOutcome,
    DecisionStatus,
    EligibilityItem,
    IneligibilityReason,
)
from .models import (
    Application,
    ApplicationTransition,
    ApplicationVersion,
    Attachment,
    BudgetLine,
    DeadlineException,
    Decision,
    DecisionLetter,
    DecisionRelease,
    EligibilityCheck,
    Invitation,
    Membership,
    Organisation,
    RegistrationCounter,
    User,
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
    locked = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
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
    total = selectors.attachments_total_size(locked)
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
    ApplicationTransition.objects.create(
        application=application,
        name=name,
        source=source,
        target=application.state,
        actor=by,
        comment=comment,
    )


def _save_transition(application: Application) -> None:
    try:
        application.save()
    except ConcurrentTransition:
        raise ValidationError(
            _("Someone else changed this application at the same moment. Reload and try again.")
        ) from None


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("call", "organisation")
        .get(pk=application.pk)
    )


def _next_registration_number(year: int) -> str:
    """The next number of the year, gap-free: the counter row stays locked until commit."""
    RegistrationCounter.objects.bulk_create(
        [RegistrationCounter(year=year, last=0)], ignore_conflicts=True
    )
    RegistrationCounter.objects.filter(year=year).update(last=F("last") + 1)
    last = RegistrationCounter.objects.values_list("last", flat=True).get(year=year)
    return f"{year}-{last:05d}"


@transaction.atomic
def application_submit(*, application: Application, by: User) -> ApplicationVersion:
    """Submit, resubmit after completion, or submit a new version before the deadline.

    Side effects: a registration number on first submit (kept afterwards), a frozen version
    with its SHA-256, a log row, and a receipt email after commit. Submitting content identical
    to the latest version is refused, so a double click gives one submission.
    """
    locked = _lock(application)
    _require(by, "submit_application", locked)
    now = timezone.now()
    if locked.state not in (S.DRAFT, S.RETURNED, S.SUBMITTED):
        raise ValidationError(_("This application can no longer be submitted."))
    if now >= locked.deadline:
        raise ValidationError(
            _("The deadline, %(deadline)s, has passed. Late applications cannot be submitted.")
            % {"deadline": _local(locked.deadline)}
        )
    errors = selectors.submission_errors(locked)
    if errors:
        raise ValidationError([error.message for error in errors])
    content = selectors.snapshot_content(locked)
    digest = selectors.content_sha256(content)
    latest = selectors.latest_version(locked)
    source = locked.state
    if source == S.SUBMITTED:
        if latest and latest.sha256 == digest:
            raise ValidationError(
                _("This version has already been submitted. Nothing has changed since then."),
                code="unchanged",
            )
        locked.submit_new_version(at=now)
        name = "submit_new_version"
    else:
        # The agency's year (Europe/Stockholm), whatever time zone a request has activated.
        year = timezone.localtime(now, timezone.get_default_timezone()).year
        number = locked.registration_number or _next_registration_number(year)
        locked.submit(at=now, registration_number=number)
        name = "submit"
    _save_transition(locked)
    version = ApplicationVersion.objects.create(
        application=locked,
        number=(latest.number + 1) if latest else 1,
        content=content,
        sha256=digest,
        submitted_at=now,
        submitted_by=by,
    )
    version.attachments.set(selectors.current_attachments(locked))
    _log(locked, name=name, source=source, by=by, comment=f"v{version.number} sha256:{digest}")
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
def application_accept_grant(*, application: Application, by: User) -> Application:
    """A signatory accepts the grant's conditions (the screens come with follow-up)."""
    locked = _lock(application)
    _require(by, "accept_grant", locked)
    if not can_proceed(locked.accept_grant):
        raise ValidationError(_("Only an approved grant can be accepted."))
    locked.accept_grant()
    _save_transition(locked)
    _log(locked, name="accept_grant", source=S.APPROVED, by=by)
    return locked


@transaction.atomic
def application_lapse(*, application: Application) -> Application:
    """The system closes an approved grant that was not accepted in time."""
    locked = _lock(application)
    if not can_proceed(locked.lapse):
        raise ValidationError(_("Only an approved grant can lapse."))
    locked.lapse(at=timezone.now())
    _save_transition(locked)
    _log(locked, name="lapse", source=S.APPROVED, by=None)
    return locked


@transaction.atomic
def application_close(*, application: Application, by: User) -> Application:
    """Close a grant in follow-up (the guards on reports and payments come with follow-up)."""
    locked = _lock(application)
    _require(by, "close_application", locked)
    if not can_proceed(locked.close):
        raise ValidationError(_("Only a grant in follow-up can be closed."))
    locked.close(at=timezone.now())
    _save_transition(locked)
    _log(locked, name="close", source=S.FOLLOW_UP, by=by)
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
    version = selectors.latest_version(locked)
    requested = (version.content.get("requested_amount") if version else None) or 0
    if supersedes is None:
        if locked.decisions.filter(status=DecisionStatus.PROPOSED).exists():
            raise ValidationError(_("A proposed decision is already waiting for confirmation."))
        if selectors.effective_decision(locked):
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
        if selectors.effective_decision(locked) != supersedes:
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
                % {"requested": selectors.format_kronor(requested)}
            )
    else:
        granted_amount = 0
    return Decision.objects.create(
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
        committed = selectors.call_committed_amount(call)
        replaced = locked.supersedes.granted_amount if locked.supersedes_id else 0
        # What this decision may grant: what the budget leaves, plus what a corrected decision
        # had; never less than that, so a correction downwards passes a lowered budget.
        remaining = max(call.budget - committed + replaced, replaced)
        if locked.granted_amount > remaining:
            raise ValidationError(
                _(
                    "Confirming this would exceed the call's budget: %(remaining)s kr remain of "
                    "%(budget)s kr, and the decision grants %(amount)s kr."
                )
                % {
                    "remaining": selectors.format_kronor(remaining),
                    "budget": selectors.format_kronor(call.budget),
                    "amount": selectors.format_kronor(locked.granted_amount),
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
    locked.letter_data = selectors.decision_letter_data(
        locked, decided_by=by, decided_on=decided_on
    )
    locked.status = DecisionStatus.CONFIRMED
    locked.decided_by = by
    locked.confirmed_at = now
    locked.decided_on = decided_on
    locked.save()
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
    if created:
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
