"""The daily review job: reminders to reviewers about reviews due soon or overdue.

Run once a day beside ``send_follow_up_reminders``. Running it twice, even at the same moment on
two machines, sends each reminder once (a unique row is written before the email is queued).
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from reviews.daily_tasks import send_review_reminders
from reviews.services.reminders import review_reminders_send


class Command(BaseCommand):
    help = "Queue reminder emails for reviews due soon or overdue (run daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue today's run for the task worker instead of running it here (once a day).",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            send_review_reminders.enqueue(day=timezone.localdate().isoformat())
            self.stdout.write("Queued today's run for the task worker.")
            return
        queued = review_reminders_send()
        self.stdout.write(f"Queued {queued} review reminders.")
