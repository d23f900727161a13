"""Remote video through the API: the cameras of the user's area, their health and stills, live view."""

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

from django.conf import settings
from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import AfterValidator

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import VIDEO_MANAGE, VIDEO_PATROL, VIDEO_VIEW
from parcelwatch.evidence.schemas import AttachmentOut, attachment_json
from parcelwatch.lib.apitypes import Code, Id, In, Pagination, Search
from parcelwatch.lib.text import clean_text
from parcelwatch.registry.api import _save
from parcelwatch.registry.selectors import get_site_for_user

from . import patrols, services, xray
from .gateway import GatewayError, get_gateway
from .models import PATROL_CHECKLIST, Camera, PatrolDraw, Snapshot, VideoPatrol
from .selectors import (
    camera_filters,
    cameras_visible_to,
    draws_visible_to,
    filter_cameras,
    get_camera_for_user,
    get_draw_for_user,
    get_patrol_for_user,
    machines_visible_to,
    online_rates,
    patrols_visible_to,
    total_rate,
)
from .sources import MAX_LENGTH, shown_source
from .views import _gateway_message, serve_live_file

router = Router(tags=["video"])

Position = Enum("Position", {k: k for k in Camera.Position.values}, type=str)
StatusFilter = Enum("StatusFilter", {k: k for k in [*Camera.Status.values, "enabled", "disabled"]}, type=str)
CameraName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(lambda v: clean_text(v, multiline=False))]
GbId = Annotated[str, Field(max_length=40)]
SourceUrl = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
LiveFileName = Annotated[str, Field(max_length=16, description="index.m3u8, or a segment it lists")]


class CameraOut(Schema):
    id: int
    name: str
    site_id: int
    site_name: str
    district_code: str
    district_name: str
    position: str
    gb_device_id: str
    gb_channel_id: str | None
    source_url: str  # without its password
    enabled: bool
    simulated: bool
    status: str
    status_since: datetime | None
    last_probe_at: datetime | None
    last_frame_at: datetime | None
    fps: Decimal | None
    width: int | None
    height: int | None
    codec: str
    last_error: str

    @staticmethod
    def resolve_site_name(obj) -> str:
        return obj.site.name

    @staticmethod
    def resolve_district_code(obj) -> str:
        return obj.site.district.code

    @staticmethod
    def resolve_district_name(obj) -> str:
        return obj.site.district.name

    @staticmethod
    def resolve_source_url(obj) -> str:
        return shown_source(obj.source_url)


class CameraFilters(Schema):
    district: Code | None = None
    brand: Code | None = None
    kind: Code | None = None
    position: Position | None = None
    status: StatusFilter | None = None
    site: Id | None = None
    q: Search | None = None


class CameraIn(In):
    site: Id
    name: CameraName
    position: Position
    gb_device_id: GbId = ""
    gb_channel_id: GbId = ""
    source_url: SourceUrl
    enabled: bool = True


class CameraPatch(In):
    name: CameraName | None = None
    position: Position | None = None
    gb_device_id: GbId | None = None
    gb_channel_id: GbId | None = None
    source_url: SourceUrl | None = None
    enabled: bool | None = None


class ProbeOut(Schema):
    at: datetime
    online: bool
    fps: Decimal | None
    width: int | None
    height: int | None
    latency_ms: int | None
    error: str


class SnapshotOut(Schema):
    id: int
    camera_id: int
    taken_at: datetime
    taken_by: str
    attachment: AttachmentOut


class LiveOut(Schema):
    playlist: str  # HLS; fetch it (and its segments) with the same bearer token
    ready: bool  # False while the stream starts: ask again in a second


class RateOut(Schema):
    key: str  # district or brand code
    label: str
    enabled: int
    online: int
    offline: int
    rate: float | None  # online / enabled


class RatesOut(Schema):
    enabled: int
    online: int
    offline: int
    rate: float | None
    by_district: list[RateOut]
    by_brand: list[RateOut]


def _require_view(request) -> None:
    if not has_permission(request.user, VIDEO_VIEW):
        raise PermissionDenied


