"""Benchmark: what the agency's pages and state changes cost at 500, 2,000 and 10,000
applications, 3 reviews each, in one run.

One call grows through the sizes (``--sizes``): at each size the script adds applications
until the call holds that many, then measures, with Django's test Client and a programme
manager, a decision maker and a reviewer who passed the second factor:

- the case list, first page of 50 and last page (default order: newest submission first);
- the ranking, its first page of 100 (the funding line placed over the whole call), and every
  row of the call on one page (``?rows=all``);
- the staff application page;
- state changes, each on a new object per request: propose a decision (POST of the proposal
  form), confirm a decision (the decision maker's POST), save a review (a reviewer's draft);
- a trivial view behind the whole middleware stack, with a staff session.

Each figure is the web process's CPU time per request (``time.process_time``: median and 95th
percentile over ``--requests`` requests after ``--warmup``), and the request's queries. On
PostgreSQL the database server's CPU for the same requests is read from ``/proc`` for the
connection's backend (clock ticks, so given as a mean over the requests, not per request).

The bulk of each size is written with ``bulk_create`` as the services would leave it (frozen
versions with their SHA-256, declarations before assignments, submitted reviews scored on every
criterion, a fifth of the applications approved and confirmed with the call's kept committed
amount equal to their sum); the objects the timed state changes act on are made by the
services.

    .venv/bin/python benchmarks/pages.py                        # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/samverket_bench \\
        .venv/bin/python benchmarks/pages.py --write            # and update docs/benchmarks.md

On PostgreSQL the ``public`` schema is dropped and made again, so only a database whose name
contains "bench" is accepted.
"""

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import seed_complete_reviews, setup_django  # noqa: E402
from benchmarks.ranking import (  # noqa: E402  (the path above first)
    LOREM,
    _database_url,
    _fresh_schema,
    _orgnr,
    _percentile,
)

DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- pages-results:start -->"
END = "<!-- pages-results:end -->"
REVIEWERS = 30
REVIEWS = 3
WEIGHTS = [2, 1, 1, 1]
TRIVIAL = "/__bench__/ok/"
PROFILE = [None, None]  # (cProfile.Profile, the row it profiles) with --profile
ROWS = [
    ("list_first", "case list, first page of 50"),
    ("list_last", "case list, last page"),
    ("ranking", "ranking, first page of 100"),
    ("ranking_all", "ranking, every row on one page"),
    ("confirm", "confirm a decision"),
    ("propose", "propose a decision"),
    ("review", "save a review"),
    ("detail", "application page (staff)"),
    ("trivial", "trivial view with a session"),
]
# Every other list of the agency's and the reviewers' pages, first page, the same way.
LISTS = [
    ("decisions", "decisions waiting and confirmed", "maker", "applications:decisions", False),
    ("follow_up", "follow-up overview", "manager", "applications:follow_up_overview", False),
    ("org_checks", "organisations to check", "manager", "applications:organisation_checks", False),
    ("audit", "audit log", "manager", "applications:audit_log", False),
    ("calls", "calls (programme managers)", "manager", "applications:call_list", False),
    ("review_calls", "review overview of the calls", "manager", "reviews:manage_calls", False),
    ("assignments", "a call's assignments", "manager", "reviews:assignments", True),
    ("conflicts", "a call's conflicts of interest", "manager", "reviews:conflicts", True),
    ("worklist", "a reviewer's worklist", "reviewer", "reviews:dashboard", False),
]
# LISTS=1 adds them to the table; LISTS=only measures them alone (their own table in the docs).
if os.environ.get("LISTS") == "only":
    ROWS = [(key, label) for key, label, *_rest in LISTS]
elif os.environ.get("LISTS"):
    ROWS += [(key, label) for key, label, *_rest in LISTS]


def trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def __getattr__(name):
    # This module is the benchmark's URLconf (ROOT_URLCONF): the site's URLs plus a trivial view.
    if name == "urlpatterns":
        from django.urls import include, path

        return [path(TRIVIAL.strip("/") + "/", trivial), path("", include("config.urls"))]
    raise AttributeError(name)


