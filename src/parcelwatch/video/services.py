"""Every write to the cameras goes through here: validated, authorised, versioned."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import VIDEO_MANAGE
from parcelwatch.lib import gb28181
from parcelwatch.lib.text import clean_text
from parcelwatch.registry.models import ChangeRecord, Site
from parcelwatch.registry.selectors import can_on_site
from parcelwatch.registry.versioning import record_change, snapshot

from .gateway import GatewayError, ProbeResult
from .models import Camera, CameraProbe, Snapshot, VideoPatrol
from .sources import clean_source_url, keep_password, without_credentials

GB_MESSAGES = {
    "length": _("A GB/T 28181 ID has 20 digits."),
    "digits": _("A GB/T 28181 ID has digits only."),
    "province": _("Digits 1–2 of a GB/T 28181 ID must be a province code (35 for Fujian)."),
    "network": _("Digit 14 of a GB/T 28181 ID (the network) must be 0–8."),
}
DEVICE_TYPE_MESSAGE = _("Digits 11–13 of the device ID must be a device type: 111 DVR, 118 NVR, 131/132 camera …")
CHANNEL_TYPE_MESSAGE = _("Digits 11–13 of the channel ID must be 131 (camera) or 132 (IP camera).")
TEXT_FIELDS = ("name",)


def gb_id_error(value: str, *, channel: bool) -> str | None:
    problem = gb28181.id_problem(value, channel=channel)
    if problem is None:
        return None
    if problem == "type":
        return str(CHANNEL_TYPE_MESSAGE if channel else DEVICE_TYPE_MESSAGE)
    return str(GB_MESSAGES[problem])


def _validate(camera: Camera) -> None:
    errors: dict[str, Any] = {}
    camera.name = clean_text(camera.name, multiline=False)
    if not camera.name:
        errors["name"] = _("Enter the camera's name.")
    elif len(camera.name) > 64:
        errors["name"] = _("At most %(n)d characters.") % {"n": 64}
    if camera.position not in Camera.Position.values:
        errors["position"] = _("Choose the camera's position.")
    camera.gb_device_id = gb28181.normalise(camera.gb_device_id)
    camera.gb_channel_id = gb28181.normalise(camera.gb_channel_id) or None
    if camera.gb_device_id and (message := gb_id_error(camera.gb_device_id, channel=False)):
        errors["gb_device_id"] = message
    if camera.gb_channel_id and (message := gb_id_error(camera.gb_channel_id, channel=True)):
        errors["gb_channel_id"] = message
    try:
        camera.source_url = clean_source_url(camera.source_url)
    except ValidationError as exc:
        errors["source_url"] = exc.messages
    if errors:
        raise ValidationError(errors)
    if camera.gb_channel_id and Camera.objects.filter(gb_channel_id=camera.gb_channel_id).exclude(pk=camera.pk).exists():
        raise ValidationError({"gb_channel_id": _("Another camera already has this channel ID.")})
    if Camera.objects.filter(site_id=camera.site_id, name=camera.name).exclude(pk=camera.pk).exists():
        raise ValidationError({"name": _("This site already has a camera of this name.")})


def _require_manage(actor: User, site: Site) -> None:
    if not can_on_site(actor, VIDEO_MANAGE, site):
        raise ValidationError({"site": _("This site is outside your jurisdiction.")})


def _save(camera: Camera, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            camera.save(update_fields=update_fields)
    except IntegrityError as exc:  # a concurrent save took the name or channel first
        raise ValidationError({"gb_channel_id": _("Another camera already has this channel ID or name.")}) from exc


EDITABLE = ("name", "position", "gb_device_id", "gb_channel_id", "source_url", "enabled")


@transaction.atomic
def create_camera(*, actor: User, site: Site, data: dict[str, Any],
                  action: str = ChangeRecord.Action.CREATE) -> Camera:
    _require_manage(actor, site)
    camera = Camera(site=site, district_id=site.district_id, **{k: v for k, v in data.items() if k in EDITABLE})
    _validate(camera)
    _save(camera)
    record_change(camera, actor=actor, before=None, action=action)
    return camera


@transaction.atomic
def update_camera(camera: Camera, *, actor: User, data: dict[str, Any],
                  action: str = ChangeRecord.Action.UPDATE) -> bool:
    """Apply changes; False when nothing changed (no version is recorded)."""
    camera = Camera.objects.select_for_update(of=("self",)).select_related("site").get(pk=camera.pk)
    _require_manage(actor, camera.site)
    before = snapshot(camera)
    source_before = camera.source_url
    if "source_url" in data:
        data = {**data, "source_url": keep_password(data["source_url"], source_before)}
    for key, value in data.items():
        if key in EDITABLE:
            setattr(camera, key, value)
    _validate(camera)
    if snapshot(camera) == before and camera.source_url == source_before:
        return False
    fields = [*EDITABLE, "updated_at"]
    if camera.source_url != source_before or not camera.enabled:
        # A new source (or a disabled camera) has no known health until the next probe, and whoever watches
        # the old stream stops seeing it.
        camera.status, camera.status_since, camera.last_error = Camera.Status.UNKNOWN, None, ""
        fields += ["status", "status_since", "last_error"]
        stale = Camera(pk=camera.pk, site_id=camera.site_id, district_id=camera.district_id, source_url=source_before)
        transaction.on_commit(lambda: _stop_stream(stale))
    _save(camera, fields)
    record_change(camera, actor=actor, before=before, action=action)
    return True


# --- health ---------------------------------------------------------------------------------------------------

HISTORY_EVERY = timedelta(hours=1)  # an unchanged camera leaves one probe row an hour in the history


def record_probe(camera: Camera, result: ProbeResult, *, at: datetime | None = None) -> Camera:
    """Store what a probe found: the camera's health now, a history row when something changed (or hourly),
    and an alert to the district's officers and the enterprise when a camera that was online goes offline."""
    at = at or timezone.now()
    with transaction.atomic():
        camera = (Camera.objects.select_for_update(of=("self",)).select_related("site__jurisdiction")
                  .get(pk=camera.pk))
        before = camera.status
        status = Camera.Status.ONLINE if result.online else Camera.Status.OFFLINE
        changed = status != before or (result.online and (result.width, result.height) != (camera.width,
                                                                                             camera.height))
        camera.status = status
        if status != before:
            camera.status_since = at
        camera.last_probe_at = at
        camera.last_error = "" if result.online else clean_text(without_credentials(result.error),
                                                                  multiline=False)[:200]
        if result.online:
            camera.last_frame_at = result.frame_at or at
            camera.fps, camera.width, camera.height = result.fps, result.width, result.height
            camera.codec = result.codec
        camera.save(update_fields=["status", "status_since", "last_probe_at", "last_error", "last_frame_at", "fps",
                                   "width", "height", "codec"])
        last = camera.probes.order_by("-at").values_list("at", flat=True).first()
        if changed or last is None or at - last >= HISTORY_EVERY:
            CameraProbe.objects.create(camera=camera, at=at, online=result.online, fps=result.fps,
                                       width=result.width, height=result.height, latency_ms=result.latency_ms,
                                       error=camera.last_error)
        if before == Camera.Status.ONLINE and status == Camera.Status.OFFLINE:
            _alert_offline(camera, at)
    return camera


