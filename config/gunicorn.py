"""gunicorn settings, from the environment: ``gunicorn -c config/gunicorn.py config.wsgi``.

| variable | default | what it does |
| --- | --- | --- |
| GUNICORN_BIND | 127.0.0.1:8000 | address to listen on (behind the proxy) |
| GUNICORN_WORKERS | 2 × CPUs + 1 | worker processes |
| GUNICORN_THREADS | 1 | threads per worker (more than 1 uses the gthread worker) |
| GUNICORN_TIMEOUT | 30 | seconds a request may take before its worker is restarted |
| GUNICORN_GRACEFUL_TIMEOUT | 30 | seconds to finish requests on a restart or stop |
| GUNICORN_KEEPALIVE | 5 | seconds to keep an idle connection from the proxy |
| GUNICORN_MAX_REQUESTS | 0 (never) | restart a worker after this many requests (with jitter) |
| GUNICORN_ACCESS_LOG | off | `-` for stdout: gunicorn's access log, with the request id |
| LOG_FORMAT, LOG_LEVEL | as in settings | `json` (default unless DJANGO_DEBUG) or `text` |

The site logs one line per request itself (``config.middleware.RequestIdMiddleware``), so
gunicorn's access log is off unless asked for.
"""

import multiprocessing
import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _flag(name: str, default: bool) -> bool:
    return _env(name, "true" if default else "false").lower() in {"1", "true", "yes", "on"}


bind = _env("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(_env("GUNICORN_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(_env("GUNICORN_THREADS", "1"))
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10

# gunicorn 25+ opens a control socket at ~/.gunicorn/gunicorn.ctl by default: a service account's
# home may be read-only or shared, and nothing here uses `gunicornc`.
control_socket_disable = True
# The workers' heartbeat files: in memory, not on a disk that may stall or be read-only.
# gunicorn creates and unlinks its own files there (mkstemp), so a shared directory is safe.
_SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = _env("GUNICORN_WORKER_TMP_DIR", _SHM if os.path.isdir(_SHM) else "") or None
# Only the proxy talks to gunicorn; trust its X-Forwarded-* headers (Django reads
# X-Forwarded-Proto through SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = _env("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs: errors to stderr; the access log (when on) to stdout, naming the request's id (the
# X-Request-ID response header set by the site) and the time taken in milliseconds.
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# The path without its query string, which may hold what a person searched for.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'

_debug = _flag("DJANGO_DEBUG", False)
if _env("LOG_FORMAT", "text" if _debug else "json") == "json":
    # gunicorn's own lines as JSON too, like the site's (see config/log.py).
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": ["levelname", "name", "message"],
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["stderr"],
                "propagate": False,
            },
            # With a logging config gunicorn always hands its access lines over; keep them
            # only when asked for.
            "gunicorn.access": {
                "level": "INFO" if accesslog else "WARNING",
                "handlers": ["stdout"],
                "propagate": False,
            },
        },
    }
