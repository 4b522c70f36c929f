"""Remove the stored files of background jobs that finished more than ``--days`` days ago.

A large export's file is kept only for its download from the job's page; the job's row stays,
with its result, and the page then says the file is gone. Run daily; running it twice is safe.
"""

from django.core.management.base import BaseCommand, CommandError

from applications.services.jobs import job_files_prune


class Command(BaseCommand):
    help = "Remove the files of background jobs finished more than --days days ago (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="Keep files this many days.")

    def handle(self, *args, days=7, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        removed = job_files_prune(days=days)
        self.stdout.write(f"Removed {removed} job files older than {days} days.")
