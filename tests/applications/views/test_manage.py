import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.enums import ApplicationState, County, EligibilityItem
from applications.models import ApplicationTransition, DeadlineException
from applications.services.transitions import (
    application_check_eligibility,
    application_record_deadline_exception,
    application_return_for_completion,
    application_submit,
)
from applications.services.working_copy import application_update, attachment_add
from grants.enums import OrganisationKind
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState
UTC = dt.UTC
LIST_URL = reverse("applications:manage_list")
EXPORT_URL = reverse("applications:manage_export")


def submit(application, by=None):
    """Submit through the service, as the applicant would."""
    by = by or factories.applicant_for(application)
    application_submit(application=application, by=by)
    application.refresh_from_db()
    return application


def submitted_application(**kwargs):
    return submit(factories.ApplicationFactory(**kwargs))


@pytest.fixture
def programme_manager():
    # English users: the assertions read the English message ids, which stay stable when the
    # Swedish translations arrive.
    return factories.programme_manager(language="en")


@pytest.fixture
def decision_maker():
    return factories.decision_maker(language="en")


@pytest.fixture
def submitted(application, applicant):
    return submit(application, applicant)


def detail_url(application, name="manage_detail"):
    return reverse(f"applications:{name}", args=[application.pk])


def states_and_log(application):
    application.refresh_from_db()
    return application.state, list(application.transitions.values_list("name", flat=True))


def tick_all(application, by):
    application_check_eligibility(
        application=application, by=by, items=dict.fromkeys(EligibilityItem.values, True)
    )


# -- the list -------------------------------------------------------------------------------


def test_list_shows_submitted_applications_and_not_drafts(client, programme_manager, submitted):
    draft = factories.ApplicationFactory(title="Never submitted")
    client.force_login(programme_manager)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [submitted]
    assert draft.title not in response.content.decode()


def test_decision_maker_may_read_the_list(client, decision_maker, submitted):
    client.force_login(decision_maker)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [submitted]


def test_applicant_is_refused_the_list(client, applicant, submitted):
    client.force_login(applicant)

    assert client.get(LIST_URL).status_code == 403
    assert client.post(EXPORT_URL).status_code == 403


