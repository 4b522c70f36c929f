"""Saves from a page read at an older state: two tabs, or two colleagues, on one text.

A record that is edited through a form counts its saves in ``edit_version``. The form carries
the count it was read at; the service compares it on the locked row before writing anything.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class StaleEdit(ValidationError):
    """A save based on an older copy than the one stored: refused, nothing written.

    ``current`` is the stored copy (locked and read inside the refused save), so the page can
    show what the other save holds beside what this person sent.
    """

    def __init__(self, current):
        super().__init__(
            _(
                "This was saved from another tab or by a colleague after you opened the page. "
                "Nothing from this page has been saved."
            ),
            code="stale",
        )
        self.current = current


def version_from_post(value) -> int:
    """The ``edit_version`` a posted form was read at; -1 (never stored, so refused as stale)
    when missing or not a plain number, so a post without it never writes over a newer save."""
    text = str(value or "")
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return -1


def refuse_if_stale(current, base_version: int | None) -> None:
    """Raise ``StaleEdit`` unless ``base_version`` is the stored ``edit_version``.

    ``None`` means the caller holds the copy as it is now (seed data, services); every form
    passes the version it was read at, and a missing or unreadable one counts as stale.
    """
    if base_version is not None and base_version != current.edit_version:
        raise StaleEdit(current)
