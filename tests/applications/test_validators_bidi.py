"""Bidirectional control characters are removed from every single-line free text (names,
titles, references) by the forms, so a stored name cannot display in another order than it is
written; long texts keep them."""

import ast

import pytest
from django import forms
from django.urls import reverse

from applications.enums import County
from applications.forms.applicant import ApplicationForm
from applications.models import Organisation
from applications.validators import BIDI_CONTROLS, SingleLineTextField, strip_bidi_controls
from grants.enums import OrganisationKind
from tests import factories
from tests.paths import ROOT_DIR

pytestmark = pytest.mark.django_db

EVERY_CONTROL = (
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # the marks
)
FORM_MODULES = [
    *sorted((ROOT_DIR / "applications" / "forms").glob("*.py")),
    *sorted((ROOT_DIR / "reviews" / "forms").glob("*.py")),
    ROOT_DIR / "applications" / "login_security" / "forms.py",
]


def test_strip_bidi_controls_removes_each_of_them_and_nothing_else():
    assert set(EVERY_CONTROL) == BIDI_CONTROLS
    for control in EVERY_CONTROL:
        assert strip_bidi_controls(f"Åre{control} kommun") == "Åre kommun"
    assert strip_bidi_controls("عربي Östersund e\u0301 \u200d") == "عربي Östersund e\u0301 \u200d"


def test_the_field_strips_the_controls_then_the_ends_and_a_name_of_controls_only_is_missing():
    field = SingleLineTextField(max_length=20)

    assert field.clean(" \u202eexe.pdf\u202c ") == "exe.pdf"
    with pytest.raises(forms.ValidationError) as error:
        field.clean("\u202e\u200f ")
    assert error.value.messages == ["Detta fält måste fyllas i."]  # Swedish, the default


def test_the_application_title_and_contact_name_are_cleaned_and_long_texts_kept(client):
    application = factories.ApplicationFactory()
    client.force_login(factories.applicant_for(application))
    summary = "Vi prövar \u200fעברית\u200f i Östersund."

    response = client.post(
        reverse("applications:autosave", args=[application.pk]),
        {
            "title": "Coworking \u202eni\u202c Åre",
            "summary": summary,
            "contact_name": "\u2067Karin\u2069 Berg",
            "contact_phone": "\u200e070-123 45 67",
            "language": "sv",
            "edit_version": str(application.edit_version),
            "budget-TOTAL_FORMS": "0",
            "budget-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    application.refresh_from_db()
    assert application.title == "Coworking ni Åre"
    assert application.contact_name == "Karin Berg"
    assert application.contact_phone == "070-123 45 67"
    assert application.summary == summary


def test_the_organisation_name_is_cleaned(client):
    user = factories.UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("applications:organisation_register"),
        {
            "orgnr": factories.orgnr("2120"),
            "name": "\u202eenummok erÅ",
            "kind": OrganisationKind.MUNICIPALITY,
            "county": County.JAMTLAND,
            "address": "",
        },
    )

    assert response.status_code == 302
    assert Organisation.objects.get().name == "enummok erÅ"


def test_a_persons_name_is_cleaned(client):
    user = factories.UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("applications:profile"),
        {"full_name": "Karin \u202dBerg\u202c", "phone": "", "language": "sv"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.full_name == "Karin Berg"


def test_the_application_form_makes_its_text_lines_single_line_fields():
    application = factories.ApplicationFactory()
    form = ApplicationForm(instance=application, call=application.call)

    for name in ("title", "contact_name", "contact_phone"):
        assert isinstance(form.fields[name], SingleLineTextField), name
    assert not isinstance(form.fields["summary"], SingleLineTextField)


@pytest.mark.parametrize("path", FORM_MODULES, ids=lambda path: path.name)
def test_every_single_line_text_field_of_the_forms_is_cleaned(path):
    """A plain ``forms.CharField`` is only for a long text (a Textarea), a hidden value or a
    password; any other is a ``SingleLineTextField``."""
    source = path.read_text(encoding="utf-8")
    plain = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "CharField"
        ):
            continue
        widget = next((k.value for k in node.keywords if k.arg == "widget"), None)
        shown = ast.get_source_segment(source, widget) if widget is not None else ""
        if not any(kind in shown for kind in ("Textarea", "HiddenInput", "PasswordInput")):
            plain.append(node.lineno)
    assert plain == [], f"{path.name}: use SingleLineTextField on lines {plain}"
