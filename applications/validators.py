"""Validation of Swedish organisation numbers, uploaded files, and whole numbers that must fit
the database column they are stored in."""

import re
import unicodedata
import zipfile
from pathlib import PurePath

import filetype
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
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


# -- whole numbers that fit their column ---------------------------------------------------------


def column_range(model_field: models.Field) -> tuple[int, int]:
    """The values an integer column holds on every database the site runs on.

    PostgreSQL's ranges (Django's portable table): a ``PositiveIntegerField`` holds 0 to
    2,147,483,647 there, while SQLite stores up to 2**63 - 1 in any integer column and cannot
    take a larger number at all (an ``OverflowError``, a 500). Using one table for both keeps
    a value that SQLite accepts from failing in production.
    """
    return BaseDatabaseOperations.integer_field_ranges[model_field.get_internal_type()]


# The spaces people (and the site itself, see ``format_kronor``) put between thousands: the
# normal space, the no-break space, the narrow no-break space and the thin space.
_GROUP_SPACES = " \u00a0\u202f\u2009"
# "600 000", "600000", "1 250 000", with "kr", "kr." or "SEK" after it, and a sign before it
# (the field's bounds judge a negative number, with their own message).
_WHOLE_NUMBER = re.compile(
    rf"^(?P<sign>[-\u2212]?)[{_GROUP_SPACES}]*"
    rf"(?P<digits>\d{{1,3}}(?:[{_GROUP_SPACES}]\d{{3}})+|\d+)"
    rf"[{_GROUP_SPACES}]*(?:kr\.?|sek)?$",
    re.IGNORECASE,
)
_UNIT = r"(?:kr\.?|sek)?"
_ZERO_DECIMALS = re.compile(rf"[.,]0{{1,2}}(?=[{_GROUP_SPACES}]*{_UNIT}$)", re.IGNORECASE)
_POINT_GROUPS = re.compile(r"\d[.,]\d{3}(?!\d)")
_DECIMALS = re.compile(rf"^[-\u2212]?[\d{_GROUP_SPACES}]+[.,]\d+[{_GROUP_SPACES}]*{_UNIT}$", re.I)
_SPACED_DIGITS = re.compile(rf"^[-\u2212]?[\d{_GROUP_SPACES}]+{_UNIT}$", re.IGNORECASE)


def parse_whole_number(value: str) -> str | None:
    """``value`` as the plain digits ``int()`` reads ("600 000 kr" → "600000"), or ``None``
    when it is not a whole number written the Swedish way. Zero decimals ("600000,00") are
    whole kronor too; "600,000" and "600.000" are not read as anything (a point or comma
    before three digits is an English or German thousands separator, never 600)."""
    text = _ZERO_DECIMALS.sub("", value.strip())
    match = _WHOLE_NUMBER.match(text)
    if not match:
        return None
    sign = "-" if match["sign"] else ""
    return sign + re.sub(f"[{_GROUP_SPACES}]", "", match["digits"])


class WholeNumberInput(forms.TextInput):
    """A text box for a whole number or an amount (``type=text inputmode=numeric``: a
    ``type=number`` box refuses "600 000" in the browser and hides what was typed), showing a
    stored number with its thousands apart: 600 000."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}".replace(",", "\u00a0")
        return super().format_value(value)


class WholeNumberField(forms.IntegerField):
    """An ``IntegerField`` that refuses, with the usual field message, a number its column
    cannot hold: ``column`` is the model field the value is stored in (bounds given as well
    are kept where they are tighter).

    Every form field for a stored whole number is one of these, so that 2147483648 or
    99999999999999999999 in an amount is a message on the field, never a database error.

    It reads numbers as people write them in Swedish: "600 000", "600 000 kr" (normal,
    no-break or narrow spaces between the thousands), "600000 SEK", "600000,00". Decimals
    other than zeros are refused with a message saying so, and spaces in the wrong places
    ("60 0000") with one showing how to write the number.
    """

    # A text box, never ``type=number`` (which refuses "600 000" and hides what was typed).
    widget = WholeNumberInput
    default_error_messages = {
        "decimals": _("Enter a whole number, without decimals."),
        "grouping": _(
            "Enter the number with a space between each group of three digits, for example "
            "600 000, or without spaces."
        ),
    }

    def __init__(self, *, column: models.Field, min_value=None, max_value=None, **kwargs):
        low, high = column_range(column)
        min_value = low if min_value is None else max(min_value, low)
        max_value = high if max_value is None else min(max_value, high)
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            parsed = parse_whole_number(value)
            if parsed is None:
                self._refuse_as_written(value.strip())
            else:
                value = parsed
        return super().to_python(value)

    def _refuse_as_written(self, text: str) -> None:
        """A message that says what is wrong with a number that almost is one; anything else
        gets the field's own "Enter a whole number"."""
        if _POINT_GROUPS.search(text) or _SPACED_DIGITS.match(text):
            raise ValidationError(self.error_messages["grouping"], code="grouping")
        if _DECIMALS.match(text):
            raise ValidationError(self.error_messages["decimals"], code="decimals")
        raise ValidationError(self.error_messages["invalid"], code="invalid")


def formfield_for_column(db_field: models.Field, **kwargs):
    """A ModelForm's ``Meta.formfield_callback``: integer fields become ``WholeNumberField``s
    bounded by their column, single-line text fields ``SingleLineTextField``s, every other
    field is the model's default."""
    if db_field.choices:
        return db_field.formfield(**kwargs)
    if isinstance(db_field, models.IntegerField):
        kwargs = {"form_class": WholeNumberField, "column": db_field, **kwargs}
    elif type(db_field) is models.CharField:  # not its subclasses (EmailField has its own)
        kwargs = {"form_class": SingleLineTextField, **kwargs}
    return db_field.formfield(**kwargs)


# -- bidirectional control characters --------------------------------------------------------------

# The embeddings and overrides (U+202A–U+202E), the isolates (U+2066–U+2069), the marks
# (U+200E, U+200F) and the Arabic letter mark (U+061C). In a name or a title they make text
# display in another order than it is stored (an override before "fdp.exe" shows it as
# "exe.pdf"), in lists,
# tables, CSV cells, email subjects and letters, where the name sits among other data.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


def strip_bidi_controls(text: str) -> str:
    """``text`` without bidirectional control characters (``BIDI_CONTROLS``)."""
    return text.translate(_BIDI_TABLE)


class SingleLineTextField(forms.CharField):
    """A one-line free text (a name, a title, a reference) with the bidirectional control
    characters removed, then stripped of the spaces that may leave at the ends.

    Every single-line text field of the site's forms is one of these (a test walks the forms).
    Long texts (Textarea) keep what was typed: there the characters are a legitimate part of
    writing that mixes Swedish with Arabic or Hebrew, and their effect ends with the paragraph
    the text is shown in, so they cannot reorder anything around it.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, str):
            value = strip_bidi_controls(value)
            if self.strip:
                value = value.strip()
            if value in self.empty_values:
                return self.empty_value
        return value
