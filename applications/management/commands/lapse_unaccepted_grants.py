"""The daily job that closes approved grants not accepted by their last day to accept.

Safe to run twice or at the same moment on two machines: each application is locked and
checked again before it lapses.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from applications.daily_tasks import lapse_unaccepted_grants
from applications.services.follow_up import grants_lapse_expired


class Command(BaseCommand):
    help = "Lapse approved grants whose last day to accept has passed (run daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue today's run for the task worker instead of running it here (once a day).",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            lapse_unaccepted_grants.enqueue(day=timezone.localdate().isoformat())
            self.stdout.write("Queued today's run for the task worker.")
            return
        lapsed = grants_lapse_expired()
        self.stdout.write(f"Lapsed {lapsed} grants not accepted in time.")
