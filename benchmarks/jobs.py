"""Benchmark: background jobs (issue 15), in one run.

Seeds a fresh database (never the developer's db.sqlite3) with ``--decisions`` reviewed
applications, each with a proposed approval, through the services (``tests.factories``), with the
database task queue (django-tasks-db) as production has it. Then measures:

1. the time to start the batch confirmation job (``decisions_confirm_start``: the row, and the
   task queued after commit), and to start it again (the idempotent answer: the job under way);
2. the worker's run of that job (``job_run``): the total and the time per decision, each one
   confirmed by ``decision_confirm`` in its own transaction with the job's count, its letter
   task queued (not run here);
3. the worker's run again (a retried task): what it costs to find everything done;
4. the case-list export of those applications as a job (``export_start`` + ``job_run``), file
   stored.

    .venv/bin/python benchmarks/jobs.py                    # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/samverket_bench \\
        .venv/bin/python benchmarks/jobs.py

On PostgreSQL the database's ``public`` schema is dropped and made again, so the script only
accepts a database whose name contains "bench". Files go to a temporary media directory.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import bench_database_url  # noqa: E402  (the path above first)


def _database_url() -> str:
    return bench_database_url("samverket-jobs-bench.sqlite3")


def _setup_django(url: str) -> None:
    import secrets

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_MEDIA_ROOT", tempfile.mkdtemp(prefix="samverket-jobs-bench-"))
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)


def _timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=200, help="decisions (default 200)")
    args = parser.parse_args()
    _setup_django(_database_url())

    from django.db import connection, transaction

    from applications.export_jobs import export_start
    from applications.models import BackgroundJob, Decision
    from applications.services.decisions import decisions_confirm_start
    from applications.services.jobs import job_run
    from tests import factories

    print(f"Seeding {connection.vendor}: {args.decisions} proposed approvals …", flush=True)
    manager = factories.programme_manager()
    decider = factories.decision_maker()
    call = factories.CallFactory(budget=10**12)
    (_, seeded) = _timed(
        lambda: [
            factories.proposed_decision(a, by=manager)
            for a in factories.reviewed_applications(call, by=manager, count=args.decisions)
        ]
    )
    print(f"Seeded in {seeded:.1f} s.")
    decisions = list(Decision.objects.all())

    def start():
        with transaction.atomic():
            return decisions_confirm_start(decisions=decisions, by=decider)

    (job, created), start_s = _timed(start)
    (again, created_again), again_s = _timed(start)
    assert created and not created_again and again.pk == job.pk
    job, run_s = _timed(lambda: job_run(job.pk))
    assert job.result["counts"]["confirmed"] == args.decisions, job.result["counts"]
    BackgroundJob.objects.filter(pk=job.pk).update(state="running")
    _, rerun_s = _timed(lambda: job_run(job.pk))

    def export():
        with transaction.atomic():
            export_job, _created = export_start(
                kind="case_list", by=manager, params={"fmt": "csv"}, rows=args.decisions
            )
        return job_run(export_job.pk)

    export_job, export_s = _timed(export)

    print()
    print(f"Background jobs, {connection.vendor}, {platform.machine()}, {args.decisions} decisions")
    print(f"  start the batch job          {start_s * 1000:8.1f} ms")
    print(f"  start it again (idempotent)  {again_s * 1000:8.1f} ms")
    print(f"  worker run                   {run_s:8.2f} s   {run_s / args.decisions * 1000:.1f} ms")
    print("    per decision (confirm, count, letter task queued)")
    print(f"  worker run again (retried)   {rerun_s * 1000:8.1f} ms   nothing done twice")
    print(
        f"  case-list export as a job    {export_s * 1000:8.1f} ms   {export_job.result['bytes']}"
    )
    print("    bytes stored")


if __name__ == "__main__":
    main()
