"""Cleaning text as it enters the platform.

Prose (names, addresses, notes) keeps what the user wrote, minus the control
characters that break Excel, PDF and JSON output. Identifiers (credit codes,
filing numbers, phones) are also normalised (NFKC: full-width digits and
letters become half-width, non-breaking spaces become spaces) so the same
identifier typed two ways is one identifier.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls except tab and newline, DEL, and the C1 block. Carriage returns become newlines.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters that are spaces in everything but name: NBSP, ideographic space, zero-width ones.
_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029]")


def clean_text(value: str | None, *, multiline: bool = True) -> str:
    """Prose as typed, minus control characters; single-line values lose their line breaks too."""
    if value is None:
        return ""
    value = _LINE_BREAKS.sub("\n", str(value))
    value = _CONTROL.sub("", value)
    value = _ZERO_WIDTH.sub("", value)
    value = _ODD_SPACES.sub(" ", value)
    if not multiline:
        value = re.sub(r"[\t\n]+", " ", value)
    return value.strip()


def normalise_identifier(value: str | None, *, upper: bool = True) -> str:
    """An identifier as the registry stores it: NFKC, no spaces anywhere, upper case."""
    value = unicodedata.normalize("NFKC", clean_text(value, multiline=False))
    value = re.sub(r"\s+", "", value)
    return value.upper() if upper else value


def has_control_characters(value: str) -> bool:
    return bool(_CONTROL.search(value))


def is_ascii_digits(value: str) -> bool:
    """Only 0–9. `str.isdigit()` also accepts "²" or "١", which `int()` then refuses (or reads as another number)."""
    return value.isascii() and value.isdigit()
