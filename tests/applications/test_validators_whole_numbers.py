"""Whole numbers and amounts as people write them: "600 000", "600 000 kr", with normal or
no-break spaces between the thousands, read by ``WholeNumberField`` (every amount field of the
site is one), and anything else refused with a message that says what to write."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from applications.models import BudgetLine
from applications.validators import WholeNumberField, WholeNumberInput

GROUPING = (
    "Enter the number with a space between each group of three digits, for example 600 000, "
    "or without spaces."
)
DECIMALS = "Enter a whole number, without decimals."


@pytest.fixture
def field():
    return WholeNumberField(column=BudgetLine._meta.get_field("amount"), min_value=0)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("600000", 600_000),
        ("600 000", 600_000),
        ("600\u00a0000", 600_000),  # the no-break space the site shows amounts with
        ("600\u202f000", 600_000),  # the narrow no-break space some keyboards and apps insert
        ("600 000 kr", 600_000),
        ("600\u00a0000\u00a0kr", 600_000),
        ("600000kr", 600_000),
        ("600 000 kr.", 600_000),
        ("600 000 SEK", 600_000),
        ("1 250 000", 1_250_000),
        ("  600 000  ", 600_000),
        ("600000,00", 600_000),
        ("600 000,0 kr", 600_000),
        ("999", 999),
        ("0", 0),
    ],
)
def test_numbers_written_with_thousands_apart_are_read(field, typed, value):
    assert field.clean(typed) == value


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("60 0000", GROUPING),
        ("6 00 000", GROUPING),
        # A comma or point before three digits is a thousands separator in English or German:
        # never read as 600 kronor (Django's IntegerField alone reads "600.000" as 600).
        ("600,000", GROUPING),
        ("600.000", GROUPING),
        ("600 000,50", DECIMALS),
        ("1,5", DECIMALS),
        ("abc", "Enter a whole number."),
        ("600 000 euro", "Enter a whole number."),
        ("kr", "Enter a whole number."),
        ("-5", "Ensure this value is greater than or equal to 0."),
        ("\u22125 000", "Ensure this value is greater than or equal to 0."),
        ("2 147 483 648", "Ensure this value is less than or equal to 2147483647."),
    ],
)
def test_numbers_that_are_not_whole_kronor_are_refused_with_a_clear_message(field, typed, message):
    with pytest.raises(ValidationError) as refused:
        field.clean(typed)
    assert refused.value.messages == [message]


def test_the_messages_are_swedish_for_a_swedish_reader(field):
    with translation.override("sv"):
        with pytest.raises(ValidationError) as refused:
            field.clean("60 0000")
        assert refused.value.messages == [
            "Skriv talet med ett mellanslag mellan varje grupp om tre siffror, till exempel "
            "600 000, eller utan mellanslag."
        ]


def test_the_input_is_a_numeric_text_box_showing_the_thousands_apart():
    class AmountForm(forms.Form):
        amount = WholeNumberField(
            column=BudgetLine._meta.get_field("amount"), widget=WholeNumberInput()
        )

    html = str(AmountForm(initial={"amount": 1_250_000})["amount"])
    assert 'type="text"' in html
    assert 'inputmode="numeric"' in html
    assert 'value="1\u00a0250\u00a0000"' in html
    # A refused value is shown back as it was typed, to be put right.
    assert 'value="60 0000"' in str(AmountForm({"amount": "60 0000"})["amount"])
