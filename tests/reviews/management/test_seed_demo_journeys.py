"""The README's demo tables, walked against the seeded data.

Every row of the README's "to try" tables names a login and a journey; each has a check here
that the seeded demo really lets that login try it (the right object in the right state, and
the permission the page asks for). A row added to the README without a check, a check whose row
was reworded, and a demo change that takes a journey away all fail.
"""

import datetime as dt
import io
import re

import pytest
import rules
from django.core.management import call_command
from django.utils import timezone

from applications.enums import (
    ApplicationState,
    DecisionOutcome,
    DecisionStatus,
    PaymentStatus,
    ReportKind,
    ReportStatus,
    VerificationStatus,
)
from applications.models import Application, Decision, Membership, Organisation, Report, User
from grants.models import Call
from reviews.management.demo_data import LOGIN_LABELS, PASSWORD
from reviews.models import Assignment, ConflictDeclaration, PanelMember
from tests.paths import ROOT_DIR

pytestmark = pytest.mark.django_db

S = ApplicationState
README = ROOT_DIR / "README.md"
ROW = re.compile(r"^\| `(?P<email>[^`]+@[^`]+)` \| (?P<journey>.+?) \|$")
OPEN_CALL = "samverket-coworking-hybridarbete"
PILOT_CALL = "samverket-pilot-2026"
ROOMS_CALL = "digitala-motesrum-regioner"


def readme_rows() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    demo = text[text.index("## The demo") : text.index("## Tests")]
    return [(m["email"], m["journey"]) for m in map(ROW.match, demo.splitlines()) if m]


def _org_apps(user, **filters):
    return Application.objects.filter(organisation__memberships__user=user, **filters)


def _one(queryset):
    found = list(queryset)
    assert len(found) == 1, found
    return found[0]


def anna_draft(user):
    application = _one(_org_apps(user, call__slug=OPEN_CALL, state=S.DRAFT))
    assert application.call.is_open()
    assert rules.has_perm("applications.change_application", user, application)
    assert rules.has_perm("applications.submit_application", user, application)


def anna_new_version(user):
    application = _one(_org_apps(user, call__slug=OPEN_CALL, state=S.SUBMITTED))
    assert application.versions.count() == 2
    assert application.call.is_open()
    assert rules.has_perm("applications.change_application", user, application)


def anna_invite(user):
    membership = Membership.objects.get(user=user, organisation__name="Östersunds kommun")
    assert membership.is_admin
    assert rules.has_perm("applications.manage_organisation", user, membership.organisation)


def anna_final_report_waiting(user):
    report = _one(
        Report.objects.filter(
            application__organisation__memberships__user=user,
            kind=ReportKind.FINAL,
            status=ReportStatus.SUBMITTED,
        )
    )
    assert report.application.state == S.FOLLOW_UP


def erik_member(user):
    membership = Membership.objects.get(user=user, organisation__name="Östersunds kommun")
    assert not membership.is_admin and not membership.is_signatory
    draft = _one(_org_apps(user, call__slug=OPEN_CALL, state=S.DRAFT))
    assert rules.has_perm("applications.change_application", user, draft)
    assert not rules.has_perm("applications.manage_organisation", user, membership.organisation)


def johan_returned(user):
    application = _one(_org_apps(user, state=S.RETURNED))
    assert application.completion_deadline > timezone.now()
    assert rules.has_perm("applications.change_application", user, application)
    assert rules.has_perm("applications.submit_application", user, application)


def johan_closing_letter(user):
    application = _one(_org_apps(user, state=S.CLOSED))
    assert application.closing_letter.sha256


def sara_accept(user):
    application = _one(_org_apps(user, call__slug=PILOT_CALL, state=S.APPROVED))
    decision = application.decisions.get(status=DecisionStatus.CONFIRMED)
    assert decision.outcome == DecisionOutcome.APPROVED
    assert hasattr(decision, "release") and decision.letter.sha256
    assert application.accept_by >= timezone.localdate()
    assert rules.has_perm("applications.accept_grant", user, application)


def sara_repayment(user):
    application = _one(_org_apps(user, repayment_claims__isnull=False).distinct())
    assert application.repayment_claims.get().amount > 0


def leila_final_report(user):
    report = _one(
        Report.objects.filter(
            application__organisation__memberships__user=user,
            kind=ReportKind.FINAL,
            status=ReportStatus.DRAFT,
        )
    )
    assert report.due_on > timezone.localdate()
    assert rules.has_perm("applications.edit_report", user, report)


def karin_reviews_waiting(user):
    waiting = Assignment.objects.filter(
        member__user=user,
        member__call__slug=PILOT_CALL,
        removed_at__isnull=True,
        application__state=S.IN_REVIEW,
    ).exclude(review__status="submitted")
    assert waiting.exists()
    assert rules.has_perm("reviews.review_application", user, waiting.first().application)


