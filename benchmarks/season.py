"""Benchmark and proof: one call season from opening to closure, through the services.

A call is made and published (four eyes), organisations register and are verified, apply
(some late with an exception, some returned for completion and completed, some withdrawn),
reviewers take their seats, declare conflicts and score, the ranking proposes, a decision
maker confirms, the letters are made, grants are accepted (or lapse), paid, reported on
(interim and final), under-spending is repaid and the grants are closed, while the daily jobs
run day by day on a simulated clock (time-machine). After every phase the invariants of
DESIGN.md are checked, and the script stops with exit status 1 and the breach named when one
fails:

- registration numbers are unique and gap-free per year;
- no reviewer with a conflict (declared, or the applicant is their employer) is assigned to or
  has scored that application;
- what the call has granted never exceeds its budget, and its kept committed amount equals the
  sum over its decisions; every decision's presenter differs from its decision maker;
- each grant's payments never exceed what was granted; at closure what was paid less what was
  repaid is what was spent (at most the grant);
- every letter's stored SHA-256 is the SHA-256 of its file;
- the audit chain verifies.

    .venv/bin/python benchmarks/season.py --size small    # ~20 applications (CI runs this)
    .venv/bin/python benchmarks/season.py --size full     # 500 organisations, 15 reviewers

Runs on a fresh SQLite file (or on DATABASE_URL when its name contains "bench": its schema is
dropped), with the test settings: tasks run at once, email stays in memory, files go to a
temporary folder. Prints the time of each phase.
"""

import argparse
import datetime as dt
import hashlib
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import bench_database_url  # noqa: E402  (the path above first)

SIZES = {
    # organisations, reviewers, reviewers per application
    "small": {"organisations": 20, "reviewers": 5, "per_application": 2},
    "full": {"organisations": 500, "reviewers": 15, "per_application": 3},
}
REQUESTED = 500_000
# Shares of the organisations (by their index) that do something other than apply on time.
WITHDRAW_EVERY = 10  # index % 10 == 3: withdraws (half of them after submitting)
LATE_EVERY = 10  # index % 10 == 5: misses the deadline, gets an exception, submits late
RETURN_EVERY = 10  # index % 10 == 7: returned for completion, completes
NOT_ACCEPT_EVERY = 9  # approved index % 9 == 4: never accepts, the grant lapses
UNDERSPEND_EVERY = 4  # grant index % 4 == 1: spends less, repays


class InvariantBroken(Exception):
    """An invariant of DESIGN.md does not hold: the message names it."""


@dataclass
class Season:
    size: str
    start: dt.datetime
    call: object = None
    managers: list = field(default_factory=list)
    decision_maker: object = None
    organisations: list = field(default_factory=list)  # (organisation, applicant signatory)
    applications: list = field(default_factory=list)  # (index, application, applicant)
    members: list = field(default_factory=list)
    timings: list = field(default_factory=list)
    jobs: dict = field(default_factory=dict)  # the background jobs a phase started, by name
    traveller: object = None

    @property
    def pm(self):
        return self.managers[0]


# -- the clock ----------------------------------------------------------------------------------


def _at(season: Season, days: float, hour: int = 10) -> dt.datetime:
    return season.start + dt.timedelta(days=days, hours=hour - season.start.hour)


def _move(season: Season, moment: dt.datetime) -> None:
    season.traveller.move_to(moment)


# The season's daily jobs, as ``applications/daily_tasks.py`` and ``reviews/daily_tasks.py``
# register them (the attachment scan needs clamd and is left to the deployment's timer).
DAILY_JOBS = (
    "lapse_unaccepted_grants",
    "send_follow_up_reminders",
    "send_review_reminders",
    "anonymise_expired_personal_data",
)


