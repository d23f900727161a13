"""Bulk import and export of the registry as spreadsheets.

The column headers are the bureau's sheet format (Chinese), not UI text: an
exported file can be edited and imported again. Import is staged: the upload
is read as a stream (row, column, size and unpacked-size limits enforced
while reading), checked row by row, and the user reviews every row with all
of its problems before anything is saved; only a clean file is committed, in
one transaction.

Files as clerks really have them are accepted: a title row (often merged)
above the header, full-width digits in identifiers, districts written without
their suffix ("涵江"), phones whose leading zero Excel dropped, and a totals
row (合计) at the bottom, which is skipped and said so.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
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
from parcelwatch.lib.geo import clean_point
from parcelwatch.lib.phones import parse_phone
from parcelwatch.lib.spreadsheets import Column, ExportSheet, content_disposition, workbook, xlsx_response
from parcelwatch.lib.text import clean_text, normalise_identifier

from . import services
from .models import Brand, ChangeRecord, Enterprise, ImportBatch, Site
from .privacy import shown
from .selectors import can_on_enterprise, can_on_site, enterprises_visible_to

HEADER_SCAN_ROWS = 15
TOTALS_WORDS = ("合计", "总计", "小计")
MAX_COLUMNS = 60
MAX_CELL_CHARS = 2000


class ImportFileError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class RowReport:
    """Everything wrong with one row (all of it, so the clerk fixes the file in one pass) and what was repaired."""

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


@dataclass
class Context:
    """Lookups shared by all rows of one file."""

    actor: User
    city: Jurisdiction
    brands: dict[str, Brand] = field(default_factory=dict)
    nodes: dict[tuple[str, ...], list[Jurisdiction]] = field(default_factory=dict)
    enterprises: dict[str, Enterprise | None] = field(default_factory=dict)
    usable_enterprises: set[int] | None = None
    sites_by_enterprise: dict[int, list[Site]] = field(default_factory=dict)


# --- cell parsing ------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return clean_text(str(value)[:MAX_CELL_CHARS], multiline=False)


def _date(raw: str, label: str, report: RowReport) -> date | None:
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"):
        try:
            value = datetime.strptime(text[:10] if fmt != "%Y年%m月%d日" else text, fmt).date()
        except ValueError:
            continue
        if not 1949 <= value.year <= 2100:
            break
        return value
    report.error(_("%(column)s: “%(value)s” is not a date (use 2019-04-30).") % {"column": label, "value": raw})
    return None


def _count(raw: str, label: str, report: RowReport, *, maximum: int = 99) -> int:
    if not raw:
        return 0
    text = unicodedata.normalize("NFKC", raw).strip()
    if not re.fullmatch(r"\d{1,6}(\.0+)?", text):
        report.error(_("%(column)s: “%(value)s” is not a whole number.") % {"column": label, "value": raw})
        return 0
    value = int(Decimal(text))
    if value > maximum:
        report.error(_("%(column)s must be between 0 and %(max)d.") % {"column": label, "max": maximum})
    return value


def _choice(raw: str, choices: list[tuple[str, Any]], label: str, report: RowReport,
            default: str | None = None) -> str | None:
    if not raw and default is not None:
        return default
    for value, text in choices:
        if raw in (value, str(text)):
            return value
    allowed = "、".join(str(t) for _v, t in choices)
    report.error(_("%(column)s: “%(value)s” is not one of: %(allowed)s.") % {
        "column": label, "value": raw, "allowed": allowed})
    return None


def _phone(raw: str, label: str, report: RowReport, existing: str | None) -> str:
    if "*" in raw and existing:
        # A masked number from an export: the file does not know the real one, keep it.
        return existing
    try:
        phone = parse_phone(raw)
    except ValidationError as exc:
        report.error(f"{label}: {exc.messages[0]}")
        return raw
    if phone.note:
        report.note(f"{label}: {phone.note}")
    return phone.value


def _brand(raw: str, ctx: Context, report: RowReport) -> Brand | None:
    if not raw:
        return None
    if not ctx.brands:
        for b in Brand.objects.all():
            for k in (b.code, b.name, b.short_name):
                ctx.brands[normalise_identifier(k)] = b
    brand = ctx.brands.get(normalise_identifier(raw))
    if brand is None:
        report.error(_("Brand “%(value)s” is unknown.") % {"value": raw})
    return brand


SUFFIXES = ("街道", "区", "县", "市", "镇", "乡")


def _short(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _node_index(ctx: Context) -> dict[tuple[str, ...], list[Jurisdiction]]:
    """Nodes by code, by (parent code, name) and by (parent code, short name without 区/县/镇/街道)."""
    if not ctx.nodes:
        for node in Jurisdiction.objects.filter(path__startswith=ctx.city.path):
            parent_code = node.path.rstrip("/").split("/")[-2] if node.parent_id else ""
            keys = {(node.level, "code", node.code), (node.level, parent_code, node.name),
                    (node.level, parent_code, _short(node.name)), (node.level, "*", node.name),
                    (node.level, "*", _short(node.name))}
            for key in keys:
                ctx.nodes.setdefault(key, []).append(node)
    return ctx.nodes


def _lookup(ctx: Context, levels: tuple[str, ...], parent_code: str, raw: str) -> list[Jurisdiction]:
    index = _node_index(ctx)
    raw = unicodedata.normalize("NFKC", raw).strip()
    found: dict[int, Jurisdiction] = {}
    for level in levels:
        for key in ((level, "code", raw), (level, parent_code, raw), (level, parent_code, _short(raw))):
            for node in index.get(key, []):
                found[node.pk] = node
    return list(found.values())


def _district(raw: str, ctx: Context, report: RowReport, *, allow_city: bool = False) -> Jurisdiction | None:
    if allow_city and unicodedata.normalize("NFKC", raw).strip() in (ctx.city.name, ctx.city.code,
                                                                      _short(ctx.city.name)):
        return ctx.city
    matches = _lookup(ctx, (Jurisdiction.Level.DISTRICT, Jurisdiction.Level.ZONE), ctx.city.code, raw)
    if len(matches) == 1:
        return matches[0]
    if matches:
        report.error(_("District “%(value)s” is ambiguous: write its full name.") % {"value": raw})
    else:
        report.error(_("District “%(value)s” is unknown.") % {"value": raw})
    return None


def _place(district_raw: str, town_raw: str, grid_raw: str, ctx: Context, report: RowReport) -> Jurisdiction | None:
    district = _district(district_raw, ctx, report)
    if district is None:
        return None
    towns = [t for t in _lookup(ctx, (Jurisdiction.Level.TOWN,), district.code, town_raw) if t.parent_id == district.pk]
    if len(towns) != 1:
        report.error(_("Town “%(town)s” is not in %(district)s.") % {"town": town_raw, "district": district.name})
        return None
    town = towns[0]
    if not grid_raw:
        return town
    grids = [g for g in _lookup(ctx, (Jurisdiction.Level.GRID,), town.code, grid_raw) if g.parent_id == town.pk]
    if len(grids) != 1:
        report.error(_("Grid “%(grid)s” is not in %(town)s.") % {"grid": grid_raw, "town": town.name})
        return None
    return grids[0]


# --- sheets ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    kind: str
    title: Any
    columns: tuple[Column, ...]
    list_url: Any
    key_field: str
    key_label: str
    parse: Callable[[dict[str, str], Context, RowReport], tuple[dict[str, Any], Model | None]]
    queryset_for_export: Callable[[QuerySet], QuerySet]
    # The services a committed row goes through: create(actor=, data=, action=) and update(obj, actor=, data=,
    # action=) -> changed. Both validate, authorise and version exactly as the forms do.
    create: Callable[..., Model] | None = None
    update: Callable[..., bool] | None = None
    # Needed besides REGISTRY_IMPORT (cameras: VIDEO_MANAGE).
    permission: str = ""

    def header_labels(self) -> list[str]:
        return [c.header for c in self.columns]


def _parse_enterprise(row: dict[str, str], ctx: Context, report: RowReport) -> tuple[dict[str, Any], Enterprise | None]:
    code = normalise(row["credit_code"])
    existing = Enterprise.objects.filter(credit_code=code).first() if code else None
    data = {
        "name": row["name"],
        "credit_code": code,
        "brand": _brand(row["brand"], ctx, report),
        "licence_number": normalise_identifier(row["licence_number"]),
        "licence_valid_until": _date(row["licence_valid_until"], "许可证有效期至", report),
        "legal_representative": row["legal_representative"],
        "contact_person": row["contact_person"],
        "contact_phone": _phone(row["contact_phone"], "联系电话", report, existing and existing.contact_phone),
        "address": row["address"],
        "jurisdiction": _district(row["jurisdiction"], ctx, report, allow_city=True),
        "status": _choice(row["status"], Enterprise.Status.choices, "状态", report, default=Enterprise.Status.OPERATING),
    }
    problem = credit_code_problem(code)
    if problem:
        report.error(str(services.CREDIT_CODE_MESSAGES[problem]))
    place = data["jurisdiction"]
    if place is not None and not covers(ctx.actor, REGISTRY_EDIT, place.path):
        report.error(_("%(place)s is outside your jurisdiction.") % {"place": place.name})
    if existing is not None and not can_on_enterprise(ctx.actor, REGISTRY_EDIT, existing):
        report.error(_("The enterprise with this credit code is registered outside your jurisdiction; "
                       "only its own district or the city bureau can change it."))
    return data, existing


def _usable_enterprise(enterprise: Enterprise, ctx: Context) -> bool:
    """The same rule as the site form: a site can name only an enterprise the importer can see."""
    if ctx.usable_enterprises is None:
        ctx.usable_enterprises = set(enterprises_visible_to(ctx.actor).values_list("pk", flat=True))
    return enterprise.pk in ctx.usable_enterprises


def _parse_site(row: dict[str, str], ctx: Context, report: RowReport) -> tuple[dict[str, Any], Site | None]:
    code = normalise(row["enterprise"])
    if code not in ctx.enterprises:
        ctx.enterprises[code] = Enterprise.objects.filter(credit_code=code).first() if code else None
    enterprise = ctx.enterprises[code]
    if enterprise is None:
        problem = credit_code_problem(code)
        if problem:
            report.error(_("Operating enterprise: %(reason)s") % {"reason": services.CREDIT_CODE_MESSAGES[problem]})
        else:
            report.error(_("No enterprise with credit code “%(value)s” is registered; import it first.") % {
                "value": row["enterprise"]})
    elif not _usable_enterprise(enterprise, ctx):
        report.error(_("The enterprise with credit code %(code)s is outside your jurisdiction: a site can only be "
                       "registered for an enterprise you can see.") % {"code": code})
        enterprise = None
    filing_number = normalise_identifier(row["filing_number"]) or None
    if filing_number:
        existing = Site.objects.filter(filing_number=filing_number).first()
    elif enterprise is not None:
        existing = Site.objects.filter(filing_number__isnull=True, name=row["name"], enterprise=enterprise,
                                       address=row["address"]).first()
    else:
        existing = None
    place = _place(row["district"], row["town"], row["grid"], ctx, report)
    lng = lat = None
    try:
        lng, lat = clean_point(row["lng"], row["lat"], bounds=ctx.city.bounds, place=ctx.city.name)
    except ValidationError as exc:
        report.error(exc.messages[0])
    data = {
        "name": row["name"],
        "kind": _choice(row["kind"], Site.Kind.choices, "网点类型", report),
        "enterprise": enterprise,
        "brand": _brand(row["brand"], ctx, report),
        "station_operator": row["station_operator"],
        "filing_number": filing_number,
        "filing_date": _date(row["filing_date"], "备案日期", report),
        "address": row["address"],
        "jurisdiction": place,
        "lng": lng,
        "lat": lat,
        "status": _choice(row["status"], Site.Status.choices, "状态", report, default=Site.Status.OPERATING),
        "xray_count": _count(row["xray_count"], "安检机数量", report),
        "opening_date": _date(row["opening_date"], "开业日期", report),
        "manager_name": row["manager_name"],
        "manager_phone": _phone(row["manager_phone"], "负责人电话", report, existing and existing.manager_phone),
    }
    if place is not None and not covers(ctx.actor, REGISTRY_EDIT, place.path):
        report.error(_("%(place)s is outside your jurisdiction.") % {"place": place.name})
    if existing is not None and not can_on_site(ctx.actor, REGISTRY_EDIT, existing):
        report.error(_("The site with this filing number is outside your jurisdiction."))
    if existing is None and enterprise is not None and not report.errors:
        duplicate = likely_duplicate(data, ctx)
        if duplicate:
            report.note(duplicate)
    return data, existing


def _squash(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s\-—_·,，.。()（）#号]", "", text)


def _metres(lng1, lat1, lng2, lat2) -> float:
    rad = math.radians
    x = rad(float(lng2) - float(lng1)) * math.cos(rad((float(lat1) + float(lat2)) / 2))
    y = rad(float(lat2) - float(lat1))
    return 6371000 * math.hypot(x, y)


def likely_duplicate(data: dict[str, Any], ctx: Context) -> str:
    """A warning when a site about to be created looks like one already registered for the same enterprise."""
    enterprise = data["enterprise"]
    if enterprise.pk not in ctx.sites_by_enterprise:
        ctx.sites_by_enterprise[enterprise.pk] = list(
            Site.objects.filter(enterprise=enterprise).only("pk", "name", "address", "lng", "lat", "filing_number"))
    name, address = _squash(data["name"]), _squash(data["address"])
    for site in ctx.sites_by_enterprise[enterprise.pk]:
        reasons = []
        if name and difflib.SequenceMatcher(None, name, _squash(site.name)).ratio() >= 0.9:
            reasons.append(_("a near-identical name"))
        if address and difflib.SequenceMatcher(None, address, _squash(site.address)).ratio() >= 0.9:
            reasons.append(_("a near-identical address"))
        if (data["lng"] is not None and site.lng is not None
                and _metres(data["lng"], data["lat"], site.lng, site.lat) <= 15):
            reasons.append(_("coordinates within 15 m"))
        if reasons:
            return _("Possible duplicate of “%(name)s” (filing number %(number)s): %(reasons)s. Check before "
                     "committing.") % {"name": site.name, "number": site.filing_number or "—",
                                       "reasons": "、".join(reasons)}
    return ""


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
    key_field="credit_code",
    key_label="统一社会信用代码",
    parse=_parse_enterprise,
    queryset_for_export=lambda qs: qs.select_related("brand", "jurisdiction"),
    create=services.create_enterprise,
    update=services.update_enterprise,
    columns=(
        Column("企业名称", "name", required=True, width=36),
        Column("统一社会信用代码", "credit_code", required=True, width=22),
        Column("品牌", "brand", export=lambda e: e.brand.short_name if e.brand else ""),
        Column("快递业务经营许可证号", "licence_number", width=20),
        Column("许可证有效期至", "licence_valid_until"),
        Column("法定代表人", "legal_representative"),
        Column("联系人", "contact_person"),
        Column("联系电话", "contact_phone", export=lambda e: shown(e, "contact_phone")),
        Column("注册地址", "address", width=36),
        Column("所属县区", "jurisdiction", required=True, export=lambda e: e.jurisdiction.name),
        Column("状态", "status", export=lambda e: str(e.get_status_display())),
    ),
)

SITE_SHEET = Sheet(
    kind=ImportBatch.Kind.SITES,
    title=gettext_lazy("Sites"),
    list_url=reverse_lazy("registry:site_list"),
    key_field="filing_number",
    key_label="备案编号",
    parse=_parse_site,
    queryset_for_export=lambda qs: qs.select_related("enterprise", "brand", "district", "jurisdiction__parent"),
    create=services.create_site,
    update=services.update_site,
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
        Column("负责人电话", "manager_phone", export=lambda s: shown(s, "manager_phone")),
    ),
)

SHEETS = {s.kind: s for s in (ENTERPRISE_SHEET, SITE_SHEET)}


def register_sheet(sheet: Sheet) -> None:
    """Another app's registry sheet (the cameras) joins the same staged import."""
    SHEETS[sheet.kind] = sheet


