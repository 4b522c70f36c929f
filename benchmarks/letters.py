"""Benchmark: decision letters, in one run.

1. Seeds a fresh database (never the developer's db.sqlite3) with ``--decisions`` reviewed
   applications, submitted and moved through the services, and proposes an approval for each.
2. Confirms them all with ``decisions_confirm_batch`` against the database task queue
   (django-tasks-db), as production does: the batch returns once the letter tasks are queued.
3. In this warm process: the median time of ``applications.letters.render.render_letter_pdf`` over
   ``--letters`` of those decisions after a warm-up (the letter as stored: PDF/A-3a, tagged,
   fonts embedded, decision.json attached), and in the same run bare WeasyPrint for a minimal
   one-page document (the floor) and for the same letter's HTML without our stylesheet cache,
   PDF/A or attachment. Wall time and this process's CPU time are both measured: on a shared
   machine the CPU time is the steadier figure.
4. Starts two ``manage.py db_worker --batch`` processes on the queue and measures the wall time
   until every letter exists (the workers also send the "decision ready" emails, to a dummy
   backend).

    .venv/bin/python benchmarks/letters.py                       # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/samverket_bench \\
        .venv/bin/python benchmarks/letters.py --write           # and update docs/benchmarks.md

On PostgreSQL the database's ``public`` schema is dropped and made again, so the script only
accepts a database whose name contains "bench". Files go to a temporary media directory.
"""

import argparse
import datetime as dt
import logging
import os
import platform
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import bench_database_url  # noqa: E402  (the path above first)

DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- letters-results:start -->"
END = "<!-- letters-results:end -->"
TARGET_RATIO = 1.5
MINIMAL = (
    '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Brev</title></head>'
    "<body><p>Hej.</p></body></html>"
)


def _database_url() -> str:
    return bench_database_url("samverket-letters-bench.sqlite3")


def _environment(url: str, media: str) -> dict:
    """What this process and the workers run with: the bench database, the database queue,
    a temporary media directory, no real email, quiet logs."""
    return {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_MEDIA_ROOT": media,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        # Production settings (no debug) need a key; a throwaway one for this run.
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
    }


def _setup_django(environment: dict) -> None:
    os.environ.update(environment)
    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)


def _fresh_schema() -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)


