"""The plan a grant follows once accepted, from its call's settings and the decision: the
reports owed with their due dates, and the instalments with their amounts.

Pure arithmetic, no queries. One place for both the follow-up services (which make the reports
and payments when the grant is accepted) and the decision letter (which states them in
advance), so the letter and the follow-up can never disagree.
"""

import datetime as dt

from grants.enums import InstalmentTrigger

from ..enums import ReportKind


def split_instalments(amount: int, shares: list[int]) -> list[int]:
    """``amount`` split by per-cent ``shares`` (adding up to 100) in whole kronor, exactly."""
    if sum(shares) != 100:
        raise ValueError("The shares must add up to 100.")
    return split_proportionally(amount, shares)


def split_proportionally(amount: int, weights: list[int]) -> list[int]:
    """``amount`` split in proportion to positive ``weights``, in whole kronor, exactly.

    Each part gets the floor of its proportion; the kronor left over go, one each, to the parts
    with the largest remainders (the earlier on a tie), so the parts always add up to
    ``amount``: no öre is lost or made.
    """
    total = sum(weights)
    parts = [amount * weight // total for weight in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in by_remainder[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def report_due_dates(
    call, period_start: dt.date, period_end: dt.date
) -> list[tuple[str, int, dt.date]]:
    """(kind, number, due date) of the reports a grant owes, from the decision's period.

    Interim reports are spread evenly over the period; the final report is due the call's
    ``final_report_days`` after the period ends.
    """
    dates = []
    length = (period_end - period_start).days
    for number in range(1, (call.interim_reports or 0) + 1):
        dates.append(
            (
                ReportKind.INTERIM,
                number,
                period_start + dt.timedelta(days=length * number // (call.interim_reports + 1)),
            )
        )
    dates.append((ReportKind.FINAL, 1, period_end + dt.timedelta(days=call.final_report_days)))
    return dates


def instalments_planned(call, granted: int) -> list[dict]:
    """The call's payment plan for a grant of ``granted`` kronor, in order: each instalment's
    ``position`` (from 1), ``share`` (per cent), ``trigger``, the number of the interim report
    it waits for (``report_number``, else None) and its ``amount`` in whole kronor."""
    plan = call.instalment_plan()
    amounts = split_instalments(granted, [share for share, _trigger in plan])
    interim = 0
    instalments = []
    for position, ((share, trigger), amount) in enumerate(zip(plan, amounts, strict=True), 1):
        report_number = None
        if trigger == InstalmentTrigger.INTERIM_REPORT:
            interim += 1
            report_number = interim
        instalments.append(
            {
                "position": position,
                "share": share,
                "trigger": trigger,
                "report_number": report_number,
                "amount": amount,
            }
        )
    return instalments
