"""``/health/``: is this web process able to serve? For load balancers and monitoring.

Checks the database (a query), the file storage (writes, reads back and deletes a tiny object
under ``health/``) and the task queue (database queue: its table answers, and how long the
oldest waiting task has waited; RQ: Redis answers a ping). Answers 200 with
``{"status": "ok", "checks": {...}}`` when all pass, 503 with ``"status": "fail"`` otherwise.

No login, never cached, and nothing personal: a failing check names only the exception's class
(the full error goes to the log, with the request id).
"""

import logging
import time
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Case, Count, F, Min, When
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

logger = logging.getLogger(__name__)

HEALTH_PREFIX = "health/"
PROBE = b"ok"


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def check_storage() -> dict:
    name = default_storage.save(f"{HEALTH_PREFIX}{uuid.uuid4().hex}.txt", ContentFile(PROBE))
    try:
        with default_storage.open(name, "rb") as stored:
            if stored.read() != PROBE:
                raise OSError("the storage returned other bytes than were written")
    finally:
        default_storage.delete(name)
    return {}


def check_tasks() -> dict:
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    path = f"{type(backend).__module__}.{type(backend).__name__}"
    if path.startswith("django_tasks_db."):
        # Only the configured backend's package is loaded.
        from django_tasks_db.models import DBTaskResult, get_date_max  # noqa: PLC0415

        # A task waits from when it may run: its enqueueing, or the time it was deferred to.
        stats = (
            DBTaskResult.objects.ready()
            .filter(backend_name=backend.alias)
            .aggregate(
                waiting=Count("id"),
                since=Min(
                    Case(
                        When(run_after=get_date_max(), then=F("enqueued_at")),
                        default=F("run_after"),
                    )
                ),
            )
        )
        since = stats["since"]
        return {
            "backend": "database",
            "waiting": stats["waiting"],
            "oldest_waiting_seconds": (
                max(0, int((timezone.now() - since).total_seconds())) if since else 0
            ),
        }
    if path.startswith("django_tasks_rq."):
        import django_rq  # noqa: PLC0415 -- only the configured backend's package is loaded

        for queue_name in sorted(backend.queues):
            django_rq.get_connection(queue_name).ping()
        return {"backend": "rq"}
    # Tasks run inside the request (the immediate backend, in tests): nothing to reach.
    return {"backend": type(backend).__name__}


CHECKS = {"database": check_database, "storage": check_storage, "tasks": check_tasks}


@never_cache
@require_safe
def health(request):
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            result = {"status": "ok", **check()}
        except Exception as error:  # any failure is a failed check, never a 500
            logger.exception("health check %s failed", name)
            result = {"status": "fail", "error": type(error).__name__}
        result["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    ok = all(result["status"] == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if ok else "fail", "checks": results}, status=200 if ok else 503
    )
