import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from applications.enums import ApplicationState, EligibilityItem
from applications.models import (
    Application,
    ApplicationTransition,
    ApplicationVersion,
    ExternalIdentity,
    Invitation,
    Membership,
    Organisation,
    User,
)
from applications.rules import PROGRAMME_MANAGERS
from applications.services.people import invitation_create
from applications.services.transitions import application_check_eligibility, application_submit
from grants.enums import OrganisationKind
from grants.models import Call, Hub
from tests import factories

pytestmark = pytest.mark.django_db

S = ApplicationState


@pytest.fixture
def superuser():
    # English: the assertions read the English message ids, stable once translations arrive.
    return User.objects.create_superuser(
        email="admin@agency.example.se",
        password="correct horse battery",
        full_name="Admin",
        language="en",
    )


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def submitted():
    application = factories.ApplicationFactory()
    applicant = factories.applicant_for(application, is_admin=True)
    application_submit(application=application, by=applicant)
    invitation_create(
        organisation=application.organisation,
        by=applicant,
        email="colleague@example.se",
        is_admin=False,
        is_signatory=False,
    )
    application.refresh_from_db()
    return application


def admin_url(model, name, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


MODELS = [
    Call,
    Hub,
    Organisation,
    Membership,
    Invitation,
    Application,
    ApplicationVersion,
    ApplicationTransition,
    User,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_changelist_and_change_form_load(admin_client, submitted, model):
    obj = model.objects.first()

    changelist = admin_client.get(admin_url(model, "changelist"))
    change = admin_client.get(admin_url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert change.status_code == 200


@pytest.mark.parametrize(
    "model", [Call, Hub, Organisation, Membership, User], ids=lambda m: m.__name__
)
def test_admin_add_form_loads(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


def test_admin_changelist_search_and_filters_work(admin_client, submitted):
    response = admin_client.get(
        admin_url(Application, "changelist"),
        {"q": submitted.registration_number, "state__exact": S.SUBMITTED},
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [submitted]


def _form_data(response) -> dict:
    """The POST data the admin's change form would send as it stands."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None:
                data[key] = ""
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif hasattr(field, "widget") and hasattr(field.widget, "widgets"):
                for i, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{i}"] = "" if part is None else str(part)
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def test_admin_change_form_cannot_change_the_state(admin_client, submitted):
    url = admin_url(Application, "change", submitted.pk)
    data = _form_data(admin_client.get(url))
    data.update(state=S.APPROVED, registration_number="2026-99999", contact_phone="070-1234567")

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    submitted.refresh_from_db()
    assert submitted.state == S.SUBMITTED
    assert submitted.registration_number != "2026-99999"
    assert submitted.contact_phone == "070-1234567"  # the rest of the form was saved
    assert list(submitted.transitions.values_list("name", flat=True)) == ["submit"]


def test_admin_refuses_to_delete_a_registered_application(admin_client, submitted):
    response = admin_client.post(admin_url(Application, "delete", submitted.pk), {"post": "yes"})

    assert response.status_code == 403
    assert Application.objects.filter(pk=submitted.pk).exists()


def test_admin_has_no_bulk_delete_for_applications(admin_client, submitted):
    response = admin_client.get(admin_url(Application, "changelist"))

    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert actions == ["", "start_review_for_selected"]


def test_admin_may_delete_a_draft_never_submitted(admin_client):
    draft = factories.ApplicationFactory()

    response = admin_client.post(admin_url(Application, "delete", draft.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_admin_cannot_add_applications(admin_client):
    assert admin_client.get(admin_url(Application, "add")).status_code == 403


@pytest.mark.parametrize(
    "model", [ApplicationVersion, ApplicationTransition], ids=lambda m: m.__name__
)
def test_versions_and_transitions_are_read_only_in_the_admin(admin_client, submitted, model):
    obj = model.objects.first()

    add = admin_client.get(admin_url(model, "add"))
    change = admin_client.post(admin_url(model, "change", obj.pk), {"comment": "tampered"})
    delete = admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert model.objects.filter(pk=obj.pk).exists()


def test_invitation_token_is_read_only(admin_client, submitted):
    invitation = Invitation.objects.get()
    url = admin_url(Invitation, "change", invitation.pk)
    data = _form_data(admin_client.get(url))
    data["token"] = "chosen-by-an-attacker"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    token = invitation.token
    invitation.refresh_from_db()
    assert invitation.token == token


def test_admin_start_review_action_calls_the_service(client, superuser, submitted):
    superuser.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
    application_check_eligibility(
        application=submitted, by=superuser, items=dict.fromkeys(EligibilityItem.values, True)
    )
    not_eligible = factories.ApplicationFactory(call=submitted.call)
    application_submit(application=not_eligible, by=factories.applicant_for(not_eligible))

    with time_machine.travel(submitted.call.closes_at + dt.timedelta(minutes=1), tick=False):
        client.force_login(superuser)
        response = client.post(
            admin_url(Application, "changelist"),
            {
                "action": "start_review_for_selected",
                "_selected_action": [submitted.pk, not_eligible.pk],
            },
            follow=True,
        )

    submitted.refresh_from_db()
    not_eligible.refresh_from_db()
    assert submitted.state == S.IN_REVIEW
    assert submitted.transitions.last().actor == superuser
    assert not_eligible.state == S.SUBMITTED
    texts = [str(m) for m in response.context["messages"]]
    assert (
        f"{not_eligible.registration_number}: Tick every item of the eligibility checklist first."
        in texts
    )
    assert "Review started for 1 application." in texts


def test_admin_start_review_action_refuses_a_superuser_who_is_not_a_programme_manager(
    admin_client, submitted
):
    with time_machine.travel(submitted.call.closes_at + dt.timedelta(minutes=1), tick=False):
        admin_client.force_login(User.objects.get(email="admin@agency.example.se"))
        response = admin_client.post(
            admin_url(Application, "changelist"),
            {"action": "start_review_for_selected", "_selected_action": [submitted.pk]},
            follow=True,
        )

    submitted.refresh_from_db()
    assert submitted.state == S.SUBMITTED
    assert [str(m) for m in response.context["messages"]] == [
        f"{submitted.registration_number}: only a programme manager can start review."
    ]


def test_admin_creates_a_user_who_logs_in_by_email(admin_client):
    response = admin_client.post(
        admin_url(User, "add"),
        {
            "email": "New.Person@Example.se",
            "full_name": "New Person",
            "language": "en",
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.se")
    assert user.check_password("a long enough passphrase")


def test_admin_organisation_number_is_normalised(admin_client):
    response = admin_client.post(
        admin_url(Organisation, "add"),
        {
            "orgnr": "2120000142",
            "name": "Testkommun",
            "declared_kind": OrganisationKind.MUNICIPALITY,
            "county": "Z",
            "address": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302
    assert Organisation.objects.get(name="Testkommun").orgnr == "212000-0142"


def test_call_admin_saves_eligible_kinds_from_checkboxes(admin_client):
    hub = factories.HubFactory()
    data = {
        "slug": "hybrid-2027",
        "is_published": "on",
        "title_sv": "Hybridarbete 2027",
        "title_en": "Hybrid work 2027",
        "summary_sv": "Sammanfattning",
        "summary_en": "",
        "description_sv": "Text",
        "description_en": "",
        "opens_at_0": "2027-01-10",
        "opens_at_1": "09:00",
        "closes_at_0": "2027-03-10",
        "closes_at_1": "14:00",
        "budget": "6000000",
        "max_amount": "600000",
        "eligible_kinds": [OrganisationKind.MUNICIPALITY, OrganisationKind.REGION],
        "hubs": [hub.pk],
        "project_start_earliest": "",
        "project_end_latest": "",
        "reviewers_per_application": "3",
        "min_reviews": "2",
        "score_visibility": "after_own",
        "aggregation": "mean",
        "disagreement_spread": "2",
        # The criteria inline's management form: no criteria yet.
        "criteria-TOTAL_FORMS": "0",
        "criteria-INITIAL_FORMS": "0",
        "acceptance_days": "30",
        "interim_reports": "0",
        "final_report_days": "60",
        "letter_wording_sv": "",
        "letter_wording_en": "",
    }

    response = admin_client.post(admin_url(Call, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    call = Call.objects.get(slug="hybrid-2027")
    assert call.eligible_kinds == ["municipality", "region"]
    # Entered in Swedish time, stored in UTC.
    assert call.closes_at == dt.datetime(2027, 3, 10, 13, 0, tzinfo=dt.UTC)
    assert list(call.hubs.all()) == [hub]
    # Publishing is the call editor's four-eyes step: the admin's "published" is read only.
    assert call.is_published is False


def test_the_admin_shows_an_external_identity_without_its_hash_and_may_unlink_it(client):
    superuser = factories.UserFactory(is_superuser=True, is_staff=True)
    person = factories.UserFactory(email="anna@example.se")
    identity = ExternalIdentity.objects.create(
        user=person,
        provider="eid",
        issuer="https://broker.example",
        subject="s-1",
        personal_number_hash="f" * 64,
    )
    client.force_login(superuser)

    listing = client.get(reverse("admin:applications_externalidentity_changelist"))
    page = client.get(reverse("admin:applications_externalidentity_change", args=[identity.pk]))
    add = client.get(reverse("admin:applications_externalidentity_add"))
    delete = client.post(
        reverse("admin:applications_externalidentity_delete", args=[identity.pk]), {"post": "yes"}
    )

    assert listing.status_code == 200 and "anna@example.se" in listing.content.decode()
    assert page.status_code == 200
    assert "s-1" in page.content.decode() and "f" * 64 not in page.content.decode()
    assert add.status_code == 403
    assert delete.status_code == 302
    assert not ExternalIdentity.objects.exists()
