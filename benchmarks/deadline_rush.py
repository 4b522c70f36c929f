"""Benchmark: the deadline rush, against a real multi-process deployment, in one run.

1. Starts a deployment (tests/deployment.py): a fresh PostgreSQL database, two gunicorn servers,
   one ``db_worker`` for the receipt emails (to files), a local S3 server; production settings.
2. Seeds one call with ``--n`` organisations (plus ``--late`` more), each with one applicant
   (administrator and signatory) and a complete draft, straight into the database.
3. Everyone logs in through the login page over HTTP (sessions, CSRF), half on each server.
   Password hashing is deliberately slow (PBKDF2, about 0.25 s of CPU per login here): 2,000
   logins in one minute on 2 cores cannot happen, so people log in before the last minute and
   the login throughput is reported on its own.
4. The ceiling: the same client, with the same number of threads, fetches a static file from
   the same servers (WhiteNoise, no view, no database), a new connection per request as in the
   rush. Its throughput is what this machine, these servers and this client manage at most.
5. The rush: the call's deadline is set a minute ahead; at once, ``--threads`` threads submit
   the ``--n`` applications (one POST each, with the session and the CSRF token, a new
   connection per request), and one second after the deadline the ``--late`` others try.
6. Waits until the worker has sent every receipt, then checks, and exits 1 when any fails:
   no 5xx and no failed connection; every in-time submit succeeded and has its version (the
   frozen snapshot); every late one was refused and left nothing; registration numbers unique
   and gap-free from 1; one receipt task succeeded and one email was written per submission.

    .venv/bin/python benchmarks/deadline_rush.py                 # N = 500
    .venv/bin/python benchmarks/deadline_rush.py --n 2000 --write  # and update docs/benchmarks.md

PostgreSQL is the server ``DATABASE_URL`` names (127.0.0.1:5432 when unset); the benchmark makes
its own database there and drops it at the end.
"""

import argparse
import datetime as dt
import math
import os
import platform
import re
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.deployment import Browser, Deployment  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
PASSWORD = "correct horse battery"
TARGET = 100  # submits per second
STATIC_LINK = re.compile(r'href="(/static/[^"]+\.css)"')


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    person: int
    status: int | None  # None: the connection failed
    location: str
    started: float
    ended: float
    error: str = ""

    @property
    def latency(self) -> float:
        return self.ended - self.started


@dataclass
class Phase:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return max(o.ended for o in self.outcomes) - min(o.started for o in self.outcomes)

    @property
    def throughput(self) -> float:
        return len(self.outcomes) / self.wall

    def percentile(self, p: float) -> float:
        values = sorted(o.latency for o in self.outcomes)
        return values[max(0, math.ceil(p / 100 * len(values)) - 1)]

    @property
    def median(self) -> float:
        return statistics.median(o.latency for o in self.outcomes)

    def statuses(self) -> Counter:
        return Counter(o.status for o in self.outcomes)

    def summary(self) -> str:
        return (
            f"{self.name}: {len(self.outcomes)} requests in {self.wall:.1f} s = "
            f"{self.throughput:.1f}/s; latency median {self.median * 1000:.0f} ms, "
            f"p95 {self.percentile(95) * 1000:.0f} ms, p99 {self.percentile(99) * 1000:.0f} ms; "
            f"statuses {dict(sorted(self.statuses().items(), key=str))}"
        )


def run_phase(name: str, jobs, threads: int) -> Phase:
    phase = Phase(name)
    lock = threading.Lock()

    def run(job):
        outcome = job()
        with lock:
            phase.outcomes.append(outcome)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(run, jobs))
    return phase


def timed(person: int, request) -> Outcome:
    started = time.monotonic()
    try:
        response = request()
    except requests.RequestException as error:
        return Outcome(person, None, "", started, time.monotonic(), repr(error))
    return Outcome(
        person,
        response.status_code,
        response.headers.get("Location", ""),
        started,
        time.monotonic(),
    )


# -- CPU time, which a busy shared machine does not inflate as it does wall time ----------------

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(process group, CPU seconds) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / TICKS


