"""Automatic assignment and conflict detection, as properties over generated panels.

Submitting applications is the costly part, so each test puts a pool of four applications in
review once; each hypothesis example then withdraws the ones it does not use and builds its own
panel, declarations and overrides through the services, inside a savepoint rolled back
afterwards. The expected conflicts are computed here from the plan, not by the selectors under
test.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.services.transitions import application_withdraw
from grants.models import Call
from reviews.enums import ConflictGround
from reviews.models import Assignment
from reviews.selectors import conflicts as conflict_selectors
from reviews.selectors.assignments import active_assignments
from reviews.selectors.conflicts import conflict_pairs
from reviews.services.assignments import assignment_remove, assignments_auto
from reviews.services.conflicts import Declaration, conflict_override, conflicts_declare
from tests import factories

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ORGANISATIONS = 4  # the last one never applies: an employer that matches nothing
POOL_ORGS = [0, 0, 1, 2]  # organisation index of each pooled application: two share one


@pytest.fixture
def pm():
    return factories.programme_manager()


@pytest.fixture
def pool(pm):
    """A call with four applications in review, made once for all of a test's examples."""
    call = factories.CallFactory()
    organisations = factories.OrganisationFactory.create_batch(ORGANISATIONS)
    applications = [
        factories.submitted_application(call, organisation=organisations[i]) for i in POOL_ORGS
    ]
    factories.start_review(applications, by=pm)
    applicants = [factories.applicant_for(a) for a in applications]
    return call, organisations, applications, applicants


