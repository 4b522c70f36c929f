"""The ranking page and its CSV and XLSX exports: who may see them, and what they show.

The hand-computed case (``ranked_call``), budget 1 000 000 kr, criterion A (weight 2, threshold
3) and B (weight 1), two reviewers each, the mean of their weighted scores:

| application | requested | review 1       | review 2       | mean | spread | funding        |
| ----------- | --------- | -------------- | -------------- | ---- | ------ | -------------- |
| first       | 500 000   | A6 B3 → 5.00   | A5 B5 → 5.00   | 5.00 | 0.00   | fits (tied)    |
| second      | 600 000   | A7 B7 → 7.00   | A4 B1 → 3.00   | 5.00 | 4.00   | does not fit   |
| third       | 400 000   | A4 B4 → 4.00   | A4 B7 → 5.00   | 4.50 | 1.00   | fits           |
| fourth      | 100 000   | A2 B7 → 3.67   | A2 B7 → 3.67   | 3.67 | 0.00   | not fundable   |
| fifth       | 100 000   | (draft only)   | (not started)  | –    | –      | not fundable   |

The second ties with the first (registration order decides) but 600 000 > 500 000 remaining;
the fourth's A mean (2) is below the threshold 3. The line falls under the third: 900 000 kr
used, 100 000 kr left.
"""

import csv
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from applications.enums import BudgetCategory
from reviews.models import Assignment
from reviews.services.assignments import assignment_add, assignment_remove
from reviews.services.reviewing import review_save
from reviews.views import ranking as ranking_views
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme_manager():
    """Reads English, so the assertions read the message ids whatever catalogue is compiled."""
    return factories.programme_manager(language="en")


@pytest.fixture
def decision_maker():
    return factories.decision_maker(language="en")


def _amount(amount: int) -> dict:
    return {
        "requested_amount": amount,
        "budget": [(BudgetCategory.HUB, "Hub membership", amount)],
    }


@pytest.fixture
def ranked_call(programme_manager):
    call = factories.CallFactory(budget=1_000_000, max_amount=600_000, disagreement_spread=2)
    a = factories.CriterionFactory(call=call, name_en="Relevance", weight=2, threshold=3)
    b = factories.CriterionFactory(call=call, name_en="Feasibility", weight=1)
    amounts = [500_000, 600_000, 400_000, 100_000, 100_000]
    applications = [
        factories.submitted_application(call, title=f"Trial {i}", **_amount(amount))
        for i, amount in enumerate(amounts, start=1)
    ]
    factories.start_review(applications, by=programme_manager)
    members = [factories.PanelMemberFactory(call=call) for _ in range(2)]
    for member in members:
        factories.declare_none(member, applications)
    assignments = {}
    for m, member in enumerate(members):
        for i, application in enumerate(applications):
            assignments[(m, i)] = assignment_add(
                member=member, application=application, by=programme_manager
            )
    scores = {
        0: [(6, 3), (5, 5)],
        1: [(7, 7), (4, 1)],
        2: [(4, 4), (4, 7)],
        3: [(2, 7), (2, 7)],
    }
    for i, pairs in scores.items():
        for m, (score_a, score_b) in enumerate(pairs):
            factories.submit_review(assignments[(m, i)], {a: score_a, b: score_b})
    # The fifth: one draft (does not count), one not started.
    review_save(assignment=assignments[(0, 4)], by=members[0].user, scores={a.pk: 7, b.pk: 7})
    return call, applications


