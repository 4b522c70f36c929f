"""The daily follow-up job: reminders about reports due soon or overdue, and about deadlines
drawing near (a returned application's completion deadline, the last day to accept a grant).

Run once a day (cron or a systemd timer). Running it twice, even at the same moment on two
machines, sends each reminder once: the reminder's row is written before its email is queued,
and a unique constraint lets only one run write it.
"""

from applications.daily_tasks import send_follow_up_reminders
from applications.management.daily import DailyCommand
from applications.services.deadline_reminders import deadline_reminders_send
from applications.services.follow_up import follow_up_reminders_send


class Command(DailyCommand):
    help = (
        "Queue reminder emails for reports due soon or overdue and for completion and "
        "acceptance deadlines drawing near (run daily)."
    )

    task = send_follow_up_reminders

    def run(self, **options):
        queued = follow_up_reminders_send()
        self.stdout.write(f"Queued {queued} report reminders.")
        queued = deadline_reminders_send()
        self.stdout.write(f"Queued {queued} deadline reminders.")
