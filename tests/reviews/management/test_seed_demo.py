import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from stdnum.se import orgnr

from applications.enums import ApplicationState
from applications.models import Application, ApplicationVersion, Organisation, User
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from grants.models import Call
from reviews.management.demo_data import PASSWORD

pytestmark = pytest.mark.django_db

S = ApplicationState


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)
    return out.getvalue()


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.count() == 0


def test_seed_demo_runs_without_force_when_debug_is_on(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert Call.objects.filter(slug="samverket-coworking-hybridarbete").exists()


def test_seed_demo_creates_applications_in_each_demo_state():
    _seed()
    rooms = Application.objects.filter(call__slug="digitala-motesrum-regioner")
    assert sorted(rooms.values_list("state", flat=True)) == [S.DRAFT, S.RETURNED, S.SUBMITTED]
    states = sorted(
        Application.objects.exclude(call__slug="digitala-motesrum-regioner").values_list(
            "state", flat=True
        )
    )
    assert states == sorted(
        [S.DRAFT, S.SUBMITTED, S.SUBMITTED, S.RETURNED, S.WITHDRAWN, S.IN_REVIEW, S.IN_REVIEW]
        + [S.REVIEWED, S.APPROVED]
        + [S.FOLLOW_UP, S.FOLLOW_UP, S.FOLLOW_UP, S.CLOSED]
    )


def test_seed_demo_submitted_application_has_registration_number_and_two_versions():
    _seed()
    submitted = Application.objects.get(
        state=S.SUBMITTED, call__slug="samverket-coworking-hybridarbete"
    )
    assert submitted.registration_number is not None
    assert [v.number for v in submitted.versions.order_by("number")] == [1, 2]
    assert not Application.objects.filter(state=S.DRAFT, registration_number__isnull=False)


def test_seed_demo_twice_changes_nothing():
    _seed()
    counts = (
        Application.objects.count(),
        ApplicationVersion.objects.count(),
        User.objects.count(),
        Organisation.objects.count(),
        Call.objects.count(),
    )
    _seed()
    assert counts == (
        Application.objects.count(),
        ApplicationVersion.objects.count(),
        User.objects.count(),
        Organisation.objects.count(),
        Call.objects.count(),
    )
    # Bräcke kommun and its administrator wait for the agency's check.
    # The meeting-room call adds three applications, two versions, a person and a region.
    assert counts == (16, 15, 13, 6, 4)


def test_seed_demo_organisations_are_verified_but_one_waits_for_the_check():
    _seed()
    pending = Organisation.objects.exclude(verification_status="verified")
    assert [(o.name, o.verification_status) for o in pending] == [("Bräcke kommun", "pending")]
    assert Organisation.objects.filter(verified_kind="").count() == 1
    assert not User.objects.filter(email_verified_at__isnull=True).exists()


def test_seed_demo_open_call_offers_600000_kr_and_is_open():
    _seed()
    call = Call.objects.get(slug="samverket-coworking-hybridarbete")
    assert call.title_sv == "Samverket: pröva coworking och hybridarbete"
    assert call.max_amount == 600_000
    assert call.is_open()
    assert sorted(call.hubs.values_list("name", flat=True)) == [
        "Samverket Stockholm",
        "Samverket Östersund",
    ]


def test_seed_demo_organisation_numbers_are_valid_public_sector_numbers():
    _seed()
    for number in Organisation.objects.values_list("orgnr", flat=True):
        assert orgnr.is_valid(number)
        assert number.startswith("2")


def test_seed_demo_prints_logins_that_work(client):
    output = _seed()
    assert f"Password for every demo account: {PASSWORD}" in output
    for email in (
        "anna.lindqvist@ostersund.example.se",
        "johan.berg@krokom.example.se",
        "karin.sjoberg@reviewer.example.se",
        "maria.ek@agency.example.se",
        "lars.strom@agency.example.se",
        "admin@agency.example.se",
        "per.nilsson@reviewer.example.se",
        "ulla.bergstrom@reviewer.example.se",
    ):
        assert email in output
        # Through the login page: django-axes refuses ``client.login()``, which has no request.
        response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)
        client.logout()


def test_seed_demo_gives_each_role_its_group():
    _seed()
    assert User.objects.get(email="maria.ek@agency.example.se").groups.get().name == (
        PROGRAMME_MANAGERS
    )
    assert User.objects.get(email="lars.strom@agency.example.se").groups.get().name == (
        DECISION_MAKERS
    )
    admin = User.objects.get(email="admin@agency.example.se")
    assert (admin.is_superuser, admin.is_staff) == (True, True)
    applicant = User.objects.get(email="anna.lindqvist@ostersund.example.se")
    membership = applicant.memberships.get()
    assert (membership.is_admin, membership.is_signatory) == (True, True)
    assert applicant.is_superuser is False


