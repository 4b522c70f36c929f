"""Letters rendered to PDF: data in, PDF bytes out.

A letter is made from ``Decision.letter_data`` alone (frozen at confirmation), in the
decision's language, as PDF/A-3a: archival, tagged for accessibility, fonts embedded, with the
decision's data attached inside as ``decision.json``. Nothing here writes: storing is
``applications.letters.store``. The preview reads the application as it stands (through the
selectors), since a decision not yet confirmed has no frozen data.

WeasyPrint is imported where a PDF is made, not with this module: its import takes most of a
second (Pango, fonts), and every web server, command and test process imports this module
through the views and the tasks; only the processes that make a PDF pay for it.
"""

import datetime as dt
import functools
import json
from types import SimpleNamespace

from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from applications.selectors.decisions import decision_letter_data

from ..enums import DecisionOutcome, IneligibilityReason
from ..models import ClosingLetter, Decision
from .fetch import letter_url_fetcher

TEMPLATES = {
    DecisionOutcome.APPROVED: "letters/approval.html",
    DecisionOutcome.REJECTED: "letters/rejection.html",
    DecisionOutcome.REJECTED_INELIGIBLE: "letters/ineligible.html",
}
PDF_VARIANT = "pdf/a-3a"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def letter_context(data: dict) -> dict:
    """The template's view of ``letter_data``: ISO dates turned back into dates.

    ``letter_data`` frozen before letters stated the acceptance, the reports, the payment plan,
    the case officer and the agency's address has none of those keys: those parts are left out
    (and the final report's date is shown on its own, as it was).
    """
    acceptance = data.get("acceptance")
    return {
        **data,
        "decided_on": _date(data["decided_on"]),
        "period": {"start": _date(data["period"]["start"]), "end": _date(data["period"]["end"])},
        "final_report_due": _date(data["reporting"]["final_report_due"]),
        "reports": [
            {**report, "due_on": _date(report["due_on"])}
            for report in data["reporting"].get("reports", [])
        ],
        "acceptance": {**acceptance, "accept_by": _date(acceptance["accept_by"])}
        if acceptance
        else None,
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


def render_letter_html(data: dict, *, preview: bool = False) -> str:
    with translation.override(data["language"]):
        return render_to_string(
            TEMPLATES[data["outcome"]], {**letter_context(data), "preview": preview}
        )


# A worker renders many letters: the font configuration and the stylesheets are made once per
# process, not once per letter (see benchmarks/letters.py and docs/benchmarks.md).
@functools.cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415 -- WeasyPrint's import is heavy

    return FontConfiguration()


@functools.cache
def _stylesheet():
    from weasyprint import CSS  # noqa: PLC0415 -- WeasyPrint's import is heavy

    source = get_template("letters/letter.css").template.source
    return CSS(string=source, font_config=_font_config(), url_fetcher=letter_url_fetcher())


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


@functools.cache
def _page_numbers_stylesheet(language: str):
    """The "Page n of m" in the letter's language, for the bottom-right margin box."""
    from weasyprint import CSS  # noqa: PLC0415 -- WeasyPrint's import is heavy

    with translation.override(language):
        page, of = _css_string(gettext("Page")), _css_string(gettext("of"))
    return CSS(
        string=f'@page {{ @bottom-right {{ content: {page} " " counter(page) " " {of} '
        f'" " counter(pages); }} }}',
        font_config=_font_config(),
        url_fetcher=letter_url_fetcher(),
    )


def _write_pdf(data: dict, json_text: str, *, preview: bool = False) -> bytes:
    from weasyprint import Attachment  # noqa: PLC0415 -- WeasyPrint's import is heavy

    attachment = Attachment(
        string=json_text,
        name="decision.json",
        description="The decision as data",
        relationship="Data",
    )
    return pdf_from_html(
        render_letter_html(data, preview=preview), language=data["language"], attachment=attachment
    )


def pdf_from_html(html: str, *, language: str, attachment) -> bytes:
    """Every letter's PDF: the letter stylesheets, PDF/A, the data attached, and a fetcher
    that loads only the site's static files (``letters.fetch``)."""
    from weasyprint import HTML  # noqa: PLC0415 -- WeasyPrint's import is heavy

    return HTML(string=html, url_fetcher=letter_url_fetcher()).write_pdf(
        stylesheets=[_stylesheet(), _page_numbers_stylesheet(language)],
        font_config=_font_config(),
        pdf_variant=PDF_VARIANT,
        attachments=[attachment],
    )


def render_letter_pdf(decision: Decision) -> bytes:
    """The letter of a confirmed decision, from its frozen ``letter_data``."""
    return _write_pdf(decision.letter_data, letter_json(decision))


def render_letter_preview(decision: Decision) -> bytes:
    """The letter as it would read, for a decision not yet confirmed (unsaved or proposed).

    Built from the application as it stands, dated today, with a placeholder where the decision
    maker's name will be, and marked as a preview on the page and in the attached data. Nothing
    is stored.
    """
    with translation.override(decision.language):
        placeholder = SimpleNamespace(full_name=gettext("(decision maker)"))
    data = decision_letter_data(decision, decided_by=placeholder, decided_on=timezone.localdate())
    json_text = json.dumps(
        {"decision_id": decision.pk, "preview": True, **data},
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )
    return _write_pdf(data, json_text, preview=True)


# -- closing letters -------------------------------------------------------------------------


def closing_letter_context(data: dict) -> dict:
    return {
        **data,
        "closed_on": _date(data["closed_on"]),
        "decided_on": _date(data["decided_on"]),
        "final_report_approved_on": _date(data.get("final_report_approved_on")),
        "period": {"start": _date(data["period"]["start"]), "end": _date(data["period"]["end"])},
    }


def render_closing_letter_pdf(letter: ClosingLetter) -> bytes:
    """The closing letter of a grant, from its frozen ``letter_data``, as PDF/A-3a with the
    data attached inside as ``closure.json``."""
    from weasyprint import Attachment  # noqa: PLC0415 -- WeasyPrint's import is heavy

    data = letter.letter_data
    with translation.override(data["language"]):
        html = render_to_string("letters/closing.html", closing_letter_context(data))
    attachment = Attachment(
        string=json.dumps(
            {"closing_letter_id": letter.pk, **data}, ensure_ascii=False, indent=2, sort_keys=True
        ),
        name="closure.json",
        description="The closure as data",
        relationship="Data",
    )
    return pdf_from_html(html, language=data["language"], attachment=attachment)
