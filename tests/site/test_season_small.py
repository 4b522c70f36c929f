"""The whole call season, small size, through the services: benchmarks/season.py.

It runs in every pass of ``make test`` (SQLite and PostgreSQL): no marker, no skip. After each
phase the script checks the invariants of DESIGN.md and raises ``InvariantBroken`` naming the
breach. ``transaction=True``: the letters and emails are made by tasks after commit, as in
production, and a test's transaction would never commit.
"""

import io
import re

import pytest

from benchmarks import season

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def agency_groups():
    """The groups come from a data migration, which the flush after a transactional test
    removes (see test_concurrency_decisions_postgres.py)."""
    from django.contrib.auth.models import Group

    from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS

    for name in (PROGRAMME_MANAGERS, DECISION_MAKERS):
        Group.objects.get_or_create(name=name)


def test_a_small_season_runs_from_opening_to_closure_with_every_invariant_held():
    out = io.StringIO()

    result = season.run("small", out=out)

    lines = out.getvalue().splitlines()
    assert [line.split("  ")[1].strip() for line in lines[: len(season.PHASES)]] == [
        name for name, _phase in season.PHASES
    ]
    assert all(line.endswith("invariants hold") for line in lines[: len(season.PHASES)])
    assert len(result.applications) == 20
    assert lines[-1].startswith("  ended: ")


def test_a_breach_is_named(monkeypatch):
    """The checks fail loudly: a gap in the registration numbers stops the season."""
    from applications.models import Application

    def gap(current):
        Application.objects.filter(registration_number__endswith="-00002").update(
            registration_number=None
        )

    monkeypatch.setattr(season, "PHASES", (*season.PHASES[:3], ("a gap", gap), *season.PHASES[3:4]))

    with pytest.raises(season.InvariantBroken) as broken:
        season.run("small", out=io.StringIO())

    # The call may run over New Year: the first year with a number 2 is named.
    assert re.fullmatch(
        r"after a gap: registration numbers of \d{4} have gaps: \[2\]", str(broken.value)
    )
