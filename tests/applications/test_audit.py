"""The audit log: a hash-chained, append-only record of state changes, decisions, conflicts of
interest, exports and staff logins, with no personal data in it; ``audit_verify`` checks it.

Entries are reached through the services, views and login pages that write them. Tampering is
done with raw SQL, as an intruder with database access would (on PostgreSQL the trigger that
refuses it is switched off inside the test's transaction first, see ``tamper``).
"""

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from applications.audit import audit_record, audit_verify_chain
from applications.enums import EligibilityItem
from applications.models import (
    ApplicationTransition,
    AuditChainHead,
    AuditEntry,
    ImmutableAuditEntry,
)
from applications.models.audit import GENESIS_HASH
from applications.services.decisions import (
    decision_confirm,
    decision_send_back,
    decisions_release_for_call,
)
from applications.services.transitions import (
    application_check_eligibility,
    application_complete_review,
    application_record_deadline_exception,
    application_return_for_completion,
    application_submit,
    application_withdraw,
)
from reviews.enums import ConflictGround
from reviews.models import Assignment
from reviews.services.assignments import assignment_add, assignment_remove, assignments_auto
from reviews.services.conflicts import Declaration, conflict_override, conflicts_declare
from reviews.services.panel import panel_member_set_employer
from tests import factories

pytestmark = pytest.mark.django_db

UTC = dt.UTC
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


def only(action: str) -> AuditEntry:
    (entry,) = AuditEntry.objects.filter(action=action)
    return entry


def tamper(sql: str, params=()) -> None:
    """Change the log behind the application's back; on PostgreSQL with the trigger off (the
    test's transaction rolls the switch back with everything else)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign-key check: run those first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE applications_auditentry DISABLE TRIGGER audit_entry_is_immutable"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE applications_auditentry ENABLE TRIGGER audit_entry_is_immutable"
            )


def verify() -> str:
    """``audit_verify``'s report: its output when the chain holds, its error when it does not."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        assert error.returncode == 1
        return f"exit 1: {error}"
    return f"exit 0: {out.getvalue().strip()}"


def record_five() -> list[AuditEntry]:
    return [audit_record(action="test.step", actor=None, data={"n": n}) for n in range(1, 6)]


# -- the chain ----------------------------------------------------------------------------------


def test_entries_are_numbered_from_one_and_each_holds_the_hash_of_the_one_before():
    entries = record_five()

    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    head = AuditChainHead.objects.get()
    assert (head.sequence, head.hash) == (5, entries[-1].hash)


