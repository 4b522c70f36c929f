"""The committed amount of each call, kept by the decision services instead of summed on every
confirmation. Filled here for every existing call with the sum the budget rule used until now:
confirmed approvals that no confirmed correction replaced, less grants that lapsed (closed
without an acceptance). Calls with nothing committed get their row too, so every call has one.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Sum


def fill_commitments(apps, schema_editor):
    Call = apps.get_model("grants", "Call")
    Decision = apps.get_model("applications", "Decision")
    CallCommitment = apps.get_model("applications", "CallCommitment")
    sums = dict(
        Decision.objects.filter(status="confirmed", outcome="approved")
        .exclude(superseded_by__status="confirmed")
        .exclude(application__state="closed", application__acceptance__isnull=True)
        .values("application__call_id")
        .annotate(total=Sum("granted_amount"))
        .values_list("application__call_id", "total")
    )
    CallCommitment.objects.bulk_create(
        CallCommitment(call_id=pk, amount=sums.get(pk) or 0)
        for pk in Call.objects.values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0015_decision_reason_from_the_call"),
        ("grants", "0009_call_eligibility_lists"),
    ]

    operations = [
        migrations.CreateModel(
            name="CallCommitment",
            fields=[
                (
                    "call",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="commitment",
                        serialize=False,
                        to="grants.call",
                    ),
                ),
                (
                    "amount",
                    models.PositiveBigIntegerField(default=0, verbose_name="committed (kr)"),
                ),
            ],
            options={
                "verbose_name": "committed amount of a call",
                "verbose_name_plural": "committed amounts of calls",
            },
        ),
        migrations.RunPython(fill_commitments, migrations.RunPython.noop),
    ]
