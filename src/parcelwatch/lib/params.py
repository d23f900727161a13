"""Reading filter values from query strings: junk is ignored (pages) rather than crashing a query."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from .text import is_ascii_digits

MIN_YEAR, MAX_YEAR = 2000, 2100


def text(params: Mapping, key: str, max_length: int = 100) -> str:
    """A filter's text: control characters (PostgreSQL refuses NUL in a query) and line breaks removed."""
    from .text import clean_text

    value = params.get(key, "")
    return clean_text(str(value), multiline=False)[:max_length] if value is not None else ""


def year(params: Mapping, key: str = "year") -> int | None:
    value = text(params, key, 8)
    if not is_ascii_digits(value):
        return None
    number = int(value)
    return number if MIN_YEAR <= number <= MAX_YEAR else None


def day(params: Mapping, key: str, *, clamp: bool = False) -> date | None:
    """A YYYY-MM-DD day from 2000 to 2100. Outside that: none, or with `clamp` the nearest end of it
    (a period "from 1999-12-31" means from the beginning of the records, not "no start")."""
    value = text(params, key, 10)
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    if MIN_YEAR <= parsed.year <= MAX_YEAR:
        return parsed
    if not clamp:
        return None
    return date(MIN_YEAR, 1, 1) if parsed.year < MIN_YEAR else date(MAX_YEAR, 12, 31)


def flag(params: Mapping, key: str) -> bool | None:
    return {"1": True, "true": True, "0": False, "false": False}.get(text(params, key, 5).lower())
