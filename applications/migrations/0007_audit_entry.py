"""The audit log and its chain head; on PostgreSQL, triggers refuse any change to an entry.

The model refuses ``save`` of a stored entry, ``delete`` and the queryset's ``update`` and
``delete`` on every database; the triggers also stop raw SQL, TRUNCATE and shell mistakes in
production. PostgreSQL only, as for decisions (0004). The test suite disables the TRUNCATE
trigger in its own test database (tests/conftest.py), because Django's test flush truncates.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION samverket_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are never changed or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entry_is_immutable
    BEFORE UPDATE OR DELETE ON applications_auditentry
    FOR EACH ROW
    EXECUTE FUNCTION samverket_refuse_audit_change();

CREATE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON applications_auditentry
    FOR EACH STATEMENT
    EXECUTE FUNCTION samverket_refuse_audit_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON applications_auditentry;
DROP TRIGGER IF EXISTS audit_entry_is_immutable ON applications_auditentry;
DROP FUNCTION IF EXISTS samverket_refuse_audit_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0006_follow_up"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                (
                    "hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000",
                        max_length=64,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="audit_head_single")
                ],
            },
        ),
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sequence", models.PositiveBigIntegerField(unique=True, verbose_name="sequence")),
                ("at", models.DateTimeField(verbose_name="time")),
                ("action", models.CharField(max_length=50, verbose_name="action")),
                (
                    "object_type",
                    models.CharField(blank=True, max_length=50, verbose_name="object type"),
                ),
                (
                    "object_id",
                    models.PositiveBigIntegerField(blank=True, null=True, verbose_name="object id"),
                ),
                ("data", models.JSONField(default=dict, verbose_name="data")),
                ("prev_hash", models.CharField(max_length=64, verbose_name="previous hash")),
                ("hash", models.CharField(max_length=64, verbose_name="hash")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit entries",
                "ordering": ["sequence"],
                "indexes": [
                    models.Index(fields=["action", "sequence"], name="audit_action_idx"),
                    models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("sequence__gte", 1)), name="audit_sequence_gte_1"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
