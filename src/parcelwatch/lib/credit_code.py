"""Unified social credit code (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The 18th character for the given first 17 characters."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """As typed in a form or a sheet: full-width characters, spaces and case do not make a new code."""
    from .text import normalise_identifier

    return normalise_identifier(code)


def credit_code_problem(code: str) -> str | None:
    """None when the code is valid, otherwise a short reason key."""
    code = normalise(code)
    if len(code) != 18:
        return "length"
    if any(ch not in ALPHABET for ch in code):
        return "characters"
    if not code[2:8].isdigit():
        return "region"
    if check_character(code[:17]) != code[17]:
        return "check"
    return None


def is_valid_credit_code(code: str) -> bool:
    return credit_code_problem(code) is None
