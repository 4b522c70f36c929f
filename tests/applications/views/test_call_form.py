"""The call's form builder: who may use it, what it changes, and what it refuses (frozen form,
missing reason, duplicate keys, invalid definitions, the last budget category)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import AuditEntry
from applications.services.calls import call_copy, call_create
from grants.models import BudgetCategory, CallChange, FormQuestion, FormSection
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = factories.programme_manager(language="en")
    client.force_login(user)
    return user


def _draft_call(**kwargs):
    return factories.CallFactory(is_published=False, **kwargs)


def _snapshot(call) -> tuple:
    return (
        list(FormSection.objects.filter(call=call).values_list("pk", "title_sv", "position")),
        list(
            FormQuestion.objects.filter(call=call).values_list(
                "pk", "key", "kind", "label_sv", "required", "choices", "position"
            )
        ),
        list(BudgetCategory.objects.filter(call=call).values_list("pk", "key", "label_sv")),
        CallChange.objects.filter(call=call).count(),
        AuditEntry.objects.filter(action="call.form_change").count(),
    )


def _question_post(call, **overrides) -> dict:
    return {
        "section": call.form_sections.first().pk,
        "key": "budget_plan",
        "kind": "long_text",
        "label_sv": "Budgetplan",
        "label_en": "Budget plan",
        "help_sv": "",
        "help_en": "",
        "max_length": "2000",
        "min_value": "",
        "max_value": "",
        "choices": "",
        **overrides,
    }


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


# -- who -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make", [factories.UserFactory, factories.decision_maker], ids=["applicant", "decider"]
)
def test_only_a_programme_manager_changes_the_form(client, make):
    call = _draft_call()
    client.force_login(make())
    before = _snapshot(call)
    response = client.post(
        reverse("applications:call_form_add", args=[call.pk, "questions"]), _question_post(call)
    )
    assert response.status_code == 403
    assert _snapshot(call) == before


def test_a_decision_maker_reads_the_form_and_an_applicant_does_not(client):
    call = _draft_call()
    client.force_login(factories.decision_maker())
    assert client.get(reverse("applications:call_form", args=[call.pk])).status_code == 200
    client.force_login(factories.UserFactory())
    assert client.get(reverse("applications:call_form", args=[call.pk])).status_code == 403


def test_the_call_page_links_to_the_form(client, manager):
    call = _draft_call()
    html = client.get(reverse("applications:call_manage", args=[call.pk])).content.decode()
    assert reverse("applications:call_form", args=[call.pk]) in html


# -- a draft call ----------------------------------------------------------------------------------


def test_a_programme_manager_adds_a_question_to_a_draft(client, manager):
    call = _draft_call()
    response = client.post(
        reverse("applications:call_form_add", args=[call.pk, "questions"]), _question_post(call)
    )
    assert response.status_code == 302
    question = FormQuestion.objects.get(call=call, key="budget_plan")
    assert (question.kind, question.max_length, question.position, question.required) == (
        "long_text",
        2000,
        3,
        False,
    )
    call.refresh_from_db()
    assert call.changed_by == manager
    entry = AuditEntry.objects.get(action="call.form_change")
    assert entry.data["part"] == "question"
    assert entry.data["operation"] == "add"
    assert entry.data["form_texts_changed"] == ["label_en", "label_sv"]
    assert entry.data["form_changes"]["kind"] == {"before": None, "after": "long_text"}
    assert CallChange.objects.filter(call=call).count() == 0  # a draft has no public history
    page = client.get(reverse("applications:call_form", args=[call.pk])).content.decode()
    assert "Budget plan" in page


def test_a_choice_question_needs_choices(client, manager):
    call = _draft_call()
    before = _snapshot(call)
    response = client.post(
        reverse("applications:call_form_add", args=[call.pk, "questions"]),
        _question_post(call, kind="single_choice", max_length=""),
    )
    assert response.status_code == 200
    assert _errors(response) == {
        "choices": ["A choice question needs at least one choice, each with a label."]
    }
    assert _snapshot(call) == before


def test_choices_are_read_one_a_line(client, manager):
    call = _draft_call()
    client.post(
        reverse("applications:call_form_add", args=[call.pk, "questions"]),
        _question_post(
            call,
            kind="multiple_choice",
            max_length="",
            choices="north | Norr | North\nsouth | Söder",
        ),
    )
    assert FormQuestion.objects.get(call=call, key="budget_plan").choices == [
        {"value": "north", "label_sv": "Norr", "label_en": "North"},
        {"value": "south", "label_sv": "Söder", "label_en": ""},
    ]


def test_a_key_used_twice_is_refused(client, manager):
    call = _draft_call()
    before = _snapshot(call)
    response = client.post(
        reverse("applications:call_form_add", args=[call.pk, "questions"]),
        _question_post(call, key="what_to_try"),
    )
    assert _errors(response) == {"key": ["The key “what_to_try” is already used in this call."]}
    assert _snapshot(call) == before


def test_a_range_upside_down_is_refused(client, manager):
    call = _draft_call()
    before = _snapshot(call)
    response = client.post(
        reverse("applications:call_form_add", args=[call.pk, "questions"]),
        _question_post(call, kind="number", max_length="", min_value="10", max_value="5"),
    )
    assert _errors(response) == {
        "max_value": ["The highest value cannot be lower than the lowest value."]
    }
    assert _snapshot(call) == before


def test_the_last_budget_category_cannot_be_removed(client, manager):
    call = _draft_call(form__categories=[{"key": "rent", "label_sv": "Hyra"}])
    category = call.budget_categories.get()
    before = _snapshot(call)
    response = client.post(
        reverse("applications:call_form_remove", args=[call.pk, "categories", category.pk])
    )
    assert response.status_code == 200
    assert _errors(response) == {"__all__": ["A call needs at least one budget category."]}
    assert _snapshot(call) == before


def test_a_section_is_added_moved_and_removed(client, manager):
    call = _draft_call()
    client.post(
        reverse("applications:call_form_add", args=[call.pk, "sections"]),
        {"title_sv": "Bilagor", "title_en": "Attachments", "intro_sv": "", "intro_en": ""},
    )
    first, second = call.form_sections.order_by("position")
    assert second.title_sv == "Bilagor"
    client.post(
        reverse("applications:call_form_move", args=[call.pk, "sections", second.pk]),
        {"direction": "up"},
    )
    assert list(call.form_sections.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    response = client.post(
        reverse("applications:call_form_remove", args=[call.pk, "sections", first.pk])
    )
    assert response.status_code == 302
    assert list(call.form_sections.values_list("pk", flat=True)) == [second.pk]
    assert call.form_questions.count() == 0  # its questions went with it


# -- a published call ------------------------------------------------------------------------------


def test_a_change_to_a_published_call_needs_a_reason_and_is_listed_publicly(client, manager):
    call = factories.CallFactory()  # published, no application yet
    url = reverse("applications:call_form_add", args=[call.pk, "categories"])
    before = _snapshot(call)
    response = client.post(url, {"key": "rent", "label_sv": "Hyra", "label_en": "Rent"})
    assert _errors(response) == {"reason": ["This field is required."]}
    assert _snapshot(call) == before

    response = client.post(
        url, {"key": "rent", "label_sv": "Hyra", "label_en": "Rent", "reason": "Rooms cost."}
    )
    assert response.status_code == 302
    change = CallChange.objects.get(call=call)
    assert change.reason == "Rooms cost."
    assert change.changes == [
        {
            "field": "form",
            "part": "category",
            "key": "rent",
            "attribute": "",
            "before": "",
            "after": "Hyra",
        }
    ]
    public = client.get(reverse("grants:call_detail", args=[call.slug])).content.decode()
    assert "Budget category “rent”" in public
    assert "Rooms cost." in public


# -- the frozen form -------------------------------------------------------------------------------


@pytest.fixture
def frozen_call():
    application = factories.ApplicationFactory()
    return application.call


def test_a_frozen_form_refuses_a_new_question(client, manager, frozen_call):
    before = _snapshot(frozen_call)
    response = client.post(
        reverse("applications:call_form_add", args=[frozen_call.pk, "questions"]),
        _question_post(frozen_call, reason="Needed"),
    )
    assert response.status_code == 200
    assert _errors(response)["__all__"][0].startswith("The application form is frozen")
    assert _snapshot(frozen_call) == before


@pytest.mark.parametrize(
    "service_change",
    [{"required": False}, {"kind": "short_text"}, {"max_length": 10}],
)
def test_a_frozen_form_refuses_a_structural_change(manager, frozen_call, service_change):
    from django.core.exceptions import ValidationError

    from applications.services.call_form import form_question_save

    question = frozen_call.form_questions.get(key="what_to_try")
    before = _snapshot(frozen_call)
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        form_question_save(
            call=frozen_call, by=manager, question=question, values=service_change, reason="x"
        )
    assert refused.value.messages[0].startswith("The application form is frozen")
    assert _snapshot(frozen_call) == before


def test_a_frozen_form_shows_structure_disabled_and_takes_a_wording_fix(
    client, manager, frozen_call
):
    question = frozen_call.form_questions.get(key="what_to_try")
    url = reverse("applications:call_form_edit", args=[frozen_call.pk, "questions", question.pk])
    form = client.get(url).context["form"]
    assert [name for name, field in form.fields.items() if field.disabled] == [
        "key",
        "kind",
        "required",
        "max_length",
        "min_value",
        "max_value",
        "choices",
    ]
    response = client.post(
        url,
        {
            "section": question.section_id,
            "kind": "number",  # disabled: ignored
            "label_sv": "Vad ni vill pröva",
            "label_en": "What you want to try",
            "help_sv": "",
            "help_en": "",
            "reason": "Clearer wording.",
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.kind, question.label_sv, question.label_en) == (
        "long_text",
        "Vad ni vill pröva",
        "What you want to try",
    )
    change = CallChange.objects.get(call=frozen_call)
    assert [(c["attribute"], c["before"], c["after"]) for c in change.changes] == [
        ("label_sv", "Vad organisationen vill pröva", "Vad ni vill pröva"),
        ("label_en", "What the organisation wants to try", "What you want to try"),
    ]
    entry = AuditEntry.objects.get(action="call.form_change")
    assert entry.data == {
        "part": "question",
        "operation": "change",
        "key": "what_to_try",
        "form_changes": {},
        "form_texts_changed": ["label_en", "label_sv"],
        "reason_given": True,
    }


def test_a_frozen_form_refuses_a_removal(client, manager, frozen_call):
    question = frozen_call.form_questions.first()
    before = _snapshot(frozen_call)
    response = client.post(
        reverse("applications:call_form_remove", args=[frozen_call.pk, "questions", question.pk]),
        {"reason": "Not needed"},
    )
    assert _errors(response)["__all__"][0].startswith("The application form is frozen")
    assert _snapshot(frozen_call) == before


# -- new calls and copies --------------------------------------------------------------------------


def test_a_new_call_starts_with_the_standard_categories_and_no_questions():
    manager = factories.programme_manager()
    now = timezone.now()
    call = call_create(
        by=manager,
        values={
            "slug": "rooms",
            "title_sv": "Rum",
            "summary_sv": "S",
            "description_sv": "D",
            "opens_at": now,
            "closes_at": now + dt.timedelta(days=30),
            "budget": 1_000_000,
            "max_amount": 100_000,
        },
    )
    assert call.form_sections.count() == 0
    assert call.budget_categories.count() == 6


def test_a_copy_takes_the_form():
    source = factories.CallFactory(
        form=[{"title_sv": "Del", "questions": [{"key": "x", "kind": "yes_no", "label_sv": "X"}]}],
        form__categories=[{"key": "rent", "label_sv": "Hyra"}],
    )
    now = timezone.now()
    copy = call_copy(
        source=source,
        by=factories.programme_manager(),
        slug="copy",
        title_sv="Kopia",
        opens_at=now,
        closes_at=now + dt.timedelta(days=3),
    )
    assert list(copy.form_questions.values_list("key", "kind", "section__title_sv")) == [
        ("x", "yes_no", "Del")
    ]
    assert list(copy.budget_categories.values_list("key", flat=True)) == ["rent"]
    assert source.form_questions.count() == 1
