"""URL converters that accept only what the site makes, so a malformed id is a 404 at routing.

``<str:...>`` matches any text but a slash: a NUL byte (``/invitations/%00/``) reached the
query, and PostgreSQL refuses a string with NUL in it with an error, a 500. These match the
alphabet of the values themselves, so anything else never reaches a view.
"""

from django.urls import register_converter


class TokenConverter:
    """An invitation token: ``secrets.token_urlsafe(32)``, base64url, at most the column's 64."""

    regex = r"[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ExportFormatConverter:
    """The file formats of an export: ``csv`` or ``xlsx``."""

    regex = r"csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def register_converters() -> None:
    """Called once from ``ApplicationsConfig.ready``, before any URLconf is read."""
    register_converter(TokenConverter, "token")
    register_converter(ExportFormatConverter, "export_format")
