"""One function per email. Each renders ``templates/emails/<name>/`` in the recipient's
language and sends a plain-text body with an HTML alternative."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode

from .enums import ApplicationState, DecisionOutcome
from .models import (
    Application,
    ApplicationVersion,
    DeadlineException,
    Invitation,
    OrganisationClaim,
    User,
)
from .selectors.organisations import programme_manager_addresses
from .selectors.recipients import (
    case_officers_of,
    decision_makers_for,
    due_payments_of,
    next_payment_of,
    next_report_of,
    open_payments_of,
)


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def send_email(name: str, *, to: list[str], language: str, context: dict) -> None:
    recipients = sorted({address.lower() for address in to if address})
    if not recipients:
        return
    with translation.override(language):
        context = {**context, "agency_name": settings.AGENCY_NAME, "site_url": settings.SITE_URL}
        subject = " ".join(render_to_string(f"emails/{name}/subject.txt", context).split())
        body = render_to_string(f"emails/{name}/body.txt", context)
        html = render_to_string(f"emails/{name}/body.html", context)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    message.attach_alternative(html, "text/html")
    message.send()


def send_submission_receipt(version: ApplicationVersion) -> None:
    """The receipt: registration number, time received and the SHA-256 of what was received."""
    application = version.application
    send_email(
        "submission_receipt",
        to=[version.submitted_by.email, application.contact_email],
        language=application.language,
        context={
            "application": application,
            "version": version,
            "url": site_url(reverse("applications:detail", args=[application.pk])),
        },
    )


def send_withdrawal_notice(application: Application) -> None:
    send_email(
        "withdrawal_notice",
        to=[m.user.email for m in application.organisation.memberships.select_related("user")],
        language=application.language,
        context={
            "application": application,
            "url": site_url(reverse("applications:detail", args=[application.pk])),
        },
    )


def send_completion_request(application: Application) -> None:
    send_email(
        "completion_request",
        to=[application.contact_email]
        + [m.user.email for m in application.organisation.memberships.select_related("user")],
        language=application.language,
        context={
            "application": application,
            "url": site_url(reverse("applications:detail", args=[application.pk])),
        },
    )


def send_invitation(invitation: Invitation) -> None:
    send_email(
        "invitation",
        to=[invitation.email],
        language=invitation.invited_by.language,
        context={
            "invitation": invitation,
            "url": site_url(reverse("applications:invitation_accept", args=[invitation.token])),
        },
    )


def send_deadline_exception_notice(exception: DeadlineException) -> None:
    """The organisation is told its application's new deadline (a late exception)."""
    application = exception.application
    send_email(
        "deadline_exception",
        to=[application.contact_email]
        + [m.user.email for m in application.organisation.memberships.select_related("user")],
        language=application.language,
        context={
            "application": application,
            "exception": exception,
            "url": site_url(reverse("applications:detail", args=[application.pk])),
        },
    )


def send_decision_ready(decision) -> None:
    """The applicant is told what was decided (approved with the amount, not granted, or
    rejected as ineligible), what to do next (accept an approval by its last day, with the link)
    and where to read the letter."""
    application = decision.application
    # The last day to accept is set when the decision is released, just before this is sent; a
    # correction of a grant already accepted has nothing to accept.
    to_accept = application.state == ApplicationState.APPROVED and application.accept_by
    send_email(
        "decision_ready",
        to=[application.contact_email]
        + [m.user.email for m in application.organisation.memberships.select_related("user")],
        language=decision.language,
        context={
            "application": application,
            "decision": decision,
            "approved": decision.outcome == DecisionOutcome.APPROVED,
            "ineligible": decision.outcome == DecisionOutcome.REJECTED_INELIGIBLE,
            "appealable": (decision.letter_data or {}).get("appealable", False),
            "accept_by": application.accept_by if to_accept else None,
            "accept_url": site_url(reverse("applications:accept_grant", args=[application.pk])),
            "grant_url": site_url(reverse("applications:follow_up", args=[application.pk])),
            "letter_url": site_url(
                reverse("applications:decision_letter", args=[application.pk, decision.pk])
            ),
            "url": site_url(reverse("applications:detail", args=[application.pk])),
        },
    )


