"""Privacy: a person's own data on a page and as a JSON download, and the retention job.

The retention job (``personal_data_anonymise_expired``, run daily by
``manage.py anonymise_expired_personal_data``) anonymises people tied only to cases that ended
longer ago than their call's ``personal_data_retention_years``, and blanks the contact details
of such cases, in the application and inside its frozen versions, whose SHA-256 stays.
"""

import datetime as dt
import json
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.dates import years_after
from applications.enums import ApplicationState, DecisionStatus
from applications.hashing import content_sha256
from applications.models import Application, ApplicationVersion, Decision, Invitation, User
from applications.selectors.personal_data import personal_data_for
from applications.selectors.retention import RetentionPlan
from applications.services.decisions import decision_confirm
from applications.services.people import invitation_create
from applications.services.personal_data import personal_data_anonymise_expired
from applications.services.transitions import (
    application_complete_review,
    application_submit,
    application_withdraw,
)
from reviews.models import PanelInvitation, PanelMember
from reviews.services.assignments import assignment_add
from reviews.services.panel import panel_invite
from tests import factories

pytestmark = pytest.mark.django_db

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
PASSWORD = "correct horse battery"  # the factories' password
MY_DATA = reverse("applications:my_data")
DOWNLOAD = reverse("applications:my_data_download")


def at(year, month, day, hour=10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=STOCKHOLM)


def browser(user=None) -> Client:
    client = Client()
    client.cookies["samverket_language"] = "en"
    if user is not None:
        # A logged-in person's pages follow their own language choice.
        User.objects.filter(pk=user.pk).update(language="en")
        client.force_login(user)
    return client


def download(user) -> dict:
    response = browser(user).get(DOWNLOAD)
    assert response.status_code == 200
    return json.loads(response.content)


def run_job(today: dt.date) -> RetentionPlan:
    with time_machine.travel(at(today.year, today.month, today.day, 3), tick=False):
        return personal_data_anonymise_expired(today=today)


def case(when, *, call=None, organisation=None, member=None, end="withdraw"):
    """An application submitted at ``when`` and, by default, withdrawn at once, whose contact
    person is the submitting member (with a phone number). Returns (application, member)."""
    with time_machine.travel(when, tick=False):
        call = call or factories.CallFactory()
        application = factories.ApplicationFactory(
            call=call, **({"organisation": organisation} if organisation else {})
        )
        if member is None:
            member = factories.applicant_for(application, is_admin=True, is_signatory=True)
        Application.objects.filter(pk=application.pk).update(
            contact_name=member.full_name, contact_email=member.email, contact_phone="070-111 22 33"
        )
        application.refresh_from_db()
        application_submit(application=application, by=member)
        if end == "withdraw":
            application_withdraw(application=application, by=member, reason="Not now.")
        application.refresh_from_db()
    return application, member


# -- the page and the download ------------------------------------------------------------------


def test_my_data_page_shows_the_persons_own_data_grouped(applicant, application):
    Application.objects.filter(pk=application.pk).update(contact_email=applicant.email)
    application_submit(application=application, by=applicant)
    application.refresh_from_db()

    response = browser(applicant).get(MY_DATA)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Your data</h1>" in page
    for heading in [
        "Profile",
        "Organisations and roles",
        "Invitations",
        "Applications you created or are the contact person of",
        "Versions you submitted",
        "Files you uploaded",
        "Changes of state you made",
        "Acceptances and reports",
    ]:
        assert f"<h2>{heading}</h2>" in page
    assert applicant.email in page
    assert application.organisation.name in page
    assert application.registration_number in page
    assert application.versions.get().sha256 in page
    assert f'href="{DOWNLOAD}"' in page
    assert "Your work at the agency" not in page
    assert "As a reviewer" not in page


def test_profile_page_links_to_my_data(applicant):
    response = browser(applicant).get(reverse("applications:profile"))
    assert f'<a href="{MY_DATA}">See and download the personal data held about you</a>' in (
        response.content.decode()
    )


def test_download_is_a_private_uncached_json_attachment(applicant):
    with time_machine.travel(at(2026, 3, 5), tick=False):
        response = browser(applicant).get(DOWNLOAD)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="samverket-my-data-2026-03-05.json"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    data = json.loads(response.content)
    assert data["generated_at"] == "2026-03-05T10:00:00+01:00"
    assert data["profile"]["email"] == applicant.email


