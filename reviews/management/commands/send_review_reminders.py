"""The daily review job: reminders to reviewers about reviews due soon or overdue.

Run once a day beside ``send_follow_up_reminders``. Running it twice, even at the same moment on
two machines, sends each reminder once (a unique row is written before the email is queued).
"""

from applications.management.daily import DailyCommand
from reviews.daily_tasks import send_review_reminders
from reviews.services.reminders import review_reminders_send


class Command(DailyCommand):
    help = "Queue reminder emails for reviews due soon or overdue (run daily)."

    task = send_review_reminders

    def run(self, **options):
        queued = review_reminders_send()
        self.stdout.write(f"Queued {queued} review reminders.")