def _setup_django(url: str) -> None:
    import logging

    setup_django(url, urlconf="benchmarks.pages")
    logging.getLogger("samverket.request").handlers = [logging.NullHandler()]
    logging.getLogger("samverket.request").propagate = False


# -- the call and its people -----------------------------------------------------------------


def make_world() -> dict:
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from applications.models import CallCommitment, User
    from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
    from grants.form_defaults import create_definition
    from grants.models import Call, Criterion, Hub
    from reviews.models import PanelMember

    now = timezone.now()
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
        budget=10_000_000_000,
        max_amount=600_000,
        total_threshold=3,
        disagreement_spread=2,
    )
    call.hubs.set([hub])
    create_definition(call)
    criteria = [
        Criterion.objects.create(
            call=call, position=i, name_sv=f"Kriterium {i}", name_en=f"Criterion {i}", weight=w
        )
        for i, w in enumerate(WEIGHTS)
    ]
    manager = User.objects.create(email="pm@bench.example", full_name="Programme Manager")
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
    maker = User.objects.create(email="dm@bench.example", full_name="Decision Maker")
    maker.groups.add(Group.objects.get(name=DECISION_MAKERS))
    reviewers = User.objects.bulk_create(
        User(email=f"reviewer{i}@bench.example", full_name=f"Reviewer {i}")
        for i in range(REVIEWERS)
    )
    members = PanelMember.objects.bulk_create(
        PanelMember(call=call, user=user, employer_orgnr="", employer_name="Universitet")
        for user in reviewers
    )
    CallCommitment.objects.get_or_create(call=call)
    return {
        "call": call,
        "hub": hub,
        "criteria": criteria,
        "manager": manager,
        "maker": maker,
        "members": members,
        "count": 0,
    }


def _version(application, hub) -> "object":
    from applications.hashing import content_sha256
    from applications.models import ApplicationVersion

    content = {
        "call": application.call.slug,
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
                "description": "Hubbens medlemskap",
                "amount": application.requested_amount,
            }
        ],
        "attachments": [],
    }
    return ApplicationVersion(
        application=application,
        number=1,
        content=content,
        sha256=content_sha256(content),
        submitted_at=application.last_submitted_at,
        submitted_by=application.created_by,
    )


def grow(world: dict, target: int, rng) -> None:
    """Add reviewed applications until the call holds ``target``: a fifth approved and
    confirmed, the last ``open_reviews`` of them still in review with one review to write."""
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from applications.enums import ApplicationState, County, DecisionStatus, VerificationStatus
    from applications.models import (
        Application,
        ApplicationVersion,
        CallCommitment,
        Decision,
        Organisation,
        User,
    )
    from grants.enums import OrganisationKind

    call, hub, members = world["call"], world["hub"], world["members"]
    start, count = world["count"], target - world["count"]
    now = timezone.now()
    year = timezone.localtime(now).year
    submitted_at = call.closes_at - dt.timedelta(hours=1)
    with transaction.atomic():
        applicants = User.objects.bulk_create(
            User(email=f"applicant{start + i}@bench.example", full_name=f"Sökande {start + i}")
            for i in range(count)
        )
        organisations = Organisation.objects.bulk_create(
            Organisation(
                orgnr=_orgnr(start + i),
                name=f"Kommun {rng.randrange(10**6):06d}",
                declared_kind=OrganisationKind.MUNICIPALITY,
                verified_kind=OrganisationKind.MUNICIPALITY,
                verification_status=VerificationStatus.VERIFIED,
                county=County.JAMTLAND,
            )
            for i in range(count)
        )
        applications = []
        for i, (organisation, applicant) in enumerate(zip(organisations, applicants, strict=True)):
            n = start + i
            amount = rng.randrange(100_000, 600_001, 10_000)
            title = f"Hybridarbete i kommun {n:05d}"
            applications.append(
                Application(
                    call=call,
                    organisation=organisation,
                    created_by=applicant,
                    title=title,
                    summary=LOREM * 4,
                    hub=hub,
                    answers={
                        "what_to_try": LOREM * 6,
                        "participants": 20,
                        "expected_results": LOREM,
                    },
                    period_start=dt.date(2027, 2, 1),
                    period_end=dt.date(2027, 12, 31),
                    requested_amount=amount,
                    contact_name=applicant.full_name,
                    contact_email=applicant.email,
                    state=ApplicationState.APPROVED if n % 5 == 0 else ApplicationState.REVIEWED,
                    registration_number=f"{year}-{n + 1:05d}",
                    first_submitted_at=submitted_at - dt.timedelta(seconds=count - i),
                    last_submitted_at=submitted_at - dt.timedelta(seconds=count - i),
                    submitted_title=title,
                    submitted_amount=amount,
                )
            )
        applications = Application.objects.bulk_create(applications, batch_size=500)
        ApplicationVersion.objects.bulk_create(
            (_version(a, hub) for a in applications), batch_size=500
        )
        seed_complete_reviews(
            applications, members, world["criteria"], rng, per_application=REVIEWS, offset=start
        )
        approved = [a for a in applications if a.state == ApplicationState.APPROVED]
        Decision.objects.bulk_create(
            (
                Decision(
                    application=a,
                    outcome="approved",
                    granted_amount=a.requested_amount,
                    justification="Stark ansökan.",
                    language="sv",
                    status=DecisionStatus.CONFIRMED,
                    proposed_by=world["manager"],
                    proposed_at=now,
                    decided_by=world["maker"],
                    confirmed_at=now,
                    decided_on=now.date(),
                    letter_data={"outcome": "approved", "granted_amount": a.requested_amount},
                )
                for a in approved
            ),
            batch_size=1000,
        )
        CallCommitment.objects.filter(call=call).update(
            amount=F("amount") + sum(a.requested_amount for a in approved)
        )
    world["count"] = target