def test_the_hash_is_sha256_of_the_canonical_json_of_the_entry(application, programme_manager):
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC), tick=False):
        entry = audit_record(
            action="test.thing", actor=programme_manager, target=application, data={"n": 1}
        )

    payload = {
        "sequence": 1,
        "at": "2026-11-20T09:30:00.000000+00:00",
        "actor": programme_manager.pk,
        "action": "test.thing",
        "object": ["applications.application", application.pk],
        "data": {"n": 1},
        "prev_hash": "0" * 64,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert entry.hash == hashlib.sha256(canonical.encode()).hexdigest()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.compute_hash() == entry.hash
    assert (stored.object_type, stored.object_id) == ("applications.application", application.pk)


def test_data_is_plain_json_decimals_and_times_as_text_and_floats_refused():
    entry = audit_record(
        action="test.kinds",
        actor=None,
        data={
            "score": Decimal("5.25"),
            "at": dt.datetime(2026, 12, 1, 13, 0, tzinfo=UTC),
            "on": dt.date(2026, 12, 1),
            "ids": (1, 2),
        },
    )
    assert AuditEntry.objects.get(pk=entry.pk).data == {
        "score": "5.25",
        "at": "2026-12-01T13:00:00.000000+00:00",
        "on": "2026-12-01",
        "ids": [1, 2],
    }
    with pytest.raises(TypeError, match="float is not allowed"):
        audit_record(action="test.float", actor=None, data={"share": 0.5})
    with pytest.raises(TypeError, match="keys must be text"):
        audit_record(action="test.key", actor=None, data={1: "one"})
    assert actions() == ["test.kinds"]


def test_a_rolled_back_change_leaves_no_entry_and_no_gap(application, applicant):
    audit_record(action="test.before", actor=None)

    with pytest.raises(RuntimeError), transaction.atomic():
        application_withdraw(application=application, by=applicant, reason="Changed plans")
        assert actions() == ["test.before", "application.withdraw"]
        raise RuntimeError("the request failed after the withdrawal")

    assert actions() == ["test.before"]
    assert ApplicationTransition.objects.count() == 0
    assert audit_record(action="test.after", actor=None).sequence == 2
    assert verify().startswith("exit 0: OK: 2 entries")


def test_a_refused_change_writes_no_entry(application, applicant):
    with pytest.raises(ValidationError):
        application_withdraw(application=application, by=applicant, reason=" ")
    assert actions() == []


# -- append only --------------------------------------------------------------------------------


def test_an_entry_cannot_be_saved_again_or_deleted():
    entry = audit_record(action="test.step", actor=None, data={"n": 1})
    entry.action = "test.other"

    with pytest.raises(ImmutableAuditEntry):
        entry.save()
    with pytest.raises(ImmutableAuditEntry):
        entry.delete()

    assert actions() == ["test.step"]


def test_bulk_update_and_delete_are_refused():
    record_five()

    with pytest.raises(ImmutableAuditEntry):
        AuditEntry.objects.filter(sequence=3).update(action="test.other")
    with pytest.raises(ImmutableAuditEntry):
        AuditEntry.objects.filter(sequence__gte=4).delete()
    with pytest.raises(ImmutableAuditEntry):
        AuditEntry.objects.all().delete()

    assert actions() == ["test.step"] * 5


def test_a_person_with_entries_cannot_be_deleted(programme_manager):
    from django.db.models import ProtectedError

    audit_record(action="test.step", actor=programme_manager)
    with pytest.raises(ProtectedError):
        programme_manager.delete()


# -- what is logged: the application --------------------------------------------------------------


def test_a_whole_case_is_logged_in_order_with_the_transition_log(
    call, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    application = factories.submitted_application(call)
    factories.start_review([application], by=programme_manager)
    application_complete_review(application=application, by=programme_manager)
    decision = factories.proposed_decision(application, by=programme_manager)
    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=decision, by=decision_maker)

    assert actions() == [
        "application.submit",
        "application.eligibility_check",
        "application.start_review",
        "application.complete_review",
        "decision.propose",
        "application.approve",
        "decision.confirm",
        "decision.letter_stored",
        "decision.release",
    ]
    transitions = ApplicationTransition.objects.filter(application=application).order_by("pk")
    logged = AuditEntry.objects.filter(action__startswith="application.").exclude(
        action="application.eligibility_check"
    )
    assert [e.action for e in logged] == [f"application.{t.name}" for t in transitions]
    assert [(e.data["from"], e.data["to"]) for e in logged] == [
        (t.source, t.target) for t in transitions
    ]
    assert {e.object_id for e in logged} == {application.pk}
    assert verify().startswith("exit 0: OK: 9 entries")


def test_submit_names_the_applicant_the_application_and_the_states(application, applicant):
    application_submit(application=application, by=applicant)

    entry = only("application.submit")
    assert entry.actor == applicant
    assert (entry.object_type, entry.object_id) == ("applications.application", application.pk)
    assert entry.data == {"from": "draft", "to": "submitted"}


def test_return_and_withdraw_keep_their_texts_out_of_the_log(
    programme_manager, django_capture_on_commit_callbacks
):
    application = factories.submitted_application()
    member = factories.applicant_for(application)
    application_return_for_completion(
        application=application,
        by=programme_manager,
        message="Attach the budget from Karin Berg.",
        deadline=timezone.now() + dt.timedelta(days=7),
    )
    application_withdraw(application=application, by=member, reason="Karin is ill.")

    assert only("application.return_for_completion").data == {
        "from": "submitted",
        "to": "returned",
    }
    withdraw = only("application.withdraw")
    assert (withdraw.actor, withdraw.data) == (member, {"from": "returned", "to": "withdrawn"})


def test_late_exception_and_eligibility_check_are_logged(programme_manager):
    application = factories.submitted_application()
    new_deadline = dt.datetime(2099, 1, 15, 11, 0, tzinfo=UTC)
    exception = application_record_deadline_exception(
        application=application,
        by=programme_manager,
        new_deadline=new_deadline,
        reason="Documented outage at the applicant's office",
    )
    application_check_eligibility(
        application=application,
        by=programme_manager,
        items={item: item != EligibilityItem.values[0] for item in EligibilityItem.values},
    )

    late = only("application.deadline_exception")
    assert (late.actor, late.object_id) == (programme_manager, application.pk)
    assert late.data == {
        "exception_id": exception.pk,
        "new_deadline": "2099-01-15T11:00:00.000000+00:00",
    }
    check = only("application.eligibility_check")
    assert check.data == {
        "items": {item: item != EligibilityItem.values[0] for item in EligibilityItem.values},
        "passed": False,
    }


# -- what is logged: decisions -------------------------------------------------------------------


def test_propose_and_send_back_are_logged_with_codes_not_texts(
    call, programme_manager, decision_maker
):
    (application,) = factories.reviewed_applications(call, by=programme_manager)
    decision = factories.proposed_decision(
        application, by=programme_manager, outcome="rejected", justification="Weak plan."
    )
    decision_send_back(decision=decision, by=decision_maker, comment="Say more.")

    propose, send_back = AuditEntry.objects.filter(action__startswith="decision.")
    assert (propose.action, propose.actor, propose.object_type, propose.object_id) == (
        "decision.propose",
        programme_manager,
        "applications.decision",
        decision.pk,
    )
    assert propose.data == {
        "application_id": application.pk,
        "outcome": "rejected",
        "granted_amount": 0,
        "reason_code": "",
        "status": "proposed",
        "supersedes_id": None,
        "below_threshold": False,
    }
    assert (send_back.action, send_back.actor) == ("decision.send_back", decision_maker)
    assert send_back.data["status"] == "sent_back"


def test_confirm_letter_and_release_are_logged(
    call, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    call.hold_decisions_for_release = True
    call.save()
    (application,) = factories.reviewed_applications(call, by=programme_manager)
    decision = factories.proposed_decision(application, by=programme_manager)
    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=decision, by=decision_maker)
    assert "decision.release" not in actions()  # held for the common decision date
    with django_capture_on_commit_callbacks(execute=True):
        decisions_release_for_call(call=call, by=programme_manager)

    confirm = only("decision.confirm")
    assert (confirm.actor, confirm.data["status"], confirm.data["granted_amount"]) == (
        decision_maker,
        "confirmed",
        decision.granted_amount,
    )
    letter = only("decision.letter_stored")
    stored = decision.letter
    assert letter.actor is None
    assert (letter.object_type, letter.object_id) == ("applications.decisionletter", stored.pk)
    assert letter.data == {
        "decision_id": decision.pk,
        "application_id": application.pk,
        "sha256": stored.sha256,
        "size": stored.size,
    }
    release = only("decision.release")
    assert (release.actor, release.object_id) == (programme_manager, decision.pk)


# -- what is logged: review ----------------------------------------------------------------------


@pytest.fixture
def review_call():
    return factories.CallFactory(reviewers_per_application=1, min_reviews=1)


@pytest.fixture
def in_review(review_call, programme_manager):
    return factories.applications_in_review(review_call, by=programme_manager)[0]


@pytest.fixture
def member(review_call):
    return factories.PanelMemberFactory(call=review_call)


def review_actions() -> list[tuple]:
    return list(
        AuditEntry.objects.exclude(action__startswith="application.").values_list(
            "action", "actor_id", "object_type", "data"
        )
    )


def test_declarations_overrides_and_the_assignments_they_remove_are_logged(
    member, in_review, programme_manager
):
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[Declaration(application_id=in_review.pk, has_conflict=False)],
    )
    # Declaring "none" again changes nothing and writes nothing.
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[Declaration(application_id=in_review.pk, has_conflict=False)],
    )
    assignment = assignment_add(member=member, application=in_review, by=programme_manager)
    conflict_override(
        member=member,
        application=in_review,
        by=programme_manager,
        has_conflict=True,
        reason="Her sister runs the project.",
    )
    conflict_override(
        member=member,
        application=in_review,
        by=programme_manager,
        has_conflict=False,
        reason="The sister has left.",
    )

    declaration = member.declarations.get()
    pair = {"member_id": member.pk, "application_id": in_review.pk}
    assert review_actions() == [
        (
            "conflict.declare",
            member.user.pk,
            "reviews.conflictdeclaration",
            {**pair, "has_conflict": False, "ground": ""},
        ),
        (
            "assignment.add",
            programme_manager.pk,
            "reviews.assignment",
            {**pair, "reason": "manual"},
        ),
        (
            "assignment.remove",
            programme_manager.pk,
            "reviews.assignment",
            {**pair, "reason": "conflict"},
        ),
        (
            "conflict.override",
            programme_manager.pk,
            "reviews.conflictoverride",
            {**pair, "has_conflict": True},
        ),
        (
            "conflict.override",
            programme_manager.pk,
            "reviews.conflictoverride",
            {**pair, "has_conflict": False},
        ),
    ]
    assert only("assignment.add").object_id == assignment.pk
    assert only("conflict.declare").object_id == declaration.pk


