"""Typed, bounded inputs for the REST API: every text has a length, every number a range.

Text is cleaned of control characters as it is parsed, exactly like form input.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator, ConfigDict, PlainSerializer, WithJsonSchema

from .text import clean_text

MAX_PK = 2**63 - 1
MAX_OFFSET = 10_000_000


def _prose(value: str) -> str:
    return clean_text(value, multiline=True)


def _line(value: str) -> str:
    return clean_text(value, multiline=False)


NOTE_MAX = 2000
DESCRIPTION_MAX = 2000
FINDINGS_MAX = 4000

# An object id: 404 for ids that name nothing is the access function's business; junk is a 422 here.
Id = Annotated[int, Field(ge=1, le=MAX_PK)]
# A day in a record (filings, trainings) and a day to filter by (the records start in 2000; see lib/params).
Day = Annotated[date, Field(ge=date(1949, 1, 1), le=date(2100, 12, 31))]
FilterDay = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Year = Annotated[int, Field(ge=2000, le=2100)]
def prose(limit: int):
    """Free text of at most `limit` characters, cleaned like a form's textarea."""
    return Annotated[str, Field(max_length=limit), AfterValidator(_prose)]


Note = Annotated[str, Field(max_length=NOTE_MAX), AfterValidator(_prose)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX), AfterValidator(_prose)]
Findings = Annotated[str, Field(max_length=FINDINGS_MAX), AfterValidator(_prose)]
Code = Annotated[str, Field(max_length=32), AfterValidator(_line)]
Search = Annotated[str, Field(max_length=100), AfterValidator(_line)]
Line = Annotated[str, Field(max_length=255), AfterValidator(_line)]
# Money: yuan with two decimals, as a JSON string ("1500.00") in responses: exact, never a float.
Money = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)]
Coordinate = Annotated[Decimal, Field(ge=-1000, le=1000)]
# Amounts in responses: always a string with exactly two decimals ("1182500.00"), never a float.
MoneyOut = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="always"),
                     WithJsonSchema({"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "1500.00",
                                     "description": "Yuan, two decimals, as a string."})]


class In(Schema):
    """Every request body: fields not in the schema are refused, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Pagination(LimitOffsetPagination):
    """limit 1–500 (default 100); offset bounded so that no database is asked for an absurd row.

    `count` is exact up to LIST_COUNT_CAP (10,000) matching items; beyond, it is that cap and
    `count_capped` is true (narrow the filters, e.g. by date, to page through more).
    """

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        items: list[Any]
        count: int
        count_capped: bool = Field(False, description="More items match than `count` says.")

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        from .pagination import capped_count, page_rows

        count, capped = capped_count(queryset)
        offset, limit = pagination.offset, pagination.limit
        return {"items": page_rows(queryset, offset, offset + limit), "count": count, "count_capped": capped}


def mapped_pagination(to_json):
    """Pagination that turns only the page's rows into JSON (`to_json(row, request)`): an endpoint hands over its
    queryset, never a list of every row serialised first."""

    class MappedPagination(Pagination):
        def paginate_queryset(self, queryset, pagination, request=None, **params):
            result = super().paginate_queryset(queryset, pagination, request=request, **params)
            result["items"] = [to_json(row, request) for row in result["items"]]
            return result

    return MappedPagination


class Stale(DjangoValidationError):
    """Somebody else changed the record since the caller read it: the API answers 409, a page asks to reload."""


class Refused(HttpError):
    """A service's refusal as a 422 (409 when stale), with the fields at fault in `errors`."""

    def __init__(self, message: str, errors: dict, status: int = 422) -> None:
        super().__init__(status, message)
        self.errors = errors


def save_or_refuse(call):
    """Run one service call for an endpoint: a ValidationError becomes a structured 422, a Stale one a 409."""
    try:
        return call()
    except DjangoValidationError as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()} if hasattr(exc, "error_dict") else {}
        raise Refused("；".join(exc.messages), errors, 409 if isinstance(exc, Stale) else 422) from None
