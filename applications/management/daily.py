"""The base of the daily jobs' commands: the work here and now, or ``--enqueue`` to queue the
day's run for the task worker (once a day: ``applications/daily_tasks.py``)."""

from django.core.management.base import BaseCommand
from django.utils import timezone


class DailyCommand(BaseCommand):
    """A daily job's command. ``task`` is its daily task; ``run`` does the work in this
    process and writes what it did."""

    task = None

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue today's run for the task worker instead of running it here (once a day).",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            self.task.enqueue(day=timezone.localdate().isoformat())
            self.stdout.write("Queued today's run for the task worker.")
            return
        self.run(**options)

    def run(self, **options) -> None:
        raise NotImplementedError