def seed(count: int):
    """``count`` reviewed applications to one call, each with a proposed approval, all through
    the services. Returns (the proposals, a decision maker)."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from applications.enums import BudgetCategory, EligibilityItem, VerificationStatus
    from applications.models import Application, BudgetLine, Membership, Organisation, User
    from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
    from applications.services.decisions import decision_propose
    from applications.services.transitions import (
        application_check_eligibility,
        application_complete_review,
        application_start_review,
        application_submit,
    )
    from grants.enums import OrganisationKind
    from grants.models import Call, Hub

    now = timezone.now()
    hub = Hub.objects.create(name="Samverket Östersund", city="Östersund")
    call = Call.objects.create(
        slug="letters-benchmark",
        title_sv="Samverket: pröva coworking (benchmark)",
        title_en="Samverket: try coworking (benchmark)",
        summary_sv="Stöd för att pröva coworking.",
        description_sv="Utlysningstext.",
        is_published=True,
        opens_at=now - dt.timedelta(days=30),
        closes_at=now + dt.timedelta(days=1),
        budget=count * 600_000,
        max_amount=600_000,
        decision_appealable=True,
        letter_wording_sv="Stödet lämnas som statligt stöd av mindre betydelse.",
        letter_wording_en="The grant is given as de minimis aid.",
    )
    call.hubs.set([hub])
    from grants.form_defaults import create_definition

    create_definition(call)  # the coworking call's application form
    manager = User.objects.create(email="pm@bench.example", full_name="Per Holm")
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
    decider = User.objects.create(email="dm@bench.example", full_name="Eva Lind")
    decider.groups.add(Group.objects.get(name=DECISION_MAKERS))

    from stdnum import luhn

    applications = []
    for i in range(count):
        body = f"2120{i:05d}"
        organisation = Organisation.objects.create(
            orgnr=f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}",
            name=f"Kommun {i:04d}",
            declared_kind=OrganisationKind.MUNICIPALITY,
            verified_kind=OrganisationKind.MUNICIPALITY,
            verification_status=VerificationStatus.VERIFIED,
            address=f"Storgatan {i % 90 + 1}\n831 82 Östersund",
        )
        applicant = User.objects.create(email=f"applicant{i}@bench.example", full_name=f"A {i}")
        Membership.objects.create(user=applicant, organisation=organisation, is_signatory=True)
        application = Application.objects.create(
            call=call,
            organisation=organisation,
            created_by=applicant,
            title=f"Hybridarbete i kommun {i:04d}",
            summary="Vi prövar att arbeta från hubben två dagar i veckan.",
            hub=hub,
            answers={
                "what_to_try": "Coworking i hubben för 20 medarbetare.",
                "participants": 20,
                "expected_results": "Mindre pendling, mer samarbete.",
            },
            period_start=dt.date(2027, 2, 1),
            period_end=dt.date(2027, 12, 31),
            requested_amount=500_000,
            contact_name=applicant.full_name,
            contact_email=applicant.email,
            language="sv" if i % 2 else "en",
        )
        BudgetLine.objects.create(
            application=application,
            category=BudgetCategory.HUB,
            description="Hubbmedlemskap",
            amount=500_000,
            position=0,
        )
        application_submit(application=application, by=applicant)
        applications.append(application)
    Call.objects.filter(pk=call.pk).update(closes_at=now - dt.timedelta(minutes=1))
    proposals = []
    for application in applications:
        application = Application.objects.get(pk=application.pk)
        application_check_eligibility(
            application=application, by=manager, items=dict.fromkeys(EligibilityItem.values, True)
        )
        application_start_review(application=application, by=manager)
        application_complete_review(application=application, by=manager)
        proposals.append(
            decision_propose(
                application=application,
                by=manager,
                outcome="approved",
                granted_amount=450_000,
                conditions="Rapportera pendling och samarbete efter sex månader.",
                justification="En tydlig plan som passar utlysningens syfte.",
                feedback="Referensgruppen uppskattade utvärderingsplanen.",
            )
        )
    return proposals, decider


def measure_render(decisions, *, warmup: int) -> dict:
    """Median wall and CPU milliseconds of the letter, the floor and the bare same HTML.

    The three are timed in turn, one of each per round, so a change in the machine's load
    during the run falls on all three alike and the ratios stay fair.
    """
    from weasyprint import HTML

    from applications.letters.render import render_letter_html, render_letter_pdf

    html = _inline_styles(render_letter_html(decisions[0].letter_data))
    jobs = {
        "letter": lambda decision: render_letter_pdf(decision),
        "floor": lambda decision: HTML(string=MINIMAL).write_pdf(),
        "bare": lambda decision: HTML(string=html).write_pdf(),
    }
    for decision in decisions[:warmup]:
        for job in jobs.values():
            job(decision)
    wall = {name: [] for name in jobs}
    cpu = {name: [] for name in jobs}
    for decision in decisions:
        for name, job in jobs.items():
            w, c = time.perf_counter(), time.process_time()
            job(decision)
            cpu[name].append((time.process_time() - c) * 1000)
            wall[name].append((time.perf_counter() - w) * 1000)
    median = statistics.median
    result = {"pages": _pages(render_letter_pdf(decisions[0]))}
    for name in jobs:
        result[f"{name}_wall"] = median(wall[name])
        result[f"{name}_cpu"] = median(cpu[name])
    return result


def _inline_styles(html: str) -> str:
    """The letter's HTML with its stylesheet in a <style> element, as a plain page would be."""
    from django.template.loader import get_template

    css = get_template("letters/letter.css").template.source
    css += '@page { @bottom-right { content: "Page " counter(page) " of " counter(pages); } }'
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def run_workers(environment: dict, *, workers: int, expected: int) -> dict:
    from applications.models import DecisionLetter

    env = {**os.environ, **environment}
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "db_worker",
        "--queue-name",
        "default",
        "--batch",
        "--interval",
        "0.1",
        "--verbosity",
        "0",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
        for _ in range(workers)
    ]
    all_letters_at = None
    while all_letters_at is None:
        if DecisionLetter.objects.count() >= expected:
            all_letters_at = time.perf_counter()
        elif all(process.poll() is not None for process in processes):
            break
        else:
            time.sleep(0.2)
    for process in processes:
        process.wait(timeout=600)
    finished = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    made = DecisionLetter.objects.count()
    if made < expected:
        sys.exit(f"The workers stopped with {made} of {expected} letters.")
    return {
        "letters_wall": all_letters_at - started,
        "workers_wall": finished - started,
        "per_letter": (all_letters_at - started) / expected * 1000,
        # Everything the workers did (start-up, letters, releases, emails), per letter.
        "cpu_per_letter": workers_cpu / expected * 1000,
    }


