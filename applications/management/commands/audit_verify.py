"""Check the audit log's hash chain: ``python manage.py audit_verify``.

Exit status 0 with ``OK: n entries, last hash …`` when every link holds; 1 with the first
broken link otherwise. Streams the entries in order (``--chunk-size`` at a time), so a log of
millions of entries is checked in constant memory.
"""

from django.core.management.base import BaseCommand, CommandError

from applications.audit import audit_verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=2000,
            help="Entries read from the database at a time (default 2000).",
        )

    def handle(self, *args, chunk_size: int, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        report = audit_verify_chain(chunk_size=chunk_size)
        if not report.ok:
            raise CommandError(
                f"BROKEN at entry {report.broken_at}: {report.broken}. "
                f"{report.count} entries before it are intact.",
                returncode=1,
            )
        self.stdout.write(f"OK: {report.count} entries, last hash {report.last_hash}")
