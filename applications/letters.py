"""Decision letters: HTML templates rendered by WeasyPrint to archival, tagged PDF.

A letter is made from ``Decision.letter_data`` alone (frozen at confirmation), in the
decision's language, as PDF/A-3a: archival, tagged for accessibility, fonts embedded, with the
decision's data attached inside as ``decision.json``. It is stored through Django's storage API
with its SHA-256 beside it, once per decision.
"""

import datetime as dt
import hashlib
import json

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .enums import DecisionOutcome, IneligibilityReason
from .models import Decision, DecisionLetter

TEMPLATES = {
    DecisionOutcome.APPROVED: "letters/approval.html",
    DecisionOutcome.REJECTED: "letters/rejection.html",
    DecisionOutcome.REJECTED_INELIGIBLE: "letters/ineligible.html",
}
PDF_VARIANT = "pdf/a-3a"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def letter_context(data: dict) -> dict:
    """The template's view of ``letter_data``: ISO dates turned back into dates."""
    return {
        **data,
        "decided_on": _date(data["decided_on"]),
        "period": {"start": _date(data["period"]["start"]), "end": _date(data["period"]["end"])},
        "final_report_due": _date(data["reporting"]["final_report_due"]),
        "corrects_decided_on": _date((data.get("corrects") or {}).get("decided_on")),
        "reason_label": IneligibilityReason(data["reason_code"]).label
        if data.get("reason_code")
        else "",
    }


def letter_json(decision: Decision) -> str:
    """The machine-readable copy of the decision attached inside the PDF."""
    return json.dumps(
        {"decision_id": decision.pk, **decision.letter_data},
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )


def render_letter_html(data: dict) -> str:
    with translation.override(data["language"]):
        return render_to_string(TEMPLATES[data["outcome"]], letter_context(data))


def render_letter_pdf(decision: Decision) -> bytes:
    from weasyprint import HTML, Attachment

    data = decision.letter_data
    html = render_letter_html(data)
    attachment = Attachment(
        string=letter_json(decision),
        name="decision.json",
        description="The decision as data",
        relationship="Data",
    )
    return HTML(string=html).write_pdf(pdf_variant=PDF_VARIANT, attachments=[attachment])


def decision_letter_generate(decision_id: int) -> DecisionLetter | None:
    """Make, store and record the letter of a confirmed decision, once.

    Rendering happens outside any transaction; the row lock is taken only to store. When two
    workers race, the second finds the letter and stops. A storage failure raises and leaves no
    row, so a retry starts clean. Side effect: release to the applicant when the call does not
    hold decisions.
    """
    from . import services

    decision = Decision.objects.select_related("application__call").get(pk=decision_id)
    if not decision.is_confirmed:
        return None
    existing = DecisionLetter.objects.filter(decision=decision).first()
    if existing is None:
        pdf = render_letter_pdf(decision)
        with transaction.atomic():
            Decision.objects.select_for_update().get(pk=decision.pk)
            existing = DecisionLetter.objects.filter(decision=decision).first()
            if existing is None:
                letter = DecisionLetter(
                    decision=decision, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf)
                )
                name = f"{decision.letter_data['registration_number']}.pdf"
                letter.file.save(name, ContentFile(pdf), save=False)
                letter.save()
                existing = letter
    if not decision.application.call.hold_decisions_for_release:
        services.decision_release(decision=decision, by=None)
    return existing
