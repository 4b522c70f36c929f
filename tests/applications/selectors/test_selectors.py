"""Who sees which applications, and the reads services rely on, in a fixed number of queries."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.formatting import format_kronor
from applications.selectors.applications import (
    application_for_detail,
    applications_visible_to,
    latest_version,
    submission_errors,
)
from applications.services.transitions import (
    application_return_for_completion,
    application_submit,
    application_withdraw,
)
from applications.services.working_copy import application_update
from tests import factories

pytestmark = pytest.mark.django_db


def _submitted(call=None, **kwargs):
    application = factories.ApplicationFactory(**({"call": call} if call else {}), **kwargs)
    application_submit(application=application, by=factories.applicant_for(application))
    application.refresh_from_db()
    return application


def _visible(user) -> set:
    return set(applications_visible_to(user))


@pytest.fixture
def landscape(call):
    """One organisation's draft and submitted application, another's, and a withdrawn pair."""
    ours = factories.OrganisationFactory(name="Östersunds kommun")
    theirs = factories.OrganisationFactory(name="Region Jämtland Härjedalen")
    member = factories.MembershipFactory(organisation=ours).user
    draft = factories.ApplicationFactory(call=call, organisation=ours)
    submitted = _submitted(call, organisation=ours)
    their_draft = factories.ApplicationFactory(call=call, organisation=theirs)
    their_submitted = _submitted(call, organisation=theirs)
    withdrawn_draft = factories.ApplicationFactory(call=call, organisation=theirs)
    application_withdraw(
        application=withdrawn_draft, by=factories.applicant_for(withdrawn_draft), reason="No."
    )
    withdrawn_submitted = _submitted(call, organisation=theirs)
    application_withdraw(
        application=withdrawn_submitted,
        by=factories.applicant_for(withdrawn_submitted),
        reason="Changed plans.",
    )
    return {
        "ours": ours,
        "theirs": theirs,
        "member": member,
        "draft": draft,
        "submitted": submitted,
        "their_draft": their_draft,
        "their_submitted": their_submitted,
        "withdrawn_draft": withdrawn_draft,
        "withdrawn_submitted": withdrawn_submitted,
    }


def test_anonymous_sees_nothing(landscape):
    assert _visible(AnonymousUser()) == set()


def test_applicant_sees_own_organisations_applications_drafts_included(landscape):
    assert _visible(landscape["member"]) == {landscape["draft"], landscape["submitted"]}


def test_applicant_of_another_organisation_sees_only_theirs(landscape):
    other = factories.applicant_for(landscape["their_draft"])

    assert _visible(other) == {
        landscape["their_draft"],
        landscape["their_submitted"],
        landscape["withdrawn_draft"],
        landscape["withdrawn_submitted"],
    }


def test_person_in_two_organisations_sees_both(landscape):
    member = landscape["member"]
    factories.MembershipFactory(user=member, organisation=landscape["theirs"])

    assert _visible(member) == {
        landscape["draft"],
        landscape["submitted"],
        landscape["their_draft"],
        landscape["their_submitted"],
        landscape["withdrawn_draft"],
        landscape["withdrawn_submitted"],
    }


@pytest.mark.parametrize("make_staff", [factories.programme_manager, factories.decision_maker])
def test_agency_staff_see_applications_from_first_submission_never_drafts(make_staff, landscape):
    assert _visible(make_staff()) == {
        landscape["submitted"],
        landscape["their_submitted"],
        landscape["withdrawn_submitted"],
    }


def test_returned_application_stays_visible_to_staff(call):
    application = _submitted(call)
    pm = factories.programme_manager()
    application_return_for_completion(
        application=application,
        by=pm,
        message="Add the hub's offer.",
        deadline=timezone.now() + dt.timedelta(days=3),
    )

    assert _visible(pm) == {application}


def test_superuser_without_membership_or_group_sees_nothing(landscape):
    assert _visible(factories.UserFactory(is_superuser=True, is_staff=True)) == set()


def test_staff_member_who_is_also_an_applicant_sees_own_drafts_once(landscape):
    pm = factories.programme_manager()
    factories.MembershipFactory(user=pm, organisation=landscape["ours"])

    rows = list(applications_visible_to(pm))

    assert len(rows) == len(set(rows))
    assert set(rows) == {
        landscape["draft"],
        landscape["submitted"],
        landscape["their_submitted"],
        landscape["withdrawn_submitted"],
    }


# -- query counts -------------------------------------------------------------------------------


def _list_queries(user_pk: int) -> int:
    """Queries to list what a fresh user object sees, touching what a list page shows."""
    from applications.models import User

    user = User.objects.get(pk=user_pk)
    with CaptureQueriesContext(connection) as captured:
        for application in applications_visible_to(user):
            (application.call.title, application.organisation.name, str(application.hub))
    return len(captured)


@pytest.mark.parametrize("who", ["applicant", "programme_manager"])
def test_visible_list_query_count_does_not_grow_with_rows(who, call):
    organisation = factories.OrganisationFactory()
    applicant = factories.MembershipFactory(organisation=organisation).user
    user = applicant if who == "applicant" else factories.programme_manager()
    _submitted(call, organisation=organisation)
    expected = 2  # the user's groups (is the user agency staff?), then the list itself

    assert _list_queries(user.pk) == expected
    for _ in range(5):
        _submitted(call, organisation=organisation)
    assert _list_queries(user.pk) == expected


def test_detail_reads_in_a_fixed_number_of_queries(call, django_assert_num_queries):
    application = _submitted(call)
    applicant = factories.applicant_for(application)
    queryset = application_for_detail(applications_visible_to(applicant))

    # 1 the application with call, organisation, hub, eligibility check and creator;
    # then budget lines, deadline exceptions, attachments and versions with submitters.
    with django_assert_num_queries(5):
        found = queryset.get(pk=application.pk)
        list(found.budget_lines.all())
        list(found.attachments.all())
        [version.submitted_by.email for version in found.versions.all()]
        assert found.current_deadline_exception is None


# -- reads used by the services -----------------------------------------------------------------


def test_complete_factory_application_has_no_submission_errors(application):
    assert submission_errors(application) == []


def test_latest_version_is_the_highest_number(application):
    applicant = factories.applicant_for(application)
    assert latest_version(application) is None
    application_submit(application=application, by=applicant)
    application_update(application=application, by=applicant, data={"title": "New"})
    application_submit(application=application, by=applicant)

    assert latest_version(application).number == 2


def test_format_kronor_groups_thousands_with_a_non_breaking_space():
    assert format_kronor(600_000) == "600\u00a0000"
    assert format_kronor(1_234_567) == "1\u00a0234\u00a0567"
    assert format_kronor(0) == "0"
