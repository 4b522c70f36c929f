"""The two lock files and `.ci/lockfile.py`, which `make check-lock` runs on every `make test`."""

import importlib.util
import re
import subprocess
import sys

import django

from tests.paths import ROOT_DIR

ROOT = ROOT_DIR
LOCKS = [ROOT / "requirements.lock", ROOT / "requirements-dev.lock"]
spec = importlib.util.spec_from_file_location("lockfile", ROOT / ".ci" / "lockfile.py")
lockfile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lockfile)


def _check(*locks) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "lockfile.py"), "check", *map(str, locks)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_running_venv_is_exactly_the_two_locks():
    result = _check(*LOCKS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("The venv is exactly the lock:")


def test_a_version_the_lock_does_not_say_is_named_and_fails(tmp_path):
    production = LOCKS[0].read_text()
    wrong = production.replace(f"django=={django.__version__} ", "django==5.2.0 ", 1)
    assert wrong != production
    (tmp_path / "production.lock").write_text(wrong)
    result = _check(tmp_path / "production.lock", LOCKS[1])
    assert result.returncode == 1
    assert f"wrong version: django {django.__version__} (the lock says 5.2.0)" in result.stderr


def test_a_package_installed_but_not_locked_is_named_and_fails():
    # Without the dev lock, pytest and everything else the tests run on are "not in the lock".
    result = _check(LOCKS[0])
    assert result.returncode == 1
    assert "not in the lock: pytest==" in result.stderr


def test_the_locks_do_not_overlap_and_every_pin_has_a_hash():
    production = {name for name, _, _ in lockfile.pins(str(LOCKS[0]))}
    development = {name for name, _, _ in lockfile.pins(str(LOCKS[1]))}
    assert production and development
    assert production.isdisjoint(development)
    assert {"django", "gunicorn", "psycopg", "weasyprint", "boto3", "rq"} <= production
    assert {"pytest", "moto", "playwright", "hypothesis", "ruff", "uv"} <= development
    for lock in LOCKS:
        for entry in lockfile.blocks(lock.read_text()):
            assert any("--hash=sha256:" in line for line in entry), entry[0]


def test_production_lock_holds_no_test_tool():
    production = {name for name, _, _ in lockfile.pins(str(LOCKS[0]))}
    assert not production & {"pytest", "pytest-django", "moto", "playwright", "factory-boy"}


def test_no_package_registry_host_is_named_in_the_repository():
    # Built from parts, so this file does not name what it looks for.
    hosts = re.compile(
        r"\b(pypi|pythonhosted|npmjs|yarnpkg|deb\.debian|security\.debian)\.(org|com)\b"
    )
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    named = []
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if not path.is_file() or path.suffix in {".png", ".pdf", ".mo", ".ico", ".woff2"}:
            continue
        for number, line in enumerate(path.read_text(errors="ignore").splitlines(), 1):
            if hosts.search(line):
                named.append(f"{name.decode()}:{number}")
    assert named == []