def _database_label() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def _row(database: str, render: dict, batch: dict, confirm_s: float, count: int, date) -> str:
    ratio_wall = render["letter_wall"] / render["floor_wall"]
    ratio_cpu = render["letter_cpu"] / render["floor_cpu"]
    pages = f"{render['pages']} page" + ("s" if render["pages"] != 1 else "")
    return (
        f"| {database} | {render['letter_wall']:.0f} ms ({render['letter_cpu']:.0f} ms CPU), "
        f"{pages} | {render['floor_wall']:.0f} ms "
        f"({render['floor_cpu']:.0f} ms CPU) | {ratio_wall:.1f}× ({ratio_cpu:.1f}× CPU) | "
        f"{render['bare_wall']:.0f} ms ({render['bare_cpu']:.0f} ms CPU) | "
        f"{confirm_s:.1f} s | {batch['letters_wall']:.1f} s "
        f"({batch['per_letter']:.0f} ms a letter; workers' CPU {batch['cpu_per_letter']:.0f} ms "
        f"a letter) | {count} | {date} |"
    )


def write_doc(row: str, machine: str) -> None:
    text = DOC.read_text()
    header = (
        "| database | letter, median | floor: minimal page | ratio | same HTML, bare "
        "WeasyPrint | confirm batch | all letters, 2 workers | decisions | date |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    existing = []
    if START in text:
        block = text[text.index(START) + len(START) : text.index(END)]
        existing = [
            line
            for line in block.strip().splitlines()
            if line.startswith("| ") and not line.startswith(("| database", "| ---"))
        ]
    database = row.split("|")[1].strip().split()[0]
    rows = [line for line in existing if line.split("|")[1].strip().split()[0] != database]
    rows = sorted([*rows, row])
    block = f"{START}\n{header}" + "\n".join(rows) + f"\n{END}"
    if START in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        sys.exit(f"{DOC} has no {START} marker; add the letters section first.")
    text = re.sub(
        r"<!-- letters-machine:start -->.*?<!-- letters-machine:end -->",
        f"<!-- letters-machine:start -->{machine}<!-- letters-machine:end -->",
        text,
    )
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=500)
    parser.add_argument("--letters", type=int, default=30, help="letters timed in-process")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="samverket-letters-media-")
    environment = _environment(_database_url(), media)
    _setup_django(environment)
    _fresh_schema()

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from applications.models import Decision
    from applications.services.decisions import decisions_confirm_batch

    started = time.perf_counter()
    proposals, decider = seed(args.decisions)
    print(f"seeded {len(proposals)} proposals in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    results = decisions_confirm_batch(decisions=proposals, by=decider)
    confirm_s = time.perf_counter() - started
    refused = [message for _decision, message in results if message]
    if refused:
        sys.exit(f"{len(refused)} confirmations refused: {refused[0]}")
    queued = DBTaskResult.objects.filter(
        task_path="applications.tasks.generate_decision_letter"
    ).count()
    print(f"confirmed {len(results)} in {confirm_s:.1f} s; {queued} letter tasks queued")

    decisions = list(Decision.objects.order_by("pk")[: args.letters])
    render = measure_render(decisions, warmup=args.warmup)
    print(
        "letter median {letter_wall:.1f} ms wall, {letter_cpu:.1f} ms CPU ({pages} pages); "
        "floor {floor_wall:.1f} ms wall, {floor_cpu:.1f} ms CPU; same HTML bare "
        "{bare_wall:.1f} ms wall, {bare_cpu:.1f} ms CPU".format(**render)
    )
    ratio = render["letter_cpu"] / render["floor_cpu"]
    print(
        f"ratio {render['letter_wall'] / render['floor_wall']:.2f}× wall, {ratio:.2f}× CPU "
        f"(aim {TARGET_RATIO}×)"
    )

    batch = run_workers(environment, workers=args.workers, expected=args.decisions)
    print(
        f"{args.decisions} letters by {args.workers} workers: {batch['letters_wall']:.1f} s "
        f"({batch['per_letter']:.0f} ms a letter, workers' CPU {batch['cpu_per_letter']:.0f} ms "
        f"a letter); workers done after "
        f"{batch['workers_wall']:.1f} s"
    )

    load = os.getloadavg()[0]
    machine = (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, load average {load:.1f} at the end of the last run"
    )
    row = _row(_database_label(), render, batch, confirm_s, args.decisions, timezone.localdate())
    print(row)
    if args.write:
        write_doc(row, machine)
        print(f"updated {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