def _run_daily_jobs(season: Season, until: dt.datetime) -> None:
    """Every day from now until ``until``: the jobs a scheduler runs each morning."""
    from django.utils import timezone

    from applications.daily_tasks import daily_job_run

    now = timezone.now()
    while now < until:
        now = min(now + dt.timedelta(days=1), until)
        _move(season, now)
        for name in DAILY_JOBS:
            # As the timer runs them: once a day each (a day already run is not run again),
            # and a second run of the same day, a timer fired twice, does nothing.
            job, _ran = daily_job_run(name)
            again, ran_again = daily_job_run(name)
            if ran_again or again.pk != job.pk or job.state != "done":
                raise InvariantBroken(f"the daily job {name} did not run exactly once today")


# -- the application's content: the one place to change when the form changes ---------------


def application_content(index: int, call) -> tuple[dict, dict, list[dict]]:
    """What organisation ``index`` writes in its application: the working copy's core fields
    (``application_update``'s ``data``), its answers to the call's own questions (the coworking
    form's) and its budget lines, adding up to the amount."""
    from applications.enums import BudgetCategory

    data = {
        "title": f"Hybrid work at the hub, trial {index}",
        "summary": "We try working from the hub two days a week.",
        "hub": call.hubs.first(),
        "period_start": dt.date(call.closes_at.year + 1, 2, 1),
        "period_end": dt.date(call.closes_at.year + 1, 11, 30),
        "requested_amount": REQUESTED,
        "contact_name": f"Contact {index}",
        "contact_email": f"contact{index}@example.se",
    }
    answers = {
        "what_to_try": "Coworking at the hub for 20 employees.",
        "participants": 10 + index % 30,
        "expected_results": "Less commuting, more collaboration.",
    }
    lines = [
        {"category": BudgetCategory.HUB, "description": "Hub membership", "amount": 300_000},
        {"category": BudgetCategory.STAFF, "description": "Project lead", "amount": 200_000},
    ]
    return data, answers, lines


# -- the phases ---------------------------------------------------------------------------------


def phase_call(season: Season) -> None:
    """Staff, the hub, the call with its criteria, published by a second programme manager."""
    from decimal import Decimal

    from django.contrib.auth.models import Group

    from applications.models import User
    from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
    from applications.services.calls import call_create, call_publish
    from grants.models import Hub
    from reviews.services.criteria import CriterionRow, criteria_save

    def staff(email, group):
        user = User.objects.create_user(email=email, full_name=email.split("@")[0].title())
        user.groups.add(Group.objects.get(name=group))
        return user

    season.managers = [
        staff("handlaggare1@samverket.example", PROGRAMME_MANAGERS),
        staff("handlaggare2@samverket.example", PROGRAMME_MANAGERS),
    ]
    season.decision_maker = staff("beslutsfattare@samverket.example", DECISION_MAKERS)
    # Hubs are reference data the admin keeps; there is no service for them.
    hub, _ = Hub.objects.get_or_create(name="Samverket Östersund", defaults={"city": "Östersund"})
    organisations = SIZES[season.size]["organisations"]
    season.call = call_create(
        by=season.pm,
        values={
            "slug": f"season-{season.size}-{season.start:%Y%m%d}",
            "title_sv": "Samverket: pröva coworking",
            "title_en": "Samverket: try coworking",
            "summary_sv": "Stöd för att pröva coworking.",
            "description_sv": "Utlysningstext.",
            "opens_at": _at(season, 0, 9),
            "closes_at": _at(season, 30, 15),
            # About six in ten of the applicants can be funded.
            "budget": REQUESTED * organisations * 6 // 10,
            "max_amount": 600_000,
            "reviewers_per_application": SIZES[season.size]["per_application"],
            "interim_reports": 1,
            "payment_plan": [
                {"share": 60, "after": "acceptance"},
                {"share": 20, "after": "interim_report"},
                {"share": 20, "after": "final_report"},
            ],
        },
        hubs=[hub],
    )
    # The coworking form's own questions, added through the form builder as a manager would.
    from applications.services.call_form import form_question_save, form_section_save
    from grants.form_defaults import COWORKING_SECTIONS

    for definition in COWORKING_SECTIONS:
        texts = {k: v for k, v in definition.items() if k != "questions"}
        section = form_section_save(call=season.call, by=season.pm, values=texts)
        for question in definition["questions"]:
            form_question_save(
                call=season.call, by=season.pm, values={**question, "section": section}
            )
    criteria_save(
        call=season.call,
        by=season.pm,
        rows=[
            CriterionRow(name_sv="Relevans", name_en="Relevance", weight=Decimal(2)),
            CriterionRow(name_sv="Genomförbarhet", name_en="Feasibility", weight=Decimal(1)),
        ],
        total_threshold=None,
        disagreement_spread=Decimal(3),
    )
    season.call = call_publish(call=season.call, by=season.managers[1])


