"""Identity document and mobile number validation: error codes, messages and normal forms.

Every valid sample's check character was computed independently of stdnum (weights 7, 9,
10, ... mod 11 for resident IDs; 1, 3, 9, 27, ... mod 31 for credit codes).
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from crm.validators import (
    normalize_credit_code,
    normalize_mobile_number,
    normalize_resident_id,
    validate_credit_code,
    validate_document,
    validate_mobile_number,
    validate_passport,
    validate_resident_id,
)


def raised(validator, *args) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validator(*args)
    return excinfo.value


def english_message(error: ValidationError) -> str:
    with translation.override("en"):
        return error.messages[0]


# --- Resident ID ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",
        "11010519491231002x",
        "360426199101010071",
        "11010519000101001X",  # 1900-01-01, the earliest accepted birth date
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, as some input methods type it
    ],
)
def test_resident_id_with_correct_check_digit_and_birth_date_is_valid(value):
    assert validate_resident_id(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002",  # 17 characters
        "11010519491231002X1",  # 19 characters
        "1101051949A231002X",  # letter in the middle
        "X10105194912310021",  # X anywhere but last
        "",
    ],
)
def test_resident_id_of_wrong_length_or_characters_is_a_format_error(value):
    error = raised(validate_resident_id, value)

    assert error.code == "id_format"
    assert english_message(error) == (
        "Enter a resident ID number of 18 characters: 17 digits followed by a digit or X."
    )


def test_resident_id_with_wrong_check_digit_is_a_checksum_error():
    error = raised(validate_resident_id, "110105194912310021")

    assert error.code == "id_checksum"
    assert english_message(error) == "The check digit of this ID number is wrong."


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105189912310015", "The birth date in this ID number is before 1900-01-01."),
        ("11010520300101001X", "The birth date in this ID number is in the future."),
        ("11010519900230001X", "The birth date in this ID number does not exist."),  # Feb 30
    ],
)
def test_resident_id_with_impossible_birth_date_is_a_birth_date_error(value, message):
    error = raised(validate_resident_id, value)

    assert error.code == "id_birth_date"
    assert english_message(error) == message


def test_resident_id_is_normalised_without_spaces_and_with_upper_case_x():
    assert normalize_resident_id(" 110105 19491231 002x\n") == "11010519491231002X"


# --- Unified social credit code ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y43",
        "91110000600037341L",
        "N2110105MA0000001H",  # registering authority "N" (agriculture) is a letter
        "91350100m000100y43",
    ],
)
def test_credit_code_with_correct_check_character_is_valid(value):
    assert validate_credit_code(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y431",  # 19 characters
        "91350100I000100Y43",  # I, O, S, V and Z are not in the charset
        "91350100M000100O43",
        "91350100M0S0100Y43",
        "9135010VM000100Y43",
        "91350100M000100Y4Z",
        "913501A0M000100Y43",  # region code (positions 3-8) must be digits
    ],
)
def test_credit_code_of_wrong_length_or_characters_is_a_format_error(value):
    error = raised(validate_credit_code, value)

    assert error.code == "credit_code_format"
    assert english_message(error) == (
        "Enter a unified social credit code of 18 digits or capital letters (not I, O, S, V or Z)."
    )


def test_credit_code_with_wrong_check_character_is_a_checksum_error():
    error = raised(validate_credit_code, "91350100M000100Y44")

    assert error.code == "credit_code_checksum"
    assert english_message(error) == (
        "The check character of this unified social credit code is wrong."
    )


def test_credit_code_is_normalised_without_spaces_in_upper_case():
    assert normalize_credit_code(" 91350100 m000100y43 ") == "91350100M000100Y43"


# --- Passport ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["E1234", "E12345678", "G123456789012345678X", "ab12345"])
def test_passport_of_5_to_20_letters_or_digits_is_valid(value):
    assert validate_passport(value) is None


@pytest.mark.parametrize(
    "value", ["E123", "G123456789012345678XY", "E1234-5678", "护照12345", "E12345678;", ""]
)
def test_passport_of_wrong_length_or_characters_is_a_format_error(value):
    error = raised(validate_passport, value)

    assert error.code == "passport_format"
    assert english_message(error) == "Enter a passport number of 5 to 20 letters or digits."


# --- Mobile number ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        "+86 138 0013 8000",
        "+8613800138000",
        "86-13800138000",
        "0086 138-0013-8000",
        " 13800138000 ",
    ],
)
def test_mainland_mobile_number_with_or_without_country_code_is_valid(value):
    assert validate_mobile_number(value) is None
    assert normalize_mobile_number(value) == "13800138000"


@pytest.mark.parametrize(
    "value",
    [
        "010-12345678",  # Beijing landline
        "138001380001",  # 12 digits
        "12345678901",  # no mobile range starts with 12
        "1380013800",  # 10 digits
        "+1 650 253 0000",  # valid, but not Chinese
        "138-0013-TEST",  # phonenumbers would read the letters as keypad digits
        "13800138000 ext. 12",
        "",
    ],
)
def test_anything_but_a_mainland_mobile_number_is_refused(value):
    error = raised(validate_mobile_number, value)

    assert error.code == "mobile_invalid"
    assert english_message(error) == (
        "Enter a valid mainland China mobile number, e.g. 13800138000."
    )


def test_normalising_an_invalid_mobile_number_raises_the_same_error():
    error = raised(normalize_mobile_number, "010-12345678")

    assert error.code == "mobile_invalid"


# --- Dispatch by document type ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("document_type", "number", "normalised"),
    [
        ("resident_id", "11010519491231002x", "11010519491231002X"),
        ("credit_code", "91350100 m000100y43", "91350100M000100Y43"),
        ("passport", " e12345678 ", "E12345678"),
    ],
)
def test_validate_document_returns_the_normalised_number(document_type, number, normalised):
    assert validate_document(document_type, number) == normalised


@pytest.mark.parametrize(
    ("document_type", "number", "code"),
    [
        ("resident_id", "110105194912310021", "id_checksum"),
        ("credit_code", "91350100M000100Y44", "credit_code_checksum"),
        ("passport", "E1", "passport_format"),
    ],
)
def test_validate_document_raises_the_validator_error_of_its_type(document_type, number, code):
    assert raised(validate_document, document_type, number).code == code


def test_unknown_document_type_is_refused():
    error = raised(validate_document, "driving_licence", "123456")

    assert error.code == "document_type"
    assert english_message(error) == "Unknown identity document type: driving_licence."
