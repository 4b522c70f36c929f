"""The ranking of a call's applications with the funding line, and its exports.

Agency staff only (``reviews.view_ranking``: programme managers and decision makers). This page
is where the decision meeting starts; the decisions issue adds its actions here.
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from applications.enums import ApplicationState, DecisionOutcome, DecisionStatus
from applications.export_jobs import export_in_background, export_start
from applications.forms.decisions import RankingProposeForm
from applications.selectors.decisions import remaining_budget
from applications.views.decisions import get_application_for_proposal, render_propose
from applications.views.jobs import redirect_to_job
from config.templatetags.samverket import kronor, score
from grants.models import Call

from .. import exports
from ..selectors.feedback import feedback_for_applicant
from ..selectors.ranking import (
    STATE_AT,
    Ranking,
    RankingRow,
    decisions_by_application,
    ranking_for,
    ranking_review_scores,
)
from ..services.decisions import decisions_propose_from_ranking
from ..services.ranking import ranking_export_audit

# Rows a page of the ranking shows (``?rows=all``: every one). Rendering 2,000 rows was most of
# the page's time and 2 MB of HTML.
ROWS_PER_PAGE = 100


def _get_call_for_ranking(request, slug: str) -> Call:
    """The call, for agency staff: 404 for an unknown call, 403 for anyone else."""
    call = get_object_or_404(Call, slug=slug)
    if not rules.has_perm("reviews.view_ranking", request.user, call):
        raise PermissionDenied
    return call


def _state(row: RankingRow) -> str:
    # From the values the ranking read, not ``row.application``: making an instance per row
    # is what the ranking avoids at 2,000 applications.
    return row.source[0][STATE_AT]


def _decision_cell_renderer(decisions: dict[int, tuple[str, str]], may_propose: bool):
    """A function that renders a row's decision cell: the decision proposed or taken, or a
    link to propose one when the application is reviewed and the user may propose."""
    placeholder = 999_999_999
    propose_url = reverse("reviews:decision_propose", args=[placeholder])
    before_pk, after_pk = propose_url.split(str(placeholder))
    outcomes = {value: escape(label) for value, label in DecisionOutcome.choices}
    proposed = escape(_("Proposed"))
    decided = escape(_("Decided"))
    propose = escape(_("Propose"))
    none = f'<span class="muted">{escape(_("none"))}</span>'

    def render_cell(row: RankingRow) -> str:
        found = decisions.get(row.application_id)
        if found is not None:
            status, outcome = found
            word = decided if status == DecisionStatus.CONFIRMED else proposed
            return f'<td>{word}: <span class="tag tag--{outcome}">{outcomes[outcome]}</span></td>'
        if may_propose and _state(row) == ApplicationState.REVIEWED:
            label = escape(
                _("Propose a decision for %(number)s") % {"number": row.registration_number}
            )
            return (
                f'<td><a href="{before_pk}{row.application_id}{after_pk}" '
                f'aria-label="{label}">{propose}</a></td>'
            )
        return f"<td>{none}</td>"

    return render_cell


def _row_renderer(ranking: Ranking, decision_cell=None):
    """A function that renders one ranking row as a table row of HTML: Python rather than a
    template loop, which spent over a second at 2,000 rows on ~40,000 variables. The markup is
    ranking.html's, every text escaped here; the columns fit 1280 px, each review's score, the
    spread and the criterion means behind a disclosure (``_score_details``).
    """
    parts = _row_fragments(ranking)
    before_pk, after_pk, labels = parts["before_pk"], parts["after_pk"], parts["labels"]
    # The score details' fixed markup, joined once for all rows.
    parts["details_open"] = (
        f'<details class="ranking-details"><summary>{parts["summary"]}</summary>'
        f"<dl>{parts['reviews_label']}<dd>"
    )
    parts["spread_open"] = f"</dd>{parts['spread_label']}<dd>"
    parts["in_open"] = f"{parts['in_label']}<dd>"
    criteria = ranking.criteria

    def render_row(row: RankingRow) -> str:
        status = exports.funding_status(row)
        cells = exports.criterion_cells(row, criteria)
        return (
            f'<tr class="ranking-row ranking-row--{status}">'
            f'<td class="num">{row.rank or "–"}</td>'
            f'<th scope="row"><a href="{before_pk}{row.application_id}{after_pk}">'
            f"{escape(row.registration_number)}</a>"
            f' <span class="ranking__title">{escape(row.title)}</span></th>'
            f"<td>{escape(row.organisation_name)}</td>"
            f'<td class="num">{kronor(row.requested_amount)}</td>'
            f'<td class="num ranking__score">{score(row.aggregate)}'
            f"{_score_details(row, cells, parts)}</td>"
            f'<td class="ranking__flags">{_flags(row, ranking, cells, parts)}</td>'
            f'<td><span class="tag tag--{status}">{labels[status]}</span></td>'
            f"{decision_cell(row) if decision_cell else ''}"
            "</tr>\n"
        )

    return render_row


def _score_details(row: RankingRow, cells, parts: dict) -> str:
    """The disclosure in a row's score cell: each review's score (one a line: a comma would
    read as the decimal comma in Swedish), the spread, the criterion means, reviews in."""
    reviews = "<br>".join(score(value) for value in row.review_scores) or parts["none_yet"]
    means = "".join(
        f"<dt>{label}</dt><dd>{score(mean) or '–'}{parts['below'] if failed else ''}</dd>"
        for label, (mean, failed) in zip(parts["mean_labels"], cells, strict=True)
    )
    return (
        f"{parts['details_open']}{reviews}{parts['spread_open']}{score(row.spread) or '–'}</dd>"
        f"{means}{parts['in_open']}{row.reviews_in} / {row.assigned}</dd></dl></details>"
    )


def _flags(row: RankingRow, ranking: Ranking, cells, parts: dict) -> str:
    """A row's flags: tied, reviewers disagree, below a threshold (the total or a criterion)."""
    below_any = exports.below_total_threshold(row, ranking) or any(c[1] for c in cells)
    return (
        (parts["tied"] if row.tied else "")
        + (parts["disagreement"] if row.disagreement else "")
        + (parts["below"] if below_any else "")
    )