def test_export_holds_the_persons_data_and_never_another_members(applicant, application):
    colleague = factories.MembershipFactory(
        organisation=application.organisation,
        user__email="colleague@kommun.se",
        user__full_name="Colleague Karlsson",
        user__phone="070-999 88 77",
    ).user
    # The applicant created the application, but the colleague is its contact person.
    Application.objects.filter(pk=application.pk).update(
        created_by=applicant,
        contact_name=colleague.full_name,
        contact_email=colleague.email,
        contact_phone=colleague.phone,
    )
    application_submit(application=application, by=applicant)
    application.refresh_from_db()
    invitation_create(
        organisation=application.organisation,
        by=applicant,
        email="newcomer@kommun.se",
        is_admin=False,
        is_signatory=False,
    )
    applicant.phone = "070-123 45 67"
    applicant.save()

    body = browser(applicant).get(DOWNLOAD).content.decode()
    data = json.loads(body)

    assert data["profile"]["email"] == applicant.email
    assert data["profile"]["phone"] == "070-123 45 67"
    assert data["organisations"] == [
        {
            "organisation": application.organisation.name,
            "orgnr": application.organisation.orgnr,
            "administrator": True,
            "signing_right": True,
            "member_since": data["organisations"][0]["member_since"],
        }
    ]
    (row,) = data["applications"]
    assert row["registration_number"] == application.registration_number
    assert row["created_by_you"] is True
    assert row["contact_person"] is False
    assert row["contact"] is None
    assert [v["version"] for v in data["versions_submitted"]] == [1]
    assert [t["transition"] for t in data["transitions"]] == ["submit"]
    (sent,) = data["invitations_sent"]
    assert sent["organisation"] == application.organisation.name
    assert "email" not in sent
    for other in ["colleague@kommun.se", "Colleague Karlsson", "070-999 88 77", "newcomer@kommun"]:
        assert other not in body
    page = browser(applicant).get(MY_DATA).content.decode()
    for other in ["colleague@kommun.se", "Colleague Karlsson", "070-999 88 77", "newcomer@kommun"]:
        assert other not in page


def test_the_contact_person_sees_the_contact_details_of_their_applications(application):
    contact = factories.applicant_for(application)
    Application.objects.filter(pk=application.pk).update(
        contact_name="Kim Kontakt", contact_email=contact.email.upper(), contact_phone="08-1234"
    )

    (row,) = download(contact)["applications"]

    assert row["created_by_you"] is False
    assert row["contact_person"] is True
    assert row["contact"] == {
        "name": "Kim Kontakt",
        "email": contact.email.upper(),
        "phone": "08-1234",
    }


def _reviewer_with_a_review(programme_manager):
    call = factories.CallFactory()
    criterion = factories.CriterionFactory(call=call, name_en="Feasibility")
    (application,) = factories.applications_in_review(call, by=programme_manager)
    members = [factories.PanelMemberFactory(call=call, employer_name="Region X") for _ in "ab"]
    for member in members:
        factories.declare_none(member, [application])
        assignment = assignment_add(member=member, application=application, by=programme_manager)
        factories.submit_review(
            assignment, {criterion: 5}, comment=f"Comment by {member.user.full_name}."
        )
    return members, application


def test_reviewer_export_has_seats_declarations_assignments_and_reviews(programme_manager):
    (member, other), application = _reviewer_with_a_review(programme_manager)

    body = browser(member.user).get(DOWNLOAD).content.decode()
    review = json.loads(body)["review"]

    assert [s["employer"] for s in review["panel_seats"]] == ["Region X"]
    assert [(d["application"], d["conflict"]) for d in review["conflict_declarations"]] == [
        (application.registration_number, False)
    ]
    assert [a["application"] for a in review["assignments"]] == [application.registration_number]
    (mine,) = review["reviews"]
    assert mine["status"] == "submitted"
    assert mine["recommendation"] == "fund"
    assert mine["comment_for_applicant"] == f"Comment by {member.user.full_name}."
    assert mine["scores"] == [{"criterion": "Feasibility", "score": 5}]
    assert other.user.full_name not in body
    assert other.user.email not in body
    page = browser(member.user).get(MY_DATA).content.decode()
    assert "<h2>As a reviewer</h2>" in page
    assert "Feasibility: 5" in page
    assert other.user.full_name not in page


