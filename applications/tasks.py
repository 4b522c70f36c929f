"""Background work: emails and letters are made by a task worker, never in the request.

The tasks are an edge, like the views: they load rows and call ``emails`` or a service. The
services queue them by name (``services._common._enqueue_on_commit``), never by import, so no
import runs back up from the services to here. Queued rows store each task's path
(``applications.tasks.<name>``): a task keeps its name and its place here.
"""

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

from . import emails
from .models import (
    Acceptance,
    Application,
    ApplicationVersion,
    DeadlineException,
    DeadlineReminder,
    Decision,
    Invitation,
    OrganisationClaim,
    Payment,
    Report,
    ReportReminder,
    User,
)
from .scanning import Verdict
from .services.email_verification import email_verification_token
from .services.jobs import job_run
from .services.letters import closing_letter_generate, decision_letter_generate
from .services.scanning import attachment_scan

logger = logging.getLogger(__name__)


@task()
def send_submission_receipt(*, version_id: int) -> None:
    version = ApplicationVersion.objects.select_related(
        "application__call", "application__organisation", "submitted_by"
    ).get(pk=version_id)
    emails.send_submission_receipt(version)


@task()
def send_withdrawal_notice(*, application_id: int) -> None:
    emails.send_withdrawal_notice(
        Application.objects.select_related("organisation").get(pk=application_id)
    )


@task()
def send_completion_request(*, application_id: int) -> None:
    emails.send_completion_request(
        Application.objects.select_related("organisation").get(pk=application_id)
    )


@task()
def send_invitation(*, invitation_id: int) -> None:
    emails.send_invitation(
        Invitation.objects.select_related("organisation", "invited_by").get(pk=invitation_id)
    )


@task()
def send_deadline_exception_notice(*, exception_id: int) -> None:
    emails.send_deadline_exception_notice(
        DeadlineException.objects.select_related(
            "application__organisation", "application__call"
        ).get(pk=exception_id)
    )


LETTER_ATTEMPTS = 5


@task()
def generate_decision_letter(*, decision_id: int, attempt: int = 1) -> None:
    """Make a decision's letter; on failure (storage down, say) try again later, a few times."""
    try:
        decision_letter_generate(decision_id)
    except Exception:
        if attempt >= LETTER_ATTEMPTS:
            raise
        retry = generate_decision_letter
        if retry.get_backend().supports_defer:
            retry = retry.using(run_after=timezone.now() + dt.timedelta(minutes=2**attempt))
        retry.enqueue(decision_id=decision_id, attempt=attempt + 1)
        raise


@task()
def send_decision_ready(*, decision_id: int) -> None:
    emails.send_decision_ready(
        Decision.objects.select_related("application__organisation", "application__call").get(
            pk=decision_id
        )
    )


@task()
def send_grant_lapsed(*, application_id: int) -> None:
    emails.send_grant_lapsed(
        Application.objects.select_related("organisation", "call").get(pk=application_id)
    )


@task()
def send_report_reminder(*, reminder_id: int) -> None:
    emails.send_report_reminder(
        ReportReminder.objects.select_related(
            "report__application__organisation", "report__application__call"
        ).get(pk=reminder_id)
    )


@task()
def send_report_returned(*, report_id: int) -> None:
    emails.send_report_returned(
        Report.objects.select_related("application__organisation", "application__call").get(
            pk=report_id
        )
    )


@task()
def send_report_approved(*, report_id: int) -> None:
    emails.send_report_approved(
        Report.objects.select_related("application__organisation", "application__call").get(
            pk=report_id
        )
    )


@task()
def generate_closing_letter(*, letter_id: int, attempt: int = 1) -> None:
    """Make a closing letter's PDF; on failure try again later, a few times."""
    try:
        closing_letter_generate(letter_id)
    except Exception:
        if attempt >= LETTER_ATTEMPTS:
            raise
        retry = generate_closing_letter
        if retry.get_backend().supports_defer:
            retry = retry.using(run_after=timezone.now() + dt.timedelta(minutes=2**attempt))
        retry.enqueue(letter_id=letter_id, attempt=attempt + 1)
        raise


@task()
def send_grant_closed(*, application_id: int) -> None:
    emails.send_grant_closed(
        Application.objects.select_related("organisation", "call").get(pk=application_id)
    )