def _rows(html: str) -> list[str]:
    """The text of each row of the ranking table's body, whitespace collapsed."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [_text(row) for row in rows]


def _text(html: str) -> str:
    """Tags dropped, entities read, runs of ordinary whitespace collapsed (no-break spaces
    kept)."""
    return unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


# -- who may see it ---------------------------------------------------------------------------


def test_programme_manager_sees_the_ranking(client, programme_manager, ranked_call):
    call, _applications = ranked_call
    client.force_login(programme_manager)
    response = client.get(reverse("reviews:ranking", args=[call.slug]))
    assert response.status_code == 200
    assert response.templates[0].name == "reviews/ranking/ranking.html"


def test_decision_maker_sees_the_ranking(client, decision_maker, ranked_call):
    call, _applications = ranked_call
    client.force_login(decision_maker)
    response = client.get(reverse("reviews:ranking", args=[call.slug]))
    assert response.status_code == 200


def test_reviewer_on_the_panel_is_refused_the_ranking(client, ranked_call):
    call, _applications = ranked_call
    member = call.panel_members.first()
    client.force_login(member.user)
    assert client.get(reverse("reviews:ranking", args=[call.slug])).status_code == 403
    export = reverse("reviews:ranking_export", args=[call.slug, "csv"])
    assert client.post(export).status_code == 403


def test_applicant_is_refused_the_ranking_and_its_exports(client, ranked_call):
    call, applications = ranked_call
    client.force_login(factories.applicant_for(applications[0]))
    assert client.get(reverse("reviews:ranking", args=[call.slug])).status_code == 403
    for fmt in ("csv", "xlsx"):
        url = reverse("reviews:ranking_export", args=[call.slug, fmt])
        assert client.post(url).status_code == 403


def test_anonymous_is_sent_to_login_from_the_ranking_and_its_exports(client, call):
    for method, url in (
        ("get", reverse("reviews:ranking", args=[call.slug])),
        ("post", reverse("reviews:ranking_export", args=[call.slug, "xlsx"])),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_unknown_call_is_not_found(client, programme_manager):
    client.force_login(programme_manager)
    assert client.get(reverse("reviews:ranking", args=["no-such-call"])).status_code == 404


def test_unknown_export_format_is_not_found(client, programme_manager, call):
    client.force_login(programme_manager)
    # The URL accepts only the formats there are: no name reverses to another one.
    url = reverse("reviews:ranking_export", args=[call.slug, "csv"]).replace(".csv", ".pdf")
    assert client.post(url).status_code == 404


# -- what it shows ----------------------------------------------------------------------------


def test_ranking_shows_the_hand_computed_rows_and_the_funding_line(
    client, programme_manager, ranked_call
):
    call, applications = ranked_call
    client.force_login(programme_manager)
    response = client.get(reverse("reviews:ranking", args=[call.slug]))
    html = response.content.decode()
    n = [application.registration_number for application in applications]
    nbsp = "\u00a0"

    # Each row: rank, application, organisation, amount, score with its details (the reviews'
    # scores, the spread, the criterion means, reviews in / assigned), flags, funding, decision.
    relevance, feasibility = "Mean: Relevance (threshold 3,00)", "Mean: Feasibility"
    weighted, below = "Reviews' weighted scores", "below threshold"
    details = "Details of the scores"
    assert _rows(html) == [
        f"1 {n[0]} Trial 1 {applications[0].organisation.name} 500{nbsp}000{nbsp}kr 5,00 "
        f"{details} {weighted} 5,00 5,00 Spread 0,00 {relevance} 5,50 {feasibility} 4,00 "
        "Reviews in / assigned 2 / 2 tied Fits Propose",
        f"2 {n[1]} Trial 2 {applications[1].organisation.name} 600{nbsp}000{nbsp}kr 5,00 "
        f"{details} {weighted} 7,00 3,00 Spread 4,00 {relevance} 5,50 {feasibility} 4,00 "
        "Reviews in / assigned 2 / 2 tied disagreement Does not fit Propose",
        f"3 {n[2]} Trial 3 {applications[2].organisation.name} 400{nbsp}000{nbsp}kr 4,50 "
        f"{details} {weighted} 4,00 5,00 Spread 1,00 {relevance} 4,00 {feasibility} 5,50 "
        "Reviews in / assigned 2 / 2 Fits Propose",
        f"Funding line: 900{nbsp}000{nbsp}kr of 1{nbsp}000{nbsp}000{nbsp}kr committed, "
        f"100{nbsp}000{nbsp}kr left. The applications above fit; those below do not.",
        f"4 {n[3]} Trial 4 {applications[3].organisation.name} 100{nbsp}000{nbsp}kr 3,67 "
        f"{details} {weighted} 3,67 3,67 Spread 0,00 {relevance} 2,00 {below} "
        f"{feasibility} 7,00 Reviews in / assigned 2 / 2 {below} Not fundable Propose",
        f"– {n[4]} Trial 5 {applications[4].organisation.name} 100{nbsp}000{nbsp}kr "
        f"{details} {weighted} none yet Spread – {relevance} – {feasibility} – "
        "Reviews in / assigned 0 / 2 Not fundable none",
    ]


def test_ranking_names_the_aggregation_in_the_column_heading(
    client, programme_manager, ranked_call
):
    call, _applications = ranked_call
    client.force_login(programme_manager)
    url = reverse("reviews:ranking", args=[call.slug])
    assert '<th scope="col" class="num">Mean score</th>' in client.get(url).content.decode()

    call.aggregation = "median"
    call.save()
    assert '<th scope="col" class="num">Median score</th>' in client.get(url).content.decode()


def test_ranking_shows_budget_committed_and_remaining(client, programme_manager, ranked_call):
    call, _applications = ranked_call
    client.force_login(programme_manager)
    response = client.get(reverse("reviews:ranking", args=[call.slug]))
    facts = _text(response.content.decode().split('<dl class="facts">')[1].split("</dl>")[0])
    nbsp = "\u00a0"
    assert facts.startswith(
        f"Budget 1{nbsp}000{nbsp}000{nbsp}kr Committed by decisions 0{nbsp}kr "
        f"Remaining 1{nbsp}000{nbsp}000{nbsp}kr Above the funding line "
        f"2 applications, 900{nbsp}000{nbsp}kr"
    )


def test_ranking_links_each_application_to_its_reviews(client, programme_manager, ranked_call):
    call, applications = ranked_call
    client.force_login(programme_manager)
    html = client.get(reverse("reviews:ranking", args=[call.slug])).content.decode()
    for application in applications:
        url = reverse("reviews:application_reviews", args=[application.pk])
        assert f'<a href="{url}">{application.registration_number}</a>' in html


def test_funding_line_is_drawn_first_when_nothing_fits(client, programme_manager, ranked_call):
    call, _applications = ranked_call
    # Every application asks for more than the budget (the call's maximum shrinks with it).
    call.budget = call.max_amount = 50_000
    call.save()
    client.force_login(programme_manager)
    rows = _rows(client.get(reverse("reviews:ranking", args=[call.slug])).content.decode())
    nbsp = "\u00a0"
    assert rows[0] == (
        f"Funding line: 0{nbsp}kr of 50{nbsp}000{nbsp}kr committed, 50{nbsp}000{nbsp}kr left. "
        "No application fits above it."
    )
    endings = ("Does not fit Propose", "Not fundable Propose", "Not fundable none")
    assert all(row.endswith(endings) for row in rows[1:])


def test_ranking_of_a_call_without_applications_in_review_says_so(client, programme_manager, call):
    client.force_login(programme_manager)
    response = client.get(reverse("reviews:ranking", args=[call.slug]))
    assert "No application of this call is in review yet." in response.content.decode()
    assert "<table" not in response.content.decode()


def test_a_removed_reviewer_does_not_count_in_the_ranking(client, programme_manager, ranked_call):
    call, applications = ranked_call
    # The fifth application's draft reviewer is taken off: 1 assigned, 0 in.
    assignment = Assignment.objects.get(
        application=applications[4], review__isnull=False, removed_at=None
    )
    assignment_remove(assignment=assignment, by=programme_manager, reason="Ill")
    client.force_login(programme_manager)
    rows = _rows(client.get(reverse("reviews:ranking", args=[call.slug])).content.decode())
    assert rows[-1].endswith("Reviews in / assigned 0 / 1 Not fundable none")


# -- query count ------------------------------------------------------------------------------


def _call_with_reviews(programme_manager, count: int):
    call = factories.CallFactory(budget=6_000_000)
    criteria = [factories.CriterionFactory(call=call) for _ in range(2)]
    applications = factories.applications_in_review(call, by=programme_manager, count=count)
    members = [factories.PanelMemberFactory(call=call) for _ in range(2)]
    for member in members:
        factories.declare_none(member, applications)
        for position, application in enumerate(applications):
            assignment = assignment_add(
                member=member, application=application, by=programme_manager
            )
            factories.submit_review(
                assignment, {criterion: 1 + (position % 7) for criterion in criteria}
            )
    return call


# session, user, the two-factor device, groups, call, criteria, applications, the grouped
# figures, assignments, the amount committed by confirmed decisions, the shown rows' review
# scores, the menu's panel-membership check, the call's decisions (the decision column)
RANKING_QUERIES = 13


def test_ranking_query_count_with_three_applications(
    client, programme_manager, django_assert_num_queries
):
    call = _call_with_reviews(programme_manager, 3)
    client.force_login(programme_manager)
    with django_assert_num_queries(RANKING_QUERIES):
        response = client.get(reverse("reviews:ranking", args=[call.slug]))
    assert len(_rows(response.content.decode())) == 3 + 1


def test_ranking_query_count_does_not_grow_with_twenty_five_applications(
    client, programme_manager, django_assert_num_queries
):
    call = _call_with_reviews(programme_manager, 25)
    client.force_login(programme_manager)
    with django_assert_num_queries(RANKING_QUERIES):
        response = client.get(reverse("reviews:ranking", args=[call.slug]))
    assert len(_rows(response.content.decode())) == 25 + 1


def test_a_page_of_the_ranking_runs_the_same_queries_as_the_whole(
    client, programme_manager, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(ranking_views, "ROWS_PER_PAGE", 10)
    call = _call_with_reviews(programme_manager, 25)
    client.force_login(programme_manager)
    url = reverse("reviews:ranking", args=[call.slug])
    for query, rows in (("?page=2", 10), ("?page=3", 5), ("?rows=all", 25)):
        with django_assert_num_queries(RANKING_QUERIES):
            response = client.get(url + query)
        assert response.content.decode().count('class="ranking-row') == rows, query


# -- pages ------------------------------------------------------------------------------------

NBSP = "\u00a0"
LINE = (
    f"Funding line: 900{NBSP}000{NBSP}kr of 1{NBSP}000{NBSP}000{NBSP}kr committed, "
    f"100{NBSP}000{NBSP}kr left. The applications above fit; those below do not."
)


def _numbers(rows: list[str]) -> list[str]:
    """Each row's rank and registration number, the funding line as "line"."""
    return ["line" if row.startswith("Funding line") else " ".join(row.split()[:2]) for row in rows]


