"""The application's transitions: submit, withdraw, return for completion, late exceptions,
eligibility, review, and the decision's transition (``application_decide``)."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed

from applications.hashing import content_sha256
from applications.selectors.applications import latest_version, snapshot_content, submission_errors
from applications.selectors.organisations import organisation_unverified_message

from ..audit import audit_record
from ..models import (
    Application,
    ApplicationVersion,
    DeadlineException,
    EligibilityCheck,
    RegistrationCounter,
    User,
)
from ._common import (
    S,
    _audit_transition,
    _enqueue_on_commit,
    _local,
    _lock,
    _log,
    _log_transition,
    _require,
    _save_transition,
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
    if not locked.organisation.is_verified:
        # Who the organisation is, and so its kind, is the agency's to confirm first.
        raise ValidationError(organisation_unverified_message(locked.organisation))
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
        edit_version=locked.edit_version,
    )
    # The lists' copy of what was just submitted (``Application.submitted_title``), saved with
    # the transition below.
    locked.submitted_title = content["title"]
    locked.submitted_amount = content["requested_amount"]
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
    _enqueue_on_commit("send_submission_receipt", version_id=version.pk)
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
    _enqueue_on_commit("send_withdrawal_notice", application_id=locked.pk)
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
    _enqueue_on_commit("send_completion_request", application_id=locked.pk)
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
    _enqueue_on_commit("send_deadline_exception_notice", exception_id=exception.pk)
    return exception


@transaction.atomic
def application_check_eligibility(
    *, application: Application, by: User, items: dict[str, bool], comment: str = ""
) -> EligibilityCheck:
    """Record the eligibility checklist: the items the application's call asks now (its
    ``checklist``), each ticked or not. Review can start only when every item is ticked."""
    locked = _lock(application)
    _require(by, "check_eligibility", locked)
    if locked.state != S.SUBMITTED:
        raise ValidationError(_("Eligibility is checked while the application is submitted."))
    cleaned = {item.key: bool(items.get(item.key)) for item in locked.call.checklist()}
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
