"""Bulk import and export of the registry as spreadsheets.

The column headers are the bureau's sheet format (Chinese), not UI text: an
exported file can be edited and imported again. Import is staged: the upload
is parsed and checked row by row, the user reviews every bad row with its
reason, and only a clean file is committed, in one transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parcelwatch.accounts.access import covers, has_permission
from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.permissions import REGISTRY_EDIT, REGISTRY_IMPORT
from parcelwatch.accounts.selectors import home_city
from parcelwatch.lib.credit_code import credit_code_problem, normalise
from parcelwatch.lib.geo import within_bounds
from parcelwatch.lib.spreadsheets import Column, ExportSheet, workbook, xlsx_response

from . import services
from .models import Brand, ChangeRecord, Enterprise, ImportBatch, Site
from .selectors import can_on_enterprise, can_on_site


class ImportFileError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RowError(Exception):
    pass


@dataclass
class Context:
    """Lookups shared by all rows of one file."""

    actor: User
    city: Jurisdiction
    brands: dict[str, Brand] = field(default_factory=dict)
    nodes: dict[tuple[str, ...], Jurisdiction] = field(default_factory=dict)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)


# --- cell parsing ------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _date(raw: str, label: str) -> date | None:
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"):
        try:
            return datetime.strptime(raw[:10] if fmt != "%Y年%m月%d日" else raw, fmt).date()
        except ValueError:
            continue
    raise RowError(_("%(column)s: “%(value)s” is not a date (use 2019-04-30).") % {"column": label, "value": raw})


def _decimal(raw: str, label: str) -> Decimal | None:
    if not raw:
        return None
    try:
        return Decimal(raw).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise RowError(_("%(column)s: “%(value)s” is not a number.") % {"column": label, "value": raw}) from None


def _count(raw: str, label: str) -> int:
    if not raw:
        return 0
    try:
        value = int(Decimal(raw))
    except (InvalidOperation, ValueError):
        raise RowError(_("%(column)s: “%(value)s” is not a whole number.") % {"column": label, "value": raw}) from None
    if value < 0:
        raise RowError(_("%(column)s cannot be negative.") % {"column": label})
    return value


def _choice(raw: str, choices: list[tuple[str, Any]], label: str, default: str | None = None) -> str:
    if not raw and default is not None:
        return default
    for value, text in choices:
        if raw in (value, str(text)):
            return value
    allowed = "、".join(str(t) for _v, t in choices)
    raise RowError(_("%(column)s: “%(value)s” is not one of: %(allowed)s.") % {
        "column": label, "value": raw, "allowed": allowed})


def _brand(raw: str, ctx: Context) -> Brand | None:
    if not raw:
        return None
    if not ctx.brands:
        for b in Brand.objects.all():
            for k in (b.code, b.name, b.short_name):
                ctx.brands[k] = b
    brand = ctx.brands.get(raw)
    if brand is None:
        raise RowError(_("Brand “%(value)s” is unknown.") % {"value": raw})
    return brand


def _node_index(ctx: Context) -> dict[tuple[str, ...], Jurisdiction]:
    if not ctx.nodes:
        for node in Jurisdiction.objects.filter(path__startswith=ctx.city.path).select_related("parent__parent"):
            ctx.nodes[(node.level, node.code)] = node
            parent_key = node.parent.code if node.parent else ""
            ctx.nodes[(node.level, parent_key, node.name)] = node
    return ctx.nodes


def _district(raw: str, ctx: Context, *, allow_city: bool = False) -> Jurisdiction:
    index = _node_index(ctx)
    if allow_city and raw in (ctx.city.name, ctx.city.code):
        return ctx.city
    for level in (Jurisdiction.Level.DISTRICT, Jurisdiction.Level.ZONE):
        node = index.get((level, raw)) or index.get((level, ctx.city.code, raw))
        if node:
            return node
    raise RowError(_("District “%(value)s” is unknown.") % {"value": raw})


def _place(district_raw: str, town_raw: str, grid_raw: str, ctx: Context) -> Jurisdiction:
    district = _district(district_raw, ctx)
    index = _node_index(ctx)
    town = index.get((Jurisdiction.Level.TOWN, district.code, town_raw)) or index.get(
        (Jurisdiction.Level.TOWN, town_raw)
    )
    if town is None or town.parent_id != district.pk:
        raise RowError(_("Town “%(town)s” is not in %(district)s.") % {"town": town_raw, "district": district.name})
    if not grid_raw:
        return town
    grid = index.get((Jurisdiction.Level.GRID, town.code, grid_raw)) or index.get((Jurisdiction.Level.GRID, grid_raw))
    if grid is None or grid.parent_id != town.pk:
        raise RowError(_("Grid “%(grid)s” is not in %(town)s.") % {"grid": grid_raw, "town": town.name})
    return grid


# --- sheets ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    kind: str
    title: Any
    columns: tuple[Column, ...]
    list_url: Any
    parse: Callable[[dict[str, str], Context], tuple[dict[str, Any], Model | None]]
    queryset_for_export: Callable[[QuerySet], QuerySet]

    def header_labels(self) -> list[str]:
        return [c.header for c in self.columns]


def _parse_enterprise(row: dict[str, str], ctx: Context) -> tuple[dict[str, Any], Enterprise | None]:
    code = normalise(row["credit_code"])
    data = {
        "name": row["name"],
        "credit_code": code,
        "brand": _brand(row["brand"], ctx),
        "licence_number": row["licence_number"],
        "licence_valid_until": _date(row["licence_valid_until"], "许可证有效期至"),
        "legal_representative": row["legal_representative"],
        "contact_person": row["contact_person"],
        "contact_phone": row["contact_phone"],
        "address": row["address"],
        "jurisdiction": _district(row["jurisdiction"], ctx, allow_city=True),
        "status": _choice(row["status"], Enterprise.Status.choices, "状态", default=Enterprise.Status.OPERATING),
    }
    problem = credit_code_problem(code)
    if problem:
        raise RowError(str(services.CREDIT_CODE_MESSAGES[problem]))
    if not covers(ctx.actor, REGISTRY_EDIT, data["jurisdiction"].path):
        raise RowError(_("%(place)s is outside your jurisdiction.") % {"place": data["jurisdiction"].name})
    existing = Enterprise.objects.filter(credit_code=code).first()
    if existing is not None and not can_on_enterprise(ctx.actor, REGISTRY_EDIT, existing):
        raise RowError(_("The enterprise with this credit code is outside your jurisdiction."))
    return data, existing


def _parse_site(row: dict[str, str], ctx: Context) -> tuple[dict[str, Any], Site | None]:
    code = normalise(row["enterprise"])
    enterprise = ctx.enterprises.get(code)
    if enterprise is None:
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise RowError(_("No enterprise with credit code “%(value)s” is registered; import it first.") % {
                "value": row["enterprise"]})
        ctx.enterprises[code] = enterprise
    place = _place(row["district"], row["town"], row["grid"], ctx)
    data = {
        "name": row["name"],
        "kind": _choice(row["kind"], Site.Kind.choices, "网点类型"),
        "enterprise": enterprise,
        "brand": _brand(row["brand"], ctx),
        "station_operator": row["station_operator"],
        "filing_number": row["filing_number"] or None,
        "filing_date": _date(row["filing_date"], "备案日期"),
        "address": row["address"],
        "jurisdiction": place,
        "lng": _decimal(row["lng"], "经度"),
        "lat": _decimal(row["lat"], "纬度"),
        "status": _choice(row["status"], Site.Status.choices, "状态", default=Site.Status.OPERATING),
        "xray_count": _count(row["xray_count"], "安检机数量"),
        "opening_date": _date(row["opening_date"], "开业日期"),
        "manager_name": row["manager_name"],
        "manager_phone": row["manager_phone"],
    }
    if (data["lng"] is None) != (data["lat"] is None):
        raise RowError(_("Give both longitude and latitude, or neither."))
    if data["lng"] is not None and not within_bounds(data["lng"], data["lat"], ctx.city.bounds):
        raise RowError(_("The coordinates (%(lng)s, %(lat)s) lie outside %(city)s.") % {
            "lng": row["lng"], "lat": row["lat"], "city": ctx.city.name})
    if not covers(ctx.actor, REGISTRY_EDIT, place.path):
        raise RowError(_("%(place)s is outside your jurisdiction.") % {"place": place.name})
    if data["filing_number"]:
        existing = Site.objects.filter(filing_number=data["filing_number"]).first()
    else:
        existing = Site.objects.filter(
            filing_number__isnull=True, name=data["name"], enterprise=enterprise, address=data["address"]
        ).first()
    if existing is not None and not can_on_site(ctx.actor, REGISTRY_EDIT, existing):
        raise RowError(_("The site with this filing number is outside your jurisdiction."))
    return data, existing


def _site_town(site: Site) -> str:
    j = site.jurisdiction
    return j.parent.name if j.level == Jurisdiction.Level.GRID else j.name


def _site_grid(site: Site) -> str:
    j = site.jurisdiction
    return j.name if j.level == Jurisdiction.Level.GRID else ""


ENTERPRISE_SHEET = Sheet(
    kind=ImportBatch.Kind.ENTERPRISES,
    title=gettext_lazy("Enterprises"),
    list_url=reverse_lazy("registry:enterprise_list"),
    parse=_parse_enterprise,
    queryset_for_export=lambda qs: qs.select_related("brand", "jurisdiction"),
    columns=(
        Column("企业名称", "name", required=True, width=36),
        Column("统一社会信用代码", "credit_code", required=True, width=22),
        Column("品牌", "brand", export=lambda e: e.brand.short_name if e.brand else ""),
        Column("快递业务经营许可证号", "licence_number", width=20),
        Column("许可证有效期至", "licence_valid_until"),
        Column("法定代表人", "legal_representative"),
        Column("联系人", "contact_person"),
        Column("联系电话", "contact_phone"),
        Column("注册地址", "address", width=36),
        Column("所属县区", "jurisdiction", required=True, export=lambda e: e.jurisdiction.name),
        Column("状态", "status", export=lambda e: str(e.get_status_display())),
    ),
)

SITE_SHEET = Sheet(
    kind=ImportBatch.Kind.SITES,
    title=gettext_lazy("Sites"),
    list_url=reverse_lazy("registry:site_list"),
    parse=_parse_site,
    queryset_for_export=lambda qs: qs.select_related("enterprise", "brand", "district", "jurisdiction__parent"),
    columns=(
        Column("网点名称", "name", required=True, width=32),
        Column("网点类型", "kind", required=True, export=lambda s: str(s.get_kind_display())),
        Column("运营企业统一社会信用代码", "enterprise", required=True, export=lambda s: s.enterprise.credit_code,
               width=24),
        Column("运营企业名称", "enterprise_name", export=lambda s: s.enterprise.name, import_=False, width=32),
        Column("品牌", "brand", export=lambda s: s.brand.short_name if s.brand else ""),
        Column("驿站品牌", "station_operator"),
        Column("备案编号", "filing_number", width=20),
        Column("备案日期", "filing_date"),
        Column("地址", "address", required=True, width=40),
        Column("县区", "district", required=True, export=lambda s: s.district.name),
        Column("乡镇街道", "town", required=True, export=_site_town),
        Column("网格", "grid", export=_site_grid),
        Column("经度", "lng"),
        Column("纬度", "lat"),
        Column("状态", "status", export=lambda s: str(s.get_status_display())),
        Column("安检机数量", "xray_count"),
        Column("开业日期", "opening_date"),
        Column("负责人", "manager_name"),
        Column("负责人电话", "manager_phone"),
    ),
)

SHEETS = {s.kind: s for s in (ENTERPRISE_SHEET, SITE_SHEET)}


# Officers' ID numbers and phones arrive already masked where the user may not see them (`shown_*`).
OFFICER_SHEET = ExportSheet(
    title=gettext_lazy("Safety officers"),
    queryset_for_export=lambda qs: qs.select_related("enterprise").prefetch_related("sites"),
    columns=(
        Column("姓名", "name"),
        Column("所属企业", "enterprise", export=lambda o: o.enterprise.name, width=32),
        Column("统一社会信用代码", "credit_code", export=lambda o: o.enterprise.credit_code, width=22),
        Column("身份证号码", "id_number", export=lambda o: o.shown_id_number, width=22),
        Column("电话", "phone", export=lambda o: o.shown_phone),
        Column("负责网点", "sites", export=lambda o: "、".join(s.name for s in o.sites.all()), width=48),
        Column("备案日期", "filing_date"),
        Column("状态", "status", export=lambda o: str(o.get_status_display())),
    ),
)


def sheet_for(kind: str) -> Sheet:
    try:
        return SHEETS[kind]
    except KeyError:
        raise Http404 from None


# --- reading files -------------------------------------------------------------------------------------------


def _read_rows(upload: UploadedFile) -> list[list[Any]]:
    name = (upload.name or "").lower()
    if upload.size and upload.size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)d MB.") % {"mb": settings.IMPORT_MAX_BYTES // 2**20})
    content = upload.read()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK encoded."))
        return [row for row in csv.reader(io.StringIO(text))]
    if name.endswith(".xlsx"):
        import zipfile

        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            raise ImportFileError(_("This file cannot be read as an Excel .xlsx workbook.")) from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    raise ImportFileError(_("Upload an .xlsx or .csv file."))


def parse_file(sheet: Sheet, upload: UploadedFile, *, actor: User) -> list[dict[str, Any]]:
    raw_rows = _read_rows(upload)
    while raw_rows and not any(_text(c) for c in raw_rows[0]):
        raw_rows.pop(0)
    if not raw_rows:
        raise ImportFileError(_("The file is empty."))
    headers = [_text(h) for h in raw_rows[0]]
    positions: dict[str, int] = {}
    for col in sheet.columns:
        if col.header in headers:
            positions[col.key] = headers.index(col.header)
        elif col.required:
            raise ImportFileError(_("The column “%(header)s” is missing. Start from the downloadable template.") % {
                "header": col.header})
    body = [(i, r) for i, r in enumerate(raw_rows[1:], start=2) if any(_text(c) for c in r)]
    if not body:
        raise ImportFileError(_("The file has a header row but no data rows."))
    if len(body) > settings.IMPORT_MAX_ROWS:
        raise ImportFileError(_("The file has more than %(n)d rows; split it.") % {"n": settings.IMPORT_MAX_ROWS})
    rows = []
    for line, raw in body:
        values = {
            c.key: (_text(raw[positions[c.key]]) if c.key in positions and positions[c.key] < len(raw) else "")
            for c in sheet.columns
            if c.import_
        }
        rows.append({"line": line, "values": values})
    check_rows(sheet, rows, actor=actor)
    return rows


def _differs(obj: Model, data: dict[str, Any]) -> bool:
    for key, value in data.items():
        current = getattr(obj, key)
        if isinstance(current, Model) or isinstance(value, Model):
            if (current.pk if current else None) != (value.pk if value else None):
                return True
        elif isinstance(current, Decimal) and value is not None:
            if current != Decimal(value):
                return True
        elif (current or None) != (value or None):
            return True
    return False


def check_rows(sheet: Sheet, rows: list[dict[str, Any]], *, actor: User) -> None:
    """Fill each row's `errors` and `action` (create / update / unchanged)."""
    city = home_city(actor)
    ctx = Context(actor=actor, city=city)
    key_field = "credit_code" if sheet is ENTERPRISE_SHEET else "filing_number"
    key_label = "统一社会信用代码" if sheet is ENTERPRISE_SHEET else "备案编号"
    seen: dict[str, int] = {}
    for row in rows:
        errors: list[str] = []
        values = row["values"]
        for col in sheet.columns:
            if col.required and col.import_ and not values.get(col.key):
                errors.append(_("%(column)s is required.") % {"column": col.header})
        key = normalise(values.get(key_field, "")) if key_field == "credit_code" else values.get(key_field, "")
        if key:
            if key in seen:
                errors.append(_("%(column)s %(value)s also appears on line %(line)d.") % {
                    "column": key_label, "value": key, "line": seen[key]})
            else:
                seen[key] = row["line"]
        action = ""
        if not errors:
            try:
                data, existing = sheet.parse(values, ctx)
            except RowError as exc:
                errors.append(str(exc))
            else:
                if existing is None:
                    action = "create"
                else:
                    action = "update" if _differs(existing, data) else "unchanged"
                    row["object_id"] = existing.pk
        row["errors"] = errors
        row["action"] = action