def test_anonymous_is_sent_to_login_from_the_list(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={LIST_URL}"
    assert client.post(EXPORT_URL).url == f"{reverse('login')}?next={EXPORT_URL}"


def test_staff_member_of_an_applying_organisation_does_not_see_its_draft_in_the_list(
    client, programme_manager
):
    draft = factories.ApplicationFactory()
    factories.MembershipFactory(user=programme_manager, organisation=draft.organisation)
    client.force_login(programme_manager)

    response = client.get(LIST_URL)

    assert list(response.context["page"].object_list) == []


def test_list_shows_the_submitted_title_not_the_edited_working_copy(
    client, programme_manager, submitted, applicant
):
    application_update(
        application=submitted, by=applicant, data={"title": "Edited after submission"}
    )
    client.force_login(programme_manager)

    response = client.get(LIST_URL)

    content = response.content.decode()
    assert submitted.versions.get().content["title"] in content
    assert "Edited after submission" not in content


@pytest.fixture
def varied_applications():
    """Three submitted applications that differ in call, kind, county, title and amount."""
    call_a, call_b = factories.CallFactory(), factories.CallFactory()
    a = submitted_application(
        call=call_a,
        title="Coworking in Östersund",
        requested_amount=100_000,
        budget=[("hub", "Hub", 100_000)],
        organisation=factories.OrganisationFactory(
            name="Östersunds kommun", kind=OrganisationKind.MUNICIPALITY, county=County.JAMTLAND
        ),
    )
    b = submitted_application(
        call=call_a,
        title="Hybrid office for the region",
        requested_amount=300_000,
        budget=[("hub", "Hub", 300_000)],
        organisation=factories.OrganisationFactory(
            name="Region Stockholm", kind=OrganisationKind.REGION, county=County.STOCKHOLM
        ),
    )
    c = submitted_application(
        call=call_b,
        title="Agency trial",
        requested_amount=200_000,
        budget=[("hub", "Hub", 200_000)],
        organisation=factories.OrganisationFactory(
            name="Myndigheten för test", kind=OrganisationKind.STATE_AGENCY, county=County.UPPSALA
        ),
    )
    return {"a": a, "b": b, "c": c, "call_a": call_a, "call_b": call_b}


def listed(client, **params):
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def test_list_filters_by_call_state_kind_and_county(client, programme_manager, varied_applications):
    a, b, c = varied_applications["a"], varied_applications["b"], varied_applications["c"]
    application_return_for_completion(
        application=b,
        by=programme_manager,
        message="Add the hub's offer.",
        deadline=dt.datetime.now(UTC) + dt.timedelta(days=3),
    )
    client.force_login(programme_manager)

    assert listed(client, call=varied_applications["call_b"].pk) == [c]
    assert listed(client, state=S.RETURNED) == [b]
    assert listed(client, kind=OrganisationKind.STATE_AGENCY) == [c]
    assert listed(client, county=County.JAMTLAND) == [a]
    assert listed(client, call=varied_applications["call_a"].pk, state=S.SUBMITTED) == [a]


def test_list_text_search_covers_title_number_organisation_name_and_orgnr(
    client, programme_manager, varied_applications
):
    a, b, c = varied_applications["a"], varied_applications["b"], varied_applications["c"]
    client.force_login(programme_manager)

    assert listed(client, q="hybrid office") == [b]
    assert listed(client, q=c.registration_number) == [c]
    assert listed(client, q="östersunds") == [a]
    assert listed(client, q=b.organisation.orgnr) == [b]
    assert listed(client, q="nothing like this") == []


def test_list_sorts_by_each_column(client, programme_manager, varied_applications):
    a, b, c = varied_applications["a"], varied_applications["b"], varied_applications["c"]
    client.force_login(programme_manager)

    assert listed(client) == [c, b, a]  # newest submission first
    assert listed(client, o="amount") == [a, c, b]
    assert listed(client, o="-amount") == [b, c, a]
    assert listed(client, o="organisation") == [c, b, a]
    assert listed(client, o="title") == [c, a, b]
    assert listed(client, o="registration_number") == [a, b, c]
    assert listed(client, o="-submitted") == [c, b, a]
    assert listed(client, o="not-a-column") == [c, b, a]


def test_sorted_column_is_marked_for_screen_readers(client, programme_manager, submitted):
    client.force_login(programme_manager)

    content = client.get(LIST_URL, {"o": "-amount"}).content.decode()

    assert 'aria-sort="descending"' in content
    assert "?o=amount" in content  # the link sorts the other way


def test_list_is_paged_by_fifty(client, programme_manager):
    call = factories.CallFactory()
    for _ in range(51):
        submitted_application(call=call)
    client.force_login(programme_manager)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1
    assert 'href="?page=2"' in first.content.decode()


def _list_queries(client, django_assert_num_queries, count):
    call = factories.CallFactory()
    for _ in range(count):
        submitted_application(call=call)
    # session, user, the two-factor device, groups, count, the page's ids, its applications,
    # calls for the filter's choices, the menu's "is a reviewer" check
    with django_assert_num_queries(9):
        response = client.get(LIST_URL)
    assert len(response.context["page"].object_list) == count


def test_list_query_count_with_three_applications(
    client, programme_manager, django_assert_num_queries
):
    client.force_login(programme_manager)
    _list_queries(client, django_assert_num_queries, 3)


def test_list_query_count_does_not_grow_with_thirty_applications(
    client, programme_manager, django_assert_num_queries
):
    client.force_login(programme_manager)
    _list_queries(client, django_assert_num_queries, 30)


# -- CSV export ----------------------------------------------------------------------------


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_export_has_the_columns_with_stockholm_times(client, programme_manager):
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC), tick=False):
        application = submitted_application(
            title="Coworking i Åre",
            organisation=factories.OrganisationFactory(
                name="Åre kommun", kind=OrganisationKind.MUNICIPALITY, county=County.JAMTLAND
            ),
        )
    client.force_login(programme_manager)

    response = client.post(EXPORT_URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="applications-')
    rows = read_csv(response)
    assert rows[0] == [
        "Registration number",
        "Call",
        "Organisation",
        "Organisation number",
        "Kind of organisation",
        "County",
        "Title",
        "Requested amount (kr)",
        "State",
        "First submitted",
        "Last submitted",
        # A column per question of the call's form (the coworking form), named by its key.
        "what_to_try",
        "participants",
        "expected_results",
    ]
    assert rows[1] == [
        application.registration_number,
        application.call.title_en,
        "Åre kommun",
        application.organisation.orgnr,
        "Municipality",
        "Jämtland County",
        "Coworking i Åre",
        "500000",
        "Submitted",
        "2026-11-20 10:30:00",
        "2026-11-20 10:30:00",
        "Coworking at the hub for 20 employees.",
        "20",
        "Less commuting, more collaboration.",
    ]
    assert len(rows) == 2


def test_export_neutralises_formulas_in_cells(client, programme_manager):
    submitted_application(
        title='=HYPERLINK("http://evil.example","click")',
        organisation=factories.OrganisationFactory(name="@SUM(1+1)"),
    )
    client.force_login(programme_manager)

    row = read_csv(client.post(EXPORT_URL))[1]

    assert row[2] == "'@SUM(1+1)"
    assert row[6] == '\'=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize("text", ["+46 0", "-1", "=1+1", "@x", "\tx"])
def test_csv_safe_prefixes_every_formula_start(text):
    from applications.exports import csv_safe

    assert csv_safe(text) == "'" + text
    assert csv_safe("Kommun") == "Kommun"
    assert csv_safe(None) == ""


def test_export_applies_the_same_filters_as_the_list(
    client, programme_manager, varied_applications
):
    client.force_login(programme_manager)

    rows = read_csv(client.post(EXPORT_URL, {"kind": OrganisationKind.REGION}))

    assert [row[0] for row in rows[1:]] == [varied_applications["b"].registration_number]


# -- one application ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["programme_manager", "decision_maker"])
def test_agency_staff_see_the_application_page(client, request, role, submitted):
    client.force_login(request.getfixturevalue(role))

    response = client.get(detail_url(submitted))

    assert response.status_code == 200
    assert submitted.registration_number in response.content.decode()


def test_applicant_of_the_organisation_is_refused_the_staff_page(client, applicant, submitted):
    client.force_login(applicant)

    assert client.get(detail_url(submitted)).status_code == 403


def test_applicant_of_another_organisation_gets_404_on_the_staff_page(
    client, other_applicant, submitted
):
    client.force_login(other_applicant)

    assert client.get(detail_url(submitted)).status_code == 404


def test_anonymous_is_sent_to_login_from_the_staff_page(client, submitted):
    url = detail_url(submitted)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_staff_get_404_for_a_draft_never_submitted(client, programme_manager, application):
    client.force_login(programme_manager)

    assert client.get(detail_url(application)).status_code == 404


def test_staff_page_shows_the_submitted_text_not_the_edited_working_copy(
    client, programme_manager, submitted, applicant
):
    submitted_summary = submitted.summary
    application_update(
        application=submitted,
        by=applicant,
        data={"title": "A new title in the working copy", "summary": "Edited, not submitted"},
    )
    client.force_login(programme_manager)

    response = client.get(detail_url(submitted))

    content = response.content.decode()
    assert response.context["version"].content["title"] in content
    assert submitted_summary in content
    assert "A new title in the working copy" not in content
    assert "Edited, not submitted" not in content


def test_staff_page_shows_versions_log_exceptions_and_checklist(
    client, programme_manager, submitted, applicant
):
    application_update(application=submitted, by=applicant, data={"title": "Second"})
    second = application_submit(application=submitted, by=applicant)
    application_record_deadline_exception(
        application=submitted,
        by=programme_manager,
        new_deadline=submitted.call.closes_at + dt.timedelta(days=2),
        reason="Documented outage on the closing day",
    )
    application_check_eligibility(
        application=submitted,
        by=programme_manager,
        items={EligibilityItem.ORGANISATION: True},
        comment="Budget to be checked",
    )
    client.force_login(programme_manager)

    response = client.get(detail_url(submitted))

    content = response.content.decode()
    assert [v.number for v in response.context["versions"]] == [2, 1]
    assert response.context["version"] == second
    assert second.sha256 in content
    assert "Documented outage on the closing day" in content
    assert "Budget to be checked" in content
    assert [row["ticked"] for row in response.context["checklist"]] == [
        True,
        False,
        False,
        False,
        False,
    ]
    assert [t.name for t in response.context["transitions"]] == ["submit", "submit_new_version"]
    assert applicant.full_name in content


def test_programme_manager_sees_the_action_forms_and_decision_maker_does_not(
    client, programme_manager, decision_maker, submitted
):
    client.force_login(programme_manager)
    manager_page = client.get(detail_url(submitted))
    client.force_login(decision_maker)
    decider_page = client.get(detail_url(submitted))

    assert manager_page.context["actions"] == {
        "return": True,
        "exception": True,
        "eligibility": True,
        "start_review": True,
    }
    assert detail_url(submitted, "manage_return") in manager_page.content.decode()
    assert set(decider_page.context["actions"].values()) == {False}
    assert detail_url(submitted, "manage_return") not in decider_page.content.decode()


def test_staff_page_lists_the_submitted_attachments_only(client, programme_manager):
    application = factories.ApplicationFactory()
    applicant = factories.applicant_for(application)
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n% plan\n", content_type="application/pdf")
    attachment = attachment_add(application=application, by=applicant, upload=pdf)
    submit(application, applicant)
    later = SimpleUploadedFile("later.pdf", b"%PDF-1.4\n% later\n", content_type="application/pdf")
    attachment_add(application=application, by=applicant, upload=later)
    client.force_login(programme_manager)

    content = client.get(detail_url(application)).content.decode()
    download = reverse("applications:attachment_download", args=[application.pk, attachment.pk])
    response = client.get(download)

    assert "plan.pdf" in content
    assert "later.pdf" not in content
    assert download in content
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n% plan\n"


# -- return for completion ---------------------------------------------------------------


def test_return_for_completion_entered_in_stockholm_time_is_stored_in_utc(
    client, programme_manager
):
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC), tick=False):
        application = submitted_application()
        client.force_login(programme_manager)

        response = client.post(
            detail_url(application, "manage_return"),
            {"return-message": "Add the hub's offer.", "return-deadline": "2026-12-01 12:00"},
        )

    assert response.status_code == 302
    assert response.url == detail_url(application)
    application.refresh_from_db()
    assert application.state == S.RETURNED
    assert application.completion_deadline == dt.datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert application.completion_message == "Add the hub's offer."
    log = application.transitions.last()
    assert (log.name, log.source, log.target, log.actor) == (
        "return_for_completion",
        S.SUBMITTED,
        S.RETURNED,
        programme_manager,
    )