# -- review ------------------------------------------------------------------------------------


def _review_counts():
    from grants.models import Criterion
    from reviews.models import (
        Assignment,
        ConflictDeclaration,
        ConflictOverride,
        PanelInvitation,
        PanelMember,
        Review,
        Score,
    )

    return tuple(
        model.objects.count()
        for model in (
            Criterion,
            PanelInvitation,
            PanelMember,
            ConflictDeclaration,
            ConflictOverride,
            Assignment,
            Review,
            Score,
        )
    )


def test_seed_demo_review_data_is_made_once():
    _seed()
    counts = _review_counts()
    _seed()
    assert _review_counts() == counts
    # 4 criteria × 3 calls and 3 in the meeting-room call; 4 seats (Karin on both panels)
    # each from an accepted invitation;
    # 3 reviewers × 5 pilot applications declared (the one waiting for review start too);
    # 10 assignments, 7 reviews of 4 scores.
    assert counts == (15, 4, 4, 15, 0, 10, 7, 28)


def test_seed_demo_criteria_weigh_relevance_double_with_a_threshold():
    _seed()
    rooms = list(Call.objects.get(slug="digitala-motesrum-regioner").criteria.order_by("position"))
    assert [(c.name_en, c.weight, c.threshold) for c in rooms] == [
        ("Benefit to the county's residents", 2, 4),
        ("Feasibility", 1, None),
        ("Budget", 1, None),
    ]
    for call in Call.objects.exclude(slug="digitala-motesrum-regioner"):
        criteria = list(call.criteria.order_by("position"))
        assert [c.name_en for c in criteria] == [
            "Relevance",
            "Feasibility",
            "Spreading the results",
            "Budget",
        ]
        assert [c.weight for c in criteria] == [2, 1, 1, 1]
        assert [c.threshold for c in criteria] == [4, None, None, None]
        assert all((c.scale_min, c.scale_max) == (1, 7) and c.guidance_sv for c in criteria)


def test_seed_demo_panels_have_employers_and_conflicts_found_and_declared():
    from reviews.models import Assignment, PanelMember
    from reviews.selectors.conflicts import conflict_pairs

    _seed()
    pilot = Call.objects.get(slug="samverket-pilot-2026")
    open_call = Call.objects.get(slug="samverket-coworking-hybridarbete")
    members = {m.user.email: m for m in PanelMember.objects.filter(call=pilot)}
    assert sorted(members) == [
        "karin.sjoberg@reviewer.example.se",
        "per.nilsson@reviewer.example.se",
        "ulla.bergstrom@reviewer.example.se",
    ]
    assert all(orgnr.is_valid(m.employer_orgnr) for m in members.values())
    assert [m.user.email for m in PanelMember.objects.filter(call=open_call)] == [
        "karin.sjoberg@reviewer.example.se"
    ]
    conflicts = {
        (member.user.email, application.organisation.name)
        for member in members.values()
        for application in pilot.applications.all()
        if (member.pk, application.pk) in conflict_pairs(pilot)
    }
    assert conflicts == {
        ("per.nilsson@reviewer.example.se", "Krokoms kommun"),  # employer match
        ("ulla.bergstrom@reviewer.example.se", "Region Jämtland Härjedalen"),  # declared
    }
    active = Assignment.objects.filter(application__call=pilot, removed_at__isnull=True)
    assert not {(a.member_id, a.application_id) for a in active} & conflict_pairs(pilot)


def test_seed_demo_ranking_of_the_pilot_call_has_a_funding_line():
    from reviews.selectors.ranking import ranking_for

    _seed()
    ranking = ranking_for(Call.objects.get(slug="samverket-pilot-2026"))
    rows = [
        (row.application.organisation.name, str(row.aggregate), row.fits, row.fundable)
        for row in ranking.rows
    ]
    assert rows == [
        ("Krokoms kommun", "5.8", True, True),
        ("Region Jämtland Härjedalen", "5.6", True, True),
        ("Östersunds kommun", "4.5", False, True),
        ("Norrtälje kommun", "3.6", False, False),
    ]


def test_seed_demo_leaves_reviews_for_the_demo_reviewer():
    from reviews.selectors.assignments import assignments_for_reviewer

    _seed()
    karin = User.objects.get(email="karin.sjoberg@reviewer.example.se")
    waiting = [
        a.application.organisation.name
        for a in assignments_for_reviewer(karin)
        if not (hasattr(a, "review") and a.review.is_submitted)
    ]
    assert sorted(waiting) == ["Krokoms kommun", "Norrtälje kommun", "Östersunds kommun"]