def _shown(html: str) -> str:
    return _text(html.split('<p class="ranking__shown">', 1)[1].split("</p>", 1)[0])


def _pages_nav(html: str) -> str:
    return html.split('<nav aria-label="Pages of the ranking">', 1)[1].split("</nav>", 1)[0]


def test_the_ranking_is_paged_with_the_funding_line_on_the_page_that_holds_it(
    client, programme_manager, ranked_call, monkeypatch
):
    # Five rows, two a page: the line falls under the third row, on page 2.
    monkeypatch.setattr(ranking_views, "ROWS_PER_PAGE", 2)
    call, applications = ranked_call
    n = [application.registration_number for application in applications]
    client.force_login(programme_manager)
    url = reverse("reviews:ranking", args=[call.slug])

    first = client.get(url).content.decode()
    assert _numbers(_rows(first)) == [f"1 {n[0]}", f"2 {n[1]}"]
    assert _shown(first) == (
        "Ranks 1–2 of 5. The funding line is on page 2. Show every row on one page"
    )
    assert 'href="?page=2#funding-line"' in first
    assert 'href="?rows=all"' in first
    nav = _pages_nav(first)
    assert '<a href="?page=1" aria-current="page"><span class="visually-hidden">Page ' in nav
    assert nav.count("aria-current") == 1
    assert '<a href="?page=2" rel="next">Next page</a>' in nav

    second = client.get(url, {"page": 2}).content.decode()
    assert _numbers(_rows(second)) == [f"3 {n[2]}", "line", f"4 {n[3]}"]
    assert LINE in _rows(second)
    assert _shown(second) == "Ranks 3–4 of 5. Show every row on one page"
    assert '<a href="?page=2" aria-current="page">' in _pages_nav(second)

    third = client.get(url, {"page": 3}).content.decode()
    assert _numbers(_rows(third)) == [f"– {n[4]}"]
    assert _shown(third).startswith("Ranks 5–5 of 5. The funding line is on page 2.")

    # The figures above the table are the whole call's on every page.
    for html in (first, second, third):
        facts = _text(html.split('<dl class="facts">')[1].split("</dl>")[0])
        assert f"Above the funding line 2 applications, 900{NBSP}000{NBSP}kr" in facts


