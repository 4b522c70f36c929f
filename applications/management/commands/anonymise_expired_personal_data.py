"""The daily retention job: anonymise people and cases whose call's retention has run out.

``--dry-run`` prints what would be done and changes nothing. The output names cases by
registration number and people by id only, so the job's log holds no personal data. Running it
twice, or on two machines at once, is safe: the second run finds nothing left to do (what the
first changed no longer matches, and the rows are locked while they change).
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from applications.daily_tasks import anonymise_expired_personal_data
from applications.models import Application
from applications.selectors.retention import personal_data_expired
from applications.services.personal_data import personal_data_anonymise_expired


class Command(BaseCommand):
    help = "Anonymise the personal data of people tied only to long-ended cases (run daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be done; change nothing."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue today's run for the task worker instead of running it here (once a day).",
        )
        parser.add_argument(
            "--today",
            help="The day to judge retention by, YYYY-MM-DD (default: today in Stockholm).",
        )

    def handle(self, *args, dry_run=False, today=None, enqueue=False, **options):
        try:
            day = dt.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today must be a date as YYYY-MM-DD, not {today!r}.") from None
        if enqueue and not dry_run:
            anonymise_expired_personal_data.enqueue(day=day.isoformat())
            self.stdout.write(f"Queued the run of {day.isoformat()} for the task worker.")
            return
        if dry_run:
            plan = personal_data_expired(today=day)
        else:
            plan = personal_data_anonymise_expired(today=day)
        numbers = {}
        for start in range(0, len(plan.case_ids), 500):
            chunk = plan.case_ids[start : start + 500]
            numbers.update(
                Application.objects.filter(pk__in=chunk).values_list("pk", "registration_number")
            )
        cases = ", ".join(numbers.get(pk) or f"#{pk}" for pk in plan.case_ids) or "none"
        people = ", ".join(str(pk) for pk in plan.user_ids) or "none"
        verb = "Would anonymise" if dry_run else "Anonymised"
        self.stdout.write(f"{verb} {len(plan.user_ids)} people (user ids: {people}).")
        verb = "Would redact" if dry_run else "Redacted"
        self.stdout.write(
            f"{verb} the contact details of {len(plan.case_ids)} cases ended longer ago "
            f"than their call's retention ({cases})."
        )