def test_seed_demo_has_a_decision_with_its_letter_and_a_proposal_waiting():
    from applications.models import Decision, DecisionLetter

    _seed()
    _seed()
    pilot = {"application__call__slug": "samverket-pilot-2026"}
    decisions = sorted(
        (d.application.organisation.name, d.outcome, d.status, d.granted_amount)
        for d in Decision.objects.filter(**pilot).select_related("application__organisation")
    )
    assert decisions == [
        ("Norrtälje kommun", "rejected", "proposed", 0),
        ("Region Jämtland Härjedalen", "approved", "confirmed", 350_000),
    ]
    letter = DecisionLetter.objects.get(decision__application__call__slug="samverket-pilot-2026")
    assert letter.decision.application.organisation.name == "Region Jämtland Härjedalen"
    assert hasattr(letter.decision, "release")


# -- follow-up -----------------------------------------------------------------------------------


def _follow_up_counts():
    from applications.models import (
        Acceptance,
        ClosingLetter,
        Payment,
        RepaymentClaim,
        Report,
        ReportCost,
    )

    return tuple(
        model.objects.count()
        for model in (Acceptance, Payment, Report, ReportCost, RepaymentClaim, ClosingLetter)
    )


def test_seed_demo_has_grants_in_follow_up_at_every_stage():
    _seed()
    rows = {}
    for application in Application.objects.filter(call__slug="samverket-2025"):
        report = application.reports.get()
        rows[application.organisation.name] = (
            application.state,
            [(p.status, p.amount) for p in application.payments.order_by("position")],
            report.status,
            list(application.repayment_claims.values_list("amount", "settled_on")),
        )
    assert rows == {
        "Krokoms kommun": (S.CLOSED, [("paid", 320_000), ("paid", 80_000)], "approved", []),
        "Region Jämtland Härjedalen": (
            S.FOLLOW_UP,
            [("paid", 280_000), ("cancelled", 0)],
            "approved",
            [(30_000, None)],
        ),
        "Östersunds kommun": (
            S.FOLLOW_UP,
            [("paid", 360_000), ("planned", 90_000)],
            "submitted",
            [],
        ),
        "Norrtälje kommun": (S.FOLLOW_UP, [("paid", 240_000), ("planned", 60_000)], "draft", []),
    }
    krokom = Application.objects.get(
        call__slug="samverket-2025", organisation__name="Krokoms kommun"
    )
    assert len(krokom.closing_letter.sha256) == 64
    norrtalje = Application.objects.get(
        call__slug="samverket-2025", organisation__name="Norrtälje kommun"
    )
    assert (norrtalje.reports.get().due_on - timezone.localdate()).days == 20


def test_seed_demo_follow_up_is_made_once_and_shows_in_the_register_and_the_overview():
    from applications.selectors.overview import follow_up_stages
    from applications.selectors.register import register_entries

    _seed()
    counts = _follow_up_counts()
    _seed()
    assert _follow_up_counts() == counts
    # Four acceptances, two instalments each, one final report each with three cost lines,
    # one repayment claim, one closing letter.
    assert counts == (4, 8, 4, 12, 1, 1)
    assert dict(follow_up_stages()) == {
        "awaiting_acceptance": 1,  # the pilot call's approval
        "no_report_in": 1,
        "reports_in": 1,
        "final_approved": 1,
        "closed": 1,
        "lapsed": 0,
    }
    assert sorted((row["organisation"], row["register_status"]) for row in register_entries()) == [
        ("Krokoms kommun", "closed"),
        ("Norrtälje kommun", "accepted"),
        ("Region Jämtland Härjedalen", "accepted"),
        ("Region Jämtland Härjedalen", "granted"),
        ("Östersunds kommun", "accepted"),
    ]


def test_seed_demo_calls_were_published_by_a_second_person_and_the_manager_can_edit_them(client):
    _seed()
    manager = User.objects.get(email="maria.ek@agency.example.se")
    decider = User.objects.get(email="lars.strom@agency.example.se")
    calls = list(Call.objects.all())
    assert len(calls) >= 2
    for call in calls:
        assert (call.created_by, call.published_by) == (manager, decider)
        assert call.published_at == call.opens_at
    client.force_login(manager)
    page = client.get(reverse("applications:call_edit", args=[calls[0].pk, "texts"]))
    assert page.status_code == 200
