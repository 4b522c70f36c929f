"""Migration 0012: accounts and organisations made before the checks existed keep working."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("applications", "0011_edit_versions")]
AFTER = [("applications", "0012_who_speaks_for_an_organisation")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_accounts_and_organisations_are_marked_verified():
    old = _migrate(BEFORE)
    try:
        user = old.get_model("applications", "User").objects.create(
            email="anna@ostersund.se", full_name="Anna", password="!"
        )
        organisation = old.get_model("applications", "Organisation").objects.create(
            orgnr="212000-2411", name="Östersunds kommun", kind="region", county="Z"
        )
        old.get_model("applications", "Membership").objects.create(
            user=user, organisation=organisation, is_admin=True, is_signatory=True
        )
        new = _migrate(AFTER)
        user = new.get_model("applications", "User").objects.get(pk=user.pk)
        assert user.email_verified_at == user.date_joined
        organisation = new.get_model("applications", "Organisation").objects.get(pk=organisation.pk)
        assert (
            organisation.declared_kind,
            organisation.verified_kind,
            organisation.verification_status,
        ) == ("region", "region", "verified")
        assert organisation.verification_note.startswith("Verified before verification existed")
        assert new.get_model("applications", "Membership").objects.get().is_signatory
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
