"""The malware check after upload, against the real clamd: the task queued on commit, the
verdict recorded with its audit entry; the daemon down or hung leaves the file pending, and the
daily job scans what is still pending."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from applications.enums import ScanStatus
from applications.models import Attachment, AuditEntry
from applications.scanning import Verdict
from applications.services.scanning import attachment_scan
from applications.services.working_copy import attachment_add
from tests.clamav import EICAR, SIGNATURE, SilentServer

pytestmark = [pytest.mark.django_db, pytest.mark.clamav]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def docx(body: bytes = b"<w:document>Budget for the hub</w:document>") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", body)
    return buffer.getvalue()


def infected_docx() -> bytes:
    return docx(b"<w:document>" + EICAR + b"</w:document>")


def add(application, by, content: bytes, name: str = "plan.docx") -> Attachment:
    return attachment_add(application=application, by=by, upload=SimpleUploadedFile(name, content))


def scan_entries():
    return list(
        AuditEntry.objects.filter(action__startswith="attachment.scan").values_list(
            "action", "object_id", "data"
        )
    )


def test_an_upload_is_pending_until_its_scan_has_run(
    clamd, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        attachment = add(application, applicant, docx())

    assert attachment.scan_status == ScanStatus.PENDING
    assert Attachment.objects.get().scan_status == ScanStatus.PENDING
    assert len(queued) == 1  # the scan task, queued once the upload commits


def test_a_normal_docx_comes_out_clean_with_an_audit_entry(
    clamd, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        attachment = add(application, applicant, docx())

    attachment.refresh_from_db()
    assert (attachment.scan_status, attachment.scan_note) == (ScanStatus.CLEAN, "")
    assert attachment.scanned_at is not None
    assert scan_entries() == [
        ("attachment.scan_clean", attachment.pk, {"application": application.pk, "signature": ""})
    ]


def test_an_eicar_upload_is_refused_with_the_signature_on_record(
    clamd, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        attachment = add(application, applicant, infected_docx())

    attachment.refresh_from_db()
    assert (attachment.scan_status, attachment.scan_note) == (ScanStatus.REFUSED, SIGNATURE)
    assert scan_entries() == [
        (
            "attachment.scan_refused",
            attachment.pk,
            {"application": application.pk, "signature": SIGNATURE},
        )
    ]


def test_the_daemon_unreachable_leaves_the_file_pending_after_every_retry(
    clamd, settings, tmp_path, application, applicant, django_capture_on_commit_callbacks
):
    settings.CLAMD_SOCKET = str(tmp_path / "stopped.sock")  # clamd stopped: no socket
    with django_capture_on_commit_callbacks(execute=True):
        attachment = add(application, applicant, docx())

    attachment.refresh_from_db()
    assert (attachment.scan_status, attachment.scanned_at) == (ScanStatus.PENDING, None)
    assert scan_entries() == []


def test_a_hung_daemon_times_out_and_leaves_the_file_pending(
    clamd, settings, tmp_path, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        attachment = add(application, applicant, infected_docx())
    server = SilentServer(tmp_path / "hung.sock")
    settings.CLAMD_SOCKET, settings.CLAMD_TIMEOUT = server.path, 0.3
    try:
        result = attachment_scan(attachment_id=attachment.pk)
    finally:
        server.close()

    assert result.verdict is Verdict.UNAVAILABLE
    attachment.refresh_from_db()
    assert attachment.scan_status == ScanStatus.PENDING
    assert scan_entries() == []


def test_a_verdict_is_recorded_once_a_second_scan_finds_nothing_pending(
    clamd, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        attachment = add(application, applicant, docx())

    assert attachment_scan(attachment_id=attachment.pk) is None
    assert len(scan_entries()) == 1


def test_the_daily_job_scans_what_is_still_pending(
    clamd, settings, tmp_path, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # uploaded, the scan task never ran
        clean = add(application, applicant, docx(), name="plan.docx")
        infected = add(application, applicant, infected_docx(), name="budget.docx")

    out = io.StringIO()
    call_command("scan_attachments", stdout=out)

    assert out.getvalue() == "Scanned: 1 clean, 1 refused; 0 still pending.\n"
    assert dict(Attachment.objects.values_list("pk", "scan_status")) == {
        clean.pk: ScanStatus.CLEAN,
        infected.pk: ScanStatus.REFUSED,
    }


def test_the_daily_job_fails_loudly_while_the_daemon_is_down(
    clamd, settings, tmp_path, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        add(application, applicant, docx(), name="one.docx")
        add(application, applicant, docx(), name="two.docx")
    settings.CLAMD_SOCKET = str(tmp_path / "stopped.sock")

    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("scan_attachments", stdout=out)

    assert out.getvalue() == "Scanned: 0 clean, 0 refused; 2 still pending.\n"
    assert str(failed.value) == (
        f"2 attachments are still pending: clamd at {tmp_path / 'stopped.sock'} did not "
        "answer, or a file could not be read (see the log)."
    )
    assert set(Attachment.objects.values_list("scan_status", flat=True)) == {ScanStatus.PENDING}


def test_with_scanning_off_an_upload_is_recorded_as_not_scanned_and_nothing_is_queued(
    settings, application, applicant, django_capture_on_commit_callbacks
):
    settings.CLAMAV_ENABLED = False
    with django_capture_on_commit_callbacks() as queued:
        attachment = add(application, applicant, docx())

    assert (attachment.scan_status, attachment.scan_note) == (
        ScanStatus.CLEAN,
        "Not scanned: no scanner configured",
    )
    assert queued == []


def test_the_daily_job_with_scanning_off_scans_nothing_and_says_so(
    clamd, settings, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # uploaded while scanning was on; never scanned
        attachment = add(application, applicant, docx())
    settings.CLAMAV_ENABLED = False

    out = io.StringIO()
    call_command("scan_attachments", stdout=out)

    assert out.getvalue() == "Scanning is off (CLAMAV_ENABLED); 1 attachments pending.\n"
    attachment.refresh_from_db()
    assert attachment.scan_status == ScanStatus.PENDING
    assert scan_entries() == []


def test_the_daily_job_scans_the_others_when_one_file_cannot_be_read(
    clamd, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        lost = add(application, applicant, docx(), name="lost.docx")
        fine = add(application, applicant, docx(), name="fine.docx")
    lost.file.storage.delete(lost.file.name)  # gone from storage

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("scan_attachments", stdout=out)

    assert out.getvalue() == "Scanned: 1 clean, 0 refused; 1 still pending.\n"
    assert dict(Attachment.objects.values_list("pk", "scan_status")) == {
        lost.pk: ScanStatus.PENDING,
        fine.pk: ScanStatus.CLEAN,
    }