def stage_import(sheet: Sheet, upload: UploadedFile, *, actor: User) -> ImportBatch:
    rows = parse_file(sheet, upload, actor=actor)
    return ImportBatch.objects.create(
        kind=sheet.kind, filename=(upload.name or "")[:255], uploaded_by=actor, rows=rows
    )


def get_batch_for_user(user: User, pk: int) -> ImportBatch:
    """Import batches belong to the person who uploaded them."""
    if not has_permission(user, REGISTRY_IMPORT):
        raise PermissionDenied
    batch = ImportBatch.objects.filter(pk=pk, uploaded_by=user).first()
    if batch is None:
        raise Http404
    return batch


def summarise(batch: ImportBatch) -> dict[str, int]:
    counts = {"total": len(batch.rows), "errors": 0, "create": 0, "update": 0, "unchanged": 0}
    for row in batch.rows:
        if row["errors"]:
            counts["errors"] += 1
        elif row["action"]:
            counts[row["action"]] += 1
    return counts


def discard_import(batch: ImportBatch, *, actor: User) -> None:
    if batch.state == ImportBatch.State.PREVIEW:
        batch.state = ImportBatch.State.DISCARDED
        batch.save(update_fields=["state"])


def commit_import(batch: ImportBatch, *, actor: User) -> dict[str, int]:
    """Apply every row in one transaction, or nothing at all."""
    sheet = sheet_for(batch.kind)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != ImportBatch.State.PREVIEW:
            raise ImportFileError(_("This import has already been committed or discarded."))
        # Re-check against the registry as it is now: it may have changed since the preview.
        rows = [{"line": r["line"], "values": r["values"]} for r in batch.rows]
        check_rows(sheet, rows, actor=actor)
        if any(r["errors"] for r in rows):
            batch.rows = rows
            batch.save(update_fields=["rows"])
            raise ImportFileError(_("Some rows have errors. Fix the file and upload it again; nothing was imported."))
        ctx = Context(actor=actor, city=home_city(actor))
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        try:
            for row in rows:
                data, existing = sheet.parse(row["values"], ctx)
                if existing is None:
                    create = services.create_enterprise if sheet is ENTERPRISE_SHEET else services.create_site
                    create(actor=actor, data=data, action=ChangeRecord.Action.IMPORT_CREATE)
                    counts["created"] += 1
                else:
                    update = services.update_enterprise if sheet is ENTERPRISE_SHEET else services.update_site
                    changed = update(existing, actor=actor, data=data, action=ChangeRecord.Action.IMPORT_UPDATE)
                    counts["updated" if changed else "unchanged"] += 1
        except (RowError, ValidationError) as exc:
            transaction.set_rollback(True)
            detail = str(exc) if isinstance(exc, RowError) else "; ".join(exc.messages)
            raise ImportFileError(
                _("Line %(line)d could not be imported (%(detail)s); nothing was imported.") % {
                    "line": row["line"], "detail": detail}
            ) from None
        batch.state = ImportBatch.State.COMMITTED
        batch.rows = rows
        batch.result = counts
        batch.save(update_fields=["state", "rows", "result"])
    return counts


def template_response(sheet: Sheet) -> HttpResponse:
    return xlsx_response(workbook(sheet.title, sheet.columns, []), f"{_('import template')}-{sheet.title}.xlsx")
