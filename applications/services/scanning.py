"""The malware check of attachments: its outcome recorded on the attachment and in the audit log.

An attachment is ``pending`` from its upload until clamd has answered; then ``clean`` or
``refused``. Only a clean one is handed out (``applications.downloads``). A scanner that is
down or slow leaves it pending: the task tries again, and ``manage.py scan_attachments`` (a
daily job) scans whatever is still pending.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from ..audit import audit_record
from ..enums import ScanStatus
from ..models import Attachment
from ..scanning import ScanResult, Verdict, scan_stream

logger = logging.getLogger(__name__)

# Recorded on an attachment uploaded while scanning is off (the demo): it counts as clean, and
# the note says it was never scanned. Kept in English in the database, shown translated.
NOT_SCANNED_NOTE = gettext_noop("Not scanned: no scanner configured")


def attachment_scan_status_on_upload() -> tuple[str, str]:
    """The status and note a new attachment starts with, by the scanning setting."""
    if settings.CLAMAV_ENABLED:
        return ScanStatus.PENDING, ""
    return ScanStatus.CLEAN, NOT_SCANNED_NOTE


def attachment_scan(*, attachment_id: int) -> ScanResult | None:
    """Scan one pending attachment and record the verdict; None when it is no longer pending.

    Side effects: on a verdict, the attachment's status, note and time, and an audit entry
    (``attachment.scan_clean`` or ``attachment.scan_refused``), in one transaction. No answer
    (scanner down, timeout) changes nothing. The file is read outside any transaction, so no
    row stays locked while clamd works.
    """
    attachment = Attachment.objects.filter(pk=attachment_id, scan_status=ScanStatus.PENDING).first()
    if attachment is None:
        return None
    with attachment.file.open("rb") as stream:
        result = scan_stream(stream)
    if result.verdict is Verdict.UNAVAILABLE:
        return result
    with transaction.atomic():
        locked = (
            Attachment.objects.select_for_update()
            .filter(pk=attachment_id, scan_status=ScanStatus.PENDING)
            .first()
        )
        if locked is None:
            return None
        clean = result.verdict is Verdict.CLEAN
        locked.scan_status = ScanStatus.CLEAN if clean else ScanStatus.REFUSED
        locked.scan_note = result.detail
        locked.scanned_at = timezone.now()
        locked.save(update_fields=["scan_status", "scan_note", "scanned_at"])
        audit_record(
            action="attachment.scan_clean" if clean else "attachment.scan_refused",
            actor=None,
            target=locked,
            data={"application": locked.application_id, "signature": result.detail},
        )
    return result


def attachments_scan_pending() -> dict[str, int]:
    """Scan every pending attachment (the daily job, and rows from before scanning existed).

    Returns how many came out clean, refused, and still pending (scanner unavailable). With
    scanning off nothing is scanned and every pending one stays pending.
    """
    counts = {"clean": 0, "refused": 0, "pending": 0}
    if not settings.CLAMAV_ENABLED:
        counts["pending"] = Attachment.objects.filter(scan_status=ScanStatus.PENDING).count()
        return counts
    pending = list(
        Attachment.objects.filter(scan_status=ScanStatus.PENDING).values_list("pk", flat=True)
    )
    for done, attachment_id in enumerate(pending):
        try:
            result = attachment_scan(attachment_id=attachment_id)
        except Exception:
            # A file that cannot be read (gone from storage, say) must not keep the others
            # unscanned: it stays pending, is counted so (the job then fails), and is logged.
            logger.exception("attachment %s could not be scanned", attachment_id)
            counts["pending"] += 1
            continue
        if result is None:
            continue
        if result.verdict is Verdict.UNAVAILABLE:
            # The scanner is down: the rest would wait for it one by one. Tomorrow's run.
            counts["pending"] += len(pending) - done
            break
        counts["clean" if result.verdict is Verdict.CLEAN else "refused"] += 1
    return counts