def test_staff_export_has_the_decisions_they_presented_and_made(
    call, programme_manager, decision_maker
):
    (application,) = factories.reviewed_applications(call, by=programme_manager)
    decision = factories.proposed_decision(application, by=programme_manager)
    decision_confirm(decision=decision, by=decision_maker)

    presented = download(programme_manager)["decisions"]
    decided = download(decision_maker)["decisions"]

    assert [(d["application"], d["presented_by_you"], d["decided_by_you"]) for d in presented] == [
        (application.registration_number, True, False)
    ]
    assert [(d["application"], d["presented_by_you"], d["decided_by_you"]) for d in decided] == [
        (application.registration_number, False, True)
    ]
    assert decided[0]["status"] == DecisionStatus.CONFIRMED
    assert [c["application"] for c in download(programme_manager)["eligibility_checks"]] == [
        application.registration_number
    ]
    assert download(decision_maker)["profile"]["agency_roles_labels"] == ["Decision maker"]
    page = browser(decision_maker).get(MY_DATA).content.decode()
    assert "<h2>Your work at the agency</h2>" in page


ROLES = {
    "applicant": lambda: factories.MembershipFactory().user,
    "reviewer": lambda: factories.PanelMemberFactory().user,
    "programme manager": factories.programme_manager,
    "decision maker": factories.decision_maker,
    "superuser": lambda: factories.UserFactory(is_superuser=True, is_staff=True),
    "person without any role": factories.UserFactory,
}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_and_downloads_their_own_data(role):
    user = ROLES[role]()
    factories.UserFactory(email="someone.else@example.se")

    page = browser(user).get(MY_DATA)
    data = download(user)

    assert page.status_code == 200
    assert data["profile"]["id"] == user.pk
    assert data["profile"]["email"] == user.email
    assert "someone.else@example.se" not in json.dumps(data)


@pytest.mark.parametrize("url", [MY_DATA, DOWNLOAD])
def test_anonymous_is_sent_to_login(url):
    response = browser().get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(MY_DATA).status_code == 200
    return len(queries)


def test_my_data_page_query_count_does_not_grow_with_rows(applicant, application):
    application_submit(application=application, by=applicant)
    client = browser(applicant)
    client.get(MY_DATA)  # the first request of a process fills caches of its own
    one = _count_queries(client)
    for _ in range(4):
        more = factories.ApplicationFactory(
            call=application.call, organisation=application.organisation, created_by=applicant
        )
        application_submit(application=more, by=applicant)

    assert _count_queries(client) == one


def test_export_is_a_fixed_number_of_queries(applicant, application, django_assert_num_queries):
    application_submit(application=application, by=applicant)
    # profile groups, memberships, 2 invitation lists, applications, versions, attachments,
    # transitions, acceptances, reports, decisions, eligibility checks, late exceptions,
    # payments; the reviewer's part: seats, panel invitations, declarations, conflict
    # decisions, assignments and reviews (their scores are one more query when there are any).
    with django_assert_num_queries(20):
        personal_data_for(applicant)


# -- the retention job -----------------------------------------------------------------------


def test_a_person_tied_only_to_a_case_ended_long_ago_is_anonymised():
    application, member = case(at(2015, 6, 1))
    member_pk = member.pk

    plan = run_job(dt.date(2025, 6, 2))

    assert member_pk in plan.user_ids
    assert plan.case_ids == [application.pk]
    member = User.objects.get(pk=member_pk)
    assert member.full_name == f"Anonymiserad person {member_pk}"
    assert member.email == f"anonymised-{member_pk}@invalid"
    assert member.phone == ""
    assert member.is_active is False
    assert member.has_usable_password() is False
    assert member.memberships.count() == 0
    application.refresh_from_db()
    assert (application.contact_name, application.contact_email, application.contact_phone) == (
        "",
        "",
        "",
    )
    assert application.state == ApplicationState.WITHDRAWN
    assert application.registration_number is not None


def test_the_redacted_version_keeps_its_hash_and_holds_no_personal_data():
    application, member = case(at(2015, 6, 1))
    version = application.versions.get()
    original = dict(version.content)
    sha256 = version.sha256
    assert content_sha256(original) == sha256
    name, email = member.full_name, member.email

    run_job(dt.date(2025, 6, 2))

    version.refresh_from_db()
    assert version.sha256 == sha256
    assert version.redacted_at == at(2025, 6, 2, 3)
    assert version.content["contact"] == {"name": "", "email": "", "phone": ""}
    assert {k: v for k, v in version.content.items() if k != "contact"} == {
        k: v for k, v in original.items() if k != "contact"
    }
    stored = json.dumps(version.content, ensure_ascii=False)
    for personal in [name, email, "070-111 22 33"]:
        assert personal not in stored
    # The hash still proves what was received: the original content hashes to it.
    assert content_sha256({**version.content, "contact": original["contact"]}) == sha256


