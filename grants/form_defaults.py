"""The coworking call's application form, the first definition made from today's fixed form.

Data, not models, so that a new call, the demo and the tests start from the same definition.
(Migration ``grants.0010_application_form`` holds its own frozen copy, as migrations must.)
"""

from .models import BudgetCategory, FormQuestion, FormSection

COWORKING_SECTIONS = [
    {
        "title_sv": "Försöket",
        "title_en": "The trial",
        "intro_sv": "",
        "intro_en": "",
        "questions": [
            {
                "key": "what_to_try",
                "kind": "long_text",
                "label_sv": "Vad organisationen vill pröva",
                "label_en": "What the organisation wants to try",
                "required": True,
            },
            {
                "key": "participants",
                "kind": "number",
                "label_sv": "Antal medarbetare som deltar",
                "label_en": "Number of employees taking part",
                "required": True,
                "min_value": 0,
            },
            {
                "key": "expected_results",
                "kind": "long_text",
                "label_sv": "Förväntade resultat",
                "label_en": "Expected results",
                "required": True,
            },
        ],
    }
]

STANDARD_BUDGET_CATEGORIES = [
    {
        "key": "hub",
        "label_sv": "Medlemskap och hyra i hubben",
        "label_en": "Hub membership and rent",
    },
    {"key": "staff", "label_sv": "Personaltid", "label_en": "Staff time"},
    {"key": "travel", "label_sv": "Resor", "label_en": "Travel"},
    {"key": "equipment", "label_sv": "Utrustning och IT", "label_en": "Equipment and IT"},
    {
        "key": "evaluation",
        "label_sv": "Utvärdering och lärande",
        "label_en": "Evaluation and learning",
    },
    {"key": "other", "label_sv": "Övriga kostnader", "label_en": "Other costs"},
]


def create_definition(call, *, sections=COWORKING_SECTIONS, categories=STANDARD_BUDGET_CATEGORIES):
    """Give ``call`` the form ``sections`` and budget ``categories`` (by default the coworking
    call's). For a call that has none yet."""
    for s_pos, section in enumerate(sections):
        fields = {k: v for k, v in section.items() if k != "questions"}
        made = FormSection.objects.create(call=call, position=s_pos, **fields)
        for q_pos, question in enumerate(section.get("questions", [])):
            FormQuestion.objects.create(section=made, call=call, position=q_pos, **question)
    BudgetCategory.objects.bulk_create(
        BudgetCategory(call=call, position=pos, **category)
        for pos, category in enumerate(categories)
    )
