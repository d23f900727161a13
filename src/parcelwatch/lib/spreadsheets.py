"""Spreadsheets with Chinese headers: column definitions and streaming .xlsx writing.

Every value leaving the platform in a spreadsheet goes through `write_workbook`:
control characters that Excel refuses are dropped, over-long text is cut at
Excel's cell limit, and text that Excel would run as a formula (starting with
=, +, -, @) is written as text, marked so that editing the cell keeps it text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from urllib.parse import quote

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils import timezone

EXCEL_CELL_MAX = 32767
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False
    export: Callable[[Any], Any] | None = None
    import_: bool = True
    width: int = 16
    num_format: str = ""  # Excel number format for numbers in this column, e.g. "0.0%"


@dataclass(frozen=True)
class ExportSheet:
    """A list that can be exported but not imported."""

    title: Any
    columns: tuple[Column, ...]
    queryset_for_export: Callable[[QuerySet], QuerySet]

    def header_labels(self) -> list[str]:
        return [c.header for c in self.columns]


@dataclass(frozen=True)
class ExportSource:
    """A list a user can export in the background: who may, which rows, in which columns.

    `rows(user, params)` returns the user's scoped, filtered queryset for the query-string `params`
    (the same keys as the list page); `prepare(user, qs)` readies it for the sheet (joins, masking).
    """

    key: str
    label: Any
    permission: str
    sheet: Any
    rows: Callable[[Any, dict], QuerySet]
    prepare: Callable[[Any, QuerySet], QuerySet] | None = None
    # A document instead of a sheet (e.g. the yearly report as PDF): write(user, params, file) -> pages.
    write: Callable[[Any, dict, IO[bytes]], int] | None = None
    extension: str = "xlsx"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return float(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, (date, int, float, bool)) or value is None:
        return value
    return str(value)


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_text(value: str) -> str:
    """Text Excel can hold: no control characters XML refuses, at most Excel's cell length."""
    return _ILLEGAL_XML.sub("", value)[:EXCEL_CELL_MAX]


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_TRIGGERS)


def column_value(column: Column, obj: Any) -> Any:
    return column.export(obj) if column.export else (obj[column.key] if isinstance(obj, dict)
                                                     else getattr(obj, column.key))


def write_workbook(
    out: IO[bytes],
    title: str,
    columns: tuple[Column, ...],
    objects: Iterable,
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 1000,
) -> int:
    """Stream rows into an .xlsx written to `out`; memory stays flat whatever the row count.

    Strings are always written as strings (never formulas, numbers or links); those Excel would take for a
    formula when edited are also marked with a quote prefix. Returns the number of data rows written.
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "tmpdir": None})
    ws = wb.add_worksheet(safe_text(str(title))[:31] or "Sheet1")
    head_required = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E79"})
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2"})
    as_text = wb.add_format({"quote_prefix": True})
    as_date = wb.add_format({"num_format": "yyyy-mm-dd"})
    as_datetime = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
        ws.write_string(0, i, str(col.header), head_required if col.required else head)
    ws.freeze_panes(1, 0)
    number_formats = [wb.add_format({"num_format": c.num_format}) if c.num_format else None for c in columns]
    written = 0
    for row_number, obj in enumerate(objects, start=1):
        for i, col in enumerate(columns):
            value = _plain(column_value(col, obj))
            if value is None or value == "":
                continue
            if isinstance(value, str):
                text = safe_text(value)
                ws.write_string(row_number, i, text, as_text if is_formula_like(text) else None)
            elif isinstance(value, datetime):
                ws.write_datetime(row_number, i, value, as_datetime)
            elif isinstance(value, date):
                ws.write_datetime(row_number, i, datetime(value.year, value.month, value.day), as_date)
            elif isinstance(value, bool):
                ws.write_boolean(row_number, i, value)
            else:
                ws.write_number(row_number, i, value, number_formats[i])
        written += 1
        if progress and written % progress_every == 0:
            progress(written)
    wb.close()
    return written


def workbook(title: str, columns: tuple[Column, ...], objects: Iterable) -> bytes:
    """A small workbook in memory (templates, tests)."""
    import io

    out = io.BytesIO()
    write_workbook(out, title, columns, objects)
    return out.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition(filename)
    return response


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A header that survives any file name: an ASCII fallback plus the UTF-8 name."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