def _organisation_recipients(application: Application) -> list[str]:
    return [application.contact_email] + [
        m.user.email for m in application.organisation.memberships.select_related("user")
    ]


def _grant_url(application: Application) -> str:
    return site_url(reverse("applications:follow_up", args=[application.pk]))


def send_grant_lapsed(application: Application) -> None:
    """The grant was not accepted in time and is closed."""
    send_email(
        "grant_lapsed",
        to=_organisation_recipients(application),
        language=application.language,
        context={"application": application, "url": _grant_url(application)},
    )


def send_report_reminder(reminder) -> None:
    """A report is due soon (``before_due``) or overdue (``overdue``)."""
    application = reminder.report.application
    send_email(
        f"report_reminder_{reminder.kind}",
        to=_organisation_recipients(application),
        language=application.language,
        context={
            "application": application,
            "report": reminder.report,
            "url": _grant_url(application),
        },
    )


def send_report_returned(report) -> None:
    """The agency returned a report with a comment."""
    application = report.application
    send_email(
        "report_returned",
        to=_organisation_recipients(application),
        language=application.language,
        context={"application": application, "report": report, "url": _grant_url(application)},
    )


def send_report_approved(report) -> None:
    application = report.application
    send_email(
        "report_approved",
        to=_organisation_recipients(application),
        language=application.language,
        context={"application": application, "report": report, "url": _grant_url(application)},
    )


def send_grant_closed(application: Application) -> None:
    """The grant is closed; the closing letter can be read."""
    send_email(
        "grant_closed",
        to=_organisation_recipients(application),
        language=application.language,
        context={"application": application, "url": _grant_url(application)},
    )


def send_password_reset(user, *, protocol: str, domain: str) -> None:
    """Django's reset email (templates/registration/password_reset_*), in the person's language,
    with a link made now: the token is good for PASSWORD_RESET_TIMEOUT from here."""
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": domain,
        "protocol": protocol,
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = " ".join(
            render_to_string("registration/password_reset_subject.txt", context).split()
        )
        body = render_to_string("registration/password_reset_email.html", context)
        html = render_to_string("registration/password_reset_email_html.html", context)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    message.send()


def _with_next(path: str, next_path: str) -> str:
    return f"{path}?{urlencode({'next': next_path})}" if next_path else path


def send_email_verification(user: User, token: str, next_path: str = "") -> None:
    """The link that confirms a new account's email address (leading on to ``next_path``)."""
    path = reverse("applications:email_verify", args=[token])
    send_email(
        "email_verification",
        to=[user.email],
        language=user.language,
        context={"user": user, "url": site_url(_with_next(path, next_path))},
    )


def send_signup_existing_account(user: User, next_path: str = "") -> None:
    """Someone signed up with an address that has an account: tell its owner, nothing more."""
    send_email(
        "signup_existing_account",
        to=[user.email],
        language=user.language,
        context={
            "user": user,
            "login_url": site_url(_with_next(reverse("login"), next_path)),
            "reset_url": site_url(reverse("password_reset")),
        },
    )


def send_organisation_claim(claim: OrganisationClaim) -> None:
    """A claim to a registered organisation number, to every programme manager."""
    send_email(
        "organisation_claim",
        to=programme_manager_addresses(),
        language=settings.LANGUAGE_CODE,
        context={
            "claim": claim,
            "url": site_url(reverse("applications:organisation_checks")),
        },
    )


def send_organisation_claim_decided(claim: OrganisationClaim) -> None:
    """The claimant is told how the agency decided their claim."""
    send_email(
        "organisation_claim_decided",
        to=[claim.claimant.email],
        language=claim.claimant.language,
        context={
            "claim": claim,
            "url": site_url(reverse("applications:dashboard")),
        },
    )


