"""Remote-video pages. Thin: read through selectors, write through services, video through the gateway."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import has_permission, valid_pk
from parcelwatch.accounts.permissions import REGISTRY_IMPORT, VIDEO_MANAGE, VIDEO_VIEW
from parcelwatch.accounts.selectors import districts_visible_to
from parcelwatch.lib.forms import StyledFormMixin, add_service_errors, posted
from parcelwatch.lib.pagination import CappedPaginator
from parcelwatch.registry.models import Brand, Site
from parcelwatch.registry.selectors import get_site_for_user
from parcelwatch.registry.versioning import history

from . import services, xray
from .forms import CameraForm
from .gateway import GatewayError, get_gateway
from .models import Camera
from .selectors import (
    camera_filters,
    cameras_visible_to,
    can_manage_camera,
    filter_cameras,
    get_camera_for_user,
    get_patrol_for_user,
    longest_offline,
    machines_visible_to,
    online_rates,
    status_counts,
    total_rate,
)
from .sources import shown_source

LIVE_FILE = re.compile(r"^(index\.m3u8|seg\d{6}\.ts)$")
WALL_LAYOUTS = {"2": 4, "3": 9}
GATEWAY_MESSAGES = {
    "busy": gettext_lazy("All live-view channels are in use (at most %(n)d at once). Close another view and try again."),
    "unavailable": gettext_lazy("The media gateway is not running. Ask the system administrator to start it."),
    "offline": gettext_lazy("The camera is not delivering video."),
    "failed": gettext_lazy("The live view could not be started."),
}


def _require(request: HttpRequest, perm: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _gateway_message(code: str) -> str:
    if code == "busy":
        return str(GATEWAY_MESSAGES["busy"]) % {"n": settings.VIDEO_MAX_STREAMS}
    return str(GATEWAY_MESSAGES.get(code, GATEWAY_MESSAGES["failed"]))


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """视频监控概况: the video online rate by district and brand, and the cameras offline longest."""
    _require(request, VIDEO_VIEW)
    visible = cameras_visible_to(request.user)
    by_district = online_rates(visible, "district")
    machines = machines_visible_to(request.user)
    xray_by_district = xray.power_on_rates(machines, "district")
    now = timezone.now()
    centres_off = (machines.filter(enabled=True, site__kind=Site.Kind.SORTING_CENTER).exclude(xray.on_q(now))
                   .order_by("site__district__sort_order", "site__name", "name")[:50])
    return render(request, "video/overview.html", {
        "by_district": by_district, "by_brand": online_rates(visible, "brand"), "total": total_rate(by_district),
        "offline": longest_offline(visible), "counts": status_counts(visible),
        "xray_by_district": xray_by_district, "xray_by_brand": xray.power_on_rates(machines, "brand"),
        "xray_total": total_rate(xray_by_district), "centres_off": centres_off,
        "working_hours": settings.XRAY_WORKING_HOURS,
    })


class MachineForm(StyledFormMixin, forms.Form):
    serial = forms.CharField(label=gettext_lazy("serial number"), max_length=40)
    name = forms.CharField(label=gettext_lazy("name"), max_length=64, initial=gettext_lazy("X-ray machine 1"))


@login_required
def machine_create(request: HttpRequest, site_pk: int) -> HttpResponse:
    """Register a site's X-ray machine; its device key is shown once, on the answer to the registration."""
    site = get_site_for_user(request.user, site_pk, need=VIDEO_MANAGE)
    form = MachineForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            machine = xray.register_machine(actor=request.user, site=site, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "video/machine_registered.html", {"machine": machine,
                                                                     "key": xray.device_key(machine)})
    return render(request, "video/camera_form.html", {
        "form": form, "title": _("New X-ray machine at %(site)s") % {"site": site.name},
        "cancel_url": reverse("registry:site_detail", args=[site.pk]), "site": site})