OFFICER_SHEET = ExportSheet(
    title=gettext_lazy("Safety officers"),
    queryset_for_export=lambda qs: qs.select_related("enterprise").prefetch_related("sites"),
    columns=(
        Column("姓名", "name"),
        Column("所属企业", "enterprise", export=lambda o: o.enterprise.name, width=32),
        Column("统一社会信用代码", "credit_code", export=lambda o: o.enterprise.credit_code, width=22),
        Column("身份证号码", "id_number", export=lambda o: shown(o, "id_number"), width=22),
        Column("电话", "phone", export=lambda o: shown(o, "phone")),
        Column("负责网点", "sites", export=lambda o: "、".join(s.name for s in o.sites.all()), width=48),
        Column("备案日期", "filing_date"),
        Column("状态", "status", export=lambda o: str(o.get_status_display())),
    ),
)


def sheet_for(kind: str, user: User | None = None) -> Sheet:
    """The sheet of `kind`; with `user`, only if they may import it (403 otherwise)."""
    try:
        sheet = SHEETS[kind]
    except KeyError:
        raise Http404 from None
    if user is not None and not (has_permission(user, REGISTRY_IMPORT)
                                 and (not sheet.permission or has_permission(user, sheet.permission))):
        raise PermissionDenied
    return sheet