def test_a_declared_conflict_is_logged_with_its_ground_not_its_comment(member, in_review):
    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[
            Declaration(
                application_id=in_review.pk,
                has_conflict=True,
                ground=ConflictGround.values[0],
                comment="I used to work with Karin Berg.",
            )
        ],
    )
    assert only("conflict.declare").data == {
        "member_id": member.pk,
        "application_id": in_review.pk,
        "has_conflict": True,
        "ground": ConflictGround.values[0],
    }


def test_automatic_and_manual_assignment_changes_and_the_employer_are_logged(
    member, in_review, programme_manager
):
    factories.declare_none(member, [in_review])
    assignments_auto(call=in_review.call, by=programme_manager)
    assignment = Assignment.objects.get()
    assignment_remove(assignment=assignment, by=programme_manager, reason="Too busy.")
    panel_member_set_employer(member=member, by=member.user, employer_orgnr=factories.orgnr())

    pair = {"member_id": member.pk, "application_id": in_review.pk}
    assert [(a, actor, data) for a, actor, _type, data in review_actions()[1:]] == [
        ("assignment.add", programme_manager.pk, {**pair, "reason": "automatic"}),
        ("assignment.remove", programme_manager.pk, {**pair, "reason": "manual"}),
        (
            "panel.set_employer",
            member.user.pk,
            {"call_id": in_review.call_id, "has_employer": True},
        ),
    ]


