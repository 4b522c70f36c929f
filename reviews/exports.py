"""The ranking as a table of plain values, and as CSV and XLSX files.

The page and both files show the same columns. The files carry numbers as numbers: whole kronor
as integers, scores as decimals rounded to two places (``round_score``), so a spreadsheet can
sort and sum them. Both files are written by the staff exports' one pair of writers
(``applications.exports.spreadsheet_csv`` and ``spreadsheet_xlsx``): the CSV for a Swedish
spreadsheet (``;`` between cells, a decimal comma: ``5,25``), the XLSX with the number itself,
shown in the reader's locale.
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from applications.exports import spreadsheet_csv, spreadsheet_xlsx
from grants.enums import Aggregation
from grants.models import Call

from .selectors.ranking import Ranking, RankingRow, ranking_for
from .selectors.scores import round_score

FITS = "fits"
DOES_NOT_FIT = "does_not_fit"
NOT_FUNDABLE = "not_fundable"


def funding_status(row: RankingRow) -> str:
    """``fits``, ``does_not_fit`` (fundable, but the money has run out) or ``not_fundable``
    (no complete review yet, or below a threshold)."""
    if row.fits:
        return FITS
    return DOES_NOT_FIT if row.fundable else NOT_FUNDABLE


def funding_status_label(status: str) -> str:
    return {
        FITS: _("Fits"),
        DOES_NOT_FIT: _("Does not fit"),
        NOT_FUNDABLE: _("Not fundable"),
    }[status]


def aggregate_label(ranking: Ranking) -> str:
    if ranking.call.aggregation == Aggregation.MEDIAN:
        return _("Median score")
    return _("Mean score")


def criterion_cells(row: RankingRow, criteria) -> list[tuple[Decimal | None, bool]]:
    """(mean, below its threshold) per criterion, in the call's order."""
    cells = []
    for criterion in criteria:
        mean = row.criterion_means.get(criterion.pk)
        below = mean is not None and criterion.threshold is not None and mean < criterion.threshold
        cells.append((mean, below))
    return cells


def below_total_threshold(row: RankingRow, ranking: Ranking) -> bool:
    threshold = ranking.call.total_threshold
    return row.aggregate is not None and threshold is not None and row.aggregate < threshold


def review_columns(ranking: Ranking) -> int:
    """How many "Review n" columns the files need: the most reviews any application has."""
    return max((len(row.review_scores) for row in ranking.rows), default=0)


def ranking_table(ranking: Ranking) -> tuple[list[str], list[list]]:
    """The header and one list of typed values per application, in ranking order."""
    reviews = review_columns(ranking)
    header = [
        _("Rank"),
        _("Tied"),
        _("Registration number"),
        _("Organisation"),
        _("Title"),
        _("Requested amount (kr)"),
        *[_("Review %(number)s") % {"number": n} for n in range(1, reviews + 1)],
        aggregate_label(ranking),
        _("Spread"),
        _("Disagreement"),
        *[_("Mean: %(criterion)s") % {"criterion": c.name} for c in ranking.criteria],
        _("Below threshold"),
        _("Reviews submitted"),
        _("Reviewers assigned"),
        _("Funding"),
        _("Remaining after (kr)"),
    ]
    yes, no = _("yes"), _("no")
    rows = []
    for row in ranking.rows:
        scores = [round_score(score) for score in row.review_scores]
        rows.append(
            [
                row.rank,
                yes if row.tied else no,
                row.registration_number,
                row.organisation_name,
                row.title,
                row.requested_amount,
                *scores,
                *[None] * (reviews - len(scores)),
                round_score(row.aggregate),
                round_score(row.spread),
                yes if row.disagreement else no,
                *[round_score(mean) for mean, _below in criterion_cells(row, ranking.criteria)],
                ", ".join(row.threshold_failures),
                len(row.review_scores),
                row.assigned,
                funding_status_label(funding_status(row)),
                row.remaining_after,
            ]
        )
    return header, rows


def _filename(ranking: Ranking, extension: str) -> str:
    return f"ranking-{ranking.call.slug}-{timezone.localdate().isoformat()}.{extension}"


def ranking_csv(ranking: Ranking):
    """The ranking as CSV for a Swedish spreadsheet (see ``applications.exports``)."""
    header, rows = ranking_table(ranking)
    return spreadsheet_csv(header, rows, filename=_filename(ranking, "csv"))


def ranking_xlsx(ranking: Ranking):
    """The ranking as an XLSX workbook: numbers as numbers, scores shown with two decimals."""
    header, rows = ranking_table(ranking)
    return spreadsheet_xlsx(
        header, rows, sheet_title=_("Ranking"), filename=_filename(ranking, "xlsx")
    )


RANKING_EXPORT = "ranking"


def ranking_export_build(job):
    """The ranking's file for a background export (``applications.export_jobs``): the call
    and the format from the job, the ranking as it stands when the worker runs."""
    filters = job.params["filters"]
    result = ranking_for(Call.objects.get(pk=filters["call"]))
    return ranking_csv(result) if filters.get("fmt") == "csv" else ranking_xlsx(result)
