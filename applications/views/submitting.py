"""Submitting: check answers (the preview), the submit with its declaration, the confirmation
page, and the download of a submitted version with its SHA-256.

The application is fetched as in ``applicant``: not visible → 404, not the applicant's → 403.
The hash of a version is not shown on these pages: it is in the receipt email and the download.
"""

import json

import rules
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..formatting import format_kronor
from ..forms.applicant import SubmitForm
from ..selectors.application_form import content_answers, form_definition
from ..selectors.applications import (
    application_for_detail,
    latest_version,
    snapshot_content,
    submission_errors,
    versions_of,
)
from ..selectors.task_list import ATTACHMENTS, BUDGET, CONTACT, PROJECT, form_parts
from ..services import transitions
from .applicant import (
    SUBMITTABLE,
    S,
    _error_links,
    _get_application_for_user,
    _get_own_application,
    _messages_of,
    part_url,
)


def _check_answers_parts(application, content: dict) -> list[dict]:
    """The parts of the application (those of its task list: the core parts and the call's
    sections), each with a line of what it holds and its section page: the rows of the
    check-answers page, with their "Change" links."""
    definition = form_definition(application.call)
    answers = content_answers(content, definition)
    period = " – ".join(filter(None, [content.get("period_start"), content.get("period_end")]))
    contact = content.get("contact") or {}
    files = len(content.get("attachments") or [])
    requested = content.get("requested_amount")
    rows = []
    for part in form_parts(application.call):
        if part.key == PROJECT:
            summary = ", ".join(filter(None, [content.get("title"), content.get("hub"), period]))
        elif part.key == BUDGET:
            summary = "" if requested is None else f"{format_kronor(requested)}\u00a0kr"
        elif part.key == ATTACHMENTS:
            summary = (
                ngettext("%(count)s file", "%(count)s files", files) % {"count": files}
                if files
                else _("No attachments.")
            )
        elif part.key == CONTACT:
            summary = ", ".join(filter(None, [contact.get("name"), contact.get("email")]))
        else:
            count = len(part.fields)
            answered = sum(1 for key in part.fields if answers.get(key) not in (None, "", []))
            summary = ngettext(
                "%(answered)s of %(count)s question answered",
                "%(answered)s of %(count)s questions answered",
                count,
            ) % {"answered": answered, "count": count}
        rows.append(
            {"title": part.title, "summary": summary or "–", "url": part_url(application, part.key)}
        )
    return rows


def _budget_totals(content: dict) -> dict:
    """The budget lines' total beside the requested amount, for the check-answers page. The
    page only shows them; ``submission_errors`` judges whether they agree."""
    total = sum(line["amount"] for line in content["budget_lines"])
    requested = content["requested_amount"]
    difference = None if requested is None else requested - total
    return {
        "total": total,
        "requested": requested,
        "difference": difference,  # > 0: not yet in the budget; < 0: budgeted beyond it
        "difference_size": None if difference is None else abs(difference),
    }


def _render_preview(request, application, *, submit_form=None, status=200):
    errors = submission_errors(application)
    content = snapshot_content(application)
    return render(
        request,
        "applications/applicant/preview.html",
        {
            "application": application,
            "content": content,
            "parts": _check_answers_parts(application, content),
            "budget": _budget_totals(content),
            "errors": _error_links(application, errors),
            "submit_form": submit_form or SubmitForm(),
            "deadline_passed": timezone.now() >= application.deadline,
            "can_submit": application.state in SUBMITTABLE,
        },
        status=status,
    )


@never_cache
@login_required
def application_preview(request, pk):
    """Check answers: the content as it would be submitted, a "Change" link per part, the
    budget's total, and the declaration before the submit button."""
    application = _get_own_application(request, pk, queryset=application_for_detail)
    return _render_preview(request, application)


@login_required
@require_POST
def application_submit(request, pk):
    """Submit after the declaration. Without it the check-answers page is shown again with the
    error, and nothing is submitted. Then the confirmation page, not a flash message."""
    # The application alone: the service reads what the submit needs under its lock, and
    # what the check-answers page shows is read only when that page comes back.
    application = _get_own_application(request, pk)
    submit_form = SubmitForm(request.POST)
    if not submit_form.is_valid():
        application = _get_own_application(request, pk, queryset=application_for_detail)
        return _render_preview(request, application, submit_form=submit_form)
    try:
        transitions.application_submit(application=application, by=request.user)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
        return redirect("applications:preview", pk=application.pk)
    return redirect("applications:submitted", pk=application.pk)


def _receipt_addresses(version) -> list[str]:
    """Where the receipt went (``emails.send_submission_receipt``), each address once."""
    addresses = [version.submitted_by.email, version.application.contact_email]
    return list(dict.fromkeys(address for address in addresses if address))


@never_cache
@login_required
def application_submitted(request, pk):
    """The confirmation after submitting: the registration number, where the receipt went,
    what happens next and when, and whom to ask. The application's people only: agency staff
    have the case page."""
    application = _get_own_application(request, pk, queryset=application_for_detail)
    version = latest_version(application)
    if version is None or not application.registration_number:
        raise Http404
    call = application.call
    # A new version can still be sent (before the deadline, until review starts).
    can_change = application.state == S.SUBMITTED and rules.has_perm(
        "applications.change_application", request.user, application
    )
    return render(
        request,
        "applications/applicant/submitted.html",
        {
            "application": application,
            "version": version,
            "receipt_to": _receipt_addresses(version),
            "call": call,
            "can_change": can_change,
            "call_has_closed": call.has_closed(),
            "review_due_at": call.review_due_at,
            "support_email": settings.SUPPORT_EMAIL,
        },
    )


@login_required
def version_download(request, pk, number):
    """A submitted version as a JSON file, with its SHA-256: the applicant's copy of what was
    received (the pages leave the hash out; the receipt and this file carry it).

    ``sha256`` is the hash of ``content`` written as canonical JSON (keys sorted, no spaces,
    UTF-8: ``applications.hashing.content_sha256``), so anyone can check the file against the
    receipt. A version whose personal fields were redacted says so (``redacted_at``); its hash
    stays that of what was received.
    """
    application = _get_application_for_user(request, pk)
    version = get_object_or_404(versions_of(application), number=number)
    document = {
        "registration_number": application.registration_number,
        "version": version.number,
        "submitted_at": timezone.localtime(version.submitted_at).isoformat(),
        "submitted_by": version.submitted_by.full_name,
        "sha256": version.sha256,
        "redacted_at": version.redacted_at.isoformat() if version.redacted_at else None,
        "content": version.content,
    }
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"{application.registration_number}-v{version.number}.json"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("applications/<int:pk>/preview/", application_preview, name="preview"),
    path("applications/<int:pk>/submit/", application_submit, name="submit"),
    path("applications/<int:pk>/submitted/", application_submitted, name="submitted"),
    path(
        "applications/<int:pk>/versions/<int:number>/download/",
        version_download,
        name="version_download",
    ),
]