@contextmanager
def rolled_back():
    """One example's data, gone afterwards, so examples do not see each other."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@dataclass
class Plan:
    k: int
    application_orgs: list[int]  # organisation index per application
    employers: list[int | None]  # organisation index per panel member, or none recorded
    declarations: list[list[str]]  # [member][application]: "none", "conflict" or "undeclared"
    overrides: list[list[list[bool]]]  # [member][application]: the manager's decisions in order


@st.composite
def plans(draw, *, with_conflicts: bool = True) -> Plan:
    members = draw(st.integers(1, 5))
    applications = draw(st.integers(1, len(POOL_ORGS)))
    k = draw(st.integers(1, 4))
    application_orgs = POOL_ORGS[:applications]

    def grid(strategy):
        row = st.lists(strategy, min_size=applications, max_size=applications)
        return draw(st.lists(row, min_size=members, max_size=members))

    if not with_conflicts:
        return Plan(
            k=k,
            application_orgs=application_orgs,
            employers=[None] * members,
            declarations=[["none"] * applications for _ in range(members)],
            overrides=[[[] for _ in range(applications)] for _ in range(members)],
        )
    employer = st.none() | st.integers(0, ORGANISATIONS - 1)
    return Plan(
        k=k,
        application_orgs=application_orgs,
        employers=draw(st.lists(employer, min_size=members, max_size=members)),
        declarations=grid(st.sampled_from(["none", "none", "conflict", "undeclared"])),
        overrides=grid(st.lists(st.booleans(), max_size=2)),
    )


@dataclass
class Built:
    call: object
    members: list
    applications: list
    conflicts: set[tuple[int, int]]  # expected, from the plan
    undeclared: set[tuple[int, int]]

    def pairs(self):
        return [(m, a) for m in self.members for a in self.applications]

    def eligible(self, application) -> list:
        return [
            m
            for m in self.members
            if (m.pk, application.pk) not in self.conflicts
            and (m.pk, application.pk) not in self.undeclared
        ]


def build(plan: Plan, pm, pool) -> Built:
    call, organisations, pooled, applicants = pool
    Call.objects.filter(pk=call.pk).update(reviewers_per_application=plan.k, min_reviews=1)
    call.refresh_from_db()
    used = len(plan.application_orgs)
    for application, applicant in zip(pooled[used:], applicants[used:], strict=True):
        application_withdraw(application=application, by=applicant, reason="Not in this example.")
    applications = pooled[:used]
    members = [
        factories.PanelMemberFactory(
            call=call, employer_orgnr="" if e is None else organisations[e].orgnr
        )
        for e in plan.employers
    ]
    conflicts, undeclared = set(), set()
    for i, member in enumerate(members):
        declarations = []
        for j, application in enumerate(applications):
            status = plan.declarations[i][j]
            pair = (member.pk, application.pk)
            if status == "undeclared":
                undeclared.add(pair)
            else:
                declarations.append(
                    Declaration(
                        application_id=application.pk,
                        has_conflict=status == "conflict",
                        ground=ConflictGround.OTHER if status == "conflict" else "",
                    )
                )
            employer_match = plan.employers[i] == plan.application_orgs[j]
            decisions = plan.overrides[i][j]
            if decisions[-1:] == [True] or (
                not decisions and (status == "conflict" or employer_match)
            ):
                conflicts.add(pair)
        if declarations:
            conflicts_declare(member=member, by=member.user, declarations=declarations)
    for i, member in enumerate(members):
        for j, application in enumerate(applications):
            for has_conflict in plan.overrides[i][j]:
                conflict_override(
                    member=member,
                    application=application,
                    by=pm,
                    has_conflict=has_conflict,
                    reason="Decided at the panel meeting.",
                )
    undeclared -= conflicts
    return Built(call, members, applications, conflicts, undeclared)


def active_pairs(call) -> set[tuple[int, int]]:
    return set(active_assignments(call).values_list("member_id", "application_id"))


# -- conflicts -------------------------------------------------------------------------------------


@EXAMPLES
@given(plan=plans())
def test_has_conflict_and_conflict_pairs_agree_with_the_rules(pm, pool, plan):
    with rolled_back():
        built = build(plan, pm, pool)
        ids = {a.pk for a in built.applications}  # the withdrawn ones still match employers
        pairs = {p for p in conflict_pairs(built.call) if p[1] in ids}
        assert pairs == built.conflicts
        for member, application in built.pairs():
            assert conflict_selectors.has_conflict(member, application) is (
                (member.pk, application.pk) in built.conflicts
            )


# -- automatic assignment --------------------------------------------------------------------------


@EXAMPLES
@given(plan=plans())
def test_automatic_assignment_gives_each_application_as_many_eligible_reviewers_as_it_can(
    pm, pool, plan
):
    with rolled_back():
        built = build(plan, pm, pool)
        result = assignments_auto(call=built.call, by=pm)
        active = active_pairs(built.call)

        assert not active & built.conflicts
        assert not active & built.undeclared
        assert {(a.member_id, a.application_id) for a in result.created} == active
        assert all(a.assigned_by is None for a in result.created)
        for application in built.applications:
            assigned = {m for m, a in active if a == application.pk}
            assert len(assigned) == min(plan.k, len(built.eligible(application)))


@EXAMPLES
@given(plan=plans())
def test_automatic_assignment_reports_every_shortfall_with_its_reasons(pm, pool, plan):
    with rolled_back():
        built = build(plan, pm, pool)
        result = assignments_auto(call=built.call, by=pm)

        expected = {}
        for application in built.applications:
            eligible = len(built.eligible(application))
            if eligible < plan.k:
                expected[application.pk] = (
                    plan.k - eligible,
                    sum(1 for m in built.members if (m.pk, application.pk) in built.conflicts),
                    sum(1 for m in built.members if (m.pk, application.pk) in built.undeclared),
                    0,
                )
        assert {
            s.application.pk: (s.missing, s.conflicts, s.undeclared, s.removed)
            for s in result.shortfalls
        } == expected
        assert len(result.shortfalls) == len(expected)


@EXAMPLES
@given(plan=plans())
def test_a_second_automatic_run_creates_nothing(pm, pool, plan):
    with rolled_back():
        built = build(plan, pm, pool)
        first = assignments_auto(call=built.call, by=pm)
        before = active_pairs(built.call)

        second = assignments_auto(call=built.call, by=pm)

        assert second.created == []
        assert active_pairs(built.call) == before
        assert [s.application.pk for s in second.shortfalls] == [
            s.application.pk for s in first.shortfalls
        ]


@EXAMPLES
@given(plan=plans(with_conflicts=False))
def test_loads_differ_by_at_most_one_when_nothing_stands_in_the_way(pm, pool, plan):
    with rolled_back():
        built = build(plan, pm, pool)
        result = assignments_auto(call=built.call, by=pm)
        active = active_pairs(built.call)

        loads = [sum(1 for m, _a in active if m == member.pk) for member in built.members]
        assert max(loads) - min(loads) <= 1
        assert result.shortfalls == [] or plan.k > len(built.members)
        for application in built.applications:
            assert sum(1 for _m, a in active if a == application.pk) == min(
                plan.k, len(built.members)
            )


@EXAMPLES
@given(plan=plans(), removals=st.lists(st.integers(0, 100), max_size=3))
def test_a_rerun_after_manual_removals_never_brings_a_removed_reviewer_back(
    pm, pool, plan, removals
):
    with rolled_back():
        built = build(plan, pm, pool)
        assignments_auto(call=built.call, by=pm)
        assignments = list(active_assignments(built.call).order_by("pk"))
        removed = set()
        for index in removals:
            if assignments:
                assignment = assignments.pop(index % len(assignments))
                assignment_remove(assignment=assignment, by=pm, reason="Too busy.")
                removed.add((assignment.member_id, assignment.application_id))

        result = assignments_auto(call=built.call, by=pm)
        active = active_pairs(built.call)

        assert not active & removed
        assert not active & (built.conflicts | built.undeclared)
        for application in built.applications:
            eligible = [
                m for m in built.eligible(application) if (m.pk, application.pk) not in removed
            ]
            assert sum(1 for _m, a in active if a == application.pk) == min(plan.k, len(eligible))
        for shortfall in result.shortfalls:
            assert shortfall.removed == sum(1 for _m, a in removed if a == shortfall.application.pk)


def test_a_rerun_fills_only_what_is_missing(pm):
    call = factories.CallFactory(reviewers_per_application=2)
    applications = factories.applications_in_review(call, by=pm, count=3)
    first_member = factories.PanelMemberFactory(call=call)
    factories.declare_none(first_member, applications)

    first = assignments_auto(call=call, by=pm)
    assert len(first.created) == 3
    assert [(s.application, s.missing, s.undeclared) for s in first.shortfalls] == [
        (a, 1, 0) for a in applications
    ]

    late = factories.PanelMemberFactory(call=call)
    factories.declare_none(late, applications[:2])
    second = assignments_auto(call=call, by=pm)

    assert {(a.member, a.application) for a in second.created} == {
        (late, applications[0]),
        (late, applications[1]),
    }
    assert [(s.application, s.missing, s.undeclared) for s in second.shortfalls] == [
        (applications[2], 1, 1)
    ]
    assert Assignment.objects.filter(application__call=call).count() == 5


def test_automatic_assignment_leaves_out_applications_not_in_review(pm):
    call = factories.CallFactory(reviewers_per_application=1, min_reviews=1)
    submitted, in_review = (factories.submitted_application(call) for _ in range(2))
    factories.start_review([in_review], by=pm)
    member = factories.PanelMemberFactory(call=call)
    factories.declare_none(member, [in_review, submitted])

    result = assignments_auto(call=call, by=pm)

    assert [(a.member, a.application) for a in result.created] == [(member, in_review)]
    assert result.shortfalls == []


def test_scarce_reviewers_go_where_nobody_else_can(pm):
    # One reviewer each. Only ``shared`` is free of conflict for the second application, so it
    # is served first and gets ``shared``; in registration order the first would have taken
    # ``shared`` (the lower seat) and left the second without a reviewer.
    call = factories.CallFactory(reviewers_per_application=1, min_reviews=1)
    first, second = factories.applications_in_review(call, by=pm, count=2)
    shared, limited = factories.PanelMemberFactory.create_batch(2, call=call)
    factories.declare_none(shared, [first, second])
    conflicts_declare(
        member=limited,
        by=limited.user,
        declarations=[
            Declaration(application_id=first.pk, has_conflict=False),
            Declaration(application_id=second.pk, has_conflict=True, ground=ConflictGround.OTHER),
        ],
    )
    result = assignments_auto(call=call, by=pm)
    assert {(a.member, a.application) for a in result.created} == {
        (shared, second),
        (limited, first),
    }
    assert result.shortfalls == []
