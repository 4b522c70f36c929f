"""Migrations grants 0010 and applications 0017: every existing call gets the coworking form,
the working copies' answers move into ``answers``, and frozen versions are left as they were."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from applications.hashing import content_sha256

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("applications", "0016_call_commitment"), ("grants", "0009_call_eligibility_lists")]
AFTER = [("applications", "0017_answers_per_call_form")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_world(old):
    now = timezone.now()
    call = old.get_model("grants", "Call").objects.create(
        slug="old-call",
        title_sv="Gammal",
        summary_sv="S",
        description_sv="D",
        opens_at=now - timezone.timedelta(days=2),
        closes_at=now + timezone.timedelta(days=2),
        budget=1_000_000,
        max_amount=500_000,
    )
    user = old.get_model("applications", "User").objects.create(
        email="anna@ostersund.se", full_name="Anna", password="!"
    )
    organisation = old.get_model("applications", "Organisation").objects.create(
        orgnr="212000-2411", name="Östersunds kommun", declared_kind="municipality", county="Z"
    )
    Application = old.get_model("applications", "Application")
    written = Application.objects.create(
        call=call,
        organisation=organisation,
        created_by=user,
        title="Written",
        what_to_try="Two days a week",
        participants=12,
        expected_results="",
    )
    empty = Application.objects.create(
        call=call, organisation=organisation, created_by=user, title="Empty"
    )
    content = {"title": "Written", "what_to_try": "Two days a week", "participants": 12}
    version = old.get_model("applications", "ApplicationVersion").objects.create(
        application=written,
        number=1,
        content=content,
        sha256=content_sha256(content),
        submitted_at=now,
        submitted_by=user,
    )
    return call, written, empty, version, content


def test_existing_calls_get_the_coworking_form_and_answers_move_out_of_the_columns():
    old = _migrate(BEFORE)
    try:
        call, written, empty, version, content = _old_world(old)
        new = _migrate(AFTER)
        questions = new.get_model("grants", "FormQuestion").objects.filter(call_id=call.pk)
        assert list(
            questions.order_by("position").values_list("key", "kind", "required", "label_en")
        ) == [
            ("what_to_try", "long_text", True, "What the organisation wants to try"),
            ("participants", "number", True, "Number of employees taking part"),
            ("expected_results", "long_text", True, "Expected results"),
        ]
        assert list(
            new.get_model("grants", "BudgetCategory")
            .objects.filter(call_id=call.pk)
            .order_by("position")
            .values_list("key", flat=True)
        ) == ["hub", "staff", "travel", "equipment", "evaluation", "other"]
        Application = new.get_model("applications", "Application")
        assert Application.objects.get(pk=written.pk).answers == {
            "what_to_try": "Two days a week",
            "participants": 12,
        }
        assert Application.objects.get(pk=empty.pk).answers == {}
        stored = new.get_model("applications", "ApplicationVersion").objects.get(pk=version.pk)
        assert (stored.content, stored.sha256) == (content, content_sha256(content))
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
