"""Benchmark: the request floor, what a trivial view costs behind the whole middleware stack
(request id, security, private cache, CSP, whitenoise, sessions, CSRF, authentication,
session limits, django-otp, language, two-factor, messages, lock-out).

The view returns "ok" and reads nothing, so everything measured is the stack's. Three
visitors: anonymous, an applicant logged in with a password (no second factor needed), and a
programme manager who passed the second factor. For each: CPU time (``time.process_time``,
median and 95th percentile over ``--requests`` requests after a warm-up) and the queries.

    .venv/bin/python benchmarks/request_floor.py                  # SQLite in a temporary file
    .venv/bin/python benchmarks/request_floor.py --profile applicant   # cProfile, top 30

Figures belong on a quiet machine; on a loaded one only the query counts mean anything.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import setup_django  # noqa: E402  (the path above first)

URL = "/floor/"


def trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def _urlpatterns():
    from django.urls import include, path

    return [path("floor/", trivial, name="floor"), path("", include("config.urls"))]


def __getattr__(name):
    # This module is the benchmark's URLconf (ROOT_URLCONF): the site's URLs plus /floor/.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def _setup_django() -> Path:
    path = Path(tempfile.gettempdir()) / f"samverket-floor-{os.getpid()}.sqlite3"
    setup_django(f"sqlite:///{path}", urlconf="benchmarks.request_floor")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return path


def _clients() -> dict:
    from django.contrib.auth.models import Group
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from applications.models import User
    from applications.rules import PROGRAMME_MANAGERS

    applicant = User.objects.create_user(email="applicant@example.se", full_name="Applicant")
    manager = User.objects.create_user(email="manager@example.se", full_name="Manager")
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
    device = TOTPDevice.objects.create(user=manager, name="bench", confirmed=True)
    clients = {"anonymous": Client()}
    clients["applicant"] = Client()
    clients["applicant"].force_login(applicant)
    clients["staff"] = Client()
    clients["staff"].force_login(manager)
    session = clients["staff"].session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return clients


def _get(client):
    response = client.get(URL)
    assert response.status_code == 200, response.status_code


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(client, *, requests: int, warmup: int) -> dict:
    from django.db import connection

    for _ in range(warmup):
        _get(client)
    samples = []
    for _ in range(requests):
        started = time.process_time()
        _get(client)
        samples.append((time.process_time() - started) * 1000)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        _get(client)
    return {
        "median": statistics.median(samples),
        "p95": _percentile(samples, 0.95),
        "queries": len(queries),
    }


def profile(client, *, requests: int) -> None:
    import cProfile
    import pstats

    for _ in range(10):
        _get(client)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        _get(client)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--profile", choices=["anonymous", "applicant", "staff"])
    args = parser.parse_args()

    import logging

    path = _setup_django()
    # The request log line is part of the floor, but not its output on the console.
    logging.getLogger("samverket.request").handlers = [logging.NullHandler()]
    logging.getLogger("samverket.request").propagate = False
    try:
        clients = _clients()
        if args.profile:
            profile(clients[args.profile], requests=args.requests)
            return
        print(f"Trivial view behind the whole middleware stack, {args.requests} requests each")
        for name, client in clients.items():
            r = measure(client, requests=args.requests, warmup=args.warmup)
            print(
                f"  {name:10} CPU median {r['median']:5.2f} ms   p95 {r['p95']:5.2f} ms   "
                f"{r['queries']} queries"
            )
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
