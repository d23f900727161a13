"""The camera sheet: bulk import and export of cameras through the registry's staged import.

A row names its site by the site's filing number (备案编号); a camera is the same camera again when its
GB/T 28181 channel ID matches, or (without one) its name at that site. Exported source addresses hide
their password as ***; importing such a file again keeps the password already stored.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parcelwatch.accounts.permissions import VIDEO_MANAGE
from parcelwatch.lib import gb28181
from parcelwatch.lib.spreadsheets import Column
from parcelwatch.lib.text import normalise_identifier
from parcelwatch.registry.importing import Context, RowReport, Sheet, register_sheet
from parcelwatch.registry.models import ImportBatch, Site
from parcelwatch.registry.selectors import can_on_site

from . import services
from .models import Camera
from .sources import clean_source_url, shown_source

POSITIONS = {
    "收寄验视台": Camera.Position.ACCEPTANCE, "验视台": Camera.Position.ACCEPTANCE,
    "安检机": Camera.Position.XRAY, "分拣区": Camera.Position.SORTING, "出入口": Camera.Position.ENTRANCE,
    "仓储区": Camera.Position.STORAGE, "装卸区": Camera.Position.LOADING, "其他": Camera.Position.OTHER,
}
POSITION_NAMES = {value: name for name, value in reversed(list(POSITIONS.items()))}
HIDDEN_PASSWORD = gettext_lazy("%(column)s: the password is hidden (***); write the real password.")
YES, NO = ("是", "启用", "y", "yes", "1", "true"), ("否", "停用", "n", "no", "0", "false")


def _position(raw: str, report: RowReport) -> str | None:
    value = POSITIONS.get(raw.strip()) or (raw.strip() if raw.strip() in Camera.Position.values else None)
    if value is None:
        report.error(_("%(column)s: “%(value)s” is not one of: %(allowed)s.") % {
            "column": "安装位置", "value": raw, "allowed": "、".join(POSITION_NAMES.values())})
    return value


def _enabled(raw: str, report: RowReport) -> bool:
    text = raw.strip().lower()
    if not text or text in YES:
        return True
    if text in NO:
        return False
    report.error(_("%(column)s: write 是 or 否.") % {"column": "启用"})
    return True


def _source(raw: str, existing: Camera | None, report: RowReport) -> str:
    """The address; a password exported as *** stands for the one already stored for this camera."""
    value = raw
    try:
        parts = urlsplit(raw)
        if parts.password == "***" and existing is not None:
            stored = urlsplit(existing.source_url)
            if stored.password is not None and shown_source(existing.source_url) == raw:
                value = existing.source_url
            else:
                report.error(HIDDEN_PASSWORD % {"column": "视频源地址"})
        elif parts.password == "***":
            report.error(HIDDEN_PASSWORD % {"column": "视频源地址"})
    except ValueError:
        pass
    try:
        return clean_source_url(value)
    except ValidationError as exc:
        report.error(f"视频源地址：{exc.messages[0]}")
        return value


def _parse_camera(row: dict[str, str], ctx: Context, report: RowReport) -> tuple[dict[str, Any], Camera | None]:
    sites: dict[str, Site | None] = ctx.__dict__.setdefault("camera_sites", {})
    filing = normalise_identifier(row["site"])
    if filing not in sites:
        sites[filing] = Site.objects.filter(filing_number=filing).first() if filing else None
    site = sites[filing]
    if site is None and filing:
        report.error(_("No site with filing number %(value)s is registered.") % {"value": filing})
    elif site is not None and not can_on_site(ctx.actor, VIDEO_MANAGE, site):
        report.error(_("The site with filing number %(value)s is outside your jurisdiction.") % {"value": filing})
    channel = gb28181.normalise(row["gb_channel_id"])
    device = gb28181.normalise(row["gb_device_id"])
    for value, label, is_channel in ((device, "国标设备编号", False), (channel, "国标通道编号", True)):
        if value and (message := services.gb_id_error(value, channel=is_channel)):
            report.error(f"{label}：{message}")
    existing = None
    if channel:
        existing = Camera.objects.filter(gb_channel_id=channel).select_related("site").first()
        if existing is not None and site is not None and existing.site_id != site.pk:
            if can_on_site(ctx.actor, VIDEO_MANAGE, existing.site):
                report.error(_("Channel ID %(value)s belongs to a camera of another site (%(site)s).") % {
                    "value": channel, "site": existing.site.name})
            else:  # do not say where a camera outside the user's area is
                report.error(_("Channel ID %(value)s is already used by another camera.") % {"value": channel})
            existing = None
    if existing is None and site is not None and row["name"]:
        existing = Camera.objects.filter(site=site, name=row["name"]).first()
    if existing is not None and not can_on_site(ctx.actor, VIDEO_MANAGE, existing.site):
        report.error(_("This camera belongs to a site outside your jurisdiction."))
    names: set[tuple] = ctx.__dict__.setdefault("camera_names", set())
    if site is not None and row["name"]:
        key = (site.pk, row["name"])
        if key in names:
            report.error(_("Camera “%(name)s” of this site appears earlier in the file too.") % {"name": row["name"]})
        names.add(key)
    data = {
        "site": site,
        "name": row["name"],
        "position": _position(row["position"], report),
        "gb_device_id": device,
        "gb_channel_id": channel or None,
        "source_url": _source(row["source_url"], existing, report) if row["source_url"] else "",
        "enabled": _enabled(row["enabled"], report),
    }
    if len(row["name"]) > 64:
        report.error(_("%(column)s: at most %(n)d characters.") % {"column": "摄像头名称", "n": 64})
    return data, existing


def _create(*, actor, data: dict[str, Any], action: str) -> Camera:
    return services.create_camera(actor=actor, site=data["site"],
                                  data={k: v for k, v in data.items() if k != "site"}, action=action)


def _update(camera: Camera, *, actor, data: dict[str, Any], action: str) -> bool:
    return services.update_camera(camera, actor=actor, data={k: v for k, v in data.items() if k != "site"},
                                  action=action)


CAMERA_SHEET = Sheet(
    kind=ImportBatch.Kind.CAMERAS,
    title=gettext_lazy("Cameras"),
    list_url=reverse_lazy("video:camera_list"),
    key_field="gb_channel_id",
    key_label="国标通道编号",
    parse=_parse_camera,
    queryset_for_export=lambda qs: qs.select_related("site__district"),
    create=_create,
    update=_update,
    permission=VIDEO_MANAGE,
    columns=(
        Column("网点备案编号", "site", required=True, export=lambda c: c.site.filing_number or "", width=20),
        Column("网点名称", "site_name", export=lambda c: c.site.name, import_=False, width=32),
        Column("县区", "district", export=lambda c: c.site.district.name, import_=False),
        Column("摄像头名称", "name", required=True, width=20),
        Column("安装位置", "position", required=True, export=lambda c: POSITION_NAMES.get(c.position, c.position)),
        Column("国标设备编号", "gb_device_id", width=22),
        Column("国标通道编号", "gb_channel_id", export=lambda c: c.gb_channel_id or "", width=22),
        Column("视频源地址", "source_url", required=True, export=lambda c: shown_source(c.source_url), width=48),
        Column("启用", "enabled", export=lambda c: "是" if c.enabled else "否", width=8),
        Column("状态", "status", export=lambda c: str(c.get_status_display()) if c.enabled else "停用",
               import_=False, width=10),
    ),
)

register_sheet(CAMERA_SHEET)
