"""Below the application: PostgreSQL refuses any change to a confirmed decision or a letter.

The model's save() and delete() refuse too, on every database; the trigger also stops raw SQL,
bulk updates and admin shell mistakes in production. It is PostgreSQL only: Django's test
flush on SQLite deletes rows one table at a time and would be refused, while PostgreSQL's
flush truncates, which row triggers do not see.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION samverket_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'confirmed decisions and their letters are never changed or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER decision_confirmed_is_immutable
    BEFORE UPDATE OR DELETE ON applications_decision
    FOR EACH ROW WHEN (OLD.status = 'confirmed')
    EXECUTE FUNCTION samverket_refuse_change();

CREATE TRIGGER decision_letter_is_immutable
    BEFORE UPDATE OR DELETE ON applications_decisionletter
    FOR EACH ROW
    EXECUTE FUNCTION samverket_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS decision_letter_is_immutable ON applications_decisionletter;
DROP TRIGGER IF EXISTS decision_confirmed_is_immutable ON applications_decision;
DROP FUNCTION IF EXISTS samverket_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("applications", "0003_decision_decisionletter_decisionrelease_and_more")]

    operations = [migrations.RunPython(forward, backward)]
