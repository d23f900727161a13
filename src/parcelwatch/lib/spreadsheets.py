"""Spreadsheets with Chinese headers: column definitions and streaming .xlsx writing.

Every value leaving the platform in a spreadsheet goes through `safe_cell`:
control characters that Excel refuses are dropped, over-long text is cut at
Excel's cell limit, and text that Excel would run as a formula (starting with
=, +, -, @) is written as text, marked so that editing the cell keeps it text.
"""

from __future__ import annotations

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


def safe_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value[:EXCEL_CELL_MAX]


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_TRIGGERS)


def safe_cell(ws, value: Any):
    """A write-only cell holding `value` as data, never as a formula."""
    from openpyxl.cell import WriteOnlyCell

    value = _plain(value)
    if isinstance(value, str):
        value = safe_text(value)
        cell = WriteOnlyCell(ws, value=None)
        cell.value = value  # assigned raw: openpyxl would otherwise read "=..." as a formula
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
        return cell
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def column_value(column: Column, obj: Any) -> Any:
    return column.export(obj) if column.export else getattr(obj, column.key)


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

    Returns the number of data rows written.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=safe_text(str(title))[:31] or "Sheet1")
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = Font(bold=True, color="FFFFFF" if col.required else "000000")
        cell.fill = PatternFill("solid", fgColor="1F4E79" if col.required else "D9E1F2")
        header.append(cell)
    ws.append(header)
    written = 0
    for obj in objects:
        ws.append([safe_cell(ws, column_value(col, obj)) for col in columns])
        written += 1
        if progress and written % progress_every == 0:
            progress(written)
    wb.save(out)
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