def test_every_row_on_one_page(client, programme_manager, ranked_call, monkeypatch):
    monkeypatch.setattr(ranking_views, "ROWS_PER_PAGE", 2)
    call, applications = ranked_call
    n = [application.registration_number for application in applications]
    client.force_login(programme_manager)
    html = client.get(reverse("reviews:ranking", args=[call.slug]), {"rows": "all"}).content
    html = html.decode()
    assert _numbers(_rows(html)) == [
        f"1 {n[0]}", f"2 {n[1]}", f"3 {n[2]}", "line", f"4 {n[3]}", f"– {n[4]}"
    ]  # fmt: skip
    assert _shown(html) == "Ranks 1–5 of 5. Show 2 rows a page"
    assert "Pages of the ranking" not in html


def test_a_funding_line_at_the_end_of_a_page_is_drawn_there(
    client, programme_manager, ranked_call, monkeypatch
):
    monkeypatch.setattr(ranking_views, "ROWS_PER_PAGE", 3)
    call, applications = ranked_call
    n = [application.registration_number for application in applications]
    client.force_login(programme_manager)
    url = reverse("reviews:ranking", args=[call.slug])
    first = _rows(client.get(url).content.decode())
    assert _numbers(first) == [f"1 {n[0]}", f"2 {n[1]}", f"3 {n[2]}", "line"]
    second = client.get(url, {"page": 2}).content.decode()
    assert _numbers(_rows(second)) == [f"4 {n[3]}", f"– {n[4]}"]
    assert "The funding line is on page 1." in _shown(second)