def test_a_case_is_kept_through_the_anniversary_and_anonymised_the_day_after():
    application, member = case(at(2015, 6, 1))

    kept = run_job(dt.date(2025, 6, 1))
    member.refresh_from_db()
    assert (kept.user_ids, kept.case_ids, member.is_active) == ([], [], True)

    gone = run_job(dt.date(2025, 6, 2))
    assert member.pk in gone.user_ids


def test_a_case_ended_recently_keeps_its_people_and_contact_details():
    application, member = case(at(2022, 6, 1))

    plan = run_job(dt.date(2025, 6, 2))

    assert plan == RetentionPlan(case_ids=[], user_ids=[])
    member.refresh_from_db()
    application.refresh_from_db()
    assert member.is_active is True
    assert member.email != f"anonymised-{member.pk}@invalid"
    assert application.contact_email == member.email
    assert application.versions.get().redacted_at is None


def test_the_calls_retention_setting_decides():
    with time_machine.travel(at(2020, 1, 1), tick=False):
        short = factories.CallFactory(personal_data_retention_years=2)
    application, member = case(at(2020, 1, 2), call=short)

    assert member.pk not in run_job(dt.date(2022, 1, 2)).user_ids
    assert member.pk in run_job(dt.date(2022, 1, 3)).user_ids


def test_an_open_case_in_another_call_keeps_the_member():
    old, member = case(at(2015, 6, 1))
    with time_machine.travel(at(2025, 5, 20), tick=False):
        factories.ApplicationFactory(
            call=factories.CallFactory(), organisation=old.organisation, created_by=member
        )

    plan = run_job(dt.date(2025, 6, 2))

    assert member.pk not in plan.user_ids
    member.refresh_from_db()
    assert member.is_active is True
    assert member.memberships.count() == 1
    # The old case's own contact details are past their retention all the same.
    assert plan.case_ids == [old.pk]
    old.refresh_from_db()
    assert old.contact_email == ""


@pytest.mark.parametrize(
    "staff",
    [
        factories.programme_manager,
        factories.decision_maker,
        lambda: factories.UserFactory(is_superuser=True),
        lambda: factories.UserFactory(is_staff=True),
    ],
    ids=["programme manager", "decision maker", "superuser", "admin-site user"],
)
def test_agency_staff_are_kept(staff):
    with time_machine.travel(at(2015, 5, 1), tick=False):
        person = staff()
    application, member = case(at(2015, 6, 1))
    factories.MembershipFactory(user=person, organisation=application.organisation)

    plan = run_job(dt.date(2025, 6, 2))

    assert member.pk in plan.user_ids
    assert person.pk not in plan.user_ids
    person.refresh_from_db()
    assert person.is_active is True
    assert person.memberships.count() == 1


def test_a_person_tied_to_no_case_is_kept():
    with time_machine.travel(at(2010, 1, 1), tick=False):
        loner = factories.MembershipFactory().user

    assert loner.pk not in run_job(dt.date(2025, 6, 2)).user_ids


def test_a_draft_counts_as_ended_once_its_call_has_closed():
    with time_machine.travel(at(2015, 6, 1), tick=False):
        call = factories.CallFactory()  # closes on 8 June 2015
        draft = factories.ApplicationFactory(call=call)
        member = factories.applicant_for(draft)

    assert member.pk not in run_job(dt.date(2025, 6, 8)).user_ids
    plan = run_job(dt.date(2025, 6, 9))

    assert member.pk in plan.user_ids
    assert draft.created_by_id in plan.user_ids
    assert plan.case_ids == [draft.pk]


def test_a_closed_case_ends_at_its_closing_time():
    application, member = case(at(2014, 1, 1), end=None)
    Application.objects.filter(pk=application.pk).update(
        state=ApplicationState.CLOSED, closed_at=at(2015, 6, 1)
    )

    assert member.pk not in run_job(dt.date(2025, 6, 1)).user_ids
    assert member.pk in run_job(dt.date(2025, 6, 2)).user_ids


