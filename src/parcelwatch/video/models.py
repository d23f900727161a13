"""Remote video (远程视频库): the cameras of each site, their health, and the X-ray machines' heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.evidence.models import Attachment
from parcelwatch.registry.models import Site

from .sources import shown_source


class Camera(models.Model):
    class Position(models.TextChoices):
        ACCEPTANCE = "acceptance", _("Acceptance inspection desk")
        XRAY = "xray", _("X-ray machine")
        SORTING = "sorting", _("Sorting area")
        ENTRANCE = "entrance", _("Entrance / exit")
        STORAGE = "storage", _("Storage area")
        LOADING = "loading", _("Loading bay")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        UNKNOWN = "unknown", _("Not yet checked")
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")

    # Registry versions record these (the source without its password: see VERSION_DISPLAY).
    VERSIONED_FIELDS = ("site", "name", "position", "gb_device_id", "gb_channel_id", "source_url", "enabled")
    VERSION_DISPLAY = {"source_url": lambda camera: shown_source(camera.source_url)}

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="cameras")
    # The site's district, kept on the camera (like an event's): scoping and online rates by district read the
    # camera's own indexed column, without joining every camera of a city to its site.
    district = models.ForeignKey("accounts.Jurisdiction", verbose_name=_("district"), on_delete=models.PROTECT,
                                 related_name="+")
    name = models.CharField(_("camera name"), max_length=64)
    position = models.CharField(_("position"), max_length=16, choices=Position.choices)
    gb_device_id = models.CharField(_("GB/T 28181 device ID"), max_length=20, blank=True)
    gb_channel_id = models.CharField(_("GB/T 28181 channel ID"), max_length=20, null=True, blank=True, unique=True)
    source_url = models.CharField(_("source URL"), max_length=500)
    enabled = models.BooleanField(_("enabled"), default=True)
    # A demo camera fed by an ffmpeg test source, labelled as such wherever cameras are listed.
    simulated = models.BooleanField(_("simulated"), default=False)
    # Health, as the last probe found it (history in CameraProbe).
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNKNOWN)
    status_since = models.DateTimeField(_("status since"), null=True, blank=True)
    last_probe_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_frame_at = models.DateTimeField(_("last frame"), null=True, blank=True)
    fps = models.DecimalField(_("frame rate"), max_digits=5, decimal_places=1, null=True, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    codec = models.CharField(_("codec"), max_length=16, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["site_id", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="camera_unique_name_per_site")]
        # The probe sweep walks enabled cameras by last probe; online rates count by status.
        indexes = [models.Index(fields=["enabled", "last_probe_at"], name="camera_probe_due"),
                   models.Index(fields=["enabled", "status"], name="camera_status"),
                   models.Index(fields=["district", "enabled", "status"], name="camera_district_status")]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.name}"

    def save(self, *args, **kwargs) -> None:
        # A copy of the site's district, never business logic: a camera is always where its site is
        # (registry.services.update_site moves the cameras of a site that changes district).
        if self.district_id is None and self.site_id is not None:
            self.district_id = Site.objects.values_list("district_id", flat=True).get(pk=self.site_id)
        super().save(*args, **kwargs)

    @property
    def stream_key(self) -> str:
        """The stream's name at the media gateway: stable, and no user text in it."""
        return f"cam{self.pk}"

    @property
    def resolution(self) -> str:
        return f"{self.width}×{self.height}" if self.width and self.height else ""