# -- every event of a case (issue 14) ------------------------------------------------------------
#
# The applicant's side goes to the organisation's people and the contact, in the application's
# language; the agency's side to each person on their own, in that person's language (so nobody
# sees the others' addresses, and a Swedish and an English colleague each read their own).


def send_email_to_each(name: str, *, users, context: dict) -> None:
    """One email per person, each in that person's language."""
    for user in users:
        send_email(
            name,
            to=[user.email],
            language=user.language or settings.LANGUAGE_CODE,
            context={**context, "recipient": user},
        )


def send_decision_proposed(decision) -> None:
    """A proposal waits for a decision maker: to every one who may confirm it."""
    application = decision.application
    send_email_to_each(
        "decision_proposed",
        users=decision_makers_for(decision),
        context={
            "application": application,
            "decision": decision,
            "url": site_url(reverse("applications:decisions")),
        },
    )


def send_decision_sent_back(decision) -> None:
    """A decision maker sent a proposal back: to the programme manager who proposed it, with
    the reason."""
    application = decision.application
    send_email_to_each(
        "decision_sent_back",
        users=[decision.proposed_by],
        context={
            "application": application,
            "decision": decision,
            "url": site_url(reverse("applications:manage_detail", args=[application.pk])),
        },
    )


def send_report_submitted(report) -> None:
    """The receipt for a submitted report, to the organisation."""
    application = report.application
    send_email(
        "report_submitted",
        to=_organisation_recipients(application),
        language=application.language,
        context={"application": application, "report": report, "url": _grant_url(application)},
    )


def send_report_submitted_notice(report) -> None:
    """A report waits for the agency: to the grant's programme manager(s)."""
    application = report.application
    send_email_to_each(
        "report_submitted_notice",
        users=case_officers_of(application),
        context={
            "application": application,
            "report": report,
            "url": site_url(
                reverse("applications:manage_report", args=[application.pk, report.pk])
            ),
        },
    )


def send_grant_accepted(acceptance) -> None:
    """The organisation's confirmation of its acceptance: the payments and reports ahead."""
    application = acceptance.application
    send_email(
        "grant_accepted",
        to=_organisation_recipients(application),
        language=application.language,
        context={
            "application": application,
            "acceptance": acceptance,
            "payments": open_payments_of(application),
            "reports": list(application.reports.order_by("due_on", "number")),
            "url": _grant_url(application),
        },
    )


def send_grant_accepted_notice(acceptance) -> None:
    """A grant was accepted: to its programme manager(s), with what is now due for payment."""
    application = acceptance.application
    send_email_to_each(
        "grant_accepted_notice",
        users=case_officers_of(application),
        context={
            "application": application,
            "acceptance": acceptance,
            "due": due_payments_of(application),
            "url": site_url(reverse("applications:manage_follow_up", args=[application.pk])),
        },
    )


def send_payment_paid(payment) -> None:
    """An instalment was paid: to the organisation, with the amount and what comes next."""
    application = payment.application
    send_email(
        "payment_paid",
        to=_organisation_recipients(application),
        language=application.language,
        context={
            "application": application,
            "payment": payment,
            "next_payment": next_payment_of(payment),
            "next_report": next_report_of(application),
            "url": _grant_url(application),
        },
    )


def send_completion_reminder(reminder) -> None:
    """A returned application's completion deadline draws near and it is not submitted again."""
    application = reminder.application
    send_email(
        "completion_reminder",
        to=_organisation_recipients(application),
        language=application.language,
        context={
            "application": application,
            "reminder": reminder,
            "url": site_url(reverse("applications:detail", args=[application.pk])),
        },
    )


def send_acceptance_reminder(reminder) -> None:
    """The last day to accept an approved grant draws near and it is not accepted."""
    application = reminder.application
    send_email(
        "acceptance_reminder",
        to=_organisation_recipients(application),
        language=application.language,
        context={"application": application, "reminder": reminder, "url": _grant_url(application)},
    )