def test_a_rejected_case_ends_at_its_decision_and_the_decision_is_kept_as_it_is():
    with time_machine.travel(at(2015, 5, 1), tick=False):
        manager, decider = factories.programme_manager(), factories.decision_maker()
        call = factories.CallFactory()
        (application,) = factories.applications_in_review(call, by=manager)
        reviewer = factories.PanelMemberFactory(call=call, employer_name="Region Y")
        factories.declare_none(reviewer, [application])
        application_complete_review(application=application, by=manager)
        member = application.organisation.memberships.get().user
    with time_machine.travel(at(2015, 6, 1), tick=False):
        decision = factories.proposed_decision(application, by=manager, outcome="rejected")
        decision_confirm(decision=decision, by=decider)
    decision.refresh_from_db()
    letter_data = decision.letter_data

    assert member.pk not in run_job(dt.date(2025, 6, 1)).user_ids
    plan = run_job(dt.date(2025, 6, 2))

    assert member.pk in plan.user_ids
    assert reviewer.user_id in plan.user_ids
    assert manager.pk not in plan.user_ids
    assert decider.pk not in plan.user_ids
    decision = Decision.objects.get(pk=decision.pk)
    assert decision.letter_data == letter_data
    assert decision.letter_data["decided_by"] == decider.full_name
    assert decision.letter_data["presented_by"] == manager.full_name
    reviewer.refresh_from_db()
    assert (reviewer.employer_name, reviewer.employer_orgnr) == ("", "")
    assert reviewer.user.email == f"anonymised-{reviewer.user_id}@invalid"


def test_a_reviewer_on_the_panel_of_an_unfinished_call_is_kept():
    old, _ = case(at(2015, 6, 1))
    with time_machine.travel(at(2015, 5, 1), tick=False):
        reviewer = factories.PanelMemberFactory(call=old.call).user
    with time_machine.travel(at(2025, 5, 20), tick=False):
        factories.PanelMemberFactory(user=reviewer)  # on a call open until 27 May 2025
        factories.PanelMemberFactory(user=reviewer, call__closes_at=at(2025, 7, 1))
    with time_machine.travel(at(2015, 5, 1), tick=False):
        finished = factories.PanelMemberFactory(call=old.call).user

    plan = run_job(dt.date(2025, 6, 2))

    assert finished.pk in plan.user_ids
    assert reviewer.pk not in plan.user_ids


def test_a_reviewer_is_kept_while_a_case_of_their_call_is_open():
    old, _ = case(at(2015, 6, 1))
    case(at(2015, 6, 2), call=old.call, end=None)  # still submitted
    with time_machine.travel(at(2015, 5, 1), tick=False):
        reviewer = factories.PanelMemberFactory(call=old.call).user

    assert reviewer.pk not in run_job(dt.date(2025, 6, 3)).user_ids


def test_invitations_to_and_from_an_anonymised_person_are_ended_and_readdressed():
    application, member = case(at(2015, 6, 1))
    email = member.email
    with time_machine.travel(at(2025, 5, 30), tick=False):
        other_org = factories.OrganisationFactory()
        inviter = factories.MembershipFactory(organisation=other_org, is_admin=True).user
        to_member = invitation_create(
            organisation=other_org, by=inviter, email=email, is_admin=False, is_signatory=False
        )
        from_member = invitation_create(
            organisation=application.organisation,
            by=member,
            email="colleague@kommun.se",
            is_admin=False,
            is_signatory=False,
        )
        panel_call = factories.CallFactory()
        panel_invitation = panel_invite(
            call=panel_call, by=factories.programme_manager(), email=email
        )

    run_job(dt.date(2025, 6, 2))

    anonymised = f"anonymised-{member.pk}@invalid"
    to_member.refresh_from_db()
    from_member.refresh_from_db()
    panel_invitation.refresh_from_db()
    assert (to_member.email, to_member.expires_at) == (anonymised, at(2025, 6, 2, 3))
    assert (from_member.email, from_member.expires_at) == (
        "colleague@kommun.se",
        at(2025, 6, 2, 3),
    )
    assert (panel_invitation.email, panel_invitation.expires_at) == (anonymised, at(2025, 6, 2, 3))
    assert not Invitation.objects.filter(email__iexact=email).exists()
    assert not PanelInvitation.objects.filter(email__iexact=email).exists()


