"""Logging: one JSON object per line in production, each record carrying the request's id.

The id lives in a context variable set by ``config.middleware.RequestIdMiddleware`` for the
length of a request; ``RequestIdFilter`` copies it onto every record, whoever logs it (Django,
our code, a library). Outside a request it is ``"-"``.
"""

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# The fields every line has; anything passed with ``extra=`` is added after them.
JSON_FIELDS = ["levelname", "name", "message", "request_id"]
JSON_RENAMED = {"levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to each record (it never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def formatters() -> dict:
    """The ``formatters`` part of a logging dictConfig: ``json`` and ``text``."""
    return {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": JSON_RENAMED,
            "timestamp": "time",
        },
        "text": {"format": TEXT_FORMAT},
    }