def _row_fragments(ranking: Ranking) -> dict:
    """The pieces of markup every row shares, escaped and translated once for all rows: the
    reviews link around the application id, the flags, the labels of the score details, and
    the funding labels."""
    placeholder = 999_999_999
    reviews_url = reverse("reviews:application_reviews", args=[placeholder])
    before_pk, after_pk = reviews_url.split(str(placeholder))
    mean_labels = []
    for criterion in ranking.criteria:
        label = escape(_("Mean: %(name)s") % {"name": criterion.name})
        if criterion.threshold is not None:
            threshold = _("threshold %(threshold)s") % {"threshold": score(criterion.threshold)}
            label += f' <span class="muted">({escape(threshold)})</span>'
        mean_labels.append(str(label))
    # Plain strings (escaped above): formatting SafeStrings into every row costs time at
    # 2,000 rows.
    fragments = {
        "before_pk": before_pk,
        "after_pk": after_pk,
        "tied": f'<span class="tag">{escape(_("tied"))}</span> ',
        "disagreement": f'<span class="tag tag--warning">{escape(_("disagreement"))}</span> ',
        "below": f' <span class="tag tag--warning">{escape(_("below threshold"))}</span>',
        "none_yet": f'<span class="muted">{escape(_("none yet"))}</span>',
        "summary": escape(_("Details of the scores")),
        "reviews_label": "<dt>" + escape(_("Reviews' weighted scores")) + "</dt>",
        "spread_label": f"<dt>{escape(_('Spread'))}</dt>",
        "in_label": f"<dt>{escape(_('Reviews in / assigned'))}</dt>",
        "mean_labels": mean_labels,
        "labels": {
            status: str(escape(exports.funding_status_label(status)))
            for status in (exports.FITS, exports.DOES_NOT_FIT, exports.NOT_FUNDABLE)
        },
    }
    return {
        key: value if isinstance(value, list | dict) else str(value)
        for key, value in fragments.items()
    }


def _rendered_rows(ranking: Ranking, rows, line_at: int | None, decision_cell=None):
    """``rows`` as HTML, in two parts: above and below the funding line when ``line_at`` (how
    many of them are above it) says it is among them; else all of them and None.

    The line is drawn under the last application that fits, so everything below it does not;
    when none fits it is drawn above the first row. Rows passed over above the line say so in
    their funding cell.
    """
    render_row = _row_renderer(ranking, decision_cell)
    html = [render_row(row) for row in rows]
    if line_at is None:
        return mark_safe("".join(html)), None  # noqa: S308
    return mark_safe("".join(html[:line_at])), mark_safe("".join(html[line_at:]))  # noqa: S308


def _all_rows(request) -> bool:
    return request.GET.get("rows") == "all"