def _orgnr(index: int) -> str:
    from stdnum import luhn

    body = f"2120{index:05d}"
    return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"


def phase_organisations(season: Season) -> None:
    """Each organisation's first person makes an account, registers it; the agency verifies it
    and confirms that person as its signatory."""
    from django.utils import timezone

    from applications.enums import County
    from applications.models import Membership, User
    from applications.services.organisation_checks import organisation_verify
    from applications.services.people import organisation_register
    from grants.enums import OrganisationKind

    _move(season, _at(season, 0, 9) + dt.timedelta(minutes=1))
    for index in range(SIZES[season.size]["organisations"]):
        person = User.objects.create_user(
            email=f"sokande{index}@kommun{index}.example",
            full_name=f"Sökande {index}",
            email_verified_at=timezone.now(),
        )
        organisation = organisation_register(
            by=person,
            orgnr=_orgnr(index),
            name=f"Kommun {index}",
            kind=OrganisationKind.MUNICIPALITY,
            county=County.values[index % len(County.values)],
        )
        membership = Membership.objects.get(user=person, organisation=organisation)
        organisation = organisation_verify(
            organisation=organisation,
            by=season.pm,
            verified_kind=OrganisationKind.MUNICIPALITY,
            note="Checked against the register.",
            signatory_ids=[membership.pk],
        )
        season.organisations.append((organisation, person))


def phase_applying(season: Season) -> None:
    """Drafts and submissions over the month the call is open; some withdraw; one late
    submission without an exception is refused; the late ones with an exception submit after
    the deadline."""
    from django.core.exceptions import ValidationError

    from applications.services.transitions import (
        application_record_deadline_exception,
        application_submit,
        application_withdraw,
    )
    from applications.services.working_copy import application_create, application_update

    count = len(season.organisations)
    for index, (organisation, person) in enumerate(season.organisations):
        _move(season, _at(season, 1 + index * 28 / count))
        application = application_create(call=season.call, organisation=organisation, by=person)
        data, answers, lines = application_content(index, season.call)
        application = application_update(
            application=application, by=person, data=data, answers=answers, budget_lines=lines
        )
        season.applications.append((index, application, person))
        if index % LATE_EVERY == 5:
            continue  # misses the deadline
        if index % WITHDRAW_EVERY == 3 and index % 20 == 3:
            application_withdraw(application=application, by=person, reason="No staff this year.")
            continue
        application_submit(application=application, by=person)
        if index % WITHDRAW_EVERY == 3:
            application_withdraw(application=application, by=person, reason="Plans changed.")

    # Past the deadline: refused without an exception, then an exception and a late submit.
    _move(season, _at(season, 30, 15) + dt.timedelta(seconds=1))
    late = [(i, a, p) for i, a, p in season.applications if i % LATE_EVERY == 5]
    for position, (_index, application, person) in enumerate(late):
        if position == 0:
            try:
                application_submit(application=application, by=person)
            except ValidationError:
                pass
            else:
                raise InvariantBroken("a submission one second after the deadline was accepted")
        application_record_deadline_exception(
            application=application,
            by=season.pm,
            new_deadline=_at(season, 32, 15),
            reason="The e-service was down on the last day (incident 2026-114).",
        )
    _move(season, _at(season, 31, 11))
    for _index, application, person in late:
        application_submit(application=application, by=person)