class CameraProbe(models.Model):
    """One health check of a camera. Kept when something changed, and at most hourly otherwise."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="probes")
    at = models.DateTimeField(_("checked at"))
    online = models.BooleanField(_("online"))
    fps = models.DecimalField(_("frame rate"), max_digits=5, decimal_places=1, null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["camera", "at"], name="probe_camera_time"),
                   models.Index(fields=["at"], name="probe_time")]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.at:%Y-%m-%d %H:%M:%S} {'online' if self.online else 'offline'}"


class Snapshot(models.Model):
    """A still taken from a camera, stored as evidence (content hash in the attachment)."""

    camera = models.ForeignKey(Camera, verbose_name=_("camera"), on_delete=models.PROTECT, related_name="snapshots")
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(_("taken at"))
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("taken by"), on_delete=models.PROTECT,
                                 related_name="+")
    patrol = models.ForeignKey("VideoPatrol", verbose_name=_("video patrol"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="snapshots")

    class Meta:
        ordering = ["-taken_at", "-pk"]
        indexes = [models.Index(fields=["camera", "taken_at"], name="snapshot_camera_time")]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.taken_at:%Y-%m-%d %H:%M:%S}"


# What a video patrol checks (DOMAIN: how regulators supervise remotely), and the event category a problem
# found on that point becomes.
PATROL_CHECKLIST = (
    ("contents_inspected", _("Contents opened and inspected at acceptance"), "YS01"),
    ("sender_identity", _("Sender's identity checked"), "RS01"),
    ("xray_staffed", _("X-ray machine on and staffed"), "AJ02"),
    ("conveyor_clear", _("Nobody crossing moving conveyors"), "AQ04"),
    ("no_throwing", _("No throwing or treading on parcels"), "FW01"),
    ("officer_present", _("Safety officer present"), "AQ01"),
)


class PatrolDraw(models.Model):
    """A 双随机 draw: which sites are patrolled by video, and by whom, re-checkable from the recorded seed and
    the candidate lists as they were when drawn."""

    area = models.ForeignKey("accounts.Jurisdiction", verbose_name=_("area"), on_delete=models.PROTECT,
                             related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"))
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drawn by"), on_delete=models.PROTECT,
                                 related_name="+")
    seed = models.CharField(_("random seed"), max_length=40)
    outlet_percent = models.PositiveSmallIntegerField(_("share of outlets (%)"))
    # The lists the draw was made from (ids, in the order the draw read them).
    candidate_sites = models.JSONField(default=list)
    candidate_inspectors = models.JSONField(default=list)

    class Meta:
        ordering = ["-drawn_at", "-pk"]
        verbose_name = _("video patrol draw")

    def __str__(self) -> str:
        return f"{self.area} {self.drawn_at:%Y-%m-%d %H:%M} {self.seed}"


class VideoPatrol(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("To patrol")
        DONE = "done", _("Patrolled")

    class Result(models.TextChoices):
        OK = "ok", _("Complies")
        PROBLEM = "problem", _("Problem found")
        UNSEEN = "unseen", _("Not visible")

    draw = models.ForeignKey(PatrolDraw, on_delete=models.PROTECT, related_name="patrols")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="video_patrols")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT,
                                  related_name="video_patrols")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    # Checklist item code -> Result value.
    results = models.JSONField(_("checklist"), default=dict)
    # Checklist item code -> id of the event raised for it.
    events = models.JSONField(default=dict)
    note = models.TextField(_("note"), blank=True)
    patrolled_at = models.DateTimeField(_("patrolled at"), null=True, blank=True)

    class Meta:
        ordering = ["state", "-draw__drawn_at", "site_id", "pk"]
        indexes = [models.Index(fields=["inspector", "state"], name="patrol_inspector_state")]
        verbose_name = _("video patrol")

    def __str__(self) -> str:
        return f"{self.site} {self.get_state_display()}"


class XrayMachine(models.Model):
    """An X-ray screening machine (安检机) of a site: a device that reports a heartbeat through the API (powered
    on, parcels scanned since the last one), authenticated by its own device key."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="xray_machines")
    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=64)
    enabled = models.BooleanField(_("enabled"), default=True)
    # A demo device whose heartbeats the simulator sends, labelled as such.
    simulated = models.BooleanField(_("simulated"), default=False)
    powered_on = models.BooleanField(_("powered on"), null=True, blank=True)
    scans = models.PositiveIntegerField(_("scans in the last interval"), default=0)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    state_since = models.DateTimeField(_("state since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("X-ray machine")
        verbose_name_plural = _("X-ray machines")
        ordering = ["site_id", "name", "pk"]
        indexes = [models.Index(fields=["enabled", "powered_on", "last_heartbeat_at"], name="xray_state")]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.name}"

    def is_on(self, now) -> bool:
        """Powered on by its last heartbeat, and that heartbeat is recent."""
        from datetime import timedelta

        stale = timedelta(minutes=settings.XRAY_STALE_MINUTES)
        return bool(self.powered_on and self.last_heartbeat_at and now - self.last_heartbeat_at <= stale)


class XrayHeartbeat(models.Model):
    """A heartbeat kept in the history: when the power state changed, and hourly otherwise."""

    machine = models.ForeignKey(XrayMachine, on_delete=models.CASCADE, related_name="heartbeats")
    at = models.DateTimeField()
    powered_on = models.BooleanField()
    scans = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["machine", "at"], name="xray_beat_machine_time")]

    def __str__(self) -> str:
        return f"{self.machine_id} {self.at:%Y-%m-%d %H:%M} {'on' if self.powered_on else 'off'}"