def karin_declare_open_call(user):
    member = PanelMember.objects.get(user=user, call__slug=OPEN_CALL)
    assert rules.has_perm("reviews.declare_conflicts", user, member.call)


def per_kept_from_krokom(user):
    member = PanelMember.objects.get(user=user, call__slug=PILOT_CALL)
    krokom = Application.objects.get(call__slug=PILOT_CALL, organisation__name="Krokoms kommun")
    assert member.employer_orgnr == krokom.organisation.orgnr
    assert not Assignment.objects.filter(member=member, application=krokom).exists()


def ulla_declared(user):
    declaration = ConflictDeclaration.objects.get(
        member__user=user,
        application__organisation__name="Region Jämtland Härjedalen",
    )
    assert declaration.has_conflict


def maria_start_review(user):
    pilot = Call.objects.get(slug=PILOT_CALL)
    assert not pilot.is_open() and pilot.closes_at < timezone.now()
    application = _one(Application.objects.filter(call=pilot, state=S.SUBMITTED))
    assert rules.has_perm("applications.check_eligibility", user, application)
    assert rules.has_perm("applications.start_review", user, application)


def maria_ranking(user):
    pilot = Call.objects.get(slug=PILOT_CALL)
    assert Application.objects.filter(call=pilot, state__in=[S.REVIEWED, S.APPROVED]).exists()
    assert rules.has_perm("reviews.view_ranking", user, pilot)


def maria_outbox(user):
    pilot = Call.objects.get(slug=PILOT_CALL)
    assert pilot.hold_decisions_for_release
    assert rules.has_perm("applications.release_decisions", user)


def maria_final_report(user):
    report = Report.objects.get(kind=ReportKind.FINAL, status=ReportStatus.SUBMITTED)
    assert rules.has_perm("applications.review_report", user, report)
    # The last instalment waits for the approval, which makes it due for the manager to pay.
    assert report.application.payments.filter(status=PaymentStatus.PLANNED).exists()
    assert rules.has_perm("applications.manage_payments", user, report.application)


def maria_verify_organisation(user):
    organisation = Organisation.objects.get(name="Bräcke kommun")
    assert organisation.verification_status == VerificationStatus.PENDING
    assert organisation.memberships.filter(is_admin=True, is_signatory=False).exists()
    assert rules.has_perm("applications.verify_organisation", user, organisation)


def maria_edit_calls(user):
    assert Call.objects.count() >= 2
    assert rules.has_perm("applications.manage_calls", user)


def sara_rooms_draft(user):
    application = _one(_org_apps(user, call__slug=ROOMS_CALL, state=S.DRAFT))
    assert application.hub is None
    assert application.call.is_open()
    assert sorted(application.answers) == ["own_funding", "ready_by", "room_kind", "rooms"]
    assert sorted(application.budget_lines.values_list("category", flat=True)) == [
        "install",
        "screens",
        "training",
    ]
    assert rules.has_perm("applications.change_application", user, application)
    assert rules.has_perm("applications.submit_application", user, application)


def nils_rooms_returned(user):
    application = _one(_org_apps(user, call__slug=ROOMS_CALL, state=S.RETURNED))
    assert application.completion_deadline > timezone.now()
    assert rules.has_perm("applications.change_application", user, application)
    assert rules.has_perm("applications.submit_application", user, application)


def maria_edit_rooms_call(user):
    rooms = Call.objects.get(slug=ROOMS_CALL)
    assert rooms.is_published and rooms.is_open()
    assert rooms.eligible_kinds == ["region"]
    assert not rooms.hubs.exists()
    assert rooms.interim_reports == 1 and rooms.hold_decisions_for_release
    assert rooms.appeal_text_sv.startswith("Beslutet kan överklagas till förvaltningsrätten")
    assert [q.key for q in rooms.form_questions.order_by("position")] == [
        "rooms",
        "room_kind",
        "ready_by",
        "own_funding",
    ]
    assert [c.key for c in rooms.budget_categories.order_by("position")] == [
        "screens",
        "licences",
        "install",
        "training",
    ]
    states = Application.objects.filter(call=rooms).values_list("state", flat=True)
    assert sorted(states) == sorted([S.DRAFT, S.SUBMITTED, S.RETURNED])
    assert rooms.created_by == user and rooms.published_by != user
    assert rules.has_perm("applications.manage_calls", user)


def lars_confirm(user):
    decision = _one(
        Decision.objects.filter(application__call__slug=PILOT_CALL, status=DecisionStatus.PROPOSED)
    )
    assert decision.outcome == DecisionOutcome.REJECTED
    assert rules.has_perm("applications.confirm_decision", user, decision)


def admin_site(user):
    assert user.is_superuser and user.is_staff