def _refresh(season: Season) -> list:
    from applications.models import Application

    fresh = Application.objects.in_bulk([a.pk for _i, a, _p in season.applications])
    season.applications = [(i, fresh[a.pk], p) for i, a, p in season.applications]
    return season.applications


def phase_completion(season: Season) -> None:
    """The programme manager returns some for completion; the applicants complete them."""
    from applications.services.transitions import (
        application_return_for_completion,
        application_submit,
    )
    from applications.services.working_copy import application_update

    _move(season, _at(season, 33))
    returned = [
        (i, a, p)
        for i, a, p in _refresh(season)
        if i % RETURN_EVERY == 7 and a.state == "submitted"
    ]
    for _index, application, _person in returned:
        application_return_for_completion(
            application=application,
            by=season.pm,
            message="Please describe how the participants are chosen.",
            deadline=_at(season, 40, 15),
        )
    _move(season, _at(season, 36))
    for _index, application, person in returned:
        application_update(
            application=application,
            by=person,
            data={"summary": "We try the hub two days a week; volunteers from every unit."},
        )
        application_submit(application=application, by=person)


def phase_review(season: Season) -> None:
    """Eligibility, review started, the panel seated (one reviewer works at an applicant),
    conflicts declared, assignments made, every review scored and submitted."""
    from applications.enums import EligibilityItem
    from applications.models import User
    from applications.services.transitions import (
        application_check_eligibility,
        application_start_review,
    )
    from reviews.enums import ConflictGround
    from reviews.models import PanelInvitation
    from reviews.services.assignments import assignments_auto
    from reviews.services.conflicts import Declaration, conflicts_declare
    from reviews.services.panel import panel_invitation_accept, panel_invite
    from reviews.services.reviewing import review_save, review_submit

    _move(season, _at(season, 41))
    submitted = [a for _i, a, _p in _refresh(season) if a.state == "submitted"]
    for application in submitted:
        application_check_eligibility(
            application=application,
            by=season.pm,
            items=dict.fromkeys(EligibilityItem.values, True),
        )
        application_start_review(application=application, by=season.pm)

    for number in range(SIZES[season.size]["reviewers"]):
        email = f"granskare{number}@universitet.example"
        panel_invite(call=season.call, by=season.pm, email=email)
        user = User.objects.create_user(email=email, full_name=f"Granskare {number}")
        invitation = PanelInvitation.objects.get(call=season.call, email=email)
        # The first reviewer works at the first organisation that applied: a conflict by employer.
        employer = season.organisations[0][0].orgnr if number == 0 else ""
        season.members.append(
            panel_invitation_accept(invitation=invitation, by=user, employer_orgnr=employer)
        )

    _move(season, _at(season, 42))
    for number, member in enumerate(season.members):
        declarations = [
            Declaration(
                application_id=application.pk,
                has_conflict=(application.pk + number) % 7 == 0,
                ground=ConflictGround.CLOSE_RELATION if (application.pk + number) % 7 == 0 else "",
            )
            for application in submitted
        ]
        conflicts_declare(member=member, by=member.user, declarations=declarations)
    assignments_auto(call=season.call, by=season.pm)
    check_no_conflicted_review(season)

    _move(season, _at(season, 50))
    criteria = list(season.call.criteria.order_by("position"))
    for member in season.members:
        for assignment in member.assignments.filter(removed_at__isnull=True).order_by("pk"):
            seed = assignment.application_id + member.pk
            review_save(
                assignment=assignment,
                by=member.user,
                scores={c.pk: 1 + (seed * (n + 3)) % 7 for n, c in enumerate(criteria)},
                comment_for_applicant="Clear and feasible.",
                recommendation="fund" if seed % 3 else "do_not_fund",
            )
            review_submit(assignment=assignment, by=member.user)


