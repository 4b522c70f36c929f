"""Zip bombs: office files (zip archives) that would unpack to far more than they weigh are
refused from the archive's table of contents alone, quickly, and nothing is stored.

Every bomb here is a real one, built in the test with zipfile and ZIP_DEFLATED: a part of
zeros that deflate packs about a thousand to one.
"""

import io
import time
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from applications.models import Attachment
from applications.services.working_copy import attachment_add
from applications.validators import detect_content_type

MB = 1024 * 1024
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)
INFLATES = (
    "The file “{name}” would unpack to far more than its size (more than 100 MB), so it cannot "
    "be accepted. Save it again as a new file, or split it, and try again."
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _zeros_into(archive: zipfile.ZipFile, name: str, size: int) -> None:
    chunk = bytes(MB)
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as part:
        for _ in range(size // MB):
            part.write(chunk)
        part.write(bytes(size % MB))


def office_bomb(kind: str = "docx", *, zeros: int = 0, parts: int = 0, part_size: int = 0):
    """A real office file with ``zeros`` bytes of zeros in its main part, or ``parts`` extra
    parts of ``part_size`` zeros each."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind in {"odt", "ods"}:
            kind_name = "text" if kind == "odt" else "spreadsheet"
            archive.writestr(
                "mimetype",
                f"application/vnd.oasis.opendocument.{kind_name}",
                zipfile.ZIP_STORED,
            )
            archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
            main = "content.xml"
        else:
            archive.writestr("[Content_Types].xml", CONTENT_TYPES)
            archive.writestr("_rels/.rels", "<Relationships/>")
            main = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
        if zeros:
            _zeros_into(archive, main, zeros)
        else:
            archive.writestr(main, "<document/>")
        for i in range(parts):
            _zeros_into(archive, f"media/part{i}.bin", part_size)
    return buffer.getvalue()


def _refusal(name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        detect_content_type(SimpleUploadedFile(name, content))
    return refused.value


@pytest.fixture(scope="module")
def bomb_docx() -> bytes:
    # 120 MB of zeros packed into about 120 KB: over the 100 MB limit, a ratio near 1000.
    return office_bomb("docx", zeros=120 * MB)


@pytest.mark.parametrize("kind", ["docx", "xlsx", "odt", "ods"])
def test_every_office_type_that_would_unpack_past_the_limit_is_refused(kind, settings):
    settings.ATTACHMENT_ZIP_MAX_UNPACKED_BYTES = 10 * MB  # a smaller bomb builds faster
    content = office_bomb(kind, zeros=11 * MB)
    assert len(content) < 30 * 1024

    refusal = _refusal(f"plan.{kind}", content)

    assert refusal.code == "file_inflates"
    assert refusal.messages == [INFLATES.format(name=f"plan.{kind}").replace("100 MB", "10 MB")]


@pytest.mark.django_db
def test_a_zip_bomb_upload_is_refused_in_well_under_a_second_and_nothing_is_stored(
    application, applicant, bomb_docx
):
    started = time.perf_counter()
    with pytest.raises(ValidationError) as refused:
        attachment_add(
            application=application,
            by=applicant,
            upload=SimpleUploadedFile("plan.docx", bomb_docx),
        )
    elapsed = time.perf_counter() - started

    assert refused.value.code == "file_inflates"
    assert elapsed < 0.5, f"took {elapsed:.2f} s: the archive was unpacked"
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_a_zip_bomb_through_the_upload_form_gets_the_message_and_stores_nothing(
    client, application, applicant, bomb_docx, tmp_path, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    applicant.language = "en"
    applicant.save()
    client.force_login(applicant)
    response = client.post(
        reverse("applications:attachment_upload", args=[application.pk]),
        {"file": SimpleUploadedFile("plan.docx", bomb_docx)},
    )

    assert response.status_code == 200
    assert response.context["attachment_form"].errors == {
        "file": [INFLATES.format(name="plan.docx")]
    }
    assert Attachment.objects.count() == 0
    assert list(tmp_path.rglob("*")) == []


def test_many_parts_that_add_up_past_the_limit_are_refused_though_each_is_small(settings):
    settings.ATTACHMENT_ZIP_MAX_RATIO = 10_000
    settings.ATTACHMENT_ZIP_MAX_UNPACKED_BYTES = 10 * MB
    # 11 parts of 1 MB against a 10 MB limit (the ratio check turned off): their sum is what a
    # reader would have to unpack.
    content = office_bomb("xlsx", parts=11, part_size=MB)

    assert _refusal("budget.xlsx", content).code == "file_inflates"


def test_one_large_part_packed_past_the_ratio_is_refused_under_the_total_limit(settings):
    settings.ATTACHMENT_ZIP_MAX_RATIO = 50
    content = office_bomb("docx", zeros=20 * MB)  # 20 MB, ratio about 1000

    assert _refusal("plan.docx", content).code == "file_inflates"


def test_the_limits_come_from_the_settings(settings):
    content = office_bomb("docx", zeros=20 * MB)
    settings.ATTACHMENT_ZIP_MAX_RATIO = 2000
    assert detect_content_type(SimpleUploadedFile("plan.docx", content)).endswith("document")

    settings.ATTACHMENT_ZIP_MAX_UNPACKED_BYTES = 10 * MB
    refusal = _refusal("plan.docx", content)
    assert refusal.code == "file_inflates"
    assert "(more than 10 MB)" in refusal.messages[0]


def test_an_archive_with_too_many_parts_is_refused(settings):
    settings.ATTACHMENT_ZIP_MAX_MEMBERS = 20
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", "<document/>")
        for i in range(30):
            archive.writestr(f"word/media/image{i}.png", b"")

    refusal = _refusal("plan.docx", buffer.getvalue())

    assert refusal.code == "file_too_many_parts"
    assert refusal.messages == [
        "The file “plan.docx” holds more than 20 parts, more than a document needs. "
        "Save it again as a new file and try again."
    ]


def test_an_ordinary_document_with_well_packed_text_is_accepted():
    # A long, repetitive text part packs tightly, but a real document's ratio stays far below
    # the limit's (here about 30 to 1 on 2 MB).
    text = "".join(
        f"<w:p><w:r><w:t>Rad {i} i budgeten för hubben.</w:t></w:r></w:p>" for i in range(40_000)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", f"<w:document>{text}</w:document>")

    mime = detect_content_type(SimpleUploadedFile("plan.docx", buffer.getvalue()))

    assert mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