@task()
def send_password_reset(*, user_id: int, protocol: str, domain: str) -> None:
    # Only to an account that can still log in, as Django's reset form chooses them.
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None and user.has_usable_password():
        emails.send_password_reset(user, protocol=protocol, domain=domain)


SCAN_ATTEMPTS = 5


@task()
def scan_attachment(*, attachment_id: int, attempt: int = 1) -> None:
    """Have clamd check an uploaded file. With no answer (clamd down, slow) the file stays
    pending and the scan is queued again, a few times, later each time; after that the daily
    ``manage.py scan_attachments`` picks it up. A pending file is never handed out."""
    result = attachment_scan(attachment_id=attachment_id)
    if result is None or result.verdict is not Verdict.UNAVAILABLE:
        return
    if attempt >= SCAN_ATTEMPTS:
        logger.warning(
            "attachment %s still unscanned after %s attempts; the daily scan will retry",
            attachment_id,
            attempt,
        )
        return
    retry = scan_attachment
    if retry.get_backend().supports_defer:
        retry = retry.using(run_after=timezone.now() + dt.timedelta(minutes=2**attempt))
    retry.enqueue(attachment_id=attachment_id, attempt=attempt + 1)


@task()
def send_email_verification(*, user_id: int, next_path: str = "") -> None:
    # The token is made when the email is written, so it names the address as it is then.
    user = User.objects.get(pk=user_id)
    if user.email_verified_at is None:
        emails.send_email_verification(user, email_verification_token(user), next_path)


@task()
def send_signup_existing_account(*, user_id: int, next_path: str = "") -> None:
    emails.send_signup_existing_account(User.objects.get(pk=user_id), next_path)


@task()
def send_organisation_claim(*, claim_id: int) -> None:
    emails.send_organisation_claim(
        OrganisationClaim.objects.select_related("organisation", "claimant").get(pk=claim_id)
    )


@task()
def send_organisation_claim_decided(*, claim_id: int) -> None:
    emails.send_organisation_claim_decided(
        OrganisationClaim.objects.select_related("organisation", "claimant").get(pk=claim_id)
    )


# -- every event of a case (issue 14) ------------------------------------------------------------

_DECISION_RELATED = ("application__organisation", "application__call", "proposed_by")


@task()
def send_decision_proposed(*, decision_id: int) -> None:
    emails.send_decision_proposed(
        Decision.objects.select_related(*_DECISION_RELATED).get(pk=decision_id)
    )


@task()
def send_decision_sent_back(*, decision_id: int) -> None:
    emails.send_decision_sent_back(
        Decision.objects.select_related(*_DECISION_RELATED, "sent_back_by").get(pk=decision_id)
    )


@task()
def send_report_submitted(*, report_id: int) -> None:
    emails.send_report_submitted(
        Report.objects.select_related("application__organisation", "application__call").get(
            pk=report_id
        )
    )


@task()
def send_report_submitted_notice(*, report_id: int) -> None:
    emails.send_report_submitted_notice(
        Report.objects.select_related("application__organisation", "application__call").get(
            pk=report_id
        )
    )


@task()
def send_grant_accepted(*, acceptance_id: int) -> None:
    emails.send_grant_accepted(
        Acceptance.objects.select_related("application__organisation", "application__call").get(
            pk=acceptance_id
        )
    )


@task()
def send_grant_accepted_notice(*, acceptance_id: int) -> None:
    emails.send_grant_accepted_notice(
        Acceptance.objects.select_related("application__organisation", "application__call").get(
            pk=acceptance_id
        )
    )


@task()
def send_payment_paid(*, payment_id: int) -> None:
    emails.send_payment_paid(
        Payment.objects.select_related("application__organisation", "application__call").get(
            pk=payment_id
        )
    )


@task()
def send_deadline_reminder(*, reminder_id: int) -> None:
    """The reminder's own email: ``send_completion_reminder`` or ``send_acceptance_reminder``."""
    reminder = DeadlineReminder.objects.select_related(
        "application__organisation", "application__call"
    ).get(pk=reminder_id)
    getattr(emails, f"send_{reminder.kind}_reminder")(reminder)


# -- background jobs with a page of their own (issue 15) ----------------------------------------


@task()
def run_background_job(*, job_id: int) -> None:
    """A job's work (``services.jobs``): run twice, it does nothing twice."""
    job_run(job_id)
