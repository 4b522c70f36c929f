"""The programme manager's follow-up overview: money per call, reports due and overdue, and
charts of where the money went and how far the grants have come.

Agency staff only (``view_follow_up_overview``). Every figure comes from a selector in a fixed
number of queries. Charts are inline SVG drawn here on the server (no script, no outside
asset): each has a title and a description naming every value, labels on every bar, and the
same figures in a table beside it.
"""

import rules
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from ..formatting import format_kronor
from ..selectors.overview import (
    FollowUpStage,
    follow_up_granted_by_county,
    follow_up_money_by_call,
    follow_up_reports_due,
    follow_up_spent_by_category,
    follow_up_stages,
)

DUE_WITHIN_DAYS = 30
STAGE_LABELS = {
    FollowUpStage.AWAITING_ACCEPTANCE: gettext_lazy("Awaiting acceptance"),
    FollowUpStage.NO_REPORT_IN: gettext_lazy("In follow-up, no report in"),
    FollowUpStage.REPORTS_IN: gettext_lazy("Reports in, final report not approved"),
    FollowUpStage.FINAL_APPROVED: gettext_lazy("Final report approved, not closed"),
    FollowUpStage.CLOSED: gettext_lazy("Closed"),
    FollowUpStage.LAPSED: gettext_lazy("Lapsed (not accepted in time)"),
}

# The chart's geometry, in SVG user units (one unit is one CSS pixel at full width). The label
# column is at least LABEL_WIDTH, wider when a label needs it (Swedish labels are long):
# CHARACTER_WIDTH is a generous average for the chart's 14 px sans-serif.
LABEL_WIDTH = 250
CHARACTER_WIDTH = 8
BAR_SPACE = 290
VALUE_WIDTH = 110
ROW_HEIGHT = 34
BAR_HEIGHT = 22
PADDING = 6


def bar_chart(*, key: str, title: str, rows: list[tuple[str, int, str]]) -> dict:
    """A horizontal bar chart for the ``overview_chart.html`` partial.

    ``rows`` are (label, value, value as text). Bars are scaled to the largest value, in whole
    units (so no decimal comma can reach an SVG attribute); each bar has its label on the left
    and its value as text on the right, so nothing is told by colour or length alone. The
    description names every value for a screen reader.
    """
    top = max((value for _label, value, _text in rows), default=0)
    label_width = max(
        [LABEL_WIDTH] + [round(len(str(label)) * CHARACTER_WIDTH) + 16 for label, _v, _t in rows]
    )
    bars = []
    for i, (label, value, text) in enumerate(rows):
        row_top = PADDING + i * ROW_HEIGHT
        width = round(BAR_SPACE * value / top) if top else 0
        bars.append(
            {
                "label": label,
                "text": text,
                "value": value,
                "y": row_top + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                "text_y": row_top + ROW_HEIGHT // 2,
                "width": width,
                "value_x": label_width + width + 6,
            }
        )
    return {
        "id": key,
        "title": title,
        "description": "; ".join(f"{label}: {text}" for label, _value, text in rows) + ".",
        "width": label_width + BAR_SPACE + VALUE_WIDTH,
        "height": 2 * PADDING + ROW_HEIGHT * len(rows),
        "label_x": label_width - 8,
        "bar_x": label_width,
        "bar_height": BAR_HEIGHT,
        "bars": bars,
        "empty": top == 0,
    }


def _kronor(amount: int) -> str:
    return f"{format_kronor(amount)}\u00a0kr"


def _grants(count: int) -> str:
    return ngettext("%(count)s grant", "%(count)s grants", count) % {"count": count}


@require_safe
@login_required
def follow_up_overview(request):
    if not rules.has_perm("applications.view_follow_up_overview", request.user):
        raise PermissionDenied
    today = timezone.localdate()
    due_soon, overdue = follow_up_reports_due(today=today, within_days=DUE_WITHIN_DAYS)
    for report in overdue:
        report.days_overdue = (today - report.due_on).days
    spent = follow_up_spent_by_category()
    counties = follow_up_granted_by_county()
    stages = follow_up_stages()
    charts = {
        "spent": bar_chart(
            key="chart-spent",
            title=_("Spent per budget category, from approved final reports"),
            rows=[(label, amount, _kronor(amount)) for _code, label, amount in spent],
        ),
        "counties": bar_chart(
            key="chart-counties",
            title=_("Granted per county"),
            rows=[(label, amount, _kronor(amount)) for _code, label, amount in counties],
        ),
        "stages": bar_chart(
            key="chart-stages",
            title=_("Grants per stage"),
            rows=[(str(STAGE_LABELS[stage]), count, _grants(count)) for stage, count in stages],
        ),
    }
    return render(
        request,
        "applications/follow_up/overview.html",
        {
            "money": follow_up_money_by_call(),
            "due_soon": due_soon,
            "overdue": overdue,
            "due_within_days": DUE_WITHIN_DAYS,
            "today": today,
            "charts": charts,
        },
    )


urlpatterns = [
    path("manage/follow-up/", follow_up_overview, name="follow_up_overview"),
]
