"""Letters stored: the PDF written through Django's storage API, with its SHA-256 beside it.

Local files by default, S3 in production (``STORAGES``). Each letter is stored once: the
functions here run inside the caller's transaction, under a row lock, and a second worker that
raced the first finds the letter stored and stores nothing.
"""

import hashlib

from django.core.files.base import ContentFile
from django.utils import timezone

from ..audit import audit_record
from ..models import ClosingLetter, Decision, DecisionLetter


def decision_letter_store(*, decision: Decision, pdf: bytes) -> DecisionLetter:
    """Store a confirmed decision's letter, or return the one already stored.

    Call inside a transaction: the decision's row stays locked until it commits. A storage
    failure raises and leaves no row, so a retry starts clean. Side effect: the audit entry.
    """
    Decision.objects.select_for_update().get(pk=decision.pk)
    existing = DecisionLetter.objects.filter(decision=decision).first()
    if existing is not None:
        return existing
    letter = DecisionLetter(
        decision=decision, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf)
    )
    name = f"{decision.letter_data['registration_number']}.pdf"
    letter.file.save(name, ContentFile(pdf), save=False)
    letter.save()
    audit_record(
        action="decision.letter_stored",
        actor=None,
        target=letter,
        data={
            "decision_id": decision.pk,
            "application_id": decision.application_id,
            "sha256": letter.sha256,
            "size": letter.size,
        },
    )
    return letter


def closing_letter_store(*, letter_id: int, pdf: bytes) -> tuple[ClosingLetter, bool]:
    """Store a closing letter's PDF on its row; ``(letter, stored)``, ``stored`` False when
    another worker stored it first.

    Call inside a transaction: the letter's row stays locked until it commits. Side effect: the
    audit entry.
    """
    locked = ClosingLetter.objects.select_for_update().get(pk=letter_id)
    if locked.sha256:
        return locked, False
    locked.file.save(
        f"{locked.letter_data['registration_number']}-closing.pdf", ContentFile(pdf), save=False
    )
    locked.sha256 = hashlib.sha256(pdf).hexdigest()
    locked.size = len(pdf)
    locked.generated_at = timezone.now()
    locked.save()
    audit_record(
        action="closing_letter.stored",
        actor=None,
        target=locked,
        data={
            "application_id": locked.application_id,
            "sha256": locked.sha256,
            "size": locked.size,
        },
    )
    return locked, True