def _data(payload: Schema, *, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    data.pop("site", None)
    if data.get("position") is not None:
        data["position"] = getattr(data["position"], "value", data["position"])
    return {k: v for k, v in data.items() if not (partial and v is None)}


def _snapshot_json(shot: Snapshot) -> dict:
    return {"id": shot.pk, "camera_id": shot.camera_id, "taken_at": shot.taken_at,
            "taken_by": shot.taken_by.display_name, "attachment": attachment_json(shot.attachment)}


@router.get("/cameras", response=list[CameraOut])
@paginate(Pagination)
def list_cameras(request, filters: Query[CameraFilters]):
    """Cameras of the sites in the user's jurisdiction (an enterprise's staff: its own sites)."""
    _require_view(request)
    raw = {k: (v.value if isinstance(v, Enum) else v) for k, v in filters.dict().items() if v not in (None, "")}
    return filter_cameras(cameras_visible_to(request.user), **{**camera_filters({}), **raw})


@router.get("/video/online-rates", response=RatesOut)
def video_online_rates(request):
    """The video online rate (online / enabled cameras) of the user's area, by district and by brand."""
    _require_view(request)
    visible = cameras_visible_to(request.user)
    by_district = online_rates(visible, "district")
    return {**total_rate(by_district), "by_district": by_district, "by_brand": online_rates(visible, "brand")}


@router.get("/cameras/{camera_id}", response=CameraOut)
def get_camera(request, camera_id: Id):
    return get_camera_for_user(request.user, camera_id)


@router.post("/cameras", response={201: CameraOut})
def create_camera(request, payload: CameraIn):
    """Register a camera at a site of the user's jurisdiction (GB/T 28181 IDs and the source checked)."""
    site = get_site_for_user(request.user, payload.site, need=VIDEO_MANAGE)
    camera = _save(lambda: services.create_camera(actor=request.user, site=site, data=_data(payload, partial=False)))
    return Status(201, get_camera_for_user(request.user, camera.pk))


@router.patch("/cameras/{camera_id}", response=CameraOut)
def update_camera(request, camera_id: Id, payload: CameraPatch):
    camera = get_camera_for_user(request.user, camera_id, need=VIDEO_MANAGE)
    _save(lambda: services.update_camera(camera, actor=request.user, data=_data(payload, partial=True)))
    return get_camera_for_user(request.user, camera_id)


@router.get("/cameras/{camera_id}/probes", response=list[ProbeOut])
@paginate(Pagination)
def camera_probes(request, camera_id: Id):
    """The camera's health history, newest first."""
    return get_camera_for_user(request.user, camera_id).probes.all()


@router.get("/cameras/{camera_id}/snapshots", response=list[SnapshotOut])
@paginate(Pagination)
def camera_snapshots(request, camera_id: Id):
    camera = get_camera_for_user(request.user, camera_id)
    return [_snapshot_json(s) for s in camera.snapshots.filter(patrol__isnull=True)
            .select_related("attachment", "taken_by")[:500]]


class SnapshotIn(In):
    """`{}` for a still, or with the patrol it is taken during."""

    patrol: Id | None = None  # the inspector's video patrol of this camera's site


@router.post("/cameras/{camera_id}/snapshots", response={201: SnapshotOut})
def take_snapshot(request, camera_id: Id, payload: SnapshotIn):
    """A still of the camera's picture now, stored as evidence with its SHA-256."""
    camera = get_camera_for_user(request.user, camera_id)
    patrol = get_patrol_for_user(request.user, payload.patrol) if payload.patrol else None
    try:
        shot = _save(lambda: services.take_snapshot(camera, actor=request.user, patrol=patrol))
    except GatewayError as exc:
        raise HttpError(502 if exc.code != "unavailable" else 503, _gateway_message(exc.code)) from None
    return Status(201, _snapshot_json(shot))


@router.post("/cameras/{camera_id}/live", response=LiveOut)
def start_live(request, camera_id: Id):
    """Start (or keep) the camera's live stream. While `ready` is false, ask again a second later."""
    camera = get_camera_for_user(request.user, camera_id)
    if not camera.enabled:
        raise HttpError(409, "摄像头已停用。")
    try:
        playback = get_gateway().play_for(camera, request.user)
    except GatewayError as exc:
        raise HttpError({"busy": 429, "unavailable": 503}.get(exc.code, 502), _gateway_message(exc.code)) from None
    playlist = playback.url
    if settings.VIDEO_GATEWAY == "ffmpeg":
        playlist = f"/api/v1/cameras/{camera.pk}/live/index.m3u8"
    return {"playlist": playlist, "ready": playback.ready}


@router.get("/cameras/{camera_id}/live/{filename}", response={200: None})
def live_file(request, camera_id: Id, filename: LiveFileName):
    """The live stream's HLS playlist and segments (embedded gateway)."""
    return serve_live_file(get_camera_for_user(request.user, camera_id), filename)


# --- video patrols ---------------------------------------------------------------------------------------------

PatrolState = Enum("PatrolState", {k: k for k in VideoPatrol.State.values}, type=str)
PatrolResult = Enum("PatrolResult", {k: k for k in VideoPatrol.Result.values}, type=str)
ChecklistItem = Enum("ChecklistItem", {code: code for code, _l, _c in PATROL_CHECKLIST}, type=str)


class FindingOut(Schema):
    item: str
    label: str
    category: str  # the event category a problem here becomes
    result: str | None
    event_id: int | None


class PatrolOut(Schema):
    id: int
    draw_id: int
    site_id: int
    site_name: str
    site_kind: str
    district_name: str
    inspector: str
    inspector_id: int
    state: str
    note: str
    patrolled_at: datetime | None
    findings: list[FindingOut]


class PatrolFilters(Schema):
    state: PatrolState | None = None
    mine: bool = False


class PatrolIn(In):
    results: dict[ChecklistItem, PatrolResult]
    note: Annotated[str, Field(max_length=patrols.NOTE_MAX)] = ""


class RaiseIn(In):
    item: ChecklistItem


class RaisedOut(Schema):
    event_id: int
    number: str


class DrawIn(In):
    area: Code
    outlet_percent: int = Field(10, ge=0, le=100)
    seed: Annotated[str, Field(max_length=40)] = ""


class DrawOut(Schema):
    id: int
    area_code: str
    area_name: str
    drawn_at: datetime
    drawn_by: str
    seed: str
    outlet_percent: int
    candidate_sites: int
    candidate_inspectors: int
    recheck_ok: bool  # running the draw again from its seed and recorded lists gives exactly these patrols
    patrols: list[PatrolOut]


def _patrol_json(p: VideoPatrol) -> dict:
    return {"id": p.pk, "draw_id": p.draw_id, "site_id": p.site_id, "site_name": p.site.name,
            "site_kind": p.site.kind, "district_name": p.site.district.name, "inspector": p.inspector.display_name,
            "inspector_id": p.inspector_id, "state": p.state, "note": p.note, "patrolled_at": p.patrolled_at,
            "findings": [{"item": code, "label": str(label), "category": category, "result": p.results.get(code),
                          "event_id": p.events.get(code)} for code, label, category in PATROL_CHECKLIST]}


def _draw_json(d: PatrolDraw) -> dict:
    return {"id": d.pk, "area_code": d.area.code, "area_name": d.area.name, "drawn_at": d.drawn_at,
            "drawn_by": d.drawn_by.display_name, "seed": d.seed, "outlet_percent": d.outlet_percent,
            "candidate_sites": len(d.candidate_sites), "candidate_inspectors": len(d.candidate_inspectors),
            "recheck_ok": patrols.recheck(d),
            "patrols": [_patrol_json(p) for p in d.patrols.select_related("site__district", "inspector")
                        .order_by("pk")]}


@router.get("/video/patrols", response=list[PatrolOut])
@paginate(Pagination)
def list_patrols(request, filters: Query[PatrolFilters]):
    """Video patrols of the user's area (`mine=true`: those drawn for the user), pending first."""
    if not has_permission(request.user, VIDEO_PATROL):
        raise PermissionDenied
    qs = patrols_visible_to(request.user)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.mine:
        qs = qs.filter(inspector=request.user)
    return [_patrol_json(p) for p in qs.order_by("state", "-draw__drawn_at", "pk")[:1000]]


@router.get("/video/patrols/{patrol_id}", response=PatrolOut)
def get_patrol(request, patrol_id: Id):
    return _patrol_json(get_patrol_for_user(request.user, patrol_id))


@router.post("/video/patrols/{patrol_id}/findings", response=PatrolOut)
def record_patrol(request, patrol_id: Id, payload: PatrolIn):
    """The inspector's finding on every checklist point (ok, problem, unseen); the patrol is then done."""
    patrol = get_patrol_for_user(request.user, patrol_id)
    results = {item.value: result.value for item, result in payload.results.items()}
    _save(lambda: patrols.record_patrol(patrol, actor=request.user, results=results, note=payload.note))
    return _patrol_json(get_patrol_for_user(request.user, patrol_id))


@router.post("/video/patrols/{patrol_id}/events", response={201: RaisedOut})
def raise_patrol_event(request, patrol_id: Id, payload: RaiseIn):
    """A problem found on one point becomes an event (source video_patrol) with the patrol's snapshots."""
    patrol = get_patrol_for_user(request.user, patrol_id)
    event = _save(lambda: patrols.raise_event(patrol, payload.item.value, actor=request.user))
    return Status(201, {"event_id": event.pk, "number": event.number})


@router.post("/video/patrol-draws", response={201: DrawOut})
def create_draw(request, payload: DrawIn):
    """Draw the sites (every sorting centre, and this share of the outlets with cameras) and the inspectors."""
    from parcelwatch.accounts.models import Jurisdiction

    area = Jurisdiction.objects.filter(code=payload.area, level__in=("city", "district", "zone")).first()
    if area is None:
        raise HttpError(422, f"区域“{payload.area}”不存在。")
    record = _save(lambda: patrols.draw_patrols(actor=request.user, area=area, outlet_percent=payload.outlet_percent,
                                                seed=payload.seed))
    return Status(201, _draw_json(record))


@router.get("/video/patrol-draws", response=list[DrawOut])
@paginate(Pagination)
def list_draws(request):
    if not has_permission(request.user, VIDEO_PATROL):
        raise PermissionDenied
    return [_draw_json(d) for d in draws_visible_to(request.user)[:200]]


@router.get("/video/patrol-draws/{draw_id}", response=DrawOut)
def get_draw(request, draw_id: Id):
    return _draw_json(get_draw_for_user(request.user, draw_id))


# --- X-ray machines -------------------------------------------------------------------------------------------


class HeartbeatIn(In):
    serial: Annotated[str, Field(min_length=1, max_length=40)]
    powered_on: bool
    scans: int = Field(0, ge=0, le=xray.MAX_SCANS)  # parcels screened since the last heartbeat


class HeartbeatOut(Schema):
    machine_id: int
    powered_on: bool
    state_since: datetime | None


class MachineOut(Schema):
    id: int
    site_id: int
    site_name: str
    district_name: str
    serial: str
    name: str
    enabled: bool
    simulated: bool
    on: bool  # powered on by a heartbeat younger than XRAY_STALE_MINUTES
    powered_on: bool | None
    scans: int
    last_heartbeat_at: datetime | None
    state_since: datetime | None


class MachineIn(In):
    site: Id
    serial: Annotated[str, Field(min_length=1, max_length=40)]
    name: CameraName


class RegisteredOut(MachineOut):
    device_key: str  # shown once: the machine sends it as X-Device-Key with every heartbeat


class PowerRatesOut(Schema):
    enabled: int
    online: int  # machines on
    offline: int
    rate: float | None  # 开机率
    by_district: list[RateOut]
    by_brand: list[RateOut]


def _machine_json(m, now) -> dict:
    return {"id": m.pk, "site_id": m.site_id, "site_name": m.site.name, "district_name": m.site.district.name,
            "serial": m.serial, "name": m.name, "enabled": m.enabled, "simulated": m.simulated, "on": m.is_on(now),
            "powered_on": m.powered_on, "scans": m.scans, "last_heartbeat_at": m.last_heartbeat_at,
            "state_since": m.state_since}


@router.post("/xray/heartbeats", response={201: HeartbeatOut}, auth=None)
def xray_heartbeat(request, payload: HeartbeatIn):
    """A machine's heartbeat, authenticated by its device key in the `X-Device-Key` header (no user token)."""
    machine = xray.machine_for_key(payload.serial, request.headers.get("X-Device-Key", ""))
    if machine is None:
        raise HttpError(401, "设备序列号或设备密钥不正确。")
    machine = _save(lambda: xray.record_heartbeat(machine, powered_on=payload.powered_on, scans=payload.scans))
    return Status(201, {"machine_id": machine.pk, "powered_on": machine.powered_on, "state_since": machine.state_since})


@router.get("/xray/machines", response=list[MachineOut])
@paginate(Pagination)
def list_machines(request, site: Id | None = None):
    """The X-ray machines of the user's area and whether each is on now."""
    _require_view(request)
    from django.utils import timezone

    now = timezone.now()
    qs = machines_visible_to(request.user)
    if site is not None:
        qs = qs.filter(site_id=site)
    return [_machine_json(m, now) for m in qs.order_by("site__district__sort_order", "site__name", "name")[:5000]]


@router.post("/xray/machines", response={201: RegisteredOut})
def register_machine(request, payload: MachineIn):
    """Register a site's machine; the answer carries its device key, which is not shown again."""
    from django.utils import timezone

    site = get_site_for_user(request.user, payload.site, need=VIDEO_MANAGE)
    machine = _save(lambda: xray.register_machine(actor=request.user, site=site, serial=payload.serial,
                                                  name=payload.name))
    return Status(201, {**_machine_json(machine, timezone.now()), "device_key": xray.device_key(machine)})


@router.get("/xray/power-on-rates", response=PowerRatesOut)
def xray_power_on_rates(request):
    """The X-ray power-on rate (开机率) of the user's area, by district and by brand."""
    _require_view(request)
    visible = machines_visible_to(request.user)
    by_district = xray.power_on_rates(visible, "district")
    return {**total_rate(by_district), "by_district": by_district, "by_brand": xray.power_on_rates(visible, "brand")}
