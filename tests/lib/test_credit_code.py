import pytest

from parcelwatch.lib.credit_code import check_character, credit_code_problem, is_valid_credit_code
from parcelwatch.lib.masking import mask_id_number, mask_phone

# Codes of real, publicly registered companies.
REAL_CODES = ["91330100716105852F", "9144030071526726XG", "91110000600037341L", "91440300708461136T"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_are_valid(code):
    assert is_valid_credit_code(code)


def test_lowercase_and_spaces_are_normalised():
    assert is_valid_credit_code(" 9144030071526726xg ")


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91330100716105852G", "check"),
        ("9133010071610585", "length"),
        ("91330100716105852FF", "length"),
        ("9133010071610585IO", "characters"),
        ("91AB0100716105852F", "region"),
        ("", "length"),
    ],
)
def test_bad_credit_codes_report_why(code, problem):
    assert credit_code_problem(code) == problem


def test_check_character_completes_a_code():
    assert check_character("91330100716105852") == "F"


def test_masking_keeps_only_the_ends():
    assert mask_id_number("350303198001011234") == "3503**********1234"
    assert mask_phone("13800001111") == "138****1111"
    assert mask_phone("") == ""
