"""The application form per call: the definition, rendering old and new versions through it,
completeness at submit from it, the edit form built from it, and the exports' columns."""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from applications.forms.applicant import ApplicationForm
from applications.hashing import content_sha256
from applications.models import ApplicationVersion
from applications.selectors.application_form import content_display, form_definition
from applications.selectors.applications import snapshot_content, submission_errors
from applications.services.transitions import application_submit
from applications.services.working_copy import application_update, attachment_add
from grants.models import FormQuestion, FormSection
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _call_with(*questions, **kwargs):
    """A call whose form is one section holding ``questions`` (dicts of FormQuestion fields)."""
    return factories.CallFactory(
        form=[{"title_sv": "Frågor", "title_en": "Questions", "questions": list(questions)}],
        **kwargs,
    )


def _draft(call, **answers):
    application = factories.ApplicationFactory(call=call, hub=call.hubs.first())
    application.answers = answers
    application.save()
    return application


def _errors(application) -> list[tuple]:
    with translation.override("en"):
        return [tuple(e) for e in submission_errors(application)]


# -- the definition -----------------------------------------------------------------------------


def test_every_call_of_the_factory_has_the_coworking_definition():
    call = factories.CallFactory()
    definition = form_definition(call)
    assert [q.key for q in definition.questions] == [
        "what_to_try",
        "participants",
        "expected_results",
    ]
    assert [c.key for c in definition.categories] == [
        "hub",
        "staff",
        "travel",
        "equipment",
        "evaluation",
        "other",
    ]


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"key": "Bad Key"}, ["key"]),
        ({"key": "title"}, ["key"]),
        ({"key": "plan__shown"}, ["key"]),
        ({"kind": "single_choice", "choices": []}, ["choices"]),
        ({"kind": "single_choice", "choices": [{"value": "a", "label_sv": ""}]}, ["choices"]),
        (
            {
                "kind": "multiple_choice",
                "choices": [{"value": "a", "label_sv": "A"}, {"value": "a", "label_sv": "B"}],
            },
            ["choices"],
        ),
        ({"kind": "short_text", "choices": [{"value": "a", "label_sv": "A"}]}, ["choices"]),
        ({"kind": "number", "min_value": 10, "max_value": 5}, ["max_value"]),
        ({"kind": "long_text", "min_value": 1}, ["min_value"]),
        ({"kind": "number", "max_length": 10}, ["max_length"]),
    ],
)
def test_an_invalid_question_is_refused_on_its_field(values, errors):
    call = factories.CallFactory(form=[])
    section = FormSection.objects.create(call=call, title_sv="Del")
    question = FormQuestion(
        call=call, section=section, key="ok_key", kind="short_text", label_sv="Fråga"
    )
    for name, value in values.items():
        setattr(question, name, value)
    with pytest.raises(ValidationError) as refused:
        question.full_clean(validate_constraints=False)
    assert sorted(refused.value.message_dict) == errors


def test_a_valid_choice_question_passes():
    call = factories.CallFactory(form=[])
    section = FormSection.objects.create(call=call, title_sv="Del")
    FormQuestion(
        call=call,
        section=section,
        key="region",
        kind="single_choice",
        label_sv="Region",
        choices=[{"value": "north", "label_sv": "Norr", "label_en": "North"}],
    ).full_clean()


# -- rendering ----------------------------------------------------------------------------------

FormQuestionKeys = ("what_to_try", "participants", "expected_results")
OLD_CONTENT = {
    "call": "call-x",
    "organisation": {"orgnr": "212000-1355", "name": "Kommun", "kind": "municipality"},
    "title": "Old title",
    "summary": "Old summary",
    "what_to_try": "Coworking two days a week",
    "hub": "Samverket Östersund (Östersund)",
    "participants": 17,
    "period_start": "2027-02-01",
    "period_end": "2027-12-31",
    "expected_results": "Less commuting",
    "requested_amount": 500000,
    "contact": {"name": "Anna", "email": "anna@example.se", "phone": ""},
    "budget_lines": [{"category": "travel", "description": "Trains", "amount": 500000}],
    "attachments": [],
}


