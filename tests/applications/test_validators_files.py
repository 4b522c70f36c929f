"""Validators: organisation numbers, uploaded files judged by content, safe file names.

Every file here is built in the test with its real internal structure, small as it is.
"""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from applications.validators import (
    detect_content_type,
    normalise_orgnr,
    safe_filename,
    validate_public_sector_orgnr,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# -- organisation numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["212000-0142", "2120000142", "202100-5216", "2021005216"])
def test_valid_organisation_number_is_normalised_with_and_without_dash(value):
    assert normalise_orgnr(value) == f"{value.replace('-', '')[:6]}-{value.replace('-', '')[6:]}"


@pytest.mark.parametrize("value", ["16212000-0142", "162120000142"])
def test_twelve_digit_form_is_refused_as_stdnum_does(value):
    # stdnum.se.orgnr accepts the ten-digit form only; the "16" prefix some registers print is
    # not accepted, and the message tells the user the form that is.
    with pytest.raises(ValidationError) as refused:
        normalise_orgnr(value)

    assert refused.value.code == "invalid"


def test_organisation_number_with_wrong_check_digit_is_refused():
    with pytest.raises(ValidationError) as refused:
        normalise_orgnr("212000-0143")

    assert refused.value.code == "invalid"
    assert refused.value.messages == [
        "Enter a valid Swedish organisation number, for example 212000-0142."
    ]


def test_personal_identity_number_is_refused():
    with pytest.raises(ValidationError) as refused:
        normalise_orgnr("811228-9874")

    assert refused.value.code == "personal_number"


def test_private_company_is_refused_as_not_public_sector():
    assert normalise_orgnr("556036-0793") == "556036-0793"  # a valid legal entity

    with pytest.raises(ValidationError) as refused:
        validate_public_sector_orgnr("556036-0793")

    assert refused.value.code == "not_public_sector"


def test_public_sector_number_passes():
    assert validate_public_sector_orgnr("212000-0142") is None


# -- file contents ------------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bytes() -> bytes:
    """A 1×1 white pixel, 8-bit greyscale."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff")  # filter byte, one grey pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xd9"


def _zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            compress = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress)
    return buffer.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/%s" ContentType="%s"/></Types>'
)
RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="%s"/></Relationships>'
)


def docx_bytes() -> bytes:
    main = b"word/document.xml"
    return _zip(
        [
            (
                "[Content_Types].xml",
                CONTENT_TYPES
                % (
                    main,
                    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                    b".main+xml",
                ),
            ),
            ("_rels/.rels", RELS % main),
            (
                "word/document.xml",
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                b'main"><w:body><w:p><w:r><w:t>Projektplan</w:t></w:r></w:p></w:body>'
                b"</w:document>",
            ),
        ]
    )


def xlsx_bytes() -> bytes:
    main = b"xl/workbook.xml"
    return _zip(
        [
            (
                "[Content_Types].xml",
                CONTENT_TYPES
                % (
                    main,
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                ),
            ),
            ("_rels/.rels", RELS % main),
            (
                "xl/workbook.xml",
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheets><sheet name="Budget" sheetId="1"/></sheets></workbook>',
            ),
            (
                "xl/worksheets/sheet1.xml",
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData/></worksheet>",
            ),
        ]
    )


def opendocument_bytes(mimetype: str) -> bytes:
    # The OpenDocument rule: "mimetype" first, stored uncompressed, then the rest.
    return _zip(
        [
            ("mimetype", mimetype.encode("ascii")),
            (
                "META-INF/manifest.xml",
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                b'manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                b'manifest:media-type="' + mimetype.encode("ascii") + b'"/></manifest:manifest>',
            ),
            (
                "content.xml",
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                b'office:1.0"/>',
            ),
        ],
        stored_first=True,
    )


ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ALLOWED = [
    ("plan.pdf", pdf_bytes, "application/pdf"),
    ("Plan.PDF", pdf_bytes, "application/pdf"),
    ("karta.png", png_bytes, "image/png"),
    ("foto.jpg", jpeg_bytes, "image/jpeg"),
    ("foto.jpeg", jpeg_bytes, "image/jpeg"),
    ("projektplan.docx", docx_bytes, DOCX),
    ("budget.xlsx", xlsx_bytes, XLSX),
    ("projektplan.odt", lambda: opendocument_bytes(ODT), ODT),
    ("budget.ods", lambda: opendocument_bytes(ODS), ODS),
]


@pytest.mark.parametrize(("name", "make", "mime"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_allowed_file_is_recognised_by_its_content(name, make, mime):
    upload = SimpleUploadedFile(name, make())

    assert detect_content_type(upload) == mime
    assert upload.tell() == 0  # left ready to be stored


NOT_ALLOWED = "(DOCX, JPEG, JPG, ODS, ODT, PDF, PNG, XLSX)"


def _refusal(upload) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        detect_content_type(upload)
    return refused.value


def test_executable_renamed_to_pdf_is_refused():
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48

    refusal = _refusal(SimpleUploadedFile("faktura.pdf", exe))

    assert refusal.code == "file_type"
    assert refusal.messages == [f"The file “faktura.pdf” is not of an allowed type {NOT_ALLOWED}."]


def test_pdf_renamed_to_docx_is_refused():
    refusal = _refusal(SimpleUploadedFile("plan.docx", pdf_bytes()))

    assert refusal.code == "file_mismatch"
    assert refusal.messages == [
        "The file “plan.docx” does not contain what its name says. Check the file and try again."
    ]


def test_png_renamed_to_jpg_is_refused():
    assert _refusal(SimpleUploadedFile("karta.jpg", png_bytes())).code == "file_mismatch"


def test_zip_without_word_entries_renamed_to_docx_is_refused():
    archive = _zip([("notes.txt", b"not a document"), ("more/notes.txt", b"still not")])

    assert _refusal(SimpleUploadedFile("plan.docx", archive)).code == "file_type"


def test_truncated_docx_is_refused_as_damaged():
    whole = docx_bytes()
    upload = SimpleUploadedFile("plan.docx", whole[: len(whole) - 40])

    refusal = _refusal(upload)

    assert refusal.code == "file_damaged"
    assert refusal.messages == ["The file “plan.docx” is damaged and cannot be opened."]


def test_plain_text_is_refused():
    assert _refusal(SimpleUploadedFile("plan.pdf", b"just some text\n")).code == "file_type"


def test_empty_file_is_refused():
    assert _refusal(SimpleUploadedFile("plan.pdf", b"")).code == "file_type"


# -- file names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\anna\\Projektplan.pdf", "Projektplan.pdf"),
        ("/absolute/path/plan.pdf", "plan.pdf"),
        ("bud\x00get\n\r\t.pdf", "budget.pdf"),
        ("del\x1b[31mröd.pdf", "del[31mröd.pdf"),
        ('a<b>c:d"e|f?g*h.pdf', "abcdefgh.pdf"),
        ("Ansökan Östersund.pdf", "Ansökan Östersund.pdf"),
        ("  .hidden.  ", "hidden"),
        ("", "file"),
        ("..", "file"),
        ("\x00\x01", "file"),
    ],
)
def test_safe_filename_strips_paths_and_unsafe_characters(name, safe):
    assert safe_filename(name) == safe


def test_safe_filename_composes_decomposed_letters():
    assert safe_filename("O\u0308stersund.pdf") == "\u00d6stersund.pdf"


def test_safe_filename_shortens_long_names_and_keeps_the_extension():
    safe = safe_filename("å" * 300 + ".docx")

    assert safe == "å" * 145 + ".docx"
    assert len(safe) == 150


UNSAFE = set('<>:"/\\|?*')


@given(st.text(max_size=400))
def test_safe_filename_is_never_empty_nor_a_path_nor_unprintable(name):
    safe = safe_filename(name)

    assert safe
    assert safe not in (".", "..")
    assert not UNSAFE & set(safe)
    assert safe.isprintable()
    assert len(safe) <= 150
    assert safe == safe_filename(safe)
