"""The daily job that closes approved grants not accepted by their last day to accept.

Safe to run twice or at the same moment on two machines: each application is locked and
checked again before it lapses.
"""

from applications.daily_tasks import lapse_unaccepted_grants
from applications.management.daily import DailyCommand
from applications.services.follow_up import grants_lapse_expired


class Command(DailyCommand):
    help = "Lapse approved grants whose last day to accept has passed (run daily)."

    task = lapse_unaccepted_grants

    def run(self, **options):
        lapsed = grants_lapse_expired()
        self.stdout.write(f"Lapsed {lapsed} grants not accepted in time.")