def test_when_nothing_fits_the_line_tops_the_first_page(
    client, programme_manager, ranked_call, monkeypatch
):
    monkeypatch.setattr(ranking_views, "ROWS_PER_PAGE", 2)
    call, _applications = ranked_call
    call.budget = call.max_amount = 50_000
    call.save()
    client.force_login(programme_manager)
    url = reverse("reviews:ranking", args=[call.slug])
    rows = _rows(client.get(url).content.decode())
    assert rows[0].endswith("No application fits above it.")
    assert len(rows) == 3
    assert "The funding line is on page 1." in _shown(client.get(url, {"page": 2}).content.decode())


@pytest.mark.parametrize(
    ("page", "shown"), [("abc", "Ranks 1–2"), ("0", "Ranks 5–5"), ("99", "Ranks 5–5")]
)
def test_a_page_that_is_not_one_gives_the_first_or_the_last(
    client, programme_manager, ranked_call, monkeypatch, page, shown
):
    monkeypatch.setattr(ranking_views, "ROWS_PER_PAGE", 2)
    call, _applications = ranked_call
    client.force_login(programme_manager)
    response = client.get(reverse("reviews:ranking", args=[call.slug]), {"page": page})
    assert response.status_code == 200
    assert _shown(response.content.decode()).startswith(f"{shown} of 5.")


# -- exports ----------------------------------------------------------------------------------

HEADER = [
    "Rank",
    "Tied",
    "Registration number",
    "Organisation",
    "Title",
    "Requested amount (kr)",
    "Review 1",
    "Review 2",
    "Mean score",
    "Spread",
    "Disagreement",
    "Mean: Relevance",
    "Mean: Feasibility",
    "Below threshold",
    "Reviews submitted",
    "Reviewers assigned",
    "Funding",
    "Remaining after (kr)",
]


