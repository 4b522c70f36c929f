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
