"""Who speaks for an organisation: verified email addresses, the agency's check of
organisations (declared and verified kind), and claims to a registered organisation number.

Existing accounts are marked verified (they were made before the check existed, and the demo
and test accounts must keep working); existing organisations are marked verified with their
declared kind and a note saying so, so nothing already running stops. Signing rights already
given are kept as they are.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q
from django.utils import timezone

NOTE = "Verified before verification existed: the kind is the one declared at registration."


def mark_existing_verified(apps, schema_editor):
    now = timezone.now()
    apps.get_model("applications", "User").objects.filter(email_verified_at__isnull=True).update(
        email_verified_at=F("date_joined")
    )
    apps.get_model("applications", "Organisation").objects.update(
        verification_status="verified",
        verified_kind=F("declared_kind"),
        verified_at=now,
        verification_note=NOTE,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0011_edit_versions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="email address verified"
            ),
        ),
        migrations.RenameField(
            model_name="organisation", old_name="kind", new_name="declared_kind"
        ),
        migrations.AlterField(
            model_name="organisation",
            name="declared_kind",
            field=models.CharField(
                choices=[
                    ("municipality", "Municipality"),
                    ("region", "Region"),
                    ("state_agency", "State agency"),
                    ("other_public", "Other public body"),
                ],
                max_length=20,
                verbose_name="kind (as declared)",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="verified_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("municipality", "Municipality"),
                    ("region", "Region"),
                    ("state_agency", "State agency"),
                    ("other_public", "Other public body"),
                ],
                max_length=20,
                verbose_name="kind (as verified)",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="verification_status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting for the agency's check"),
                    ("verified", "Verified by the agency"),
                    ("refused", "Refused by the agency"),
                ],
                default="pending",
                max_length=10,
                verbose_name="verification",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="verified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="checked at"),
        ),
        migrations.AddField(
            model_name="organisation",
            name="verified_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="checked by",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="verification_note",
            field=models.TextField(blank=True, verbose_name="note on the check"),
        ),
        migrations.CreateModel(
            name="OrganisationClaim",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("message", models.TextField(verbose_name="message")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("transferred", "Administrator role transferred"),
                            ("dismissed", "Dismissed"),
                        ],
                        default="open",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
                (
                    "resolution_note",
                    models.TextField(blank=True, verbose_name="note on the decision"),
                ),
                (
                    "claimant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="organisation_claims",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="claims",
                        to="applications.organisation",
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "claim to an organisation",
                "verbose_name_plural": "claims to organisations",
                "ordering": ["created_at", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=Q(("status", "open")),
                        fields=("organisation", "claimant"),
                        name="one_open_claim_per_person_and_organisation",
                    )
                ],
            },
        ),
        migrations.RunPython(mark_existing_verified, migrations.RunPython.noop),
    ]
