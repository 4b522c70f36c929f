"""The audit entries of the agency's exports: who took which file, with how many rows.

The files themselves are built in ``applications.exports``; a view records the export here
first, then hands the file.
"""

from ..audit import audit_record
from ..models import User


def case_list_export_record(*, by: User, applications, filters: dict, fmt: str = "csv") -> int:
    """Record that ``by`` exported the case list; returns the number of rows. Side effect: one
    audit entry with the file's format, the number of rows and the filters (codes and ids only,
    see the view's ``_export_filters``)."""
    rows = applications.count()
    audit_record(
        action="export.case_list",
        actor=by,
        data={"format": fmt, "rows": rows, "filters": filters},
    )
    return rows


def finance_export_record(*, by: User, call, payments, claims, fmt: str = "csv") -> int:
    """Record that ``by`` exported the finance file, for one call or all; returns the number of
    rows. Side effect: one audit entry with the file's format, the call's id and the numbers of
    payments and repayments."""
    data = {
        "format": fmt,
        "call_id": call.pk if call else None,
        "payments": payments.count(),
        "repayments": claims.count(),
    }
    audit_record(action="export.finance", actor=by, data=data)
    return data["payments"] + data["repayments"]
