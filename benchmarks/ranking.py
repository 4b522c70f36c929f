"""Benchmark: the ranking page of a call with 2,000 applications, 30 reviewers, 3 reviews each
over 4 criteria.

Seeds a fresh database (never the developer's db.sqlite3), then measures with Django's test
Client, logged in as a programme manager, the server time of the ranking page (median and 95th
percentile over ``--requests`` requests after a warm-up) and its query count, the time of
``reviews.selectors.ranking.ranking_for`` alone, and the two exports.

    .venv/bin/python benchmarks/ranking.py                      # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/samverket_bench \\
        .venv/bin/python benchmarks/ranking.py --write          # and update docs/benchmarks.md

On PostgreSQL the database's ``public`` schema is dropped and made again, so the script only
accepts a database whose name contains "bench".
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402  (the path above first)
    bench_database_url,
    seed_complete_reviews,
    setup_django,
)

APPLICATIONS = 2000
REVIEWERS = 30
REVIEWS_PER_APPLICATION = 3
CRITERIA = 4
TARGET_MS = 100
ROWS_PER_PAGE = 100  # reviews.views.ranking.ROWS_PER_PAGE
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- ranking-results:start -->"
END = "<!-- ranking-results:end -->"


def _database_url() -> str:
    return bench_database_url("samverket-bench.sqlite3")


def _setup_django(url: str) -> None:
    setup_django(url)


def _fresh_schema() -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)


def _orgnr(n: int) -> str:
    from stdnum import luhn

    body = f"2120{n:05d}"
    return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"


LOREM = (
    "Vi vill pröva att arbeta från Samverkets hubb två dagar i veckan, följa upp pendling, "
    "samarbete och arbetsmiljö, och dela det vi lär oss med andra kommuner i länet. "
)


def seed(rng: random.Random):
    """The call, its criteria, panel, 2,000 reviewed applications with their frozen versions,
    declarations, assignments, submitted reviews and scores. Returns (call, programme manager).

    Valid as the services would leave it: registration numbers in their format, one version
    per application with its SHA-256, every reviewer declared "no conflict" before being
    assigned, three active assignments per application with loads of exactly 200 each,
    submitted reviews with a time and every criterion scored on its scale, and the
    applications ``reviewed`` because every assignment is in.
    """
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from applications.enums import ApplicationState, County, VerificationStatus
    from applications.models import Application, ApplicationVersion, Organisation, User
    from applications.rules import PROGRAMME_MANAGERS
    from grants.enums import OrganisationKind
    from grants.models import Call, Criterion, Hub
    from reviews.models import PanelMember

    now = timezone.now()
    with transaction.atomic():
        hub = Hub.objects.create(name="Samverket Östersund", city="Östersund")
        call = Call.objects.create(
            slug="benchmark",
            title_sv="Samverket: pröva coworking (benchmark)",
            title_en="Samverket: try coworking (benchmark)",
            summary_sv="Stöd för att pröva coworking.",
            description_sv="Utlysningstext.",
            is_published=True,
            opens_at=now - dt.timedelta(days=90),
            closes_at=now - dt.timedelta(days=30),
            budget=300_000_000,
            max_amount=600_000,
            total_threshold=3,
            disagreement_spread=2,
        )
        call.hubs.set([hub])
        from grants.form_defaults import create_definition

        create_definition(call)  # the coworking call's application form
        criteria = [
            Criterion.objects.create(
                call=call,
                position=i,
                name_sv=f"Kriterium {i}",
                name_en=f"Criterion {i}",
                weight=weight,
                threshold=3 if i == 0 else None,
            )
            for i, weight in enumerate([2, 1, 1, 1][:CRITERIA])
        ]
        manager = User.objects.create(email="pm@bench.example", full_name="Programme Manager")
        manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
        reviewers = User.objects.bulk_create(
            User(email=f"reviewer{i}@bench.example", full_name=f"Reviewer {i}")
            for i in range(REVIEWERS)
        )
        applicants = User.objects.bulk_create(
            User(email=f"applicant{i}@bench.example", full_name=f"Applicant {i}")
            for i in range(APPLICATIONS)
        )
        organisations = Organisation.objects.bulk_create(
            Organisation(
                orgnr=_orgnr(i),
                name=f"Kommun {i:04d}",
                declared_kind=OrganisationKind.MUNICIPALITY,
                verified_kind=OrganisationKind.MUNICIPALITY,
                verification_status=VerificationStatus.VERIFIED,
                county=County.JAMTLAND,
            )
            for i in range(APPLICATIONS)
        )
        year = timezone.localtime(now).year
        applications = []
        for i, (organisation, applicant) in enumerate(zip(organisations, applicants, strict=True)):
            applications.append(
                Application(
                    call=call,
                    organisation=organisation,
                    created_by=applicant,
                    title=f"Hybridarbete i kommun {i:04d}",
                    summary=LOREM * 4,
                    hub=hub,
                    answers={
                        "what_to_try": LOREM * 6,
                        "participants": rng.randint(5, 60),
                        "expected_results": LOREM * 4,
                    },
                    period_start=dt.date(2027, 2, 1),
                    period_end=dt.date(2027, 12, 31),
                    requested_amount=rng.randrange(100_000, 600_001, 10_000),
                    contact_name=applicant.full_name,
                    contact_email=applicant.email,
                    state=ApplicationState.REVIEWED,
                    registration_number=f"{year}-{i + 1:05d}",
                    # What the submit service keeps from the version made below.
                    submitted_title=f"Hybridarbete i kommun {i:04d}",
                    first_submitted_at=call.closes_at - dt.timedelta(hours=1),
                    last_submitted_at=call.closes_at - dt.timedelta(hours=1),
                )
            )
        for application in applications:
            application.submitted_amount = application.requested_amount
        applications = Application.objects.bulk_create(applications, batch_size=500)
        versions = []
        for application in applications:
            content = {
                "call": call.slug,
                "organisation": {
                    "orgnr": application.organisation.orgnr,
                    "name": application.organisation.name,
                    "kind": application.organisation.eligibility_kind,
                    "county": application.organisation.county,
                },
                "title": application.title,
                "summary": application.summary,
                "hub": str(hub),
                "period_start": "2027-02-01",
                "period_end": "2027-12-31",
                "answers": application.answers,
                "requested_amount": application.requested_amount,
                "contact": {"name": application.contact_name, "email": application.contact_email},
                "budget_lines": [
                    {
                        "category": "hub",
                        "description": "Hub membership",
                        "amount": application.requested_amount,
                    }
                ],
                "attachments": [],
            }
            canonical = json.dumps(
                content, sort_keys=True, ensure_ascii=False, separators=(",", ":")
            )
            versions.append(
                ApplicationVersion(
                    application=application,
                    number=1,
                    content=content,
                    sha256=hashlib.sha256(canonical.encode()).hexdigest(),
                    submitted_at=application.last_submitted_at,
                    submitted_by=application.created_by,
                )
            )
        ApplicationVersion.objects.bulk_create(versions, batch_size=500)

        members = PanelMember.objects.bulk_create(
            PanelMember(call=call, user=user, employer_orgnr="", employer_name="Universitet")
            for user in reviewers
        )
        # Round robin: application i gets reviewers 3i, 3i+1, 3i+2 (mod 30): 200 each.
        seed_complete_reviews(
            applications, members, criteria, rng, per_application=REVIEWS_PER_APPLICATION
        )
    return call, manager


def _percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def _time(function, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(call, manager, *, requests: int, warmup: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from reviews.selectors.ranking import ranking_for

    client = Client()
    client.force_login(manager)
    # The programme manager has passed the second factor, as django_otp.login records it.
    device, _ = TOTPDevice.objects.get_or_create(user=manager, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    url = reverse("reviews:ranking", args=[call.slug])

    def get(query=""):
        def run():
            response = client.get(url + query)
            assert response.status_code == 200, response.status_code
            return response

        return run

    page = get()
    body = page().content.decode()
    assert body.count('class="ranking-row') == ROWS_PER_PAGE, "the first page's rows"
    everything = get("?rows=all")
    all_body = everything().content.decode()
    assert all_body.count('class="ranking-row') == APPLICATIONS, "every application is a row"
    assert 'class="funding-line"' in all_body
    # The page with the funding line: the first page links to it when it is not there.
    found = re.search(r"page=(\d+)#funding-line", body)
    line_page = int(found.group(1)) if found else 1
    at_line = get(f"?page={line_page}")
    assert 'class="funding-line"' in at_line().content.decode()
    for _ in range(warmup):
        page()
    page_ms = _time(page, requests)
    line_ms = _time(at_line, requests)
    all_ms = _time(everything, max(3, requests // 3))
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        page()
    page_queries = len(queries)
    with connection.execute_wrapper(count):
        everything()
    all_queries = len(queries) - page_queries

    def selector():
        ranking_for(call, review_scores=False)  # as the page reads it

    for _ in range(warmup):
        selector()
    selector_ms = _time(selector, requests)

    def export(fmt):
        def run():
            # POST, as the page's buttons (a GET is refused: an export writes an audit entry);
            # the CSV streams, so its rows are made as the body is read.
            response = client.post(reverse("reviews:ranking_export", args=[call.slug, fmt]))
            assert response.status_code == 200
            b"".join(response)

        return run

    csv_ms = _time(export("csv"), 5)
    xlsx_ms = _time(export("xlsx"), 3)
    ranking = ranking_for(call)
    return {
        "page_median": statistics.median(page_ms),
        "page_p95": _percentile(page_ms, 0.95),
        "queries": page_queries,
        "selector_median": statistics.median(selector_ms),
        "selector_p95": _percentile(selector_ms, 0.95),
        "csv_median": statistics.median(csv_ms),
        "xlsx_median": statistics.median(xlsx_ms),
        "page_bytes": len(body.encode()),
        "line_page": line_page,
        "line_median": statistics.median(line_ms),
        "line_p95": _percentile(line_ms, 0.95),
        "all_median": statistics.median(all_ms),
        "all_p95": _percentile(all_ms, 0.95),
        "all_queries": all_queries,
        "all_bytes": len(all_body.encode()),
        "all_requests": len(all_ms),
        "fitting": sum(1 for row in ranking.rows if row.fits),
        "requests": requests,
    }


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores{f' ({model})' if model else ''}, Python {platform.python_version()}"


def _database_label() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def _row(database: str, results: dict, today: str) -> str:
    r = results
    share = r["selector_median"] / r["page_median"]
    return (
        f"| {database} | {r['page_median']:.1f} ms | {r['page_p95']:.1f} ms | {r['queries']} "
        f"| {r['line_median']:.1f} ms (page {r['line_page']}) "
        f"| {r['all_median']:.1f} ms ({r['all_bytes'] / 1024:,.0f} KiB) "
        f"| {r['selector_median']:.1f} ms ({share:.0%} of the page) "
        f"| {r['csv_median']:.0f} ms | {r['xlsx_median']:.0f} ms | {today} |"
    )


HEADER = (
    "| database | page 1 median | page 1 p95 | queries | the funding line's page | every row "
    "(`?rows=all`) | `ranking_for` median | CSV | XLSX | date |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def write_doc(database: str, results: dict, machine: str, today: str) -> None:
    """Replace this database's row in the results table of docs/benchmarks.md."""
    text = DOC.read_text()
    if START not in text or END not in text:
        sys.exit(f"{DOC} has no {START} … {END} block to update.")
    head, rest = text.split(START, 1)
    block, tail = rest.split(END, 1)
    # The other database's row stays, if it was measured with the same columns.
    columns = HEADER.splitlines()[0].count("|")
    rows = [
        line
        for line in block.strip().splitlines()
        if line.startswith("| ")
        and line.count("|") == columns
        and not line.startswith(("| database", "| ---"))
    ]
    engine = database.split()[0]
    rows = [row for row in rows if not row.startswith(f"| {engine} ")]
    rows.append(_row(database, results, today))
    rows.sort()
    new_block = "\n".join([HEADER, *rows])
    text = f"{head}{START}\n{new_block}\n{END}{tail}"
    text = re.sub(
        r"(<!-- ranking-machine:start -->).*?(<!-- ranking-machine:end -->)",
        lambda m: f"{m.group(1)}{machine}{m.group(2)}",
        text,
        flags=re.S,
    )
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--seed", type=int, default=2026, help="random seed for the scores")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    _setup_django(_database_url())
    database = _database_label()
    print(f"Seeding {database}: {APPLICATIONS} applications, {REVIEWERS} reviewers, ", end="")
    print(f"{REVIEWS_PER_APPLICATION} reviews each over {CRITERIA} criteria …", flush=True)
    started = time.perf_counter()
    _fresh_schema()
    call, manager = seed(random.Random(args.seed))
    print(f"Seeded in {time.perf_counter() - started:.1f} s. Measuring …", flush=True)
    results = measure(call, manager, requests=args.requests, warmup=args.warmup)

    machine = _machine()
    today = dt.date.today().isoformat()
    r = results
    print()
    print(f"Ranking page, {database}, {machine}, {today}")
    print(f"  page ({r['requests']} requests)   median {r['page_median']:7.1f} ms", end="")
    print(f"   p95 {r['page_p95']:7.1f} ms   {r['queries']} queries", end="")
    print(f"   {r['page_bytes'] / 1024:.0f} KiB")
    print(f"  page {r['line_page']} (the funding line) median {r['line_median']:7.1f} ms", end="")
    print(f"   p95 {r['line_p95']:7.1f} ms")
    print(f"  every row ({r['all_requests']} requests) median {r['all_median']:7.1f} ms", end="")
    print(f"   p95 {r['all_p95']:7.1f} ms   {r['all_queries']} queries", end="")
    print(f"   {r['all_bytes'] / 1024:.0f} KiB")
    print(f"  ranking_for alone      median {r['selector_median']:7.1f} ms", end="")
    print(f"   p95 {r['selector_p95']:7.1f} ms")
    print(f"  CSV export             median {r['csv_median']:7.1f} ms")
    print(f"  XLSX export            median {r['xlsx_median']:7.1f} ms")
    print(f"  {r['fitting']} applications above the funding line")
    verdict = "within" if r["page_median"] < TARGET_MS else "OVER"
    print(f"  target: median under {TARGET_MS} ms: {verdict}")
    if args.write:
        write_doc(database, results, machine, today)
        print(f"Updated {DOC.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