def test_a_submitted_review_is_logged_after_the_completion_it_causes(
    member, in_review, programme_manager
):
    criterion = factories.CriterionFactory(call=in_review.call)
    factories.declare_none(member, [in_review])
    assignment = assignment_add(member=member, application=in_review, by=programme_manager)
    review = factories.submit_review(assignment, {criterion: 5})

    assert actions()[-2:] == ["application.complete_review", "review.submit"]
    entry = only("review.submit")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        member.user,
        "reviews.review",
        review.pk,
    )
    assert entry.data == {
        "assignment_id": assignment.pk,
        "application_id": in_review.pk,
        "recommendation": "fund",
    }
    assert only("application.complete_review").actor is None


# -- what is logged: exports ---------------------------------------------------------------------


def test_the_case_list_export_is_logged_with_its_filters_but_not_the_search_text(
    client, programme_manager
):
    call = factories.CallFactory()
    for _ in range(2):
        factories.submitted_application(call)
    client.force_login(programme_manager)

    response = client.post(
        reverse("applications:manage_export"), {"call": call.pk, "q": "Karin Berg"}
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)
    response = client.post(reverse("applications:manage_export"), {"state": "submitted"})
    b"".join(response.streaming_content)

    first, second = AuditEntry.objects.filter(action="export.case_list")
    assert first.actor == programme_manager
    assert first.data == {
        "format": "csv",
        "rows": 0,
        "filters": {"call_id": call.pk, "state": "", "kind": "", "county": "", "search": True},
    }
    assert second.data == {
        "format": "csv",
        "rows": 2,
        "filters": {
            "call_id": None,
            "state": "submitted",
            "kind": "",
            "county": "",
            "search": False,
        },
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_ranking_export_is_logged(client, programme_manager, fmt):
    call = factories.CallFactory()
    factories.applications_in_review(call, by=programme_manager, count=2)
    client.force_login(programme_manager)

    response = client.post(reverse("reviews:ranking_export", args=[call.slug, fmt]))

    assert response.status_code == 200
    entry = only("export.ranking")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        programme_manager,
        "grants.call",
        call.pk,
    )
    assert entry.data == {"format": fmt, "rows": 2}