def test_running_the_job_twice_does_no_harm():
    application, member = case(at(2015, 6, 1))
    first = run_job(dt.date(2025, 6, 2))
    snapshot = (
        list(User.objects.values().order_by("pk")),
        list(ApplicationVersion.objects.values().order_by("pk")),
        list(Application.objects.values().order_by("pk")),
        list(PanelMember.objects.values().order_by("pk")),
    )

    second = run_job(dt.date(2025, 6, 3))

    assert first.user_ids and first.case_ids
    assert second == RetentionPlan(case_ids=[], user_ids=[])
    assert snapshot == (
        list(User.objects.values().order_by("pk")),
        list(ApplicationVersion.objects.values().order_by("pk")),
        list(Application.objects.values().order_by("pk")),
        list(PanelMember.objects.values().order_by("pk")),
    )


def _logs_in(email: str) -> bool:
    # Through the login page: django-axes refuses ``client.login()``, which has no request.
    client = browser()
    client.post(reverse("login"), {"username": email, "password": PASSWORD})
    return "_auth_user_id" in client.session


def test_the_anonymised_person_can_no_longer_log_in():
    application, member = case(at(2015, 6, 1))
    email = member.email
    with time_machine.travel(at(2025, 6, 1), tick=False):
        assert _logs_in(email) is True
        session = browser(member)
        assert session.get(MY_DATA).status_code == 200

    run_job(dt.date(2025, 6, 2))

    with time_machine.travel(at(2025, 6, 2, 9), tick=False):
        assert _logs_in(email) is False
        assert _logs_in(f"anonymised-{member.pk}@invalid") is False
        # A session opened before is over too.
        assert session.get(MY_DATA).status_code == 302


def test_the_command_anonymises_and_reports_ids_only():
    application, member = case(at(2015, 6, 1))
    name = member.full_name
    out = StringIO()

    with time_machine.travel(at(2025, 6, 2, 3), tick=False):
        call_command("anonymise_expired_personal_data", stdout=out)

    people = sorted([member.pk, application.created_by_id])
    assert out.getvalue() == (
        f"Anonymised 2 people (user ids: {people[0]}, {people[1]}).\n"
        f"Redacted the contact details of 1 cases ended longer ago than their call's retention "
        f"({application.registration_number}).\n"
    )
    assert name not in out.getvalue()
    assert User.objects.get(pk=member.pk).is_active is False


def test_the_command_dry_run_prints_the_plan_and_changes_nothing():
    application, member = case(at(2015, 6, 1))
    before = (
        list(User.objects.values().order_by("pk")),
        list(ApplicationVersion.objects.values().order_by("pk")),
        list(Application.objects.values().order_by("pk")),
    )
    out = StringIO()

    with time_machine.travel(at(2025, 6, 2, 3), tick=False):
        call_command("anonymise_expired_personal_data", "--dry-run", stdout=out)

    people = sorted([member.pk, application.created_by_id])
    assert out.getvalue() == (
        f"Would anonymise 2 people (user ids: {people[0]}, {people[1]}).\n"
        f"Would redact the contact details of 1 cases ended longer ago than their call's "
        f"retention ({application.registration_number}).\n"
    )
    assert before == (
        list(User.objects.values().order_by("pk")),
        list(ApplicationVersion.objects.values().order_by("pk")),
        list(Application.objects.values().order_by("pk")),
    )


def test_the_command_takes_the_day_to_judge_by():
    application, member = case(at(2015, 6, 1))
    out = StringIO()

    call_command("anonymise_expired_personal_data", "--dry-run", "--today=2025-06-01", stdout=out)
    assert out.getvalue().startswith("Would anonymise 0 people (user ids: none).\n")

    with pytest.raises(Exception, match="--today must be a date as YYYY-MM-DD"):
        call_command("anonymise_expired_personal_data", "--today=1 June")


def test_retention_counts_whole_years_and_29_february_falls_on_28_february():
    assert years_after(dt.date(2016, 2, 29), 10) == dt.date(2026, 2, 28)
    assert years_after(dt.date(2016, 2, 29), 4) == dt.date(2020, 2, 29)
    assert years_after(dt.date(2015, 12, 31), 10) == dt.date(2025, 12, 31)


def test_a_case_ended_late_in_the_evening_ends_on_that_day_in_stockholm():
    # 23:30 in Stockholm on 1 June is 21:30 UTC: the end is still 1 June.
    application, member = case(at(2015, 6, 1, 23) + dt.timedelta(minutes=30))

    assert member.pk not in run_job(dt.date(2025, 6, 1)).user_ids
    assert member.pk in run_job(dt.date(2025, 6, 2)).user_ids