JOURNEYS = {
    ("anna.lindqvist@ostersund.example.se", "write the draft in the open call and submit it"): (
        anna_draft
    ),
    (
        "anna.lindqvist@ostersund.example.se",
        "change the submitted application (two versions) and submit a new version before the "
        "deadline",
    ): anna_new_version,
    (
        "anna.lindqvist@ostersund.example.se",
        "invite a colleague to Östersunds kommun and give signing right",
    ): anna_invite,
    (
        "anna.lindqvist@ostersund.example.se",
        "follow the 2025 grant whose final report waits for the programme manager",
    ): anna_final_report_waiting,
    (
        "erik.holm@ostersund.example.se",
        "work on Östersunds kommun's applications as a member who may neither sign nor invite",
    ): erik_member,
    (
        "johan.berg@krokom.example.se",
        "complete the application returned for completion and submit it again",
    ): johan_returned,
    ("johan.berg@krokom.example.se", "read the closing letter of the closed 2025 grant"): (
        johan_closing_letter
    ),
    (
        "sara.nyberg@regionjh.example.se",
        "read the pilot call's decision letter and accept the grant before the last day",
    ): sara_accept,
    ("sara.nyberg@regionjh.example.se", "see the repayment claim of the 2025 grant"): (
        sara_repayment
    ),
    (
        "leila.haddad@norrtalje.example.se",
        "write and submit the final report of the 2025 grant (in draft)",
    ): leila_final_report,
    ("karin.sjoberg@reviewer.example.se", "score the pilot applications assigned and waiting"): (
        karin_reviews_waiting
    ),
    (
        "karin.sjoberg@reviewer.example.se",
        "decline a pilot assignment with a reason, which the programme manager sees",
    ): karin_reviews_waiting,
    (
        "karin.sjoberg@reviewer.example.se",
        "declare conflicts of interest in the open call's panel",
    ): karin_declare_open_call,
    (
        "per.nilsson@reviewer.example.se",
        "see that Krokoms kommun's application is kept from him (his employer)",
    ): per_kept_from_krokom,
    (
        "ulla.bergstrom@reviewer.example.se",
        "see the conflict she declared on Region Jämtland Härjedalen's application",
    ): ulla_declared,
    (
        "maria.ek@agency.example.se",
        "check eligibility and start review of the application submitted to the closed pilot call",
    ): maria_start_review,
    ("maria.ek@agency.example.se", "see the pilot call's ranking with its funding line"): (
        maria_ranking
    ),
    (
        "maria.ek@agency.example.se",
        "release a decision from the pilot call's outbox once the decision maker has confirmed it",
    ): maria_outbox,
    (
        "maria.ek@agency.example.se",
        "approve or return the final report waiting, and mark instalments paid",
    ): maria_final_report,
    (
        "maria.ek@agency.example.se",
        "verify Bräcke kommun, registered and waiting for the agency's check, and confirm its "
        "first signatory",
    ): maria_verify_organisation,
    (
        "maria.ek@agency.example.se",
        "create, copy or edit a call at `/manage/calls/`; a second person publishes a new one",
    ): maria_edit_calls,
    (
        "maria.ek@agency.example.se",
        'edit the second call, "Digitala mötesrum för regioner" (regions only, no hubs, its own '
        "form and budget categories, an interim report, the outbox on, its own appeal text)",
    ): maria_edit_rooms_call,
    (
        "sara.nyberg@regionjh.example.se",
        "write the draft in the regions' meeting-room call (its own questions and budget "
        "categories, no hub) and submit it",
    ): sara_rooms_draft,
    (
        "nils.aberg@rvn.example.se",
        "complete the meeting-room application returned for completion and submit it again",
    ): nils_rooms_returned,
    (
        "lars.strom@agency.example.se",
        "confirm or send back the rejection proposed in the pilot call",
    ): lars_confirm,
    ("admin@agency.example.se", "the Django admin at `/admin/` (superuser)"): admin_site,
}


@pytest.fixture
def seeded():
    call_command("seed_demo", "--force", stdout=io.StringIO())


def test_every_readme_row_has_a_check_and_every_check_a_row():
    assert sorted(readme_rows()) == sorted(JOURNEYS)


def test_every_printed_login_is_in_the_readme_and_every_readme_login_is_printed():
    from reviews.management.demo_data import PEOPLE

    printed = {email for key, email, *_ in PEOPLE if key in LOGIN_LABELS}
    assert {email for email, _ in readme_rows()} == printed


def test_every_readme_journey_can_be_tried_in_the_seeded_demo(seeded, client):
    for (email, journey), check in JOURNEYS.items():
        user = User.objects.get(email=email)
        assert user.check_password(PASSWORD), email
        try:
            check(user)
        except AssertionError as error:
            raise AssertionError(f"{email}: {journey!r} cannot be tried: {error}") from error


def test_the_journeys_hold_the_next_day_too(seeded, time_machine):
    """Deadlines in the demo are days away, not minutes: a demo seeded today still works
    tomorrow (the acceptance, the completion deadline, the open call)."""
    time_machine.move_to(timezone.now() + dt.timedelta(days=1))
    for (email, _journey), check in JOURNEYS.items():
        check(User.objects.get(email=email))