def test_a_refused_export_is_not_logged(client, decision_maker, applicant):
    client.force_login(applicant)
    assert client.post(reverse("applications:manage_export")).status_code == 403
    assert "export.case_list" not in actions()


def test_an_export_by_get_is_refused_and_writes_no_audit_entry(
    client, programme_manager, decision_maker
):
    """Exports are POST only: a GET (a prefetching browser, a crawler, an old bookmark) must
    not put an export that no one made in the audit log."""
    call = factories.CallFactory()
    factories.applications_in_review(call, by=programme_manager, count=1)
    client.force_login(programme_manager)
    before = AuditEntry.objects.count()

    for url in (
        reverse("applications:manage_export"),
        reverse("applications:finance_csv"),
        reverse("reviews:ranking_export", args=[call.slug, "csv"]),
        reverse("reviews:ranking_export", args=[call.slug, "xlsx"]),
    ):
        assert client.get(url).status_code == 405
        assert client.head(url).status_code == 405

    assert AuditEntry.objects.count() == before
    assert not [action for action in actions() if action.startswith("export.")]


def test_the_export_buttons_post_with_a_csrf_token(client, programme_manager):
    call = factories.CallFactory()
    factories.applications_in_review(call, by=programme_manager, count=1)
    client.force_login(programme_manager)

    listing = client.get(reverse("applications:manage_list"), {"state": "in_review", "page": "1"})
    ranking = client.get(reverse("reviews:ranking", args=[call.slug]))
    overview = client.get(reverse("applications:follow_up_overview"))

    export = reverse("applications:manage_export")
    html = listing.content.decode()
    assert f'<form method="post" action="{export}" novalidate>' in html
    assert '<input type="hidden" name="state" value="in_review">' in html
    assert 'name="page"' not in html.split(export)[1].split("</form>")[0]
    for fmt in ("csv", "xlsx"):
        url = reverse("reviews:ranking_export", args=[call.slug, fmt])
        assert f'<form method="post" action="{url}" novalidate>' in ranking.content.decode()
    finance = reverse("applications:finance_csv")
    assert f'<form method="post" action="{finance}"' in overview.content.decode()
    for page in (html, ranking.content.decode(), overview.content.decode()):
        assert 'name="csrfmiddlewaretoken"' in page


# -- what is logged: logins ----------------------------------------------------------------------