def test_a_version_frozen_by_the_old_code_still_renders_and_its_hash_still_verifies(client):
    application = factories.submitted_application()
    content = dict(OLD_CONTENT, call=application.call.slug)
    version = ApplicationVersion.objects.create(
        application=application,
        number=2,
        content=content,
        sha256=content_sha256(content),
        submitted_at=application.last_submitted_at,
        submitted_by=application.created_by,
    )
    user = factories.applicant_for(application, user__language="en")
    client.force_login(user)

    response = client.get(
        reverse("applications:version_detail", args=[application.pk, 2]),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    html = response.content.decode()
    for text in (
        "What the organisation wants to try",
        "Coworking two days a week",
        "Number of employees taking part",
        "17",
        "Expected results",
        "Less commuting",
        "Travel",
        "Trains",
        "Samverket Östersund (Östersund)",
    ):
        assert text in html
    version.refresh_from_db()
    assert version.content == content
    assert content_sha256(version.content) == version.sha256


def test_the_old_and_the_new_shape_give_the_same_rows():
    call = factories.CallFactory()
    new = {k: v for k, v in OLD_CONTENT.items() if k not in FormQuestionKeys}
    new["answers"] = {k: OLD_CONTENT[k] for k in FormQuestionKeys}
    with translation.override("sv"):
        assert content_display(OLD_CONTENT, call) == content_display(new, call)
        shown = content_display(new, call)
    assert shown["sections"] == [
        {
            "title": "Försöket",
            "rows": [
                {
                    "key": "what_to_try",
                    "label": "Vad organisationen vill pröva",
                    "value": "Coworking two days a week",
                    "long": True,
                },
                {
                    "key": "participants",
                    "label": "Antal medarbetare som deltar",
                    "value": "17",
                    "long": False,
                },
                {
                    "key": "expected_results",
                    "label": "Förväntade resultat",
                    "value": "Less commuting",
                    "long": True,
                },
            ],
        }
    ]
    assert [line["label"] for line in shown["budget_lines"]] == ["Resor"]


def test_a_new_version_holds_the_answers_and_no_top_level_copies():
    application = factories.submitted_application()
    content = application.versions.get().content
    assert content["answers"] == {
        "what_to_try": "Coworking at the hub for 20 employees.",
        "participants": 20,
        "expected_results": "Less commuting, more collaboration.",
    }
    assert not set(FormQuestionKeys) & set(content)


def test_an_unknown_budget_category_is_shown_as_its_key():
    call = factories.CallFactory(form__categories=[{"key": "rent", "label_sv": "Hyra"}])
    shown = content_display({"budget_lines": [{"category": "gone", "amount": 1}]}, call)
    assert shown["budget_lines"][0]["label"] == "gone"


# -- completeness per kind ----------------------------------------------------------------------

KINDS = [
    ({"kind": "short_text", "max_length": 5}, "abcdef", "“Q” may be at most 5 characters long."),
    ({"kind": "long_text", "max_length": 3}, "abcd", "“Q” may be at most 3 characters long."),
    ({"kind": "number", "min_value": 2}, 1, "“Q” must be at least 2."),
    ({"kind": "amount", "max_value": 100}, 101, "“Q” must be at most 100."),
    ({"kind": "number"}, "many", "The answer to “Q” must be a whole number."),
    ({"kind": "date"}, "2027-13-45", "The answer to “Q” must be a date."),
    ({"kind": "yes_no"}, "maybe", "Answer “Q” with yes or no."),
    (
        {"kind": "single_choice", "choices": [{"value": "a", "label_sv": "A"}]},
        "b",
        "The answer to “Q” is not one of its choices.",
    ),
    (
        {"kind": "multiple_choice", "choices": [{"value": "a", "label_sv": "A"}]},
        ["a", "z"],
        "The answer to “Q” is not one of its choices.",
    ),
]


@pytest.mark.parametrize(("definition", "value", "message"), KINDS)
def test_an_answer_out_of_bounds_stops_the_submission(definition, value, message):
    call = _call_with({"key": "q", "label_sv": "F", "label_en": "Q", **definition})
    application = _draft(call, q=value)
    assert _errors(application) == [("q", message)]


VALID = [
    ({"kind": "short_text", "max_length": 5}, "abcde"),
    ({"kind": "number", "min_value": 2, "max_value": 3}, 3),
    ({"kind": "amount"}, 1000),
    ({"kind": "date"}, "2027-05-01"),
    ({"kind": "yes_no"}, False),
    ({"kind": "single_choice", "choices": [{"value": "a", "label_sv": "A"}]}, "a"),
    ({"kind": "multiple_choice", "choices": [{"value": "a", "label_sv": "A"}]}, ["a"]),
]


@pytest.mark.parametrize(("definition", "value"), VALID)
def test_a_valid_answer_passes(definition, value):
    call = _call_with(
        {"key": "q", "label_sv": "F", "label_en": "Q", "required": True, **definition}
    )
    assert _errors(_draft(call, q=value)) == []


@pytest.mark.parametrize("empty", [None, "", []])
def test_a_required_question_unanswered_stops_the_submission_by_its_label(empty):
    call = _call_with(
        {"key": "q", "kind": "long_text", "label_sv": "F", "label_en": "Q", "required": True}
    )
    application = _draft(call, **({} if empty is None else {"q": empty}))
    assert _errors(application) == [("q", "“Q” must be answered.")]


def test_an_optional_question_may_stay_unanswered():
    call = _call_with({"key": "q", "kind": "long_text", "label_sv": "F", "label_en": "Q"})
    assert _errors(_draft(call)) == []


def test_a_required_attachment_kind_needs_a_file_of_that_kind(settings):
    settings.CLAMAV_ENABLED = False
    call = _call_with(
        {
            "key": "budget_plan",
            "kind": "attachment",
            "label_sv": "B",
            "label_en": "Budget plan",
            "required": True,
        }
    )
    application = _draft(call)
    applicant = factories.applicant_for(application)
    assert _errors(application) == [("attachments", "Attach a file for “Budget plan”.")]

    attachment_add(
        application=application,
        by=applicant,
        upload=SimpleUploadedFile("other.pdf", PDF, content_type="application/pdf"),
    )
    assert _errors(application) == [("attachments", "Attach a file for “Budget plan”.")]

    attachment_add(
        application=application,
        by=applicant,
        upload=SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
        kind="budget_plan",
    )
    assert _errors(application) == []
    content = snapshot_content(application)
    assert [(a["name"], a["kind"]) for a in content["attachments"]] == [
        ("other.pdf", ""),
        ("plan.pdf", "budget_plan"),
    ]
    with translation.override("en"):
        rows = content_display(content, call)["sections"][0]["rows"]
    assert rows[0]["value"] == "plan.pdf"


def test_an_attachment_of_a_kind_the_call_does_not_ask_for_is_refused():
    application = factories.ApplicationFactory()
    with pytest.raises(ValidationError) as refused:
        attachment_add(
            application=application,
            by=factories.applicant_for(application),
            upload=SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf"),
            kind="made_up",
        )
    assert list(refused.value.message_dict) == ["kind"]
    assert application.attachments.count() == 0


def test_a_budget_line_of_a_category_the_call_does_not_have_stops_the_submission():
    call = factories.CallFactory(form__categories=[{"key": "rent", "label_sv": "Hyra"}])
    application = factories.ApplicationFactory(
        call=call, budget=[("rent", "Rent", 300_000), ("hub", "Hub", 200_000)]
    )
    assert _errors(application) == [
        ("budget", "The budget line “Hub” has a category this call does not have.")
    ]


# -- a call without hubs --------------------------------------------------------------------------


def test_a_call_without_hubs_takes_an_application_without_a_hub_and_submits_it():
    call = factories.CallFactory(
        hubs=[], form=[], form__categories=[{"key": "rent", "label_sv": "Hyra"}]
    )
    application = factories.ApplicationFactory(
        call=call, hub=None, answers={}, budget=[("rent", "Rooms", 500_000)]
    )
    applicant = factories.applicant_for(application)

    version = application_submit(application=application, by=applicant)

    assert version.content["hub"] is None
    assert version.content["answers"] == {}
    application.refresh_from_db()
    assert application.registration_number is not None


def test_a_call_without_hubs_does_not_ask_for_one():
    call = factories.CallFactory(hubs=[])
    application = factories.ApplicationFactory(call=call, hub=None)
    form = ApplicationForm(instance=application, call=call)
    assert "hub" not in form.fields


def test_a_call_with_hubs_still_requires_one():
    application = factories.ApplicationFactory(hub=None)
    assert _errors(application) == [("hub", "Hub is required.")]


# -- the edit form --------------------------------------------------------------------------------


def test_the_edit_form_saves_answers_of_every_kind(client):
    call = _call_with(
        {"key": "text", "kind": "short_text", "label_sv": "T"},
        {"key": "count", "kind": "number", "label_sv": "N"},
        {"key": "cost", "kind": "amount", "label_sv": "A"},
        {"key": "day", "kind": "date", "label_sv": "D"},
        {"key": "ok", "kind": "yes_no", "label_sv": "Y"},
        {
            "key": "one",
            "kind": "single_choice",
            "label_sv": "S",
            "choices": [{"value": "a", "label_sv": "A"}],
        },
        {
            "key": "many",
            "kind": "multiple_choice",
            "label_sv": "M",
            "choices": [{"value": "a", "label_sv": "A"}, {"value": "b", "label_sv": "B"}],
        },
    )
    application = _draft(call)
    client.force_login(factories.applicant_for(application))
    response = client.post(
        reverse("applications:edit", args=[application.pk]),
        {
            "edit_version": application.edit_version,
            "text": "Hello",
            "count": "12",
            "cost": "3000",
            "day": "2027-04-01",
            "ok": "yes",
            "one": "a",
            "many": ["a", "b"],
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.answers == {
        "text": "Hello",
        "count": 12,
        "cost": 3000,
        "day": "2027-04-01",
        "ok": True,
        "one": "a",
        "many": ["a", "b"],
    }

    # Unticking every box is a change too: the page posts a marker beside the boxes.
    client.post(
        reverse("applications:edit", args=[application.pk]),
        {"edit_version": application.edit_version, "many__shown": "1", "ok": "no"},
    )
    application.refresh_from_db()
    assert (application.answers.get("many"), application.answers["ok"]) == (None, False)


def test_the_edit_page_groups_the_questions_by_section(client):
    call = factories.CallFactory(
        form=[
            {
                "title_sv": "Första",
                "questions": [{"key": "a", "kind": "long_text", "label_sv": "Fråga A"}],
            },
            {
                "title_sv": "Andra",
                "questions": [
                    {
                        "key": "b",
                        "kind": "multiple_choice",
                        "label_sv": "Fråga B",
                        "choices": [{"value": "x", "label_sv": "X"}],
                    }
                ],
            },
        ]
    )
    application = _draft(call)
    client.force_login(factories.applicant_for(application))
    html = client.get(reverse("applications:edit", args=[application.pk])).content.decode()
    assert html.index('<h2 id="section-1">Första</h2>') < html.index("Fråga A")
    assert html.index("Fråga A") < html.index('<h2 id="section-2">Andra</h2>')
    assert "<fieldset" in html[html.index("Andra") :]
    assert 'name="b__shown"' in html


def test_the_call_preview_shows_the_application_form(client):
    call = _call_with({"key": "extra", "kind": "long_text", "label_sv": "En extra fråga"})
    client.force_login(factories.programme_manager())
    html = client.get(reverse("applications:call_preview", args=[call.pk])).content.decode()
    assert 'id="application-form-preview"' in html
    assert "En extra fråga" in html
    assert 'name="extra"' in html


# -- exports ------------------------------------------------------------------------------------


def test_the_case_list_export_has_a_column_per_question_of_the_calls(client):
    first = factories.submitted_application()
    other_call = _call_with(
        {
            "key": "region",
            "kind": "single_choice",
            "label_sv": "Region",
            "choices": [{"value": "n", "label_sv": "Norr"}],
        },
        hubs=[],
    )
    second = factories.ApplicationFactory(call=other_call, hub=None, answers={"region": "n"})
    application_submit(application=second, by=factories.applicant_for(second))
    client.force_login(factories.programme_manager())

    response = client.post(reverse("applications:manage_export"), HTTP_ACCEPT_LANGUAGE="sv")

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    header = rows[0]
    assert header[-4:] == ["what_to_try", "participants", "expected_results", "region"]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    first.refresh_from_db()
    second.refresh_from_db()
    assert by_number[first.registration_number]["participants"] == "20"
    assert by_number[first.registration_number]["region"] == ""
    assert by_number[second.registration_number]["region"] == "Norr"
    assert by_number[second.registration_number]["what_to_try"] == ""


def test_dates_of_answers_show_in_swedish():
    call = _call_with({"key": "day", "kind": "date", "label_sv": "Dag"})
    with translation.override("sv"):
        rows = content_display({"answers": {"day": "2027-04-01"}}, call)["sections"][0]["rows"]
    assert rows[0]["value"] == "1 april 2027"
    assert dt.date(2027, 4, 1).isoformat() == "2027-04-01"


def test_application_update_refuses_an_answer_to_no_question_of_the_call():
    application = factories.ApplicationFactory()
    with pytest.raises(ValueError):
        application_update(
            application=application,
            by=factories.applicant_for(application),
            data={},
            answers={"not_asked": "x"},
        )


def test_the_edit_page_asks_what_a_file_is_and_the_upload_records_it(client, settings):
    settings.CLAMAV_ENABLED = False
    call = _call_with(
        {
            "key": "budget_plan",
            "kind": "attachment",
            "label_sv": "Budgetplan",
            "label_en": "Budget plan",
            "required": True,
        }
    )
    application = _draft(call)
    client.force_login(factories.applicant_for(application))
    html = client.get(reverse("applications:edit", args=[application.pk])).content.decode()
    assert '<option value="budget_plan">Budgetplan</option>' in html

    response = client.post(
        reverse("applications:attachment_upload", args=[application.pk]),
        {
            "kind": "budget_plan",
            "file": SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
        },
    )

    assert response.status_code == 302
    assert list(application.attachments.values_list("original_name", "kind")) == [
        ("plan.pdf", "budget_plan")
    ]
    assert _errors(application) == []
