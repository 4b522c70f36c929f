"""Test settings: the same as production's defaults, with tasks run inline and fast hashing.

The database comes from DATABASE_URL as always, so the suite runs on SQLite by default and on
PostgreSQL when CI sets it.
"""

import os
import tempfile
from pathlib import Path

# Debug is off in tests, as in production, so the settings want a real-looking key.
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-key-" + "0123456789abcdef" * 4)

from .settings import *  # noqa: E402, F403

TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
_TMP = Path(tempfile.mkdtemp(prefix="samverket-test-"))
MEDIA_ROOT = _TMP / "media"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared in-memory database: the browser tests' live server answers
    # requests in threads, and an in-memory database locks whole tables ("database table is
    # locked") where a file in WAL mode with a busy timeout waits, as it does in production.
    DATABASES["default"]["TEST"] = {"NAME": str(_TMP / "test.sqlite3")}  # noqa: F405
STORAGES["default"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": MEDIA_ROOT},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The test client speaks plain HTTP and no test runs collectstatic.
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Tests step the clock past deadlines by hours; the idle timeout has its own tests.
SESSION_COOKIE_AGE = 8 * 60 * 60
DEBUG = False
# Malware scanning off by default (attachments recorded as not scanned, as in the demo); the
# scanning tests turn it on against the clamd of .ci/ensure-services.sh.
CLAMAV_ENABLED = False
SITE_URL = "http://testserver"