def phase_decisions(season: Season) -> None:
    """The ranking proposes (programme manager), the decision maker confirms all at once;
    the letters are made by the tasks and released."""
    from applications.models import Decision
    from applications.services.decisions import decisions_confirm_start
    from reviews.services.decisions import decisions_propose_from_ranking

    _move(season, _at(season, 60))
    decisions_propose_from_ranking(
        call=season.call,
        by=season.pm,
        approve_justification="The application is among those best fulfilling the criteria.",
        reject_justification="Other applications fulfilled the criteria better.",
    )
    waiting = list(
        Decision.objects.filter(application__call=season.call, status="proposed").order_by(
            "application__registration_number"
        )
    )
    if not waiting:
        raise InvariantBroken("the ranking proposed no decisions")
    _move(season, _at(season, 62))
    # As the decision maker does it: one background job for the whole selection (the task
    # runs when the start commits, with the test settings' immediate backend), then the
    # same selection again, as a second click would send it: the same job, nothing twice.
    job, created = decisions_confirm_start(decisions=waiting, by=season.decision_maker)
    job.refresh_from_db()
    again, created_again = decisions_confirm_start(decisions=waiting, by=season.decision_maker)
    if not created or job.state != "done" or job.done != len(waiting):
        raise InvariantBroken(f"the batch confirmation ended {job.state}, {job.done} done")
    if job.result["counts"] != {"confirmed": len(waiting), "skipped": 0, "refused": 0}:
        raise InvariantBroken(f"confirmations refused: {job.result['counts']}")
    again.refresh_from_db()
    if created_again and again.result["counts"]["confirmed"]:
        raise InvariantBroken("the second start confirmed decisions again")
    season.jobs["confirm"] = job.pk


def phase_acceptance(season: Season) -> None:
    """Signatories accept their grants, all but a few, whose grants lapse by the daily job."""
    from applications.selectors.decisions import effective_decision
    from applications.selectors.follow_up import acceptance_text
    from applications.services.follow_up import application_accept_grant

    _move(season, _at(season, 65))
    approved = [(i, a, p) for i, a, p in _refresh(season) if a.state == "approved"]
    for position, (_index, application, person) in enumerate(approved):
        if position % NOT_ACCEPT_EVERY == 4:
            continue
        application_accept_grant(
            application=application,
            by=person,
            text=acceptance_text(application, effective_decision(application)),
        )
    _run_daily_jobs(season, _at(season, 62 + season.call.acceptance_days + 3, 8))


def _pay_due(season: Season) -> None:
    from django.utils import timezone

    from applications.models import Payment
    from applications.services.follow_up import payment_mark_paid

    for payment in Payment.objects.filter(application__call=season.call, status="due"):
        payment_mark_paid(
            payment=payment, by=season.pm, paid_on=timezone.localdate(), reference="SEASON"
        )


