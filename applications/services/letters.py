"""Letters made and stored, run by the letter tasks: a decision's letter, a grant's closing letter.

Each renders outside any transaction (a PDF takes a while) and takes the row lock only to
store, so when two workers race, the second finds the letter and stops.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..enums import DecisionStatus, JobKind
from ..letters.render import render_closing_letter_pdf, render_letter_pdf
from ..letters.store import closing_letter_store, decision_letter_store
from ..models import ClosingLetter, Decision, DecisionLetter, User
from ._common import _enqueue_on_commit, _require
from .decisions import decision_release
from .jobs import job_finish, job_progress, job_start

logger = logging.getLogger(__name__)


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


# -- a call's letter run as a background job (issue 15) ------------------------------------------

LETTER_RUNNER = "letters"


def letters_run_start(*, call, by: User):
    """Start making the letters of a call's held decisions in the task worker, or hand back the
    run already under way; returns ``(job, created)``.

    The run covers the call's confirmed decisions not yet released, fixed when it starts; its
    progress is how many of them have their letter, read from the letters themselves.
    """
    _require(by, "release_decisions")
    ids = list(
        Decision.objects.filter(
            application__call=call, status=DecisionStatus.CONFIRMED, release__isnull=True
        )
        .order_by("application__registration_number")
        .values_list("pk", flat=True)
    )
    return job_start(
        kind=JobKind.LETTER_RUN,
        key=f"letters:{call.pk}",
        runner=LETTER_RUNNER,
        by=by,
        call=call,
        total=len(ids),
        params={"decision_ids": ids},
    )


def _letters_made(ids) -> int:
    return DecisionLetter.objects.filter(decision_id__in=ids).count()


def letters_run(job) -> None:
    """The job's work: make each missing letter (``decision_letter_generate``, which makes a
    letter once however often it runs) and count the letters after each. A letter that fails
    (storage down, say) is reported by its registration number and the others go on; the run
    can be started again for what is left."""
    ids = job.params["decision_ids"]
    made = set(
        DecisionLetter.objects.filter(decision_id__in=ids).values_list("decision", flat=True)
    )
    job_progress(job, done=len(made))
    failed = []
    for pk in ids:
        if pk in made:
            continue
        try:
            decision_letter_generate(pk)
        except Exception:
            logger.exception("letter run %s: the letter of decision %s failed", job.pk, pk)
            failed.append(pk)
        job_progress(job, done=_letters_made(ids))
    done = _letters_made(ids)
    numbers = list(
        Decision.objects.filter(pk__in=failed)
        .order_by("application__registration_number")
        .values_list("application__registration_number", flat=True)
    )
    messages = [
        ngettext(
            "%(done)s of %(total)s letter is made.",
            "%(done)s of %(total)s letters are made.",
            len(ids),
        )
        % {"done": done, "total": len(ids)}
    ]
    if numbers:
        messages.append(
            _("These letters could not be made; start the run again: %(numbers)s")
            % {"numbers": ", ".join(numbers)}
        )
    job_finish(job, result={"messages": messages, "failed": numbers, "made": done})