def _stop_stream(camera: Camera) -> None:
    from .gateway import get_gateway

    try:
        get_gateway().stop(camera)
    except GatewayError:
        pass  # nothing running, or the gateway is down: its idle stop ends the stream anyway


def site_watchers(site: Site) -> list[User]:
    """Who is told when a site's camera or X-ray machine fails: the district's officers and the enterprise's staff."""
    from parcelwatch.accounts.models import Role
    from parcelwatch.notifications.services import users_with_role_covering

    staff = [m.user for m in site.enterprise.memberships.filter(role=Role.ENTERPRISE_SAFETY, user__is_active=True)
             .select_related("user")]
    return users_with_role_covering(Role.DISTRICT_OFFICER, site.jurisdiction.path) + staff


def _alert_offline(camera: Camera, at: datetime) -> None:
    from parcelwatch.notifications.services import notify

    site = camera.site
    notify(site_watchers(site), kind="camera_offline", url=reverse("video:camera_detail", args=[camera.pk]),
           dedupe_key=f"camera_offline:{camera.pk}:{at.isoformat()}", site=site.name, camera=camera.name,
           at=timezone.localtime(at).strftime("%Y-%m-%d %H:%M"))


def probe_due_cameras(*, now: datetime | None = None, budget_seconds: float | None = None) -> dict[str, int]:
    """Probe the enabled cameras whose last check is older than the interval, a few at a time, for at most
    `budget_seconds` (most of the interval: the next sweep takes over what is left).

    Each camera is claimed (its last_probe_at moved to now) before it is probed, so several workers running
    the sweep at once never probe the same camera twice."""
    from .gateway import get_gateway

    interval = settings.VIDEO_PROBE_INTERVAL_SECONDS
    budget = budget_seconds if budget_seconds is not None else interval * 0.8
    started = time.monotonic()
    workers = max(1, settings.VIDEO_PROBE_CONCURRENCY)
    gateway = get_gateway()
    counts = {"probed": 0, "online": 0, "offline": 0}

    def probe(camera: Camera) -> tuple[Camera, ProbeResult | None]:
        try:
            return camera, gateway.probe(camera)
        except GatewayError as exc:
            if exc.code == "unavailable":
                return camera, None  # the media server or ffprobe is down: no verdict on any camera
            return camera, ProbeResult(online=False, error=exc.detail or exc.code)
        except Exception as exc:  # noqa: BLE001 (one camera's failure must not stop the sweep)
            return camera, ProbeResult(online=False, error=str(exc)[:200])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        while time.monotonic() - started < budget:
            moment = now or timezone.now()
            due = Q(last_probe_at__isnull=True) | Q(last_probe_at__lt=moment - timedelta(seconds=interval * 0.9))
            candidates = list(Camera.objects.filter(due, enabled=True)
                              .order_by(F("last_probe_at").asc(nulls_first=True), "pk")
                              .values_list("pk", flat=True)[:workers * 4])
            if not candidates:
                break
            claimed = [pk for pk in candidates if Camera.objects.filter(due, pk=pk).update(last_probe_at=moment)]
            unavailable = False
            for camera, result in pool.map(probe, Camera.objects.filter(pk__in=claimed)):
                if result is None:
                    unavailable = True
                    continue
                try:
                    record_probe(camera, result)
                except (Camera.DoesNotExist, DatabaseError):  # deleted meanwhile, or a busy database: next sweep
                    continue
                counts["probed"] += 1
                counts["online" if result.online else "offline"] += 1
            if unavailable:
                counts["gateway_unavailable"] = 1
                break
    return counts


# --- snapshots ------------------------------------------------------------------------------------------------


def take_snapshot(camera: Camera, *, actor: User, patrol: VideoPatrol | None = None) -> Snapshot:
    """A still of the camera's picture now, stored as evidence (its SHA-256 in the attachment); during a patrol,
    one of the patrol's findings.

    Raises GatewayError when the camera delivers no picture."""
    if patrol is not None and (patrol.inspector_id != actor.pk or patrol.site_id != camera.site_id):
        raise ValidationError(_("This snapshot does not belong to your patrol of this site."))
    from parcelwatch.evidence.attachments import store_attachment

    from .gateway import get_gateway

    content = get_gateway().snapshot(camera)
    taken_at = timezone.now()
    name = f"{camera.site.name}-{camera.name}-{timezone.localtime(taken_at):%Y%m%d-%H%M%S}.jpg"
    with transaction.atomic():
        attachment = store_attachment(content, name=name, actor=actor)
        return Snapshot.objects.create(camera=camera, attachment=attachment, taken_at=taken_at, taken_by=actor,
                                       patrol=patrol)
