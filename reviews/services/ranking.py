"""Writes: what the ranking page records (its exports)."""

from applications.audit import audit_record
from applications.models import User
from grants.models import Call


def ranking_export_audit(*, call: Call, by: User, fmt: str, rows: int) -> None:
    """Record in the audit log that ``by`` exported the call's ranking.

    Side effects: one audit row (``export.ranking``, with the format and the number of rows).
    """
    audit_record(
        action="export.ranking",
        actor=by,
        target=call,
        data={"format": fmt, "rows": rows},
    )