def _page(request, ranking: Ranking) -> dict:
    """The part of the ranking the page shows: ``ROWS_PER_PAGE`` rows of page ``?page=``
    (what is not a page number gives the first page, one past the end the last), or every
    row with ``?rows=all``. The funding line is placed over the whole ranking and drawn on the
    page that holds it: the one with the last row that fits (the first when none fits)."""
    rows = ranking.rows
    fitting = [index for index, row in enumerate(rows) if row.fits]
    line_at = fitting[-1] + 1 if fitting else 0  # rows above the line, in the whole ranking
    all_rows = _all_rows(request)
    per_page = max(len(rows), 1) if all_rows else ROWS_PER_PAGE
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    line_page = max(1, -(-line_at // per_page))
    offset = (page.number - 1) * per_page
    return {
        "page": page,
        "all_rows": all_rows,
        "rows_per_page": ROWS_PER_PAGE,
        "line_page": line_page,
        "line_at": line_at - offset if page.number == line_page else None,
    }


def _render_ranking(request, call, *, propose_form=None, status=200):
    # Every row's review scores at once for ``?rows=all``; else only the shown rows' (below).
    result = ranking_for(call, review_scores=_all_rows(request))
    may_propose = rules.has_perm("applications.propose_decision", request.user)
    decisions = decisions_by_application(call)
    shown = _page(request, result)
    ranking_review_scores(result, shown["page"].object_list)  # the shown rows' score details
    rows_above, rows_below = _rendered_rows(
        result,
        shown["page"].object_list,
        shown["line_at"],
        _decision_cell_renderer(decisions, may_propose),
    )
    return render(
        request,
        "reviews/ranking/ranking.html",
        {
            "call": call,
            "ranking": result,
            **shown,
            **_call_wide_figures(result, decisions),
            "rows_above": rows_above,
            "rows_below": rows_below,
            "aggregate_label": exports.aggregate_label(result),
            "column_count": 8,
            "may_propose": may_propose,
            "propose_form": propose_form or RankingProposeForm(),
        },
        status=status,
    )


def _call_wide_figures(ranking: Ranking, decisions: dict) -> dict:
    """The funding line's figures and the count of reviewed applications without a decision,
    over the whole ranking whatever page is shown."""
    # Approved rows are already in ``committed`` (at the amount granted): count the others.
    fitting_total = sum(r.requested_amount for r in ranking.rows if r.fits and not r.decided)
    used = ranking.committed + fitting_total
    return {
        "fitting_count": sum(1 for row in ranking.rows if row.fits),
        "fitting_total": fitting_total,
        "used": used,
        "left_over": remaining_budget(budget=ranking.budget, committed=used),
        "reviewed_count": sum(
            1
            for row in ranking.rows
            if _state(row) == ApplicationState.REVIEWED and row.application_id not in decisions
        ),
    }


@login_required
def ranking(request, slug):
    call = _get_call_for_ranking(request, slug)
    return _render_ranking(request, call)


@require_POST
@login_required
def ranking_export(request, slug, fmt):
    """The ranking as CSV or XLSX. POST only (the page's buttons), since it writes an audit
    entry and a GET must change nothing."""
    call = _get_call_for_ranking(request, slug)  # ``fmt`` is csv or xlsx: the URL's converter
    result = ranking_for(call)
    ranking_export_audit(call=call, by=request.user, fmt=fmt, rows=len(result.rows))
    if export_in_background(len(result.rows)):
        job, _created = export_start(
            kind=exports.RANKING_EXPORT,
            by=request.user,
            params={"call": call.pk, "fmt": fmt},
            rows=len(result.rows),
            call=call,
        )
        return redirect_to_job(job)
    if fmt == "csv":
        return exports.ranking_csv(result)
    return exports.ranking_xlsx(result)


# -- the decision meeting: proposing from the ranking ---------------------------------------------


@require_POST
@login_required
def ranking_propose(request, slug):
    """Approve everything above the funding line at the requested amount, reject the rest."""
    call = _get_call_for_ranking(request, slug)
    if not rules.has_perm("applications.propose_decision", request.user):
        raise PermissionDenied
    form = RankingProposeForm(request.POST)
    if form.is_valid():
        try:
            result = decisions_propose_from_ranking(
                call=call,
                by=request.user,
                approve_justification=form.cleaned_data["approve_justification"],
                reject_justification=form.cleaned_data["reject_justification"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _proposed_messages(request, result)
            return redirect("reviews:ranking", slug=call.slug)
    return _render_ranking(request, call, propose_form=form, status=400)


def _proposed_messages(request, result) -> None:
    """Say how many approvals and rejections were proposed, and which applications were
    skipped."""
    approved = sum(1 for d in result.proposed if d.outcome == "approved")
    messages.success(
        request,
        _(
            "%(approved)s approvals and %(rejected)s rejections were proposed. A "
            "decision maker confirms them on the decisions page."
        )
        % {"approved": approved, "rejected": len(result.proposed) - approved},
    )
    if result.skipped:
        messages.info(
            request,
            ngettext(
                "%(count)s application was skipped: %(list)s.",
                "%(count)s applications were skipped: %(list)s.",
                len(result.skipped),
            )
            % {
                "count": len(result.skipped),
                "list": "; ".join(
                    f"{item.registration_number} ({item.reason})" for item in result.skipped
                ),
            },
        )


@login_required
def decision_propose(request, pk):
    """Propose one decision from the review side, the feedback prefilled with the consensus
    comment or the reviewers' comments for the applicant (applications cannot read those)."""
    application = get_application_for_proposal(request, pk)
    return render_propose(
        request,
        application,
        suggested_feedback=feedback_for_applicant(application),
        back_url=reverse("reviews:application_reviews", args=[application.pk]),
    )


urlpatterns = [
    path("manage/calls/<slug:slug>/ranking/", ranking, name="ranking"),
    path("manage/calls/<slug:slug>/ranking/propose/", ranking_propose, name="ranking_propose"),
    path(
        "manage/applications/<int:pk>/decision/propose/",
        decision_propose,
        name="decision_propose",
    ),
    path(
        "manage/calls/<slug:slug>/ranking.<export_format:fmt>",
        ranking_export,
        name="ranking_export",
    ),
]
