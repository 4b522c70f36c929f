"""The lock files, read as pip reads them: a name, `==` a version, an optional marker, hashes.

    lockfile.py subtract FULL BASE   print FULL without the packages BASE already pins
    lockfile.py check LOCK [LOCK...] the running Python's installed set equals the locks

`check` is how `make test` proves that what is in the venv is exactly the lock: every pin whose
marker applies here is installed at that version, and nothing else is installed but the
installer's own tools (pip, setuptools) that the venv brought. It fails, naming each
difference, the day an install resolves something the lock does not say.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker

# A requirement line starts at the left margin; its hashes and "# via" comments are indented.
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(?P<version>[^\s;\\]+)")
# What `python -m venv` puts in every venv before anything is installed.
VENV_TOOLS = {"pip", "setuptools"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def blocks(text: str) -> list[list[str]]:
    """The lock's requirement entries, each with its continuation and comment lines."""
    entries: list[list[str]] = []
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            entries.append([line])
        elif entries:
            entries[-1].append(line)
    return entries


def pins(path: str) -> list[tuple[str, str, str]]:
    """(canonical name, version, marker) of each entry."""
    found = []
    for entry in blocks(Path(path).read_text()):
        head = entry[0]
        match = PIN.match(head)
        if not match:
            raise SystemExit(f"{path}: not a pinned requirement: {head}")
        marker = head.split(";", 1)[1].rstrip(" \\").strip() if ";" in head else ""
        found.append((canonical(match["name"]), match["version"], marker))
    return found


def subtract(full: str, base: str) -> None:
    in_base = {name for name, _, _ in pins(base)}
    kept = [
        entry
        for entry in blocks(Path(full).read_text())
        if canonical(PIN.match(entry[0])["name"]) not in in_base
    ]
    print("# What development and tests add on top of requirements.lock. Made by `make lock`")
    print("# (.ci/relock.sh); install both with pip's --no-deps --require-hashes.")
    for entry in kept:
        print("\n".join(entry))


def check(locks: list[str]) -> int:
    wanted: dict[str, str] = {}
    for path in locks:
        for name, version, marker in pins(path):
            if marker and not Marker(marker).evaluate():
                continue
            wanted[name] = version
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    problems = []
    for name, version in sorted(wanted.items()):
        if name not in installed:
            problems.append(f"missing: {name}=={version}")
        elif installed[name] != version:
            problems.append(f"wrong version: {name} {installed[name]} (the lock says {version})")
    for name in sorted(set(installed) - set(wanted) - VENV_TOOLS):
        problems.append(f"not in the lock: {name}=={installed[name]}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"The venv is not the lock ({len(problems)} differences). An install only adds: a"
            " venv made before a lock dropped a package keeps it (rm -rf .venv; make install).",
            file=sys.stderr,
        )
        return 1
    print(f"The venv is exactly the lock: {len(wanted)} packages ({', '.join(locks)}).")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "subtract":
        subtract(argv[1], argv[2])
        return 0
    if len(argv) >= 2 and argv[0] == "check":
        return check(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
