"""Migration grants 0009: every existing call gets today's checklist and reasons as its own,
with today's labels, and the review reminder lead time the environment set."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("grants", "0008_site_page_default_texts")]
AFTER = [("grants", "0009_call_eligibility_lists")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_calls_get_todays_lists_and_the_environments_lead_time(monkeypatch):
    old = _migrate(BEFORE)
    try:
        now = timezone.now()
        call = old.get_model("grants", "Call").objects.create(
            slug="samverket-2026",
            title_sv="Samverket 2026",
            summary_sv="Kort.",
            description_sv="Text.",
            opens_at=now,
            closes_at=now + timezone.timedelta(days=30),
            budget=1_000_000,
            max_amount=100_000,
        )
        monkeypatch.setenv("REVIEW_REMINDER_DAYS_BEFORE", "5")
        new = _migrate(AFTER)
        items = new.get_model("grants", "EligibilityCheckItem").objects.filter(call_id=call.pk)
        reasons = new.get_model("grants", "IneligibilityReasonItem").objects.filter(call_id=call.pk)
        assert list(items.values_list("key", "position", "is_active")) == [
            ("organisation", 0, True),
            ("amount", 1, True),
            ("budget", 2, True),
            ("period", 3, True),
            ("content", 4, True),
        ]
        assert list(reasons.values_list("key", flat=True)) == [
            "organisation",
            "amount",
            "period",
            "aim",
            "incomplete",
        ]
        assert reasons.get(key="aim").label_sv == "Projektet ligger utanför utlysningens syfte"
        assert reasons.get(key="aim").label_en == "The project is outside the call's aim"
        assert (
            new.get_model("grants", "Call").objects.get(pk=call.pk).review_reminder_days_before == 5
        )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
