"""A real deployment of Samverket Grants on this machine, for tests and benchmarks.

What it starts, as production runs it (docs/deploy.md):

- a fresh PostgreSQL database (created, migrated, dropped at the end), on the server that
  ``DATABASE_URL`` names (127.0.0.1:5432 when unset);
- a local S3 server (moto's ``ThreadedMotoServer``, in this process, see tests/s3.py) with a
  private bucket: every file goes there, none to a web process's disk;
- ``web_servers`` gunicorn servers (``config/gunicorn.py``, so no control socket), each on a
  free port of 127.0.0.1, with ``web_workers`` workers of ``web_threads`` threads;
- ``task_workers`` task workers (``manage.py db_worker``) on the database queue;
- static files collected into the deployment's own directory, served by WhiteNoise.

Every process gets production settings from the environment (``config.settings``, debug off, a
random secret key), with two exceptions, because this is plain HTTP on loopback and no proxy
terminates TLS: ``DJANGO_SECURE_SSL_REDIRECT=false`` and ``DJANGO_SECURE_COOKIES=false``
(a client could not send a ``Secure`` cookie back over ``http://``). Emails go to files
(``mail/`` in the deployment's directory), one file per connection, so a test can count them.
``HOME`` is the deployment's own directory too, so nothing is written into the real one.

    with Deployment() as deployment:
        requests.get(deployment.urls[0] + "/health/")
        deployment.call("tests.site.test_multiprocess:seed_case")  # Django code, in the deployment

Shutdown is clean: SIGTERM, then a wait (gunicorn finishes its requests, the worker its task);
``stop()`` returns each process's exit code. The logs (one file per process) are deleted when
all went well and kept, under ``test-artifacts/``, when the ``with`` block raised or a process
did not exit cleanly; their place is printed.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
GUNICORN_CONFIG = ROOT / "config" / "gunicorn.py"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
RESULT_MARK = "DEPLOYMENT-RESULT "
# Environment variables of the caller that must not leak into the deployment's processes.
FOREIGN = ("DJANGO_", "AWS_", "GUNICORN_", "COV_CORE_", "PYTEST_")
FOREIGN_NAMES = {
    "DATABASE_URL",
    "DATABASE_CONN_MAX_AGE",
    "EMAIL_URL",
    "TASKS_BACKEND",
    "REDIS_URL",
    "SITE_URL",
    "LOG_LEVEL",
    "LOG_FORMAT",
}


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@dataclass
class Process:
    name: str
    command: list[str]
    popen: subprocess.Popen
    log: Path


@dataclass
class Deployment:
    web_servers: int = 2
    web_workers: int = 2
    web_threads: int = 4
    task_workers: int = 1
    # Added to (or overriding) the production environment below, e.g. {"LOG_LEVEL": "WARNING"}.
    extra_environment: dict = field(default_factory=dict)
    name: str = field(default_factory=lambda: f"samverket_deploy_{secrets.token_hex(4)}")

    directory: Path | None = None
    database_url: str = ""
    urls: list[str] = field(default_factory=list)
    environment: dict = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    s3: object = None
    bucket: str = ""
    keep_logs: bool = False
    kept: Path | None = None
    _database_created: bool = False

    # -- life cycle -------------------------------------------------------------------------

    def __enter__(self) -> "Deployment":
        try:
            self.start()
        except BaseException:
            self.stop(failed=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        codes = self.stop(failed=exc_type is not None)
        if exc_type is None and any(code != 0 for code in codes.values()):
            raise AssertionError(f"a process did not stop cleanly: {codes}; logs in {self.kept}")

    def start(self) -> None:
        from tests.s3 import start_local_s3

        self.directory = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        for sub in ("mail", "static", "home", "media"):
            (self.directory / sub).mkdir()
        self._create_database()
        self.s3 = start_local_s3()
        self.bucket = f"samverket-{secrets.token_hex(6)}"
        self.s3.create_bucket(self.bucket)
        ports = [free_port() for _ in range(self.web_servers)]
        self.urls = [f"http://127.0.0.1:{port}" for port in ports]
        self.environment = self._production_environment()
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        for index, port in enumerate(ports):
            self._start_web_server(index, port)
        for index in range(self.task_workers):
            self._start(
                f"worker-{index}",
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--queue-name",
                    "default",
                    "--interval",
                    "0.2",
                    "--no-reload",
                    "--no-startup-delay",
                ],
            )
        for url in self.urls:
            self._wait_until_serving(url)

    def stop(self, *, failed: bool = False) -> dict[str, int | None]:
        """Stop every process (SIGTERM, then SIGKILL after a grace period), the S3 server,
        and drop the database. Returns the exit codes; keeps the logs if anything failed."""
        codes: dict[str, int | None] = {}
        for process in self.processes:
            if process.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes:
            try:
                codes[process.name] = process.popen.wait(
                    timeout=max(0.1, deadline - time.monotonic())
                )
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(timeout=10)
                codes[process.name] = None
        if self.s3 is not None:
            self.s3.server.stop()
            self.s3 = None
        self._drop_database()
        unclean = any(code != 0 for code in codes.values())
        if self.directory is not None and self.directory.exists():
            if failed or unclean or self.keep_logs:
                self._keep_logs()
            else:
                shutil.rmtree(self.directory, ignore_errors=True)
        self.processes = []
        return codes

    def _keep_logs(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / self.directory.name
        shutil.rmtree(self.directory / "static", ignore_errors=True)
        shutil.move(str(self.directory), target)
        self.kept = target
        print(f"deployment logs kept in {target}", file=sys.stderr)

    # -- the database -----------------------------------------------------------------------

    def _server_url(self) -> str:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            url = DEFAULT_SERVER
        return url

    def _admin(self):
        import psycopg

        parts = urlsplit(_with_database(self._server_url(), "postgres"))
        return psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or None,
            dbname="postgres",
            autocommit=True,
        )

    def _create_database(self) -> None:
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        self._database_created = True
        self.database_url = _with_database(self._server_url(), self.name)

    def _drop_database(self) -> None:
        if not self._database_created:
            return
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._database_created = False

    # -- processes --------------------------------------------------------------------------

    def _production_environment(self) -> dict:
        from tests.clamav import SOCKET as CLAMD_SOCKET
        from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY

        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(FOREIGN) and key not in FOREIGN_NAMES
        }
        environment.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_DEBUG": "false",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                # Plain HTTP on loopback: no redirect to https, cookies without Secure.
                "DJANGO_SECURE_SSL_REDIRECT": "false",
                "DJANGO_SECURE_COOKIES": "false",
                "DJANGO_STATIC_ROOT": str(self.directory / "static"),
                # Files go to the bucket; this must stay empty (tests/site/test_multiprocess.py).
                "DJANGO_MEDIA_ROOT": str(self.directory / "media"),
                "DATABASE_URL": self.database_url,
                "DATABASE_CONN_MAX_AGE": "60",
                "AWS_STORAGE_BUCKET_NAME": self.bucket,
                "AWS_S3_ENDPOINT_URL": self.s3.endpoint_url,
                "AWS_S3_REGION_NAME": REGION,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
                # Attachments are scanned by the test clamd (.ci/ensure-services.sh), as
                # production scans them: the reviewer gets the file only once it is clean.
                "CLAMD_SOCKET": CLAMD_SOCKET,
                # Four slashes: django-environ drops the first one of the path.
                "EMAIL_URL": f"filemail:///{self.directory / 'mail'}",
                "SITE_URL": self.urls[0],
                "HOME": str(self.directory / "home"),
                "GUNICORN_WORKERS": str(self.web_workers),
                "GUNICORN_THREADS": str(self.web_threads),
                "GUNICORN_GRACEFUL_TIMEOUT": "10",
                "PYTHONUNBUFFERED": "1",
            }
        )
        environment.update(self.extra_environment)
        return environment

    def _start(self, name: str, command: list[str], environment: dict | None = None) -> Process:
        log = self.directory / f"{name}.log"
        with log.open("wb") as handle:
            popen = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env=environment or self.environment,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: gunicorn's workers stop with it
            )
        process = Process(name=name, command=command, popen=popen, log=log)
        self.processes.append(process)
        return process

    def _start_web_server(self, index: int, port: int) -> None:
        command = [sys.executable, "-m", "gunicorn"]
        if GUNICORN_CONFIG.exists():
            command += ["-c", str(GUNICORN_CONFIG)]
        command += [
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(self.web_workers),
            "--threads",
            str(self.web_threads),
            "--no-control-socket",
            "config.wsgi:application",
        ]
        self._start(f"web-{index}", command)

    def _wait_until_serving(self, url: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            dead = [p.name for p in self.processes if p.popen.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited at start; logs in {self.directory}")
            try:
                response = requests.get(f"{url}/health/", timeout=30)
                if response.status_code == 404:
                    response = requests.get(f"{url}/", timeout=30)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:300]}"
            except requests.RequestException as error:
                last = str(error)
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer 200 within {timeout} s: {last}")

    # -- running Django code in the deployment --------------------------------------------

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """``manage.py <args>`` with the deployment's environment; fails loudly."""
        finished = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if finished.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed ({finished.returncode}):\n"
                f"{finished.stdout}\n{finished.stderr}"
            )
        return finished

    def call(self, target: str, /, **kwargs):
        """Run ``module:function(**kwargs)`` inside the deployment (its settings, database and
        storage) in a new process, and return what it returned (JSON)."""
        finished = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "tests.deployment", target, json.dumps(kwargs)],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        lines = [line for line in finished.stdout.splitlines() if line.startswith(RESULT_MARK)]
        if finished.returncode != 0 or not lines:
            raise RuntimeError(
                f"{target} failed ({finished.returncode}):\n{finished.stdout}\n{finished.stderr}"
            )
        return json.loads(lines[-1].removeprefix(RESULT_MARK))

    # -- what the processes left ------------------------------------------------------------

    def sent_mail(self) -> list:
        """Every email the deployment sent, parsed (``email.message.EmailMessage``)."""
        import email
        import email.policy

        messages = []
        paths = sorted((self.directory / "mail").glob("*.log"), key=lambda p: p.stat().st_mtime_ns)
        for path in paths:
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return messages

    def local_files(self) -> list[str]:
        """What the processes wrote to their local media directory (nothing, with S3) and
        gunicorn's control socket directory in their home (none, with config/gunicorn.py)."""
        media = [str(p) for p in (self.directory / "media").rglob("*")]
        return media + [str(p) for p in (self.directory / "home").glob(".gunicorn*")]

    def log_text(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")


# -- a person in a browser ------------------------------------------------------------------

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TWO_FACTOR_PATH = "/account/two-factor/"


class Browser:
    """One person's browser: a ``requests`` session with its cookies (session, CSRF, language),
    talking to any of the deployment's servers. Sessions live in the database, so a session
    made on one server works on the others (cookies are per host, not per port)."""

    def __init__(self, server: str, *, language: str = "en", timeout: float = 60):
        self.server = server
        self.timeout = timeout
        self.session = requests.Session()
        self.session.cookies.set("samverket_language", language)

    def url(self, path: str, server: str | None = None) -> str:
        return (server or self.server) + path

    def get(self, path: str, *, server: str | None = None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self.session.get(self.url(path, server), **kwargs)

    def post(
        self,
        path: str,
        data: dict,
        *,
        server: str | None = None,
        token: str | None = None,
        files: dict | None = None,
    ) -> requests.Response:
        """POST a form without following the redirect. The CSRF token is the one given (read
        from the page's form), else the csrftoken cookie's, as Django's JavaScript does."""
        data = {**data, "csrfmiddlewaretoken": token or self.session.cookies["csrftoken"]}
        return self.session.post(
            self.url(path, server),
            data=data,
            files=files,
            allow_redirects=False,
            timeout=self.timeout,
        )

    def submit_form(
        self,
        page: str,
        action: str,
        data: dict,
        *,
        server: str | None = None,
        files: dict | None = None,
    ) -> requests.Response:
        """Open ``page``, then post its form to ``action`` with the page's CSRF token."""
        response = self.get(page, server=server)
        response.raise_for_status()
        return self.post(action, data, server=server, token=csrf_token(response.text), files=files)

    def login(
        self,
        email: str,
        password: str,
        *,
        totp_key: str | None = None,
        server: str | None = None,
    ) -> requests.Response:
        """Log in through the login page; when the site asks for the second factor, answer
        with the current TOTP code of the person's authenticator (``totp_key``, hex)."""
        response = self.submit_form(
            "/account/login/",
            "/account/login/",
            {"username": email, "password": password},
            server=server,
        )
        if response.status_code != 302:
            raise AssertionError(f"login of {email} answered {response.status_code}")
        # Follow the redirects after the login (the start page sends each person to their own
        # work) until a page answers or the site asks for the second factor.
        hop = response
        for _ in range(5):
            location = urlsplit(hop.headers["Location"])
            if location.path.startswith(TWO_FACTOR_PATH):
                if totp_key is None:
                    raise AssertionError(f"{email} was asked for a second factor and has none")
                return self._verify(hop.headers["Location"], totp_key, server=server)
            path = location.path + (f"?{location.query}" if location.query else "")
            hop = self.get(path, server=server, allow_redirects=False)
            if hop.status_code != 302:
                break
        return response

    def _verify(self, location: str, totp_key: str, *, server: str | None) -> requests.Response:
        from django_otp.oath import TOTP

        parts = urlsplit(location)
        page = self.get(f"{parts.path}?{parts.query}", server=server)
        page.raise_for_status()
        next_url = parse_qs(parts.query).get("next", ["/start/"])[0]
        for _attempt in range(2):
            code = TOTP(bytes.fromhex(totp_key)).token()
            response = self.post(
                TWO_FACTOR_PATH,
                {"otp_token": f"{code:06d}", "next": next_url},
                server=server,
                token=csrf_token(page.text),
            )
            if response.status_code == 302 and not urlsplit(
                response.headers["Location"]
            ).path.startswith(TWO_FACTOR_PATH):
                return response
            # A code is good once: if this step's code was used, wait for the next one.
            time.sleep(30 - time.time() % 30 + 0.5)
        raise AssertionError(
            f"the second factor was refused: {response.status_code} "
            f"{response.headers.get('Location')} {response.text[:3000]}"
        )


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    if match is None:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


def _main(target: str, arguments: str) -> None:
    """``python -m tests.deployment module:function '{"json": "kwargs"}'``."""
    import importlib

    import django

    django.setup()
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(**json.loads(arguments))
    print(RESULT_MARK + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _main(*sys.argv[1:])
