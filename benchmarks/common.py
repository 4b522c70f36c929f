"""What the benchmark scripts share: which database a run may wipe, Django set up as in
production, and a call's review seeded as the services would leave it."""

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


def setup_django(url: str, *, urlconf: str | None = None) -> None:
    """Django with production settings (no debug) on ``url``, a throwaway key, over the test
    client's plain HTTP and with unhashed static file names (no collectstatic here); the test
    environment's host and in-memory email. ``urlconf`` adds a script's own views."""
    import secrets

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")
    os.environ.setdefault(
        "DJANGO_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    import django
    from django.conf import settings

    django.setup()
    if urlconf:
        settings.ROOT_URLCONF = urlconf
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)  # DEBUG stays off


def seed_complete_reviews(
    applications, members, criteria, rng, *, per_application: int, offset: int = 0
) -> tuple[list, list]:
    """The review of ``applications`` done, as the services would leave it: every member has
    declared no conflict for every application, each application has ``per_application``
    members round robin (application i gets members k·i … k·i + k − 1, counting from
    ``offset``), each of whom submitted a review scored on every criterion. Each application
    has a "quality"; the reviewers' scores scatter around it. Returns (assignments, reviews)."""
    import datetime as dt

    from reviews.enums import Recommendation, ReviewStatus
    from reviews.models import Assignment, ConflictDeclaration, Review, Score

    call = applications[0].call
    ConflictDeclaration.objects.bulk_create(
        (
            ConflictDeclaration(member=member, application=application, has_conflict=False)
            for member in members
            for application in applications
        ),
        batch_size=5000,
    )
    assignments = Assignment.objects.bulk_create(
        (
            Assignment(
                member=members[(per_application * (offset + i) + k) % len(members)],
                application=application,
                assigned_at=call.closes_at + dt.timedelta(days=1),
            )
            for i, application in enumerate(applications)
            for k in range(per_application)
        ),
        batch_size=5000,
    )
    reviews = Review.objects.bulk_create(
        (
            Review(
                assignment=assignment,
                status=ReviewStatus.SUBMITTED,
                submitted_at=call.closes_at + dt.timedelta(days=10),
                comment_for_applicant="Tydlig och genomförbar plan.",
                recommendation=rng.choice(Recommendation.values),
            )
            for assignment in assignments
        ),
        batch_size=5000,
    )
    quality = {application.pk: rng.uniform(2, 6.5) for application in applications}
    Score.objects.bulk_create(
        (
            Score(
                review=review,
                criterion=criterion,
                value=max(
                    criterion.scale_min,
                    min(
                        criterion.scale_max,
                        round(rng.gauss(quality[review.assignment.application_id], 1.2)),
                    ),
                ),
            )
            for review in reviews
            for criterion in criteria
        ),
        batch_size=5000,
    )
    return assignments, reviews