# --- reading files -------------------------------------------------------------------------------------------


def _too_many_rows() -> ImportFileError:
    return ImportFileError(_("The file has more than %(n)d rows; split it.") % {"n": settings.IMPORT_MAX_ROWS})


def _raw_row_limit() -> int:
    # The data rows, the title and header rows above them, and some blank rows in between.
    return settings.IMPORT_MAX_ROWS + HEADER_SCAN_ROWS + 200


def _csv_rows(upload: UploadedFile) -> Iterator[list[Any]]:
    upload.seek(0)
    content = upload.read(settings.IMPORT_MAX_BYTES + 1)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The CSV file is neither UTF-8 nor GBK encoded."))
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise ImportFileError(
                _("Line %(line)d of the CSV file cannot be read (a field is too long or a quote is not closed).")
                % {"line": reader.line_num}) from None
        yield row[:MAX_COLUMNS]


def _xlsx_rows(upload: UploadedFile) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportFileError(_("This file cannot be read as an Excel .xlsx workbook.")) from None
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise ImportFileError(_("This workbook unpacks to more than %(mb)d MB; it is not a registry sheet.")
                              % {"mb": settings.IMPORT_MAX_UNPACKED_BYTES // 2**20})
    upload.seek(0)
    try:
        wb = load_workbook(upload, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        for row in ws.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield list(row)
        wb.close()
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on damaged or truncated parts
        raise ImportFileError(_("This workbook is damaged or incomplete (a part of it cannot be read). "
                                "Save it again in Excel and upload it.")) from None


def _read_rows(upload: UploadedFile) -> Iterator[list[Any]]:
    if upload.size and upload.size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)d MB.") % {"mb": settings.IMPORT_MAX_BYTES // 2**20})
    name = (upload.name or "").lower()
    if name.endswith(".csv"):
        reader = _csv_rows(upload)
    elif name.endswith(".xlsx"):
        reader = _xlsx_rows(upload)
    else:
        raise ImportFileError(_("Upload an .xlsx or .csv file."))
    for count, row in enumerate(reader, start=1):
        if count > _raw_row_limit():
            raise _too_many_rows()
        yield row


def _header_key(text: Any) -> str:
    value = unicodedata.normalize("NFKC", _text(text))
    value = re.sub(r"[\s*＊:：]", "", value)
    return re.sub(r"[(（]必填[)）]$", "", value)


def _locate_header(rows: list[list[Any]], sheet: Sheet) -> tuple[int, dict[str, int]]:
    """Find the header among the first rows (titles often sit above it): the row naming most known columns."""
    known = {_header_key(c.header): c for c in sheet.columns}
    best: tuple[int, int, dict[str, int]] = (-1, 0, {})
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        positions: dict[str, int] = {}
        for pos, cell in enumerate(row):
            col = known.get(_header_key(cell))
            if col is not None and col.key not in positions:
                positions[col.key] = pos
        if len(positions) > best[1]:
            best = (index, len(positions), positions)
    index, _count_found, positions = best
    missing = [c.header for c in sheet.columns if c.required and c.key not in positions]
    if index < 0 or missing:
        raise ImportFileError(
            _("The column(s) %(headers)s are missing. Start from the downloadable template.")
            % {"headers": "、".join(f"“{h}”" for h in missing or [c.header for c in sheet.columns if c.required])})
    return index, positions


def _is_totals_row(row: list[Any]) -> bool:
    first = [_header_key(c) for c in row if _text(c)][:2]
    return any(word in cell for cell in first for word in TOTALS_WORDS)


def parse_file(sheet: Sheet, upload: UploadedFile, *, actor: User) -> list[dict[str, Any]]:
    reader = _read_rows(upload)
    head: list[list[Any]] = []
    for row in reader:
        head.append(row)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    if not any(any(_text(c) for c in r) for r in head):
        raise ImportFileError(_("The file is empty."))
    header_index, positions = _locate_header(head, sheet)
    first_line = header_index + 2
    rows: list[dict[str, Any]] = []

    def body() -> Iterator[list[Any]]:
        yield from head[header_index + 1:]
        yield from reader

    data_count = 0
    for line, raw in enumerate(body(), start=first_line):
        if not any(_text(c) for c in raw):
            continue
        if _is_totals_row(raw):
            rows.append({"line": line, "values": {}, "errors": [], "notes": [], "action": "skip",
                         "skipped": _("A totals row: skipped.")})
            continue
        data_count += 1
        if data_count > settings.IMPORT_MAX_ROWS:
            raise _too_many_rows()
        values = {
            c.key: (_text(raw[positions[c.key]]) if c.key in positions and positions[c.key] < len(raw) else "")
            for c in sheet.columns
            if c.import_
        }
        rows.append({"line": line, "values": values})
    data_rows = [r for r in rows if r.get("action") != "skip"]
    if not data_rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
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
    """Fill each row's `errors`, `notes` and `action` (create / update / unchanged); totals rows stay skipped."""
    ctx = Context(actor=actor, city=home_city(actor))
    seen: dict[str, int] = {}
    for row in rows:
        if row.get("action") == "skip":
            continue
        report = RowReport()
        values = row["values"]
        for col in sheet.columns:
            if col.required and col.import_ and not values.get(col.key):
                report.error(_("%(column)s is required.") % {"column": col.header})
        key = normalise_identifier(values.get(sheet.key_field, ""))
        if key:
            if key in seen:
                report.error(_("%(column)s %(value)s also appears on line %(line)d.") % {
                    "column": sheet.key_label, "value": key, "line": seen[key]})
            else:
                seen[key] = row["line"]
        data, existing = sheet.parse(values, ctx, report)
        action = ""
        row.pop("object_id", None)
        if not report.errors:
            if existing is None:
                action = "create"
            else:
                action = "update" if _differs(existing, data) else "unchanged"
                row["object_id"] = existing.pk
        row["errors"] = report.errors
        row["notes"] = report.notes
        row["action"] = action


def stage_import(sheet: Sheet, upload: UploadedFile, *, actor: User) -> ImportBatch:
    rows = parse_file(sheet, upload, actor=actor)
    return ImportBatch.objects.create(
        kind=sheet.kind, filename=clean_text(upload.name or "", multiline=False)[:255], uploaded_by=actor, rows=rows
    )


def get_batch_for_user(user: User, pk: object) -> ImportBatch:
    """Import batches belong to the person who uploaded them."""
    from parcelwatch.accounts.access import valid_pk

    if not has_permission(user, REGISTRY_IMPORT):
        raise PermissionDenied
    batch = ImportBatch.objects.filter(pk=valid_pk(pk) or 0, uploaded_by=user).first()
    if batch is None:
        raise Http404
    return batch


def summarise(batch: ImportBatch) -> dict[str, int]:
    counts = {"total": 0, "errors": 0, "create": 0, "update": 0, "unchanged": 0, "skipped": 0, "notes": 0}
    for row in batch.rows:
        if row.get("action") == "skip":
            counts["skipped"] += 1
            continue
        counts["total"] += 1
        if row["errors"]:
            counts["errors"] += 1
        elif row["action"]:
            counts[row["action"]] += 1
        if row.get("notes"):
            counts["notes"] += 1
    return counts


def discard_import(batch: ImportBatch, *, actor: User) -> None:
    if batch.state == ImportBatch.State.PREVIEW:
        batch.state = ImportBatch.State.DISCARDED
        batch.save(update_fields=["state"])


def commit_import(batch: ImportBatch, *, actor: User) -> dict[str, int]:
    """Apply every row in one transaction, or nothing at all."""
    sheet = sheet_for(batch.kind, actor)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != ImportBatch.State.PREVIEW:
            raise ImportFileError(_("This import has already been committed or discarded."))
        # Re-check against the registry as it is now: it may have changed since the preview.
        rows = [
            {**{k: v for k, v in r.items() if k in ("line", "values", "action", "skipped")}, "errors": [], "notes": []}
            if r.get("action") == "skip" else {"line": r["line"], "values": r["values"]}
            for r in batch.rows
        ]
        check_rows(sheet, rows, actor=actor)
        if any(r.get("errors") for r in rows):
            batch.rows = rows
            batch.save(update_fields=["rows"])
            raise ImportFileError(_("Some rows have errors. Fix the file and upload it again; nothing was imported."))
        ctx = Context(actor=actor, city=home_city(actor))
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        row: dict[str, Any] = {}
        try:
            for row in rows:
                if row.get("action") == "skip":
                    continue
                report = RowReport()
                data, existing = sheet.parse(row["values"], ctx, report)
                if report.errors:
                    raise ValidationError(report.errors)
                if existing is None:
                    sheet.create(actor=actor, data=data, action=ChangeRecord.Action.IMPORT_CREATE)
                    counts["created"] += 1
                else:
                    changed = sheet.update(existing, actor=actor, data=data, action=ChangeRecord.Action.IMPORT_UPDATE)
                    counts["updated" if changed else "unchanged"] += 1
        except ValidationError as exc:
            transaction.set_rollback(True)
            raise ImportFileError(
                _("Line %(line)d could not be imported (%(detail)s); nothing was imported.") % {
                    "line": row.get("line", 0), "detail": "；".join(exc.messages)}
            ) from None
        batch.state = ImportBatch.State.COMMITTED
        batch.rows = rows
        batch.result = counts
        batch.save(update_fields=["state", "rows", "result"])
    return counts


def template_response(sheet: Sheet) -> HttpResponse:
    filename = _("%(kind)s import template") % {"kind": sheet.title} + ".xlsx"
    response = xlsx_response(workbook(sheet.title, sheet.columns, []), filename)
    response["Content-Disposition"] = content_disposition(filename)
    return response
