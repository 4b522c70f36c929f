"""The case list's sort orders are served by their partial indexes, on SQLite and PostgreSQL.

A page of the case list asks for its ids in the list's order (``IdsFirstPaginator``); each
sort column has an index on (column, id) over submitted applications only (``SUBMITTED_ONLY``).
The query must be spelled so that the database can prove it lies inside the index's
condition, or the index is never used and every page sorts the whole call. On PostgreSQL the
planner rightly prefers a scan and a sort for a handful of rows, so the test turns both off to
ask whether an index can serve the order at all, and which.
"""

import pytest
from django.db import connection, transaction

from applications.filters import ORDERING_FIELDS
from applications.selectors.applications import case_list
from tests.factories import submitted_application

pytestmark = pytest.mark.django_db

INDEXES = {
    "submitted": "application_submitted_idx",
    "title": "application_title_idx",
    "amount": "application_amount_idx",
    "state": "application_state_idx",
}


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " / ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("key", sorted(INDEXES))
@pytest.mark.parametrize("descending", [False, True])
def test_a_pages_ids_walk_the_sort_orders_index(programme_manager, key, descending):
    for _ in range(3):
        submitted_application()
    field = ORDERING_FIELDS[key]
    order = (f"-{field}", "-pk") if descending else (field, "pk")
    ids = case_list(programme_manager).order_by(*order).values_list("pk", flat=True)[50:100]
    plan = _plan(ids)
    assert INDEXES[key] in plan, plan
