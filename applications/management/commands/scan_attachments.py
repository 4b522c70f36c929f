"""The daily malware scan of attachments still pending: uploaded while clamd was down (the
upload's own task gave up), or from before scanning existed.

Exits non-zero when scanning is on and something is still pending (clamd unreachable, or a
file that could not be read), so the scheduler that runs it reports the outage. Running it
twice, or on two machines at once, is safe: a verdict is recorded only on a row that is still
pending, under its lock.
"""

from django.conf import settings
from django.core.management.base import CommandError

from applications.daily_tasks import scan_attachments
from applications.management.daily import DailyCommand
from applications.scanning import scanner_address
from applications.services.scanning import attachments_scan_pending


class Command(DailyCommand):
    help = "Scan every attachment still pending with ClamAV's daemon (run daily)."

    task = scan_attachments

    def run(self, **options):
        if not settings.CLAMAV_ENABLED:
            counts = attachments_scan_pending()
            self.stdout.write(
                f"Scanning is off (CLAMAV_ENABLED); {counts['pending']} attachments pending."
            )
            return
        counts = attachments_scan_pending()
        self.stdout.write(
            f"Scanned: {counts['clean']} clean, {counts['refused']} refused; "
            f"{counts['pending']} still pending."
        )
        if counts["pending"]:
            raise CommandError(
                f"{counts['pending']} attachments are still pending: clamd at "
                f"{scanner_address()} did not answer, or a file could not be read (see the log)."
            )