@login_required
def camera_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIDEO_VIEW)
    filters = camera_filters(request.GET)
    visible = cameras_visible_to(request.user)
    qs = filter_cameras(visible, **filters)
    page = CappedPaginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    counts = status_counts(filter_cameras(visible, **{**filters, "status": ""}))
    return render(request, "video/camera_list.html", {
        "page": page, "filters": filters, "counts": counts, "querystring": params.urlencode(),
        "districts": districts_visible_to(request.user), "brands": Brand.objects.all(),
        "kinds": Site.Kind.choices, "positions": Camera.Position.choices, "statuses": Camera.Status.choices,
        "can_import": has_permission(request.user, REGISTRY_IMPORT) and has_permission(request.user, VIDEO_MANAGE),
    })


@login_required
def camera_detail(request: HttpRequest, pk: int) -> HttpResponse:
    camera = get_camera_for_user(request.user, pk)
    can_manage = can_manage_camera(request.user, camera)
    return render(request, "video/camera_detail.html", {
        "camera": camera, "source": shown_source(camera.source_url), "can_manage": can_manage,
        "probes": camera.probes.all()[:20], "history": history(camera) if can_manage else [],
        # A patrol's stills belong to the patrol (unannounced: not shown to the site's own staff).
        "snapshots": camera.snapshots.filter(patrol__isnull=True).select_related("attachment", "taken_by")[:8],
    })


def _camera_form(request: HttpRequest, *, site: Site, camera: Camera | None) -> HttpResponse:
    initial = None
    if camera is not None and request.method != "POST":
        initial = {"name": camera.name, "position": camera.position, "gb_device_id": camera.gb_device_id,
                   "gb_channel_id": camera.gb_channel_id or "", "source_url": shown_source(camera.source_url),
                   "enabled": camera.enabled}
    form = CameraForm(posted(request), initial=initial or {"enabled": True})
    if request.method == "POST" and form.is_valid():
        try:
            if camera is None:
                camera = services.create_camera(actor=request.user, site=site, data=form.cleaned_data)
                messages.success(request, _("Camera %(name)s registered.") % {"name": camera.name})
            else:
                services.update_camera(camera, actor=request.user, data=form.cleaned_data)
                messages.success(request, _("Camera %(name)s saved.") % {"name": form.cleaned_data["name"]})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("video:camera_detail", pk=camera.pk)
    title = (_("New camera at %(site)s") if camera is None else _("Edit camera %(name)s")) % {
        "site": site.name, "name": camera.name if camera else ""}
    cancel = (reverse("video:camera_detail", args=[camera.pk]) if camera is not None
              else reverse("registry:site_detail", args=[site.pk]))
    return render(request, "video/camera_form.html", {"form": form, "title": title, "cancel_url": cancel,
                                                      "site": site})


@login_required
def camera_create(request: HttpRequest, site_pk: int) -> HttpResponse:
    site = get_site_for_user(request.user, site_pk, need=VIDEO_MANAGE)
    return _camera_form(request, site=site, camera=None)


@login_required
def camera_edit(request: HttpRequest, pk: int) -> HttpResponse:
    camera = get_camera_for_user(request.user, pk, need=VIDEO_MANAGE)
    return _camera_form(request, site=camera.site, camera=camera)


@login_required
@require_POST
def live_start(request: HttpRequest, pk: int) -> JsonResponse:
    """Start (or keep) the camera's live stream; the page asks again until it is ready, then plays it."""
    camera = get_camera_for_user(request.user, pk)
    if not camera.enabled:
        return JsonResponse({"error": "disabled", "message": _("This camera is disabled.")}, status=409)
    try:
        playback = get_gateway().play_for(camera, request.user)
    except GatewayError as exc:
        status = {"busy": 429, "unavailable": 503}.get(exc.code, 502)
        return JsonResponse({"error": exc.code, "message": _gateway_message(exc.code)}, status=status)
    return JsonResponse({"playlist": playback.url, "ready": playback.ready})


