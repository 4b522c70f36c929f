"""Attachments: type judged by content, size limits, safe names, unguessable keys, and
downloads only through a view that checks permission."""

import base64
import hashlib
import io
import re
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Attachment
from applications.services.transitions import application_submit
from applications.services.working_copy import attachment_add, attachment_remove
from tests import factories

pytestmark = pytest.mark.django_db


# -- real, tiny files --------------------------------------------------------------------------


def make_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def make_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# A 1×1 baseline JPEG.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////"
    "////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQAB"
    "PxA="
)

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def make_zip(entries: list[tuple[str, str]], *, mimetype_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            # OpenDocument wants "mimetype" first and uncompressed.
            stored = mimetype_first and i == 0
            archive.writestr(name, data, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def make_docx() -> bytes:
    return make_zip(
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", "<Relationships/>"),
            ("word/document.xml", "<w:document/>"),
        ]
    )


def make_xlsx() -> bytes:
    return make_zip(
        [
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", "<Relationships/>"),
            ("xl/workbook.xml", "<workbook/>"),
        ]
    )


def make_opendocument(kind: str) -> bytes:
    return make_zip(
        [
            ("mimetype", f"application/vnd.oasis.opendocument.{kind}"),
            ("content.xml", "<office:document-content/>"),
            ("META-INF/manifest.xml", "<manifest:manifest/>"),
        ],
        mimetype_first=True,
    )


VALID_FILES = [
    ("plan.pdf", make_pdf(), "application/pdf"),
    ("map.png", make_png(), "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    (
        "budget.docx",
        make_docx(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "budget.xlsx",
        make_xlsx(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("letter.odt", make_opendocument("text"), "application/vnd.oasis.opendocument.text"),
    (
        "sheet.ods",
        make_opendocument("spreadsheet"),
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
]
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


# -- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def applicant(application):
    return factories.applicant_for(application, user__language="en")


@pytest.fixture
def member(client, applicant):
    client.force_login(applicant)
    return applicant


def upload(client, application, name: str, content: bytes):
    return client.post(
        reverse("applications:attachment_upload", args=[application.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )


def download_url(attachment) -> str:
    return reverse(
        "applications:attachment_download", args=[attachment.application_id, attachment.pk]
    )


def add(application, by, name="plan.pdf", content=None) -> Attachment:
    return attachment_add(
        application=application, by=by, upload=SimpleUploadedFile(name, content or make_pdf())
    )


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


# -- uploading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), VALID_FILES)
def test_allowed_types_are_stored_and_downloaded_unchanged(
    client, application, member, name, content, content_type
):
    response = upload(client, application, name, content)
    assert response.status_code == 302
    assert response.url == reverse("applications:edit_part", args=[application.pk, "attachments"])
    attachment = Attachment.objects.get(application=application)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        name,
        content_type,
        len(content),
    )
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by == member

    download = client.get(download_url(attachment))
    assert download.status_code == 200
    assert streamed(download) == content
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    assert download["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "budget.docx",
            make_pdf(),
            "The file “budget.docx” does not contain what its name says. Check the file and "
            "try again.",
        ),
        (
            "setup.pdf",
            EXE,
            "The file “setup.pdf” is not of an allowed type "
            "(DOCX, JPEG, JPG, ODS, ODT, PDF, PNG, XLSX).",
        ),
        (
            "notes.txt",
            b"just text",
            "The file “notes.txt” is not of an allowed type "
            "(DOCX, JPEG, JPG, ODS, ODT, PDF, PNG, XLSX).",
        ),
        (
            "broken.docx",
            make_docx()[:-10],  # the central directory cut off
            "The file “broken.docx” is damaged and cannot be opened.",
        ),
    ],
)
def test_files_are_judged_by_their_content_not_their_name(
    client, application, member, name, content, message
):
    response = upload(client, application, name, content)
    assert response.status_code == 200
    assert response.context["attachment_form"].errors == {"file": [message]}
    assert response.context["errors"] == [("id_file", message)]
    assert 'aria-describedby="id_file_helptext id_file_error"' in response.content.decode()
    assert Attachment.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(client, application, member, settings):
    settings.ATTACHMENT_MAX_FILE_BYTES = 2 * 2**20
    response = upload(client, application, "big.pdf", make_pdf() + b"%" * (2 * 2**20))
    assert response.context["attachment_form"].errors == {
        "file": ["The file “big.pdf” is larger than 2 MB."]
    }
    assert Attachment.objects.count() == 0


def test_the_applications_total_size_is_limited(client, application, member, settings):
    pdf = make_pdf() + b"%" * 400_000
    settings.ATTACHMENT_MAX_TOTAL_BYTES = 2**20  # room for two, not three
    assert upload(client, application, "one.pdf", pdf).status_code == 302
    assert upload(client, application, "two.pdf", pdf).status_code == 302
    response = upload(client, application, "three.pdf", pdf)
    assert response.context["attachment_form"].errors == {
        "file": ["The application's attachments may be at most 1 MB in all."]
    }
    assert list(Attachment.objects.values_list("original_name", flat=True)) == [
        "one.pdf",
        "two.pdf",
    ]


def test_removed_files_do_not_count_towards_the_total(client, application, member, settings):
    pdf = make_pdf()
    settings.ATTACHMENT_MAX_TOTAL_BYTES = len(pdf)
    first = add(application, member)
    client.post(reverse("applications:attachment_remove", args=[application.pk, first.pk]))
    assert upload(client, application, "again.pdf", pdf).status_code == 302


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.pdf", "system.pdf"),
        ("re\x00port\x07\n.pdf", "report.pdf"),
        ('a<b>c:"d|e?f*.pdf', "abcdef.pdf"),
        ("...pdf", "pdf"),
    ],
)
def test_file_names_are_made_safe(application, applicant, name, safe):
    attachment = add(application, applicant, name=name)
    assert attachment.original_name == safe


def test_a_name_with_a_path_uploaded_through_the_form_keeps_only_its_last_part(
    client, application, member
):
    upload(client, application, "../../secret/annual report.pdf", make_pdf())
    assert Attachment.objects.get().original_name == "annual report.pdf"


def test_the_storage_key_is_unguessable_and_does_not_contain_the_name(application, applicant):
    first = add(application, applicant, name="Budget Östersund.pdf")
    second = add(application, applicant, name="Budget Östersund.pdf")
    pattern = re.compile(r"^attachments/[0-9a-f]{32}/[0-9a-f]{32}\.pdf$")
    assert pattern.match(first.file.name)
    assert pattern.match(second.file.name)
    assert first.file.name != second.file.name
    assert "Budget" not in first.file.name


def test_upload_refuses_others(client, application, applicant, other_applicant, programme_manager):
    url = reverse("applications:attachment_upload", args=[application.pk])
    response = client.post(url, {"file": SimpleUploadedFile("a.pdf", make_pdf())})
    assert response.url == f"{reverse('login')}?next={url}"
    client.force_login(other_applicant)
    assert client.post(url, {"file": SimpleUploadedFile("a.pdf", make_pdf())}).status_code == 404
    application_submit(application=application, by=applicant)
    client.force_login(programme_manager)
    assert client.post(url, {"file": SimpleUploadedFile("a.pdf", make_pdf())}).status_code == 403
    assert Attachment.objects.count() == 0


# -- removing ----------------------------------------------------------------------------------


def test_removing_takes_the_file_out_of_the_working_copy(client, application, member):
    attachment = add(application, member)
    response = client.post(
        reverse("applications:attachment_remove", args=[application.pk, attachment.pk]), follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "The file “plan.pdf” has been removed."
    ]
    attachment.refresh_from_db()
    assert attachment.removed_at is not None
    assert list(response.context["attachments"]) == []


def test_remove_refuses_others(client, application, applicant, other_applicant, programme_manager):
    attachment = add(application, applicant)
    url = reverse("applications:attachment_remove", args=[application.pk, attachment.pk])
    assert client.post(url).url == f"{reverse('login')}?next={url}"
    client.force_login(other_applicant)
    assert client.post(url).status_code == 404
    application_submit(application=application, by=applicant)
    client.force_login(programme_manager)
    assert client.post(url).status_code == 403
    client.force_login(applicant)
    assert client.get(url).status_code == 405
    attachment.refresh_from_db()
    assert attachment.removed_at is None


def test_an_attachment_of_another_application_cannot_be_reached_through_ones_own(
    client, application, member
):
    other_application = factories.ApplicationFactory()
    foreign = add(other_application, factories.applicant_for(other_application))
    remove = reverse("applications:attachment_remove", args=[application.pk, foreign.pk])
    download = reverse("applications:attachment_download", args=[application.pk, foreign.pk])
    assert client.post(remove).status_code == 404
    assert client.get(download).status_code == 404
    foreign.refresh_from_db()
    assert foreign.removed_at is None


# -- downloading -------------------------------------------------------------------------------


def test_download_refuses_anonymous_and_other_organisations(
    client, application, applicant, other_applicant
):
    attachment = add(application, applicant)
    url = download_url(attachment)
    assert client.get(url).url == f"{reverse('login')}?next={url}"
    client.force_login(other_applicant)
    assert client.get(url).status_code == 404


def test_agency_staff_download_files_of_a_submitted_version_only(
    client, application, applicant, programme_manager
):
    submitted = add(application, applicant, name="submitted.pdf")
    application_submit(application=application, by=applicant)
    added_later = add(application, applicant, name="later.pdf")
    client.force_login(programme_manager)
    response = client.get(download_url(submitted))
    assert response.status_code == 200
    assert streamed(response) == make_pdf()
    assert client.get(download_url(added_later)).status_code == 403


def test_agency_staff_cannot_download_from_a_draft(
    client, application, applicant, programme_manager
):
    attachment = add(application, applicant)
    client.force_login(programme_manager)
    assert client.get(download_url(attachment)).status_code == 404


def test_a_removed_file_stays_downloadable_when_a_version_lists_it(client, application, member):
    kept = add(application, member, name="kept.pdf")
    application_submit(application=application, by=member)
    attachment_remove(attachment=kept, by=member)
    dropped = add(application, member, name="dropped.pdf")
    attachment_remove(attachment=dropped, by=member)
    assert client.get(download_url(kept)).status_code == 200
    assert client.get(download_url(dropped)).status_code == 404


def test_the_version_page_links_the_versions_files(client, application, member):
    attachment = add(application, member, name="plan.pdf")
    application_submit(application=application, by=member)
    html = client.get(
        reverse("applications:version_detail", args=[application.pk, 1])
    ).content.decode()
    assert download_url(attachment) in html
    # The files' hashes are in the version download, not on the applicant's page.
    assert attachment.sha256 not in html