def actions(world: dict, k: int) -> dict:
    """Fresh objects for ``k`` requests of each state change, made through the services:
    reviewed applications to propose for, proposals to confirm, and assignments to review."""
    from applications.enums import ApplicationState
    from applications.models import Application
    from applications.services.decisions import decision_propose
    from reviews.models import Assignment, Review

    call = world["call"]
    free = list(
        Application.objects.filter(
            call=call, state=ApplicationState.REVIEWED, decisions=None
        ).order_by("?")[: 2 * k]
    )
    to_propose, to_confirm = free[:k], free[k:]
    proposals = [
        decision_propose(
            application=a,
            by=world["manager"],
            outcome="approved",
            granted_amount=a.requested_amount,
            justification="Stark ansökan.",
            threshold_override="Referensgruppens samlade bedömning.",
            notify=False,
        )
        for a in to_confirm
    ]
    # Reviews to write: reviewed applications put back in review with their last review
    # unwritten (the data, as a reviewer would find it, not a transition we time).
    reopened = list(
        Application.objects.filter(call=call, state=ApplicationState.REVIEWED, decisions=None)
        .exclude(pk__in=[a.pk for a in free])
        .order_by("?")[:k]
    )
    Application.objects.filter(pk__in=[a.pk for a in reopened]).update(
        state=ApplicationState.IN_REVIEW
    )
    open_assignments = [
        Assignment.objects.filter(application=a).select_related("member__user").last()
        for a in reopened
    ]
    Review.objects.filter(assignment__in=open_assignments).delete()
    return {"propose": to_propose, "confirm": proposals, "review": open_assignments}


# -- measuring ---------------------------------------------------------------------------------