def test_return_for_completion_accepts_the_browsers_datetime_format(client, programme_manager):
    with time_machine.travel(dt.datetime(2026, 6, 1, 8, 0, tzinfo=UTC), tick=False):
        application = submitted_application()
        client.force_login(programme_manager)
        client.post(
            detail_url(application, "manage_return"),
            {"return-message": "Complete the budget.", "return-deadline": "2026-06-15T09:30"},
        )

    application.refresh_from_db()
    # Summer time: Stockholm is UTC+2.
    assert application.completion_deadline == dt.datetime(2026, 6, 15, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"return-message": "", "return-deadline": "2099-12-01 12:00"}, "This field is required."),
        (
            {"return-message": "   ", "return-deadline": "2099-12-01 12:00"},
            "This field is required.",
        ),
        (
            {"return-message": "Add the budget.", "return-deadline": "2020-01-01 12:00"},
            "The completion deadline must be in the future.",
        ),
        (
            {"return-message": "Add the budget.", "return-deadline": "not a date"},
            "Enter a valid date/time.",
        ),
    ],
)
def test_return_with_bad_input_shows_the_error_and_changes_nothing(
    client, programme_manager, submitted, data, message
):
    client.force_login(programme_manager)
    before = states_and_log(submitted)

    response = client.post(detail_url(submitted, "manage_return"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'class="error-summary"' in response.content.decode()
    assert states_and_log(submitted) == before == (S.SUBMITTED, ["submit"])


def test_return_field_errors_are_linked_to_their_inputs(client, programme_manager, submitted):
    client.force_login(programme_manager)

    content = client.post(
        detail_url(submitted, "manage_return"),
        {"return-message": "", "return-deadline": "2099-12-01 12:00"},
    ).content.decode()

    assert 'id="id_return-message_error"' in content
    assert 'aria-describedby="id_return-message_error"' in content
    assert 'aria-invalid="true"' in content
    assert 'href="#id_return-message"' in content


def test_decision_maker_cannot_return_an_application(client, decision_maker, submitted):
    client.force_login(decision_maker)

    response = client.post(
        detail_url(submitted, "manage_return"),
        {"return-message": "Complete it", "return-deadline": "2099-12-01 12:00"},
    )

    assert response.status_code == 403
    assert states_and_log(submitted) == (S.SUBMITTED, ["submit"])


ACTIONS = {
    "manage_return": {"return-message": "Complete it", "return-deadline": "2099-12-01 12:00"},
    "manage_deadline_exception": {
        "exception-new_deadline": "2099-12-01 12:00",
        "exception-reason": "Outage",
    },
    "manage_eligibility": {f"eligibility-{item}": "on" for item in EligibilityItem.values},
    "manage_start_review": {},
}


@pytest.mark.parametrize("action", ACTIONS)
def test_applicant_of_the_organisation_gets_403_on_staff_actions(
    client, applicant, submitted, action
):
    client.force_login(applicant)

    assert client.post(detail_url(submitted, action), ACTIONS[action]).status_code == 403
    assert states_and_log(submitted) == (S.SUBMITTED, ["submit"])


@pytest.mark.parametrize("action", ACTIONS)
def test_applicant_of_another_organisation_gets_404_on_staff_actions(
    client, other_applicant, submitted, action
):
    client.force_login(other_applicant)

    assert client.post(detail_url(submitted, action), ACTIONS[action]).status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_decision_maker_gets_403_on_staff_actions(client, decision_maker, submitted, action):
    client.force_login(decision_maker)

    assert client.post(detail_url(submitted, action), ACTIONS[action]).status_code == 403
    assert not DeadlineException.objects.exists()
    assert states_and_log(submitted) == (S.SUBMITTED, ["submit"])


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_is_sent_to_login_from_staff_actions(client, submitted, action):
    url = detail_url(submitted, action)

    response = client.post(url, ACTIONS[action])

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("action", ACTIONS)
def test_staff_actions_refuse_get(client, programme_manager, submitted, action):
    client.force_login(programme_manager)

    assert client.get(detail_url(submitted, action)).status_code == 405


# -- late exception ------------------------------------------------------------------------


def test_programme_manager_records_a_late_exception(client, programme_manager):
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC), tick=False):
        application = submitted_application()
        client.force_login(programme_manager)
        response = client.post(
            detail_url(application, "manage_deadline_exception"),
            {"exception-new_deadline": "2026-12-10 15:00", "exception-reason": "Outage on 27 Nov"},
        )

    assert response.status_code == 302
    exception = application.deadline_exceptions.get()
    assert exception.new_deadline == dt.datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert exception.reason == "Outage on 27 Nov"
    assert exception.granted_by == programme_manager
    application.refresh_from_db()
    assert application.deadline == exception.new_deadline


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"exception-new_deadline": "2099-12-10 15:00", "exception-reason": " "},
            "This field is required.",
        ),
        (
            {"exception-new_deadline": "2020-12-10 15:00", "exception-reason": "Outage"},
            "The new deadline must be in the future.",
        ),
    ],
)
def test_late_exception_with_bad_input_shows_the_error_and_records_nothing(
    client, programme_manager, submitted, data, message
):
    client.force_login(programme_manager)

    response = client.post(detail_url(submitted, "manage_deadline_exception"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DeadlineException.objects.exists()


# -- eligibility and start of review ----------------------------------------------------------


def test_programme_manager_ticks_the_whole_checklist(client, programme_manager, submitted):
    client.force_login(programme_manager)

    response = client.post(
        detail_url(submitted, "manage_eligibility"),
        {**ACTIONS["manage_eligibility"], "eligibility-comment": "All fine"},
        follow=True,
    )

    check = submitted.eligibility_check.__class__.objects.get(application=submitted)
    assert check.passed is True
    assert check.comment == "All fine"
    assert check.checked_by == programme_manager
    assert "Every item passed." in response.content.decode()


def test_a_partial_checklist_is_saved_but_not_passed(client, programme_manager, submitted):
    client.force_login(programme_manager)

    response = client.post(
        detail_url(submitted, "manage_eligibility"),
        {"eligibility-organisation": "on", "eligibility-amount": "on"},
        follow=True,
    )

    submitted.refresh_from_db()
    assert submitted.eligibility_check.items == {
        "organisation": True,
        "amount": True,
        "budget": False,
        "period": False,
        "content": False,
    }
    assert submitted.eligibility_passed is False
    assert "Not every item is ticked yet." in response.content.decode()


def test_programme_manager_starts_review_after_the_deadline(client, programme_manager, submitted):
    tick_all(submitted, programme_manager)

    with time_machine.travel(submitted.call.closes_at + dt.timedelta(minutes=1), tick=False):
        client.force_login(programme_manager)  # sessions last hours, not the week travelled
        response = client.post(detail_url(submitted, "manage_start_review"))

    assert response.status_code == 302
    assert states_and_log(submitted) == (S.IN_REVIEW, ["submit", "start_review"])
    assert ApplicationTransition.objects.get(name="start_review").actor == programme_manager


def test_start_review_before_the_deadline_is_refused_with_a_message(
    client, programme_manager, submitted
):
    tick_all(submitted, programme_manager)

    with time_machine.travel(submitted.call.closes_at - dt.timedelta(seconds=1), tick=False):
        client.force_login(programme_manager)
        response = client.post(detail_url(submitted, "manage_start_review"))

    assert response.status_code == 200
    assert "Review can start after the deadline" in response.content.decode()
    assert states_and_log(submitted) == (S.SUBMITTED, ["submit"])


def test_start_review_without_a_full_checklist_is_refused_with_a_message(
    client, programme_manager, submitted
):
    application_check_eligibility(
        application=submitted, by=programme_manager, items={EligibilityItem.AMOUNT: True}
    )

    with time_machine.travel(submitted.call.closes_at + dt.timedelta(days=1), tick=False):
        client.force_login(programme_manager)
        response = client.post(detail_url(submitted, "manage_start_review"))

    assert response.status_code == 200
    assert "Tick every item of the eligibility checklist first." in response.content.decode()
    assert states_and_log(submitted) == (S.SUBMITTED, ["submit"])


def test_start_review_waits_for_a_late_exception_deadline(client, programme_manager, submitted):
    new_deadline = submitted.call.closes_at + dt.timedelta(days=2)
    application_record_deadline_exception(
        application=submitted, by=programme_manager, new_deadline=new_deadline, reason="Outage"
    )
    tick_all(submitted, programme_manager)

    with time_machine.travel(submitted.call.closes_at + dt.timedelta(days=1), tick=False):
        client.force_login(programme_manager)
        refused = client.post(detail_url(submitted, "manage_start_review"))
    with time_machine.travel(new_deadline, tick=False):
        client.force_login(programme_manager)
        started = client.post(detail_url(submitted, "manage_start_review"))

    assert refused.status_code == 200
    assert started.status_code == 302
    assert states_and_log(submitted) == (S.IN_REVIEW, ["submit", "start_review"])
