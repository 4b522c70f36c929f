"""The ranking of a call's applications with the funding line, and its exports.

Agency staff only (``reviews.view_ranking``: programme managers and decision makers). This page
is where the decision meeting starts; the decisions issue adds its actions here.
"""

import rules
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from config.templatetags.samverket import kronor, score
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


def _row_renderer(ranking: selectors.Ranking):
    """A function that renders one ranking row as a table row of HTML.

    Written in Python rather than as a template loop: at 2,000 applications the template
    engine spent over a second on the ~40,000 variables of the rows, where this takes a few
    tens of milliseconds. The markup is the page's own (see ranking.html); every text from
    the data or a translation is escaped here.
    """
    placeholder = 999_999_999
    reviews_url = reverse("reviews:application_reviews", args=[placeholder])
    before_pk, after_pk = reviews_url.split(str(placeholder))
    tied = f' <span class="tag">{escape(_("tied"))}</span>'
    disagreement = f'<br><span class="tag tag--warning">{escape(_("disagreement"))}</span>'
    below = f'<br><span class="tag tag--warning">{escape(_("below threshold"))}</span>'
    none_yet = f'<span class="muted">{escape(_("none yet"))}</span>'
    labels = {
        status: escape(exports.funding_status_label(status))
        for status in (exports.FITS, exports.DOES_NOT_FIT, exports.NOT_FUNDABLE)
    }
    criteria = ranking.criteria

    def render_row(row: selectors.RankingRow) -> str:
        status = exports.funding_status(row)
        reviews = "<br>".join(score(value) for value in row.review_scores) or none_yet
        means = "".join(
            f'<td class="num">{score(mean)}{below if failed else ""}</td>'
            for mean, failed in exports.criterion_cells(row, criteria)
        )
        below_total = below if exports.below_total_threshold(row, ranking) else ""
        return (
            f'<tr class="ranking-row ranking-row--{status}">'
            f'<td class="num">{row.rank or "–"}{tied if row.tied else ""}</td>'
            f'<th scope="row"><a href="{before_pk}{row.application_id}{after_pk}">'
            f"{escape(row.registration_number)}</a></th>"
            f"<td>{escape(row.organisation_name)}</td>"
            f"<td>{escape(row.title)}</td>"
            f'<td class="num">{kronor(row.requested_amount)}</td>'
            f'<td class="num">{reviews}</td>'
            f'<td class="num">{score(row.aggregate)}{below_total}</td>'
            f'<td class="num">{score(row.spread)}{disagreement if row.disagreement else ""}</td>'
            f"{means}"
            f'<td class="num">{len(row.review_scores)} / {row.assigned}</td>'
            f'<td><span class="tag tag--{status}">{labels[status]}</span></td>'
            "</tr>\n"
        )

    return render_row


def _rendered_rows(ranking: selectors.Ranking) -> tuple[str, str]:
    """The rows above and below the funding line, as HTML.

    The line is drawn under the last application that fits, so everything below it does not;
    when none fits it is drawn above the first row. Rows passed over above the line say so in
    their funding cell.
    """
    fitting = [index for index, row in enumerate(ranking.rows) if row.fits]
    line_at = fitting[-1] + 1 if fitting else 0
    render_row = _row_renderer(ranking)
    html = [render_row(row) for row in ranking.rows]
    return mark_safe("".join(html[:line_at])), mark_safe("".join(html[line_at:]))  # noqa: S308


@login_required
def ranking(request, slug):
    call = _get_call_for_ranking(request, slug)
    result = selectors.ranking_for(call, committed=_committed(call))
    rows_above, rows_below = _rendered_rows(result)
    fitting_total = sum(row.requested_amount for row in result.rows if row.fits)
    used = result.committed + fitting_total
    return render(
        request,
        "reviews/ranking/ranking.html",
        {
            "call": call,
            "ranking": result,
            "rows_above": rows_above,
            "rows_below": rows_below,
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
