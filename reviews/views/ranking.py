"""The ranking of a call's applications with the funding line, and its exports.

Agency staff only (``reviews.view_ranking``: programme managers and decision makers). This page
is where the decision meeting starts; the decisions issue adds its actions here.
"""

import rules
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path

from grants.models import Call

from .. import exports, selectors


def _get_call_for_ranking(request, slug: str) -> Call:
    """The call, for agency staff: 404 for an unknown call, 403 for anyone else."""
    call = get_object_or_404(Call, slug=slug)
    if not rules.has_perm("reviews.view_ranking", request.user, call):
        raise PermissionDenied
    return call


def _committed(call: Call) -> int:
    """Kronor already granted in the call: nothing until decisions exist (issue 4)."""
    return 0


def _display_rows(ranking: selectors.Ranking) -> tuple[list[dict], int | None]:
    """The rows as the page shows them, and the index the funding line goes before.

    The line is drawn under the last application that fits, so everything below it does not;
    when none fits it is drawn above the first row. Rows passed over above the line say so in
    their funding cell.
    """
    fitting = [index for index, row in enumerate(ranking.rows) if row.fits]
    line_at = fitting[-1] + 1 if fitting else 0
    rows = []
    for row in ranking.rows:
        status = exports.funding_status(row)
        rows.append(
            {
                "row": row,
                "criteria": exports.criterion_cells(row, ranking.criteria),
                "below_total": exports.below_total_threshold(row, ranking),
                "reviews_in": len(row.review_scores),
                "status": status,
                "status_label": exports.funding_status_label(status),
            }
        )
    return rows, (line_at if ranking.rows else None)


@login_required
def ranking(request, slug):
    call = _get_call_for_ranking(request, slug)
    result = selectors.ranking_for(call, committed=_committed(call))
    rows, line_at = _display_rows(result)
    fitting_total = sum(row.requested_amount for row in result.rows if row.fits)
    used = result.committed + fitting_total
    return render(
        request,
        "reviews/ranking/ranking.html",
        {
            "call": call,
            "ranking": result,
            "rows": rows,
            "line_at": line_at,
            "fitting_count": sum(1 for row in result.rows if row.fits),
            "fitting_total": fitting_total,
            "used": used,
            "left_over": result.budget - used,
            "aggregate_label": exports.aggregate_label(result),
            "column_count": 10 + len(result.criteria),
        },
    )


@login_required
def ranking_export(request, slug, fmt):
    call = _get_call_for_ranking(request, slug)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    result = selectors.ranking_for(call, committed=_committed(call))
    if fmt == "csv":
        return exports.ranking_csv(result)
    return exports.ranking_xlsx(result)


urlpatterns = [
    path("manage/calls/<slug:slug>/ranking/", ranking, name="ranking"),
    path("manage/calls/<slug:slug>/ranking.<str:fmt>", ranking_export, name="ranking_export"),
]
