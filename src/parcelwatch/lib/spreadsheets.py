"""Spreadsheets with Chinese headers: column definitions and .xlsx writing."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils import timezone


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



def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Model):
        return str(value)
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def workbook(title: str, columns: tuple[Column, ...], objects: Iterable) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = str(title)[:31]
    ws.append([c.header for c in columns])
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="FFFFFF" if col.required else "000000")
        cell.fill = PatternFill("solid", fgColor="1F4E79" if col.required else "D9E1F2")
        ws.column_dimensions[get_column_letter(i)].width = col.width
    for obj in objects:
        ws.append([_cell(col.export(obj) if col.export else getattr(obj, col.key)) for col in columns])
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def export_response(sheet, objects, label: str) -> HttpResponse:
    """`objects` is a queryset (prepared by the sheet for export) or an already prepared iterable."""
    if isinstance(objects, QuerySet):
        objects = sheet.queryset_for_export(objects).iterator(chunk_size=500)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(workbook(sheet.title, sheet.columns, objects), f"{label}-{stamp}.xlsx")
