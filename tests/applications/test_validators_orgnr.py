import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from applications.validators import normalise_orgnr, validate_public_sector_orgnr

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The assertions read the English message ids, whatever catalogue is compiled."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "value",
    ["212000-0142", "2120000142", " 212000 0142 ", "2120000142"],
)
def test_a_valid_organisation_number_is_normalised_with_a_hyphen(value):
    assert normalise_orgnr(value) == "212000-0142"


@pytest.mark.parametrize("value", ["212000-0143", "12345", "", None, "abcdef-ghij", "2120000142x"])
def test_an_invalid_organisation_number_is_refused(value):
    with pytest.raises(ValidationError) as raised:
        normalise_orgnr(value)
    assert raised.value.code == "invalid"
    assert raised.value.messages == [
        "Enter a valid Swedish organisation number, for example 212000-0142."
    ]


def test_a_personal_identity_number_is_refused_although_its_check_digit_is_right():
    with pytest.raises(ValidationError) as raised:
        normalise_orgnr("811228-9874")
    assert raised.value.code == "personal_number"


def test_digits_three_and_four_at_twenty_mark_a_legal_entity():
    assert normalise_orgnr("202100-5216") == "202100-5216"


def test_a_public_sector_number_passes_the_public_sector_check():
    assert validate_public_sector_orgnr("212000-0142") is None


def test_a_private_company_number_is_refused_by_the_public_sector_check():
    assert normalise_orgnr("556036-0793") == "556036-0793"
    with pytest.raises(ValidationError) as raised:
        validate_public_sector_orgnr("556036-0793")
    assert raised.value.code == "not_public_sector"


def test_the_public_sector_check_refuses_a_personal_identity_number_as_such():
    with pytest.raises(ValidationError) as raised:
        validate_public_sector_orgnr("811228-9874")
    assert raised.value.code == "personal_number"
