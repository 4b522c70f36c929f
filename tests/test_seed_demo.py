import io

import pytest
from django.core.management import CommandError, call_command
from stdnum.se import orgnr

from applications.enums import ApplicationState
from applications.management.commands.seed_demo import PASSWORD
from applications.models import Application, ApplicationVersion, Organisation, User
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from grants.models import Call

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
    states = sorted(Application.objects.values_list("state", flat=True))
    assert states == sorted([S.DRAFT, S.SUBMITTED, S.RETURNED, S.WITHDRAWN, S.IN_REVIEW])


def test_seed_demo_submitted_application_has_registration_number_and_two_versions():
    _seed()
    submitted = Application.objects.get(state=S.SUBMITTED)
    assert submitted.registration_number is not None
    assert [v.number for v in submitted.versions.order_by("number")] == [1, 2]
    assert Application.objects.get(state=S.DRAFT).registration_number is None


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
    assert counts == (5, 5, 9, 4, 2)


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
    ):
        assert email in output
        assert client.login(username=email, password=PASSWORD)
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
