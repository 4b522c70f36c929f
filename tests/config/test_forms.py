"""The one form-rendering layer (config/forms.py, templates/forms/, the error summary tag)."""

import re

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from config.forms import ALL_FIELDS, FilterForm


class ExampleForm(forms.Form):
    name = forms.CharField(label="Name", help_text="As on your badge.")
    phone = forms.CharField(label="Phone", required=False)
    later = forms.CharField(label="Needed later", required=False)
    agree = forms.BooleanField(label="I agree", required=False)
    colour = forms.ChoiceField(
        label="Colour",
        choices=[("red", "Red"), ("blue", "Blue")],
        widget=forms.RadioSelect,
        help_text="Pick one.",
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    unmarked_optional = ("later",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("name") == "clash":
            raise forms.ValidationError("The whole form is wrong.")
        return cleaned


class ExampleFilter(FilterForm):
    q = forms.CharField(label="Search", required=False)


@pytest.fixture(autouse=True)
def _english():
    """The English message ids (the site's default is Swedish)."""
    with translation.override("en"):
        yield


def render(source: str, **context) -> str:
    return Template("{% load samverket_forms %}" + source).render(Context(context))


def label_of(html: str, field_id: str) -> str:
    return re.search(rf'<label for="{field_id}">(.*?)</label>', html, re.S).group(1)


# -- fields ---------------------------------------------------------------------------------------


def test_only_a_field_that_may_really_be_left_empty_says_optional():
    html = str(ExampleForm())
    assert "optional" not in label_of(html, "id_name")
    assert label_of(html, "id_phone") == 'Phone <span class="muted">(optional)</span>'
    assert "optional" not in label_of(html, "id_later")  # the form lists it in unmarked_optional


def test_a_single_checkbox_and_a_filter_never_say_optional():
    assert "optional" not in str(ExampleForm()["agree"].as_field_group())
    assert ExampleFilter.unmarked_optional == ALL_FIELDS
    assert "optional" not in str(ExampleFilter())


def test_optional_is_translated():
    with translation.override("sv"):
        assert "(frivilligt)" in str(ExampleForm()["phone"].as_field_group())


def test_an_error_has_the_id_that_django_points_the_input_at():
    form = ExampleForm(data={"name": "", "colour": "red"})
    html = str(form["name"].as_field_group())
    assert '<ul class="errorlist" id="id_name_error"><li>This field is required.</li></ul>' in html
    assert html.index('id="id_name_error"') < html.index("<input")
    widget = re.search(r"<input[^>]*>", html).group()
    assert 'aria-describedby="id_name_helptext id_name_error"' in widget
    assert 'aria-invalid="true"' in widget
    assert '<div class="help" id="id_name_helptext">As on your badge.</div>' in html
    assert "form-group--error" in html


def test_radios_are_a_fieldset_with_the_field_id_its_label_as_legend_and_its_description():
    form = ExampleForm(data={"name": "Ann"})
    html = str(form["colour"].as_field_group())
    fieldset = re.search(r"<fieldset[^>]*>", html).group()
    assert 'id="id_colour"' in fieldset
    assert 'aria-describedby="id_colour_helptext id_colour_error"' in fieldset
    assert "<legend>Colour</legend>" in html
    assert '<label class="checkbox" for="id_colour_0"><input type="radio"' in html
    assert 'id="id_colour_error"' in html


def test_a_whole_form_renders_its_hidden_fields_and_every_field():
    html = str(ExampleForm())
    assert '<input type="hidden" name="token" id="id_token">' in html
    assert html.count('class="form-group') == 5


# -- the error summary ----------------------------------------------------------------------------


def test_the_summary_is_empty_without_errors():
    assert render("{% error_summary form None '' %}", form=ExampleForm()).strip() == ""
    assert (
        render(
            "{% error_summary form %}", form=ExampleForm(data={"name": "Ann", "colour": "red"})
        ).strip()
        == ""
    )


def test_the_summary_links_each_field_error_and_lists_errors_without_a_field():
    form = ExampleForm(data={"name": "clash"})
    html = render("{% error_summary form errors=extra %}", form=form, extra=["From a service."])
    assert 'role="alert"' in html
    assert 'tabindex="-1"' in html
    assert "data-error-summary" in html
    items = re.findall(r"<li>(.*?)</li>", html)
    assert items == [
        "From a service.",
        "The whole form is wrong.",
        '<a href="#id_colour">Colour: This field is required.</a>',
    ]
    assert '<h2 id="error-summary-heading">There is a problem</h2>' in html


def test_the_summary_takes_field_ids_and_links_to_other_pages():
    html = render(
        "{% error_summary errors=extra %}",
        extra=[("id_title", "Give a title."), ("/edit/#budget", "Add a line."), ("", "Late.")],
    )
    assert re.findall(r"<li>(.*?)</li>", html) == [
        '<a href="#id_title">Give a title.</a>',
        '<a href="/edit/#budget">Add a line.</a>',
        "Late.",
    ]


def test_the_summary_finds_forms_in_rows_and_formsets_and_says_each_error_once():
    ExampleFormSet = forms.formset_factory(ExampleForm, extra=0, max_num=1, validate_max=True)
    data = {
        "f-TOTAL_FORMS": "2",
        "f-INITIAL_FORMS": "0",
        "f-0-name": "Ann",
        "f-0-colour": "red",
        "f-1-name": "",
        "f-1-colour": "blue",
    }
    formset = ExampleFormSet(data, prefix="f")
    row_form = ExampleForm(data={"name": "", "colour": "red"}, prefix="row")
    rows = [("an object", None), {"form": row_form, "count": 2}]
    html = render(
        "{% error_summary formset rows errors=formset.non_form_errors %}",
        formset=formset,
        rows=rows,
    )
    assert re.findall(r"<li>(.*?)</li>", html) == [
        "Please submit at most 1 form.",
        '<a href="#id_f-1-name">Name: This field is required.</a>',
        '<a href="#id_row-name">Name: This field is required.</a>',
        '<a href="#id_row-colour">Colour: This field is required.</a>',
    ]


def test_the_summary_takes_a_heading_and_a_note():
    html = render(
        "{% error_summary errors=extra heading='Cannot submit yet' note='Nothing was saved.' %}",
        extra=["Late."],
    )
    assert '<h2 id="error-summary-heading">Cannot submit yet</h2>' in html
    assert "<p>Nothing was saved.</p>" in html


# -- on a page ------------------------------------------------------------------------------------


@pytest.fixture
def english_client(client):
    client.cookies["samverket_language"] = "en"
    return client


@pytest.mark.django_db
def test_a_refused_form_puts_the_summary_above_the_h1_and_error_in_the_title(english_client):
    response = english_client.post(reverse("applications:signup"), {"email": "not an email"})
    html = response.content.decode()
    assert re.search(r"<title>Error: Create account", html)
    assert html.index('id="error-summary"') < html.index("<h1>")
    assert html.index("</header>") < html.index('id="error-summary"')


@pytest.mark.django_db
def test_a_page_without_errors_has_no_summary_and_a_plain_title(english_client):
    html = english_client.get(reverse("applications:signup")).content.decode()
    assert "error-summary" not in html
    assert re.search(r"<title>Create account", html)


@pytest.mark.django_db
def test_the_title_says_fel_in_swedish(client):
    response = client.post(reverse("applications:signup"), {"email": "x"})
    assert re.search(r"<title>Fel: Skapa konto", response.content.decode())


@pytest.mark.django_db
def test_every_form_on_a_page_has_novalidate(client):
    html = client.get(reverse("applications:signup")).content.decode()
    tags = re.findall(r"<form\b[^>]*>", html)
    assert tags
    assert all("novalidate" in tag for tag in tags)