def log_in(client, email: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


@pytest.mark.parametrize(
    ("make", "roles"),
    [
        (factories.programme_manager, ["programme_manager"]),
        (factories.decision_maker, ["decision_maker"]),
        (lambda: factories.PanelMemberFactory().user, ["reviewer"]),
        (
            lambda: factories.UserFactory(is_superuser=True, is_staff=True),
            ["superuser"],
        ),
    ],
    ids=["programme_manager", "decision_maker", "reviewer", "superuser"],
)
def test_a_staff_login_is_logged_with_the_roles(client, make, roles):
    user = make()

    log_in(client, user.email)

    assert client.session["_auth_user_id"] == str(user.pk)
    entry = only("login.staff")
    assert (entry.actor, entry.object_type, entry.object_id, entry.data) == (
        user,
        "applications.user",
        user.pk,
        {"roles": roles},
    )


def test_an_applicants_login_is_not_logged(client, applicant):
    log_in(client, applicant.email)
    assert client.session["_auth_user_id"] == str(applicant.pk)
    assert actions() == []


def test_a_failed_login_to_a_staff_account_is_logged_without_the_address_typed(
    client, programme_manager
):
    log_in(client, programme_manager.email.upper(), "wrong password")

    entry = only("login.staff_failed")
    assert entry.actor is None
    assert (entry.object_type, entry.object_id) == ("applications.user", programme_manager.pk)
    assert entry.data == {"roles": ["programme_manager"]}


def test_failed_logins_to_applicants_and_unknown_addresses_are_not_logged(client, applicant):
    log_in(client, applicant.email, "wrong password")
    log_in(client, "nobody@example.se", "wrong password")
    assert actions() == []


# -- no personal data ----------------------------------------------------------------------------


def test_no_entry_holds_a_name_an_address_or_a_text_about_a_person(
    client, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(reviewers_per_application=1, min_reviews=1)
    organisation = factories.OrganisationFactory(name="Åre kommun")
    application = factories.ApplicationFactory(
        call=call, organisation=organisation, contact_name="Karin Berg"
    )
    applicant = factories.applicant_for(
        application, user__full_name="Karin Berg", user__email="karin.berg@are.se"
    )
    application_submit(application=application, by=applicant)
    factories.start_review([application], by=programme_manager)
    reviewer = factories.PanelMemberFactory(call=call, user__full_name="Olle Reviewer")
    conflicts_declare(
        member=reviewer,
        by=reviewer.user,
        declarations=[
            Declaration(
                application_id=application.pk,
                has_conflict=True,
                ground=ConflictGround.values[0],
                comment="Karin Berg is my neighbour.",
            )
        ],
    )
    conflict_override(
        member=reviewer,
        application=application,
        by=programme_manager,
        has_conflict=False,
        reason="Karin Berg moved away.",
    )
    application_complete_review(application=application, by=programme_manager)
    decision = factories.proposed_decision(
        application, by=programme_manager, justification="Karin Berg's plan is clear."
    )
    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=decision, by=decision_maker)
    log_in(client, programme_manager.email)

    everything = json.dumps(
        list(AuditEntry.objects.values_list("action", "object_type", "data")), ensure_ascii=False
    )
    assert len(actions()) >= 10
    for personal in (
        "Karin",
        "Berg",
        "karin.berg@are.se",
        "Olle",
        "neighbour",
        "moved away",
        "Åre",
        programme_manager.email,
        programme_manager.full_name,
        decision_maker.full_name,
    ):
        assert personal not in everything


# -- audit_verify --------------------------------------------------------------------------------


def test_verify_passes_an_intact_chain_and_names_its_last_hash():
    entries = record_five()
    assert verify() == f"exit 0: OK: 5 entries, last hash {entries[-1].hash}"


def test_verify_passes_an_empty_log():
    assert verify() == f"exit 0: OK: 0 entries, last hash {GENESIS_HASH}"


def test_verify_reports_a_changed_entry_where_it_was_changed():
    record_five()
    tamper("UPDATE applications_auditentry SET object_id = 42 WHERE sequence = 3")

    report = verify()

    assert report.startswith(
        "exit 1: BROKEN at entry 3: the content does not match its hash (stored "
    )
    assert report.endswith(". 2 entries before it are intact.")


def test_verify_reports_a_changed_time_at_the_entry():
    record_five()
    tamper(
        "UPDATE applications_auditentry SET at = %s WHERE sequence = 2",
        [dt.datetime(2020, 1, 1, tzinfo=UTC)],
    )
    assert verify().startswith("exit 1: BROKEN at entry 2: the content does not match its hash")


def test_verify_reports_a_rehashed_forgery_at_the_next_link():
    entries = record_five()
    forged = AuditEntry.objects.get(sequence=3)
    forged.action = "test.forged"
    forged_hash = forged.compute_hash()
    tamper(
        "UPDATE applications_auditentry SET action = %s, hash = %s WHERE sequence = 3",
        ["test.forged", forged_hash],
    )

    assert verify() == (
        f"exit 1: BROKEN at entry 4: prev_hash {entries[2].hash} is not the hash of entry 3 "
        f"({forged_hash}). 3 entries before it are intact."
    )


def test_verify_reports_a_removed_entry_as_a_gap():
    record_five()
    tamper("DELETE FROM applications_auditentry WHERE sequence = 3")

    assert verify() == (
        "exit 1: BROKEN at entry 4: the sequence jumps from 2 to 4 (missing 3). "
        "2 entries before it are intact."
    )


def test_verify_reports_entries_removed_from_the_end():
    entries = record_five()
    tamper("DELETE FROM applications_auditentry WHERE sequence >= 4")

    assert verify() == (
        f"exit 1: BROKEN at entry 4: the chain ends at entry 3, but its head names entry 5 "
        f"with hash {entries[4].hash} (entries taken off the end?). "
        "3 entries before it are intact."
    )


def test_verify_reports_only_the_first_of_several_broken_links():
    record_five()
    tamper("UPDATE applications_auditentry SET object_id = 7 WHERE sequence IN (2, 4)")
    assert verify().startswith("exit 1: BROKEN at entry 2:")


def test_verify_streams_in_chunks_with_the_same_result():
    record_five()
    tamper("UPDATE applications_auditentry SET object_id = 7 WHERE sequence = 4")

    report = audit_verify_chain(chunk_size=2)

    assert (report.ok, report.count, report.broken_at) == (False, 3, 4)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("audit_verify", "--chunk-size", "0")


# -- the audit page ------------------------------------------------------------------------------

AUDIT_URL = "/manage/audit/"


def test_the_audit_page_is_at_manage_audit():
    assert reverse("applications:audit_log") == AUDIT_URL


def test_programme_manager_reads_the_log_newest_first(client, application):
    programme_manager = factories.programme_manager(language="en")
    audit_record(action="application.submit", actor=programme_manager, target=application)
    audit_record(action="export.case_list", actor=None, data={"rows": 3})
    client.force_login(programme_manager)

    response = client.get(AUDIT_URL)

    assert response.status_code == 200
    rows = response.context["rows"]
    # The force_login above is a staff login, and is logged too.
    assert [row.entry.action for row in rows] == [
        "login.staff",
        "export.case_list",
        "application.submit",
    ]
    html = response.content.decode()
    assert "Case list exported" in html
    assert "The system" in html
    assert f'href="{reverse("applications:manage_detail", args=[application.pk])}"' in html
    assert "<dt>Rows</dt><dd>3</dd>" in html


def test_the_log_filters_by_action_and_by_object(client, programme_manager):
    first, second = factories.ApplicationFactory(), factories.ApplicationFactory()
    audit_record(action="application.submit", actor=None, target=first)
    audit_record(action="application.submit", actor=None, target=second)
    audit_record(action="application.withdraw", actor=None, target=first)
    client.force_login(programme_manager)

    by_action = client.get(AUDIT_URL, {"action": "application.submit"})
    by_object = client.get(
        AUDIT_URL, {"object_type": "applications.application", "object_id": first.pk}
    )
    both = client.get(
        AUDIT_URL,
        {
            "action": "application.submit",
            "object_type": "applications.application",
            "object_id": second.pk,
        },
    )

    def seen(response):
        return [(r.entry.action, r.entry.object_id) for r in response.context["rows"]]

    assert seen(by_action) == [("application.submit", second.pk), ("application.submit", first.pk)]
    assert seen(by_object) == [("application.withdraw", first.pk), ("application.submit", first.pk)]
    assert seen(both) == [("application.submit", second.pk)]


def test_a_bad_filter_is_explained_and_shows_nothing(client):
    client.force_login(factories.programme_manager(language="en"))

    response = client.get(AUDIT_URL, {"object_id": "first", "action": "nonsense"})

    assert response.status_code == 200
    assert response.context["rows"] == []
    html = response.content.decode()
    assert "Correct the filters below." in html
    assert '<a href="#id_object_id">Object id: Enter a whole number.</a>' in html
    assert 'aria-describedby="id_object_id_helptext id_object_id_error"' in html


@pytest.mark.parametrize("role", ["decision_maker", "applicant", "reviewer", "superuser"])
def test_every_other_role_is_refused_the_audit_page(client, role, applicant, decision_maker):
    user = {
        "decision_maker": decision_maker,
        "applicant": applicant,
        "reviewer": factories.PanelMemberFactory().user,
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
    }[role]
    client.force_login(user)
    assert client.get(AUDIT_URL).status_code == 403


def test_anonymous_is_sent_to_log_in_from_the_audit_page(client):
    response = client.get(AUDIT_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def _page_queries(client, django_assert_num_queries, count):
    for n in range(count):
        audit_record(action="test.step", actor=factories.UserFactory(), data={"n": n})
    # session, user, the verified two-factor device, groups (the permission), count, the page
    # of entries with their actors, the names of the people the page's entries are about (one
    # query for all: the manager's own login), the menu's "is a reviewer" check
    with django_assert_num_queries(8):
        response = client.get(AUDIT_URL)
    assert len(response.context["rows"]) == count + 1  # and the manager's own login


def test_audit_page_query_count_with_three_entries(
    client, programme_manager, django_assert_num_queries
):
    client.force_login(programme_manager)
    _page_queries(client, django_assert_num_queries, 3)


def test_audit_page_query_count_does_not_grow_with_thirty_entries(
    client, programme_manager, django_assert_num_queries
):
    client.force_login(programme_manager)
    _page_queries(client, django_assert_num_queries, 30)