def _expected_rows(applications) -> list[list]:
    n = [a.registration_number for a in applications]
    o = [a.organisation.name for a in applications]
    D = Decimal
    return [
        [1, "yes", n[0], o[0], "Trial 1", 500000, D("5.00"), D("5.00"), D("5.00"), D("0.00"),
         "no", D("5.50"), D("4.00"), "", 2, 2, "Fits", 500000],
        [2, "yes", n[1], o[1], "Trial 2", 600000, D("7.00"), D("3.00"), D("5.00"), D("4.00"),
         "yes", D("5.50"), D("4.00"), "", 2, 2, "Does not fit", 500000],
        [3, "no", n[2], o[2], "Trial 3", 400000, D("4.00"), D("5.00"), D("4.50"), D("1.00"),
         "no", D("4.00"), D("5.50"), "", 2, 2, "Fits", 100000],
        [4, "no", n[3], o[3], "Trial 4", 100000, D("3.67"), D("3.67"), D("3.67"), D("0.00"),
         "no", D("2.00"), D("7.00"), "Relevance", 2, 2, "Not fundable", 100000],
        [None, "no", n[4], o[4], "Trial 5", 100000, None, None, None, None,
         "no", None, None, "", 0, 2, "Not fundable", None],
    ]  # fmt: skip


def test_csv_export_has_the_same_rows_with_a_bom_semicolons_and_decimal_commas(
    client, programme_manager, ranked_call
):
    call, applications = ranked_call
    client.force_login(programme_manager)
    response = client.post(reverse("reviews:ranking_export", args=[call.slug, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="ranking-{call.slug}-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == HEADER
    expected = [
        [
            ""
            if cell is None
            else str(cell).replace(".", ",")
            if isinstance(cell, Decimal)
            else str(cell)
            for cell in row
        ]
        for row in _expected_rows(applications)
    ]
    assert rows[1:] == expected


def test_xlsx_export_carries_numbers_as_numbers_with_two_decimals(
    client, programme_manager, ranked_call
):
    call, applications = ranked_call
    client.force_login(programme_manager)
    response = client.post(reverse("reviews:ranking_export", args=[call.slug, "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert list(values[0]) == HEADER
    # An empty text cell is no cell at all in a workbook.
    expected = [
        [
            float(cell) if isinstance(cell, Decimal) else (None if cell == "" else cell)
            for cell in row
        ]
        for row in _expected_rows(applications)
    ]
    assert values[1:] == expected
    assert sheet["I2"].number_format == "0.00"
    assert sheet["F2"].number_format == "#,##0"


def test_exports_guard_text_against_formula_injection(client, programme_manager):
    call = factories.CallFactory()
    factories.CriterionFactory(call=call)
    factories.applications_in_review(call, by=programme_manager, title='=HYPERLINK("http://evil")')
    client.force_login(programme_manager)
    csv_text = client.post(reverse("reviews:ranking_export", args=[call.slug, "csv"]))
    text = b"".join(csv_text.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[1][4] == '\'=HYPERLINK("http://evil")'

    xlsx = client.post(reverse("reviews:ranking_export", args=[call.slug, "xlsx"]))
    cell = load_workbook(io.BytesIO(xlsx.content)).active["E2"]
    assert cell.data_type == "s"
    assert cell.value == '\'=HYPERLINK("http://evil")'


def test_ranking_rows_make_their_application_without_a_query(
    ranked_call, django_assert_num_queries
):
    from reviews.selectors.ranking import ranking_for

    call, applications = ranked_call
    rows = ranking_for(call).rows
    with django_assert_num_queries(0):
        made = {row.application.pk: row.application for row in rows}
        names = {pk: application.organisation.name for pk, application in made.items()}
        states = {application.state for application in made.values()}
    assert made == {application.pk: application for application in applications}
    assert names == {a.pk: a.organisation.name for a in applications}
    assert states == {"reviewed", "in_review"}
    # A field the ranking did not read loads on access.
    assert made[applications[0].pk].created_by_id == applications[0].created_by_id
