"""What the benchmark scripts share: which database a run may wipe and seed."""

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def bench_database_url(default_file: str) -> str:
    """The run's database, emptied: ``DATABASE_URL`` when it names a SQLite file other than the
    developer's ``db.sqlite3`` or a database whose name contains "bench" (its schema is dropped
    by the script), else ``default_file`` in the temporary directory.

    ``sqlite:////tmp/x.sqlite3`` is the absolute path ``/tmp/x.sqlite3`` and
    ``sqlite:///x.sqlite3`` a path relative to the working directory, as django-environ reads
    them."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        path = Path(tempfile.gettempdir()) / default_file
        _remove_sqlite(path)
        return f"sqlite:///{path}"
    if url.startswith("sqlite"):
        path = Path(urlsplit(url).path[1:])
        if path.resolve() == (ROOT / "db.sqlite3").resolve():
            sys.exit("Refusing to seed the developer's db.sqlite3; give another file.")
        _remove_sqlite(path)
        return url
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to wipe database {name!r}: its name must contain 'bench'.")
    return url
