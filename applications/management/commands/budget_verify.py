"""Check every call's kept committed amount against the sum over its decisions:
``python manage.py budget_verify``.

The confirmation reads the kept figure (``CallCommitment``) instead of summing every decision
of the call; this proves the two agree. Exit status 0 with ``OK: n calls`` when they do; 1
naming every call whose figures differ otherwise.
"""

from django.core.management.base import BaseCommand, CommandError

from applications.selectors.decisions import commitments_mismatched
from grants.models import Call


class Command(BaseCommand):
    help = "Verify that each call's kept committed amount equals the sum over its decisions."

    def handle(self, *args, **options):
        mismatched = commitments_mismatched()
        if mismatched:
            raise CommandError(
                "MISMATCH: "
                + "; ".join(
                    f"call {call.pk} ({call.slug}) keeps {kept} kr, "
                    f"its decisions sum to {summed} kr"
                    for call, kept, summed in mismatched
                ),
                returncode=1,
            )
        self.stdout.write(f"OK: {Call.objects.count()} calls, kept committed amounts hold")