def _report(season: Season, kind: str, *, underspend: bool = False) -> None:
    """Every grant in follow-up writes and submits its report of ``kind`` on its due date;
    the programme manager approves it."""
    from applications.models import Report
    from applications.services.follow_up import report_approve, report_save, report_submit

    reports = list(
        Report.objects.filter(application__call=season.call, kind=kind, status="draft")
        .select_related("application")
        .order_by("due_on", "pk")
    )
    if not reports:
        return
    _run_daily_jobs(season, dt.datetime.combine(reports[0].due_on, dt.time(8), season.start.tzinfo))
    signatories = {a.pk: p for _i, a, p in season.applications}
    for position, report in enumerate(reports):
        person = signatories[report.application_id]
        costs = list(report.costs.all())
        spends_less = underspend and position % UNDERSPEND_EVERY == 1
        spent = [cost.budgeted * 3 // 4 if spends_less else cost.budgeted for cost in costs]
        report_save(
            report=report,
            by=person,
            what_was_done="Twenty employees worked from the hub two days a week.",
            lessons="Fewer commutes; meetings need a better room.",
            participants=20,
            hub_days=180,
            measures={m["key"]: "4" for m in season.call.report_measures},
            total_spent=sum(spent),
            spent={cost.pk: amount for cost, amount in zip(costs, spent, strict=True)},
        )
        report_submit(report=report, by=person)
        report_approve(report=report, by=season.pm)


def phase_payments_and_interim(season: Season) -> None:
    """The first instalment is paid; the interim reports come in and release the second."""
    _move(season, _at(season, 100))
    _pay_due(season)
    _report(season, "interim")
    _pay_due(season)


def phase_final_and_closure(season: Season) -> None:
    """Final reports (some spent less: a repayment), the last instalments, repayments received,
    every grant closed with its closing letter."""
    from django.utils import timezone

    from applications.models import RepaymentClaim
    from applications.services.follow_up import application_close, repayment_mark_settled

    _report(season, "final", underspend=True)
    _pay_due(season)
    for claim in RepaymentClaim.objects.filter(application__call=season.call, settled_on=None):
        repayment_mark_settled(claim=claim, by=season.pm, settled_on=timezone.localdate())
    for _index, application, _person in _refresh(season):
        if application.state == "follow_up":
            application_close(application=application, by=season.pm)
    _run_daily_jobs(season, timezone.now() + dt.timedelta(days=7))


# -- the invariants -------------------------------------------------------------------------------


def check_registration_numbers(season: Season) -> None:
    from applications.models import Application

    numbers = sorted(
        Application.objects.exclude(registration_number__isnull=True)
        .exclude(registration_number="")
        .values_list("registration_number", flat=True)
    )
    if len(numbers) != len(set(numbers)):
        raise InvariantBroken("registration numbers are not unique")
    by_year: dict[str, list[int]] = {}
    for number in numbers:
        year, serial = number.split("-")
        by_year.setdefault(year, []).append(int(serial))
    for year, serials in by_year.items():
        if serials != list(range(1, len(serials) + 1)):
            missing = sorted(set(range(1, max(serials) + 1)) - set(serials))
            raise InvariantBroken(f"registration numbers of {year} have gaps: {missing[:10]}")


def check_no_conflicted_review(season: Season) -> None:
    from reviews.models import Assignment, ConflictDeclaration, ConflictOverride, Score

    declared = set(
        ConflictDeclaration.objects.filter(member__call=season.call, has_conflict=True).values_list(
            "member_id", "application_id"
        )
    )
    overridden = {
        (m, a): conflict
        for m, a, conflict in ConflictOverride.objects.filter(member__call=season.call)
        .order_by("decided_at")
        .values_list("member_id", "application_id", "has_conflict")
    }
    conflicted = {pair for pair in declared if overridden.get(pair, True)}
    conflicted |= {pair for pair, conflict in overridden.items() if conflict}
    rows = Assignment.objects.filter(member__call=season.call).values_list(
        "member_id",
        "application_id",
        "removed_at",
        "member__employer_orgnr",
        "application__organisation__orgnr",
    )
    for member_id, application_id, removed_at, employer, orgnr in rows:
        by_employer = employer and employer == orgnr
        if removed_at is None and ((member_id, application_id) in conflicted or by_employer):
            raise InvariantBroken(
                f"reviewer {member_id} with a conflict is assigned to application {application_id}"
            )
    scored = Score.objects.filter(review__assignment__member__call=season.call).values_list(
        "review__assignment__member_id",
        "review__assignment__application_id",
        "review__assignment__member__employer_orgnr",
        "review__assignment__application__organisation__orgnr",
    )
    for member_id, application_id, employer, orgnr in scored:
        if (member_id, application_id) in conflicted or (employer and employer == orgnr):
            raise InvariantBroken(
                f"reviewer {member_id} with a conflict scored application {application_id}"
            )


def check_budget(season: Season) -> None:
    from django.db.models import F

    from applications.models import Decision
    from applications.selectors.decisions import call_committed_amount, call_committed_amount_summed

    call = season.call
    call.refresh_from_db()
    summed = call_committed_amount_summed(call)
    kept = call_committed_amount(call)
    if summed > call.budget:
        raise InvariantBroken(f"granted {summed} kr exceeds the budget of {call.budget} kr")
    if kept != summed:
        raise InvariantBroken(f"the kept committed amount {kept} kr differs from the sum {summed}")
    same = Decision.objects.filter(
        application__call=call, status="confirmed", decided_by=F("proposed_by")
    )
    if same.exists():
        raise InvariantBroken(f"decision {same.first().pk} was decided by its own presenter")


def check_payments(season: Season) -> None:
    from django.db.models import Sum

    from applications.models import Payment, RepaymentClaim
    from applications.selectors.decisions import effective_decision

    for _index, application, _person in _refresh(season):
        if application.state not in ("follow_up", "closed"):
            continue
        decision = effective_decision(application)
        if decision is None or decision.outcome != "approved":
            continue
        paid = (
            Payment.objects.filter(application=application, status="paid").aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        if paid > decision.granted_amount:
            raise InvariantBroken(
                f"{application.registration_number}: paid {paid} kr of a grant of "
                f"{decision.granted_amount} kr"
            )
        planned = Payment.objects.filter(application=application).exclude(status="cancelled")
        if application.state == "follow_up":
            total = planned.aggregate(total=Sum("amount"))["total"] or 0
            if total != decision.granted_amount:
                raise InvariantBroken(
                    f"{application.registration_number}: instalments add up to {total} kr, "
                    f"not the {decision.granted_amount} kr granted"
                )
        elif hasattr(application, "acceptance"):
            final = application.reports.get(kind="final")
            repaid = (
                RepaymentClaim.objects.filter(application=application)
                .exclude(settled_on=None)
                .aggregate(total=Sum("amount"))["total"]
                or 0
            )
            owed = min(final.total_spent, decision.granted_amount)
            if paid - repaid != owed:
                raise InvariantBroken(
                    f"{application.registration_number}: paid {paid} kr less repaid {repaid} kr "
                    f"is not the {owed} kr spent"
                )


def check_letters(season: Season) -> None:
    from applications.models import ClosingLetter, DecisionLetter

    letters = list(DecisionLetter.objects.filter(decision__application__call=season.call))
    letters += [
        letter
        for letter in ClosingLetter.objects.filter(application__call=season.call)
        if letter.file
    ]
    for letter in letters:
        with letter.file.open("rb") as stored:
            digest = hashlib.sha256(stored.read()).hexdigest()
        if digest != letter.sha256:
            raise InvariantBroken(f"letter {letter.file.name}: its SHA-256 is not the stored one")


def check_audit_chain(season: Season) -> None:
    from applications.audit import audit_verify_chain

    report = audit_verify_chain()
    if not report.ok:
        raise InvariantBroken(f"audit chain broken at entry {report.broken_at}: {report.broken}")


INVARIANTS = (
    check_registration_numbers,
    check_no_conflicted_review,
    check_budget,
    check_payments,
    check_letters,
    check_audit_chain,
)

PHASES = (
    ("call", phase_call),
    ("organisations", phase_organisations),
    ("applying", phase_applying),
    ("completion", phase_completion),
    ("review", phase_review),
    ("decisions and letters", phase_decisions),
    ("acceptance and lapses", phase_acceptance),
    ("payments and interim reports", phase_payments_and_interim),
    ("final reports and closure", phase_final_and_closure),
)


def _expect_the_season_happened(season: Season) -> dict[str, int]:
    """What a season that ran must show: every kind of case was reached."""
    from applications.models import ClosingLetter, DecisionLetter, RepaymentClaim

    states = {}
    for _index, application, _person in _refresh(season):
        states[application.state] = states.get(application.state, 0) + 1
    wanted = ("withdrawn", "rejected", "closed")
    missing = [state for state in wanted if not states.get(state)]
    if missing:
        raise InvariantBroken(f"no application ended {missing}: {states}")
    if not DecisionLetter.objects.filter(decision__application__call=season.call).exists():
        raise InvariantBroken("no decision letter was made")
    if not ClosingLetter.objects.filter(application__call=season.call).exclude(sha256="").exists():
        raise InvariantBroken("no closing letter was made")
    if not RepaymentClaim.objects.filter(application__call=season.call).exists():
        raise InvariantBroken("no repayment was claimed")
    return states


def run(size: str = "small", *, out=sys.stdout) -> Season:
    """The season, phase by phase, each followed by every invariant. Raises InvariantBroken."""
    import time_machine
    from django.utils import timezone

    start = timezone.localtime(timezone.now()).replace(
        hour=9, minute=0, second=0, microsecond=0
    ) + dt.timedelta(days=1)
    season = Season(size=size, start=start)
    with time_machine.travel(start, tick=True) as traveller:
        season.traveller = traveller
        for name, phase in PHASES:
            started = time.perf_counter()
            phase(season)
            took = time.perf_counter() - started
            for invariant in INVARIANTS:
                try:
                    invariant(season)
                except InvariantBroken as breach:
                    raise InvariantBroken(f"after {name}: {breach}") from None
            season.timings.append((name, took))
            print(f"  {name:32} {took:8.2f} s   invariants hold", file=out, flush=True)
        states = _expect_the_season_happened(season)
    print("  ended: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())), file=out)
    return season


# -- running it on its own ----------------------------------------------------------------------


def _database_url() -> str:
    return bench_database_url(f"samverket-season-{os.getpid()}.sqlite3")


@contextmanager
def _django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    call_command("migrate", verbosity=0)
    try:
        yield
    finally:
        if url.startswith("sqlite"):
            path = urlsplit(url).path
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--write", action="store_true", help="put the phases' times in the docs")
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)  # one line per request and task is not the point here
    with _django(_database_url()):
        sizes = SIZES[args.size]
        print(
            f"Season ({args.size}): {sizes['organisations']} organisations, "
            f"{sizes['reviewers']} reviewers",
            flush=True,
        )
        started = time.perf_counter()
        try:
            season = run(args.size)
        except InvariantBroken as breach:
            print(f"INVARIANT BROKEN {breach}", file=sys.stderr)
            return 1
        whole = time.perf_counter() - started
        print(f"  {'whole season':32} {whole:8.2f} s")
        if args.write:
            _write_doc(season, whole)
    return 0


def _write_doc(season: Season, whole: float) -> None:
    """The phases' wall times into docs/benchmarks.md, between the season's markers."""
    import platform
    import re

    from django.db import connection

    sizes = SIZES[season.size]
    rows = "\n".join(f"| {name} | {took:.1f} s |" for name, took in season.timings)
    text = (
        f"| phase ({sizes['organisations']} organisations, {sizes['reviewers']} reviewers) "
        f"| wall time |\n| --- | --- |\n{rows}\n| **whole season** | **{whole:.0f} s** |\n\n"
        f"_Every invariant held after every phase. {connection.vendor}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end; "
        f"measured {dt.date.today().isoformat()} with `benchmarks/season.py --size "
        f"{season.size}`._"
    )
    doc_path = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    doc = doc_path.read_text()
    start, end = f"<!-- season-{season.size}:start -->", f"<!-- season-{season.size}:end -->"
    block = f"{start}\n{text}\n{end}"
    if start in doc:
        doc = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, doc, flags=re.S)
    else:
        doc += f"\n{block}\n"
    doc_path.write_text(doc)


if __name__ == "__main__":
    sys.exit(main())