class Probe:
    """Web CPU per request, queries, and (PostgreSQL) the backend's CPU over all requests."""

    def __init__(self):
        from django.db import connection

        self.connection = connection
        self.profiler, self.only = PROFILE
        self.backend_pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend_pid = cursor.fetchone()[0]

    def profile(self, key, request, items, *, warmup):
        if key == self.only:
            for item in items[:warmup]:
                request(item)
            self.profiler.enable()
            for item in items[warmup:-1]:
                request(item)
            self.profiler.disable()
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(self.connection) as captured:
                request(items[-1])
            if os.environ.get("SQL"):  # the statements of the last request
                for query in captured.captured_queries:
                    sql = query["sql"] if os.environ["SQL"] == "full" else query["sql"][:300]
                    print(f"{float(query['time']) * 1000:7.2f} ms  {sql}")
        return None

    def backend_ticks(self) -> int:
        if not self.backend_pid:
            return 0
        fields = Path(f"/proc/{self.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def run(self, key: str, request, items, *, warmup: int) -> dict:
        items = list(items)
        if self.profiler is not None:
            return self.profile(key, request, items, warmup=warmup)
        for item in items[:warmup]:
            request(item)
        samples, queries = [], []
        ticks = self.backend_ticks()

        def count(execute, sql, params, many, context):
            queries[-1] += 1
            return execute(sql, params, many, context)

        with self.connection.execute_wrapper(count):
            for item in items[warmup:]:
                queries.append(0)
                started = time.process_time()
                request(item)
                samples.append((time.process_time() - started) * 1000)
        db_ms = (self.backend_ticks() - ticks) * 1000 / os.sysconf("SC_CLK_TCK") / len(samples)
        return {
            "median": statistics.median(samples),
            "p95": _percentile(samples, 0.95),
            "queries": max(queries),
            "db": db_ms if self.backend_pid else None,
        }


def _client(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _expect(response, *statuses):
    if response.status_code not in statuses:
        errors = response.context and (
            response.context.get("errors") or response.context.get("form")
        )
        raise AssertionError(f"{response.status_code}: {errors}")
    return response


def profile(world: dict, key: str, *, requests: int, warmup: int) -> None:
    import cProfile
    import pstats

    PROFILE[:] = [cProfile.Profile(), key]
    measure(world, requests=requests, warmup=warmup)
    pstats.Stats(PROFILE[0]).sort_stats(os.environ.get("SORT", "tottime")).print_stats(
        int(os.environ.get("TOP", "40"))
    )


def measure(world: dict, *, requests: int, warmup: int) -> dict:
    from django.urls import reverse

    from applications.models import Application

    k = requests + warmup
    made = actions(world, k)
    probe = Probe()
    manager, maker = _client(world["manager"]), _client(world["maker"])
    list_url = reverse("applications:manage_list")
    last = -(-world["count"] // 50)
    ranking_url = reverse("reviews:ranking", args=[world["call"].slug])
    some = list(
        Application.objects.filter(call=world["call"])
        .order_by("?")
        .values_list("pk", flat=True)[:k]
    )
    reviewers = {a.member.user_id: a.member.user for a in made["review"]}
    reviewers = {pk: _client(user) for pk, user in reviewers.items()}

    def review(assignment):
        client = reviewers[assignment.member.user_id]
        data = {f"score_{c.pk}": "5" for c in world["criteria"]}
        data.update(
            comment_for_applicant="Tydlig plan.",
            internal_comment="",
            recommendation="fund",
            action="save",
            edit_version="0",
        )
        _expect(client.post(reverse("reviews:review", args=[assignment.application_id]), data), 302)

    def propose(application):
        data = {
            "outcome": "approved",
            "granted_amount": str(application.requested_amount),
            "justification": "Stark ansökan.",
            "feedback": "Väl motiverat.",
            "threshold_override": "Referensgruppens samlade bedömning.",
        }
        url = reverse("applications:decision_propose", args=[application.pk])
        _expect(manager.post(url, data), 302)

    def confirm(decision):
        url = reverse("applications:decision_confirm", args=[decision.pk])
        _expect(maker.post(url), 302)

    repeat = [None] * k
    if os.environ.get("LISTS") == "only":
        return _lists(world, probe, made, repeat, warmup)
    return {
        "list_first": probe.run(
            "list_first", lambda _: _expect(manager.get(list_url), 200), repeat, warmup=warmup
        ),
        "list_last": probe.run(
            "list_last",
            lambda _: _expect(manager.get(list_url, {"page": last}), 200),
            repeat,
            warmup=warmup,
        ),
        "ranking": probe.run(
            "ranking", lambda _: _expect(manager.get(ranking_url), 200), repeat, warmup=warmup
        ),
        "ranking_all": probe.run(
            "ranking_all",
            lambda _: _expect(manager.get(ranking_url, {"rows": "all"}), 200),
            repeat,
            warmup=warmup,
        ),
        "confirm": probe.run("confirm", confirm, made["confirm"], warmup=warmup),
        "propose": probe.run("propose", propose, made["propose"], warmup=warmup),
        "review": probe.run("review", review, made["review"], warmup=warmup),
        "detail": probe.run(
            "detail",
            lambda pk: _expect(manager.get(reverse("applications:manage_detail", args=[pk])), 200),
            some,
            warmup=warmup,
        ),
        "trivial": probe.run(
            "trivial", lambda _: _expect(manager.get(TRIVIAL), 200), repeat, warmup=warmup
        ),
        **(_lists(world, probe, made, repeat, warmup) if os.environ.get("LISTS") else {}),
    }


def _lists(world, probe, made, repeat, warmup) -> dict:
    from django.urls import reverse

    clients = {
        "manager": _client(world["manager"]),
        "maker": _client(world["maker"]),
        "reviewer": _client(made["review"][0].member.user),
    }
    results = {}
    for key, _label, who, name, by_call in LISTS:
        url = reverse(name, args=[world["call"].slug] if by_call else [])
        client = clients[who]
        results[key] = probe.run(
            key, lambda _, c=client, u=url: _expect(c.get(u), 200), repeat, warmup=warmup
        )
    return results


# -- the table ---------------------------------------------------------------------------------


def _cell(result: dict) -> str:
    cell = f"{result['median']:.1f} ms (p95 {result['p95']:.1f})"
    if result["db"] is not None:
        cell += f" + db {result['db']:.1f}"
    return cell


def table(sizes: list[int], results: dict) -> str:
    head = " | ".join(f"{size:,}" for size in sizes)
    lines = [
        f"| page or action | {head} | queries |",
        "| --- |" + " --- |" * (len(sizes) + 1),
    ]
    for key, label in ROWS:
        cells = " | ".join(_cell(results[size][key]) for size in sizes)
        queries = sorted({results[size][key]["queries"] for size in sizes})
        lines.append(f"| {label} | {cells} | {', '.join(map(str, queries))} |")
    return "\n".join(lines)


def _database_label() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"PostgreSQL {connection.cursor().connection.info.server_version // 10000}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    label = _database_label().split()[0] + ("-lists" if os.environ.get("LISTS") == "only" else "")
    start, end = (
        START.replace("results", f"results-{label}"),
        END.replace("results", f"results-{label}"),
    )
    block = f"{start}\n{text}\n{end}"
    if start in doc:
        doc = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, doc, flags=re.S)
    else:
        doc += f"\n{block}\n"
    DOC.write_text(doc)


def main() -> None:
    import random

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,2000,10000", help="sizes, comma-separated")
    parser.add_argument("--requests", type=int, default=20, help="timed requests (default 20)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--profile",
        choices=[key for key, _label in ROWS],
        help="print cProfile's top 40 for this row at the largest size instead of the table",
    )
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    _setup_django(_database_url())
    _fresh_schema()
    rng = random.Random(2026)
    world = make_world()
    results = {}
    for size in sizes:
        began = time.monotonic()
        grow(world, size, rng)
        print(f"{size:,} applications seeded in {time.monotonic() - began:.0f} s", flush=True)
        if args.profile and size == sizes[-1]:
            return profile(world, args.profile, requests=args.requests, warmup=args.warmup)
        results[size] = measure(world, requests=args.requests, warmup=args.warmup)
        for key, label in ROWS:
            print(
                f"  {label:34} {_cell(results[size][key])}, {results[size][key]['queries']} queries"
            )
    load = os.getloadavg()[0]
    text = (
        f"{table(sizes, results)}\n\n_{_database_label()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {args.requests} requests per figure after {args.warmup} "
        f"untimed; load average {load:.1f} at the end; measured "
        f"{dt.date.today().isoformat()} with `benchmarks/pages.py`._"
    )
    print(text)
    if args.write:
        write_doc(text)


if __name__ == "__main__":
    main()
