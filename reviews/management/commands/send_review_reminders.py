"""The daily review job: reminders to reviewers about reviews due soon or overdue.

Run once a day beside ``send_follow_up_reminders``. Running it twice, even at the same moment on
two machines, sends each reminder once (a unique row is written before the email is queued).
"""

from django.core.management.base import BaseCommand

from reviews.services.reminders import review_reminders_send


class Command(BaseCommand):
    help = "Queue reminder emails for reviews due soon or overdue (run daily)."

    def handle(self, *args, **options):
        queued = review_reminders_send()
        self.stdout.write(f"Queued {queued} review reminders.")
