"""Letters made and stored, run by the letter tasks: a decision's letter, a grant's closing letter.

Each renders outside any transaction (a PDF takes a while) and takes the row lock only to
store, so when two workers race, the second finds the letter and stops.
"""

from django.db import transaction

from ..letters.render import render_closing_letter_pdf, render_letter_pdf
from ..letters.store import closing_letter_store, decision_letter_store
from ..models import ClosingLetter, Decision, DecisionLetter
from ._common import _enqueue_on_commit
from .decisions import decision_release


def decision_letter_generate(decision_id: int) -> DecisionLetter | None:
    """Make, store and record the letter of a confirmed decision, once.

    Rendering happens outside any transaction; the row lock is taken only to store. When two
    workers race, the second finds the letter and stops. A storage failure raises and leaves no
    row, so a retry starts clean. Side effect: release to the applicant when the call does not
    hold decisions.
    """
    decision = Decision.objects.select_related("application__call").get(pk=decision_id)
    if not decision.is_confirmed:
        return None
    existing = DecisionLetter.objects.filter(decision=decision).first()
    if existing is None:
        pdf = render_letter_pdf(decision)
        with transaction.atomic():
            existing = decision_letter_store(decision=decision, pdf=pdf)
    if not decision.application.call.hold_decisions_for_release:
        decision_release(decision=decision, by=None)
    return existing


def closing_letter_generate(letter_id: int) -> ClosingLetter:
    """Make and store a closing letter's PDF once; the applicant is emailed when it is stored.

    Like ``decision_letter_generate``: rendered outside a transaction, stored under the row's
    lock, and a second worker finds it done.
    """
    letter = ClosingLetter.objects.get(pk=letter_id)
    if letter.sha256:
        return letter
    pdf = render_closing_letter_pdf(letter)
    with transaction.atomic():
        locked, stored = closing_letter_store(letter_id=letter_id, pdf=pdf)
        if stored:
            _enqueue_on_commit("send_grant_closed", application_id=locked.application_id)
    return locked