@login_required
@require_POST
def snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a still now and keep it as evidence."""
    camera = get_camera_for_user(request.user, pk)
    patrol = None
    if request.POST.get("patrol"):
        patrol = get_patrol_for_user(request.user, request.POST["patrol"])
    target = (reverse("video:patrol_detail", args=[patrol.pk]) if patrol is not None
              else reverse("video:camera_detail", args=[camera.pk])) + "#snapshots"
    try:
        shot = services.take_snapshot(camera, actor=request.user, patrol=patrol)
    except GatewayError as exc:
        messages.error(request, _("No snapshot: %(reason)s") % {"reason": _gateway_message(exc.code)})
    except ValidationError as exc:
        messages.error(request, _("No snapshot: %(reason)s") % {"reason": "；".join(exc.messages)})
    else:
        messages.success(request, _("Snapshot taken at %(time)s and stored as evidence (SHA-256 %(hash)s…).") % {
            "time": timezone.localtime(shot.taken_at).strftime("%H:%M:%S"), "hash": shot.attachment.sha256[:12]})
    return redirect(target)


def serve_live_file(camera: Camera, filename: str) -> FileResponse:
    """One file of the camera's live HLS stream (embedded gateway); each fetch keeps the stream running."""
    if not LIVE_FILE.match(filename) or not camera.enabled:
        raise Http404
    directory = settings.VIDEO_HLS_DIR / camera.stream_key
    try:
        handle = open(directory / filename, "rb")  # noqa: SIM115 (FileResponse closes it)
    except OSError:
        raise Http404 from None
    try:
        (directory / ".viewed").touch()
    except OSError:
        pass
    playlist = filename.endswith(".m3u8")
    response = FileResponse(handle, filename=filename,
                            content_type="application/vnd.apple.mpegurl" if playlist else "video/mp2t")
    response["Cache-Control"] = "no-cache, private" if playlist else "private, max-age=60"
    return response


@login_required
def live_file(request: HttpRequest, pk: int, filename: str) -> FileResponse:
    """The camera's HLS playlist and segments, to those who may see the camera."""
    return serve_live_file(get_camera_for_user(request.user, pk), filename)


@login_required
def wall(request: HttpRequest) -> HttpResponse:
    """A wall of 2×2 or 3×3 live views: the cameras chosen, else the first online ones of the user's area."""
    _require(request, VIDEO_VIEW)
    layout = request.GET.get("layout", "2")
    if layout not in WALL_LAYOUTS:
        layout = "2"
    size = WALL_LAYOUTS[layout]
    visible = cameras_visible_to(request.user).filter(enabled=True)
    ids = [pk for pk in (valid_pk(v) for v in request.GET.getlist("camera")[:size]) if pk]
    if ids:
        by_id = {c.pk: c for c in visible.filter(pk__in=ids)}
        cameras = [by_id[pk] for pk in ids if pk in by_id]
    else:
        cameras = list(visible.exclude(status=Camera.Status.OFFLINE)
                       .order_by("status", "site__district__sort_order", "site__name", "name")[:size])
    filters = camera_filters(request.GET)
    choices = filter_cameras(visible, **{**filters, "status": ""})[:200]
    return render(request, "video/wall.html", {
        "cameras": cameras, "slots": range(size - len(cameras)), "layout": layout, "choices": choices,
        "chosen": {c.pk for c in cameras},
    })


@csrf_exempt
@require_POST
def zlm_on_play(request: HttpRequest) -> JsonResponse:
    """ZLMediaKit's on_play hook: allow a player only with the token the platform issued for that stream.

    Configure ZLMediaKit with hook.enable=1 and hook.on_play=<platform>/video/zlm/on_play?secret=<ZLM_SECRET>.
    Other hooks are not used. The answer is ZLMediaKit's: {"code": 0} allows, anything else refuses."""
    import hmac
    import json
    from urllib.parse import parse_qs

    from .zlm import token_allows

    secret = request.GET.get("secret", "")
    if not settings.ZLM_SECRET or not hmac.compare_digest(secret.encode(), settings.ZLM_SECRET.encode()):
        return JsonResponse({"code": -100, "msg": "bad secret"}, status=403)
    try:
        hook = json.loads(request.body or b"{}")
        params = parse_qs(str(hook.get("params", "")))
        allowed = hook.get("app") == settings.ZLM_APP and token_allows(params.get("token", [""])[0],
                                                                          str(hook.get("stream", "")))
    except (ValueError, AttributeError):
        allowed = False
    return JsonResponse({"code": 0, "msg": "success"} if allowed else {"code": -1, "msg": "not allowed"})
