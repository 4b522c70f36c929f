"""Validation of Swedish organisation numbers and uploaded files."""

import unicodedata
import zipfile
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import orgnr


def normalise_orgnr(value: str) -> str:
    """Return a valid legal entity's organisation number as ``NNNNNN-NNNN``.

    ``stdnum`` checks length and the Luhn digit only, so a personal identity number passes it;
    digits 3–4 below 20 mark one and are refused here.
    """
    try:
        compact = orgnr.validate(value or "")
    except StdnumError:
        raise ValidationError(
            _("Enter a valid Swedish organisation number, for example 212000-0142."),
            code="invalid",
        ) from None
    if int(compact[2:4]) < 20:
        raise ValidationError(
            _(
                "This looks like a personal identity number. Enter the organisation number "
                "of a legal entity."
            ),
            code="personal_number",
        )
    return orgnr.format(compact)


def validate_public_sector_orgnr(value: str) -> None:
    """Public-sector bodies (the state, regions, municipalities) have numbers starting with 2."""
    if not normalise_orgnr(value).startswith("2"):
        raise ValidationError(
            _(
                "Only public-sector organisations (state agencies, regions and municipalities, "
                "whose organisation numbers start with 2) can register."
            ),
            code="not_public_sector",
        )


# Allowed attachment types: detected from the content, and the name's extension must agree.
ALLOWED_TYPES = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {".xlsx"},
    "application/vnd.oasis.opendocument.text": {".odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {".ods"},
}
_ZIP_BASED = {mime for mime in ALLOWED_TYPES if "officedocument" in mime or "opendocument" in mime}


def detect_content_type(upload) -> str:
    """The MIME type of an uploaded file, judged by its content and agreeing with its name.

    Raises ``ValidationError`` for a type we do not accept, or when the name says one type and
    the content another (a renamed executable, say).
    """
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    extension = PurePath(upload.name or "").suffix.lower()
    allowed = ", ".join(
        sorted({ext.lstrip(".").upper() for exts in ALLOWED_TYPES.values() for ext in exts})
    )
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise ValidationError(
            _("The file “%(name)s” is not of an allowed type (%(allowed)s).")
            % {"name": upload.name, "allowed": allowed},
            code="file_type",
        )
    if extension not in ALLOWED_TYPES[kind.mime]:
        raise ValidationError(
            _(
                "The file “%(name)s” does not contain what its name says. "
                "Check the file and try again."
            )
            % {"name": upload.name},
            code="file_mismatch",
        )
    if kind.mime in _ZIP_BASED:
        _check_archive(upload)
    return kind.mime


# A part this small may be packed as tightly as it likes (repeated XML does): the ratio is a
# bomb's mark only on a part big enough to matter.
_RATIO_FROM_BYTES = 1024 * 1024


def _check_archive(upload) -> None:
    """Refuse a damaged archive, or one that would unpack to far more than it weighs.

    Judged from the central directory alone (the sizes each part declares), so nothing is
    unpacked here: a "zip bomb" costs what reading its table of contents costs. What a part
    declares is all a reader of the file would unpack (Python's zipfile stops there; ClamAV and
    office programs have their own limits).
    """
    try:
        with zipfile.ZipFile(upload) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        members = None
    finally:
        upload.seek(0)
    if not members:
        raise ValidationError(
            _("The file “%(name)s” is damaged and cannot be opened.") % {"name": upload.name},
            code="file_damaged",
        )
    if len(members) > settings.ATTACHMENT_ZIP_MAX_MEMBERS:
        raise ValidationError(
            _(
                "The file “%(name)s” holds more than %(limit)s parts, more than a document "
                "needs. Save it again as a new file and try again."
            )
            % {"name": upload.name, "limit": settings.ATTACHMENT_ZIP_MAX_MEMBERS},
            code="file_too_many_parts",
        )
    unpacked = sum(member.file_size for member in members)
    packed_too_tightly = any(
        member.file_size >= _RATIO_FROM_BYTES
        and member.file_size > settings.ATTACHMENT_ZIP_MAX_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if unpacked > settings.ATTACHMENT_ZIP_MAX_UNPACKED_BYTES or packed_too_tightly:
        raise ValidationError(
            _(
                "The file “%(name)s” would unpack to far more than its size (more than "
                "%(limit)s MB), so it cannot be accepted. Save it again as a new file, or "
                "split it, and try again."
            )
            % {
                "name": upload.name,
                "limit": settings.ATTACHMENT_ZIP_MAX_UNPACKED_BYTES // (1024 * 1024),
            },
            code="file_inflates",
        )


def safe_filename(name: str) -> str:
    """A file name fit to show and to offer on download: no path, no control characters."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/\\|?*')
    base = base.strip(" .") or "file"
    if len(base) > 150:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 150 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:150]
    return base