def cpu_snapshot(deployment) -> dict[str, dict[int, float]]:
    """CPU seconds so far of every process: the web servers' (each a process group: gunicorn's
    master and workers), the task worker's and PostgreSQL's backends of this database."""
    from django.db import connection

    groups = {p.popen.pid: p.name for p in deployment.processes}
    snapshot: dict[str, dict[int, float]] = {"web": {}, "worker": {}, "postgres": {}}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[0] in groups:
                kind = "web" if groups[stat[0]].startswith("web") else "worker"
                snapshot[kind][int(entry.name)] = stat[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for (pid,) in cursor.fetchall():
            stat = _stat(pid)
            if stat:
                snapshot["postgres"][pid] = stat[1]
    return snapshot


class LockSampler(threading.Thread):
    """Counts, every 50 ms, the database sessions of this deployment waiting for a row lock
    (the registration counter, the audit chain's head) and those running a statement: is the
    rush queueing on locks, or on the CPU?"""

    def __init__(self, database_url: str):
        super().__init__(daemon=True)
        self.database_url = database_url
        self.samples: list[tuple[int, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as connection:
            while not self.stopping.wait(0.05):
                self.samples.append(
                    connection.execute(
                        "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
                        "count(*) FILTER (WHERE state = 'active') - 1 "
                        "FROM pg_stat_activity WHERE datname = current_database()"
                    ).fetchone()
                )

    def stop(self) -> tuple[float, float]:
        """Mean sessions waiting for a lock, and mean sessions active (waiting included)."""
        self.stopping.set()
        self.join()
        if not self.samples:
            return 0.0, 0.0
        return (
            statistics.mean(waiting for waiting, _ in self.samples),
            statistics.mean(active for _, active in self.samples),
        )


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per kind between two snapshots (a process new since counts in full)."""
    return {
        kind: sum(seconds - before[kind].get(pid, 0.0) for pid, seconds in after[kind].items())
        for kind in after
    }


# -- seeding (in this process, on the deployment's database) -----------------------------------


def seed(count: int) -> tuple[int, list[dict]]:
    """A call and ``count`` organisations, each with an applicant and a complete draft."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from stdnum import luhn

    from applications.enums import BudgetCategory, County, VerificationStatus
    from applications.models import Application, BudgetLine, Membership, Organisation, User
    from grants.enums import OrganisationKind
    from grants.models import Call, Hub

    hub, _created = Hub.objects.get_or_create(name="Samverket Östersund", city="Östersund")
    now = timezone.now()
    call = Call.objects.create(
        slug="deadline-rush",
        title_sv="Samverket: pröva coworking",
        title_en="Samverket: try coworking",
        summary_sv="Stöd för att pröva coworking.",
        summary_en="Support to try coworking.",
        description_sv="Utlysningstext.",
        description_en="Call text.",
        is_published=True,
        opens_at=now - dt.timedelta(days=30),
        closes_at=now + dt.timedelta(days=1),  # set to a minute ahead just before the rush
        budget=count * 600_000,
        max_amount=600_000,
    )
    call.hubs.set([hub])
    from grants.form_defaults import create_definition

    create_definition(call)  # the coworking call's application form
    # One hash for everyone (the same password): hashing 2,000 at 0.25 s each is not the point.
    password = make_password(PASSWORD)

    def orgnr(i: int) -> str:
        body = f"2120{i:05d}"
        return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"

    users = User.objects.bulk_create(
        User(email=f"rush{i}@example.se", full_name=f"Person {i}", language="en", password=password)
        for i in range(count)
    )
    organisations = Organisation.objects.bulk_create(
        Organisation(
            orgnr=orgnr(i),
            name=f"Kommun {i}",
            declared_kind=OrganisationKind.MUNICIPALITY,
            verified_kind=OrganisationKind.MUNICIPALITY,
            verification_status=VerificationStatus.VERIFIED,
            county=County.JAMTLAND,
        )
        for i in range(count)
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=organisation, is_admin=True, is_signatory=True)
        for user, organisation in zip(users, organisations, strict=True)
    )
    applications = Application.objects.bulk_create(
        Application(
            call=call,
            organisation=organisation,
            created_by=user,
            language="en",
            title=f"Hybrid work trial {i}",
            summary="We try working from the hub two days a week.",
            hub=hub,
            answers={
                "what_to_try": "Coworking at the hub for 20 employees.",
                "participants": 20,
                "expected_results": "Less commuting, more collaboration.",
            },
            period_start=dt.date(2027, 2, 1),
            period_end=dt.date(2027, 12, 31),
            requested_amount=500_000,
            contact_name=f"Person {i}",
            contact_email=f"contact{i}@example.se",
        )
        for i, (user, organisation) in enumerate(zip(users, organisations, strict=True))
    )
    BudgetLine.objects.bulk_create(
        BudgetLine(application=application, position=position, **line)
        for application in applications
        for position, line in enumerate(
            [
                {
                    "category": BudgetCategory.HUB,
                    "description": "Hub membership",
                    "amount": 300_000,
                },
                {
                    "category": BudgetCategory.STAFF,
                    "description": "Project lead",
                    "amount": 200_000,
                },
            ]
        )
    )
    people = [
        {"email": user.email, "application_id": application.pk}
        for user, application in zip(users, applications, strict=True)
    ]
    return call.pk, people


def set_deadline(call_id: int, closes_at) -> None:
    from grants.models import Call

    Call.objects.filter(pk=call_id).update(closes_at=closes_at)


def wait_for_receipts(expected: int, timeout: float) -> tuple[float, Counter]:
    """Wait until the worker has run ``expected`` receipt tasks; returns the wait and the
    statuses of every receipt task."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    started = time.monotonic()
    while True:
        statuses = Counter(
            dict(
                DBTaskResult.objects.filter(task_path__endswith="send_submission_receipt")
                .values_list("status")
                .annotate(n=Count("id"))
                .values_list("status", "n")
            )
        )
        done = statuses.get("SUCCESSFUL", 0) + statuses.get("FAILED", 0)
        if done >= expected or time.monotonic() - started > timeout:
            return time.monotonic() - started, statuses
        time.sleep(1)


# -- checking ------------------------------------------------------------------------------------


def check(
    *, call_id: int, in_time: list[dict], late: list[dict], phases: list[Phase], deployment
) -> list[str]:
    """Every rule of the rush; returns what failed (empty when all held)."""
    from applications.models import Application, ApplicationVersion

    failures = []
    for phase in phases:
        server_errors = [o for o in phase.outcomes if o.status is None or o.status >= 500]
        if server_errors:
            failures.append(
                f"{phase.name}: {len(server_errors)} answers were 5xx or failed connections, "
                f"e.g. {server_errors[0]}"
            )
    rush, refused = phases[-2], phases[-1]
    for outcome in rush.outcomes:
        pk = in_time[outcome.person]["application_id"]
        if outcome.status != 302 or outcome.location != f"/applications/{pk}/submitted/":
            failures.append(f"in-time submit of {pk} answered {outcome.status} {outcome.location}")
    for outcome in refused.outcomes:
        pk = late[outcome.person]["application_id"]
        if outcome.status != 302 or outcome.location != f"/applications/{pk}/preview/":
            failures.append(f"late submit of {pk} answered {outcome.status} {outcome.location}")

    in_time_ids = [p["application_id"] for p in in_time]
    late_ids = [p["application_id"] for p in late]
    submitted = dict(
        Application.objects.filter(pk__in=in_time_ids, state="submitted").values_list(
            "pk", "registration_number"
        )
    )
    if len(submitted) != len(in_time_ids):
        failures.append(f"{len(in_time_ids) - len(submitted)} in-time applications not submitted")
    versions = Counter(
        ApplicationVersion.objects.filter(application_id__in=in_time_ids).values_list(
            "application_id", flat=True
        )
    )
    missing = [pk for pk in in_time_ids if versions.get(pk) != 1]
    if missing:
        failures.append(
            f"{len(missing)} in-time applications lack exactly one version: {missing[:5]}"
        )
    touched = Application.objects.filter(pk__in=late_ids).exclude(
        state="draft", registration_number=None
    )
    if touched.exists() or ApplicationVersion.objects.filter(application_id__in=late_ids).exists():
        failures.append("a late submit changed its application or left a version")
    numbers = sorted(
        Application.objects.filter(call_id=call_id)
        .exclude(registration_number=None)
        .values_list("registration_number", flat=True)
    )
    years = {number[:4] for number in numbers}
    expected = [f"{year}-{i:05d}" for year in years for i in range(1, len(numbers) + 1)]
    if len(years) != 1 or numbers != expected:
        failures.append(f"registration numbers are not 1..{len(numbers)} of one year, gap-free")

    receipts = Counter()
    for message in deployment.sent_mail():
        receipts[message["Subject"]] += 1
    for number in submitted.values():
        if receipts.get(f"Application received: {number}") != 1:
            failures.append(
                f"{number}: {receipts.get(f'Application received: {number}', 0)} receipts sent"
            )
    if sum(receipts.values()) != len(in_time_ids):
        failures.append(f"{sum(receipts.values())} emails sent for {len(in_time_ids)} submissions")
    return failures


# -- the run ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="submits in the last minute")
    parser.add_argument("--late", type=int, default=0, help="late submits (default: n/50, ≥5)")
    parser.add_argument("--threads", type=int, default=48, help="client threads")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--web-threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    late_count = args.late or max(5, args.n // 50)

    deployment = Deployment(
        web_servers=2,
        web_workers=args.web_workers,
        web_threads=args.web_threads,
        task_workers=1,
        name=f"samverket_rush_{args.n}",
    )
    failed = True
    try:
        deployment.start()
        os.environ.update(deployment.environment)
        import django

        django.setup()
        return_code, report = run(args, late_count, deployment)
        failed = return_code != 0
        print(report)
        if args.write:
            write(args.n, report)  # a failed run is a result too: written with its failures
        return return_code
    finally:
        codes = deployment.stop(failed=failed)
        print(f"processes stopped: {codes}")


def run(args, late_count: int, deployment) -> tuple[int, str]:
    from django.db import connections
    from django.utils import timezone

    servers = deployment.urls
    print(f"seeding {args.n} + {late_count} organisations ...", flush=True)
    call_id, people = seed(args.n + late_count)
    in_time, late = people[: args.n], people[args.n :]
    browsers = [Browser(servers[i % len(servers)]) for i in range(len(people))]

    print(f"logging in {len(people)} people ...", flush=True)
    logins = run_phase(
        "logins",
        [
            (lambda i=i: timed(i, lambda: browsers[i].login(people[i]["email"], PASSWORD)))
            for i in range(len(people))
        ],
        args.threads,
    )
    print(logins.summary(), flush=True)

    login_page = requests.get(servers[0] + "/account/login/", timeout=60).text
    static = STATIC_LINK.search(login_page).group(1)
    ceiling_count = max(2000, args.n)
    ceiling = run_phase(
        f"ceiling (GET {static})",
        [
            (
                lambda i=i: timed(
                    i, lambda: requests.get(servers[i % len(servers)] + static, timeout=120)
                )
            )
            for i in range(ceiling_count)
        ],
        args.threads,
    )
    print(ceiling.summary(), flush=True)

    # The last minute: the deadline a minute after the rush starts; the late ones one second
    # after the deadline.
    rush_start = timezone.now() + dt.timedelta(seconds=3)
    deadline = rush_start + dt.timedelta(seconds=60)
    set_deadline(call_id, deadline)
    connections.close_all()
    load_before = os.getloadavg()

    def wait_until(moment) -> None:
        time.sleep(max(0.0, (moment - timezone.now()).total_seconds()))

    def submit(i: int, group: list[dict], offset: int) -> Outcome:
        browser = browsers[offset + i]
        # A new connection per submit, as a browser coming back after minutes would make.
        browser.session.close()
        pk = group[i]["application_id"]
        # With the declaration the check-answers page asks for (without it: the page again).
        return timed(i, lambda: browser.post(f"/applications/{pk}/submit/", {"declaration": "on"}))

    wait_until(rush_start)
    print(f"rush: {args.n} submits from {rush_start:%H:%M:%S}, deadline {deadline:%H:%M:%S}")
    cpu_before, client_before = cpu_snapshot(deployment), time.process_time()
    sampler = LockSampler(deployment.database_url)
    sampler.start()
    rush = run_phase(
        "submits in time",
        [(lambda i=i: submit(i, in_time, 0)) for i in range(len(in_time))],
        args.threads,
    )
    lock_waiting, active = sampler.stop()
    cpu = cpu_used(cpu_before, cpu_snapshot(deployment))
    cpu["client"] = time.process_time() - client_before
    load_after = os.getloadavg()
    print(rush.summary(), flush=True)
    wait_until(deadline + dt.timedelta(seconds=1))
    refused = run_phase(
        "submits after the deadline",
        [(lambda i=i: submit(i, late, args.n)) for i in range(len(late))],
        args.threads,
    )
    print(refused.summary(), flush=True)

    from applications.models import ApplicationVersion

    print("waiting for the receipt emails ...", flush=True)
    versions = ApplicationVersion.objects.filter(application__call_id=call_id).count()
    drained, receipt_statuses = wait_for_receipts(versions, timeout=600)
    failures = check(
        call_id=call_id,
        in_time=in_time,
        late=late,
        phases=[logins, ceiling, rush, refused],
        deployment=deployment,
    )
    if receipt_statuses.get("SUCCESSFUL", 0) != len(in_time) or set(receipt_statuses) != {
        "SUCCESSFUL"
    }:
        failures.append(f"receipt tasks: {dict(receipt_statuses)} for {len(in_time)} submits")

    ratio = rush.throughput / ceiling.throughput
    per_submit = {kind: seconds * 1000 / len(in_time) for kind, seconds in cpu.items()}
    server_cpu = per_submit["web"] + per_submit["postgres"] + per_submit["worker"]
    cores = os.cpu_count() or 1
    lines = [
        f"N = {args.n} in-time submits, {late_count} late ones; 2 gunicorn servers × "
        f"{args.web_workers} workers × {args.web_threads} threads, 1 db_worker, PostgreSQL "
        f"{_postgres_version()}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}; client: {args.threads} threads (requests)",
        f"load average (1 min) before the rush {load_before[0]:.1f}, after it {load_after[0]:.1f}",
        logins.summary(),
        ceiling.summary(),
        rush.summary(),
        refused.summary(),
        f"submits/s against the ceiling: {rush.throughput:.1f} / {ceiling.throughput:.1f} = "
        f"{ratio:.2f}; aim {TARGET}/s: {'met' if rush.throughput >= TARGET else 'NOT met'}",
        "CPU per in-time submit during the rush: "
        + ", ".join(f"{kind} {ms:.1f} ms" for kind, ms in per_submit.items())
        + f"; the servers' share ({server_cpu:.1f} ms) on {cores} idle cores would allow at most "
        f"{cores * 1000 / server_cpu:.0f} submits/s, with the client too "
        f"{cores * 1000 / (server_cpu + per_submit['client']):.0f}/s",
        f"database sessions during the rush, sampled every 50 ms: {active:.1f} running a "
        f"statement on average, {lock_waiting:.1f} of them waiting for a row lock",
        f"receipts: every email sent {drained:.0f} s after the late submits "
        f"({dict(receipt_statuses)})",
        "checks: " + ("all held" if not failures else f"{len(failures)} FAILED"),
    ]
    late_in_time = [
        o for o in rush.outcomes if o.location.endswith("/preview/") and o.status == 302
    ]
    if late_in_time:
        lines.append(
            f"{len(late_in_time)} of the {args.n} in-time submits were refused: the rush took "
            f"{rush.wall:.0f} s, so they reached the server after the deadline"
        )
    report = "\n".join(lines)
    if failures:
        shown = failures[:10]
        if len(failures) > 10:
            shown.append(f"... and {len(failures) - 10} more")
        report += "\n" + "\n".join(f"  FAILED: {failure}" for failure in shown)
        return 1, report
    return 0, report


def _postgres_version() -> str:
    from django.db import connection

    version = connection.pg_version  # 150019 is 15.19
    return f"{version // 10000}.{version % 10000}"


def write(n: int, report: str) -> None:
    start, end = f"<!-- deadline-rush-{n}:start -->", f"<!-- deadline-rush-{n}:end -->"
    text = DOC.read_text()
    block = (
        f"{start}\n```text\n{report}\n```\n_Measured {dt.date.today():%Y-%m-%d} with "
        f"`benchmarks/deadline_rush.py --n {n}`._\n{end}"
    )
    if start in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text)
    print(f"wrote the figures for N = {n} into {DOC}")


if __name__ == "__main__":
    sys.exit(main())
