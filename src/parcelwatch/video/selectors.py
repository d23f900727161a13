"""Scoped reads of the cameras. Views and the API read only through these."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Count, F, Q, QuerySet

from parcelwatch.accounts.access import Scope, get_object_for_user, scoped, user_can, valid_pk
from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.permissions import VIDEO_MANAGE, VIDEO_PATROL, VIDEO_VIEW
from parcelwatch.lib import params as p
from parcelwatch.registry.models import Brand, Site

from .models import Camera, PatrolDraw, VideoPatrol, XrayMachine

# A camera is where its site is: the site's district and grid for officers, its enterprise for its staff.
CAMERA_SCOPE = Scope(path_field="site__jurisdiction__path", enterprise_field="site__enterprise_id",
                     ids=(("site__jurisdiction__path", "district_id", "site__jurisdiction_id"),), join=True)
MACHINE_SCOPE = Scope(path_field="site__jurisdiction__path", enterprise_field="site__enterprise_id",
                      ids=(("site__jurisdiction__path", "site__district_id", "site__jurisdiction_id"),), join=True)


def cameras_visible_to(user: User, perm: str = VIDEO_VIEW) -> QuerySet[Camera]:
    return scoped(Camera.objects.all(), user, perm, CAMERA_SCOPE).select_related(
        "site__district", "site__brand", "site__enterprise")


def get_camera_for_user(user: User, pk: object, need: str = VIDEO_VIEW) -> Camera:
    return get_object_for_user(Camera.objects.select_related("site__district", "site__brand", "site__enterprise"),
                               user, pk, scope=CAMERA_SCOPE, view=VIDEO_VIEW, need=need)


def can_manage_camera(user: User, camera: Camera) -> bool:
    return user_can(user, VIDEO_MANAGE, camera, scope=CAMERA_SCOPE)


def camera_filters(params: Mapping) -> dict:
    return {
        "q": p.text(params, "q"),
        "district": p.text(params, "district", 12),
        "brand": p.text(params, "brand", 16),
        "kind": p.text(params, "kind", 16),
        "position": p.text(params, "position", 16),
        "status": p.text(params, "status", 16),
        "site": (valid_pk(params.get("site")) or 0) if params.get("site") else None,  # junk matches nothing
    }


def filter_cameras(qs: QuerySet[Camera], *, q: str = "", district: str = "", brand: str = "", kind: str = "",
                   position: str = "", status: str = "", site: int | None = None) -> QuerySet[Camera]:
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(site__name__icontains=q) | Q(gb_channel_id__icontains=q)
                       | Q(gb_device_id__icontains=q))
    if district:
        qs = qs.filter(district_id__in=list(Jurisdiction.objects.filter(code=district).values_list("pk", flat=True)))
    if brand:
        qs = qs.filter(site__brand_id__in=list(Brand.objects.filter(code=brand).values_list("pk", flat=True)))
    if kind:
        qs = qs.filter(site__kind=kind)
    if position:
        qs = qs.filter(position=position)
    if status == "disabled":
        qs = qs.filter(enabled=False)
    elif status == "enabled":
        qs = qs.filter(enabled=True)
    elif status in Camera.Status.values:
        qs = qs.filter(enabled=True, status=status)
    if site is not None:
        qs = qs.filter(site_id=site)
    return qs.order_by("site__district__sort_order", "site__name", "name", "pk")


def status_counts(qs: QuerySet[Camera]) -> dict[str, int]:
    """Enabled cameras by status, and the disabled ones."""
    counts = dict(qs.filter(enabled=True).order_by().values_list("status").annotate(n=Count("*")))
    out = {s: counts.get(s, 0) for s in Camera.Status.values}
    out["disabled"] = qs.filter(enabled=False).count()
    return out


def cameras_of_site(user: User, site: Site) -> QuerySet[Camera]:
    return cameras_visible_to(user).filter(site=site).order_by("name", "pk")


def rate_rows(qs: QuerySet, column: str, by: str, *, on: Q, off: Q | None = None) -> list[dict]:
    """Enabled devices per district or brand (`column` is the lookup to it): enabled, online (matching `on`),
    offline (matching `off`, or every enabled one not on) and rate = online / enabled (None when 0). Districts
    in their official order, brands largest first. The video online rate and the X-ray power-on rate."""
    counts = {"n_enabled": Count("pk"), "n_online": Count("pk", filter=on)}
    if off is not None:
        counts["n_offline"] = Count("pk", filter=off)
    rows = qs.filter(enabled=True).order_by().values(f"{column}__code", f"{column}__name").annotate(**counts)
    out = [{"key": r[f"{column}__code"] or "", "label": r[f"{column}__name"] or "—", "enabled": r["n_enabled"],
            "online": r["n_online"], "offline": r.get("n_offline", r["n_enabled"] - r["n_online"]),
            "rate": r["n_online"] / r["n_enabled"] if r["n_enabled"] else None} for r in rows]
    if by == "district":
        order = {code: i for i, code in enumerate(Jurisdiction.objects.filter(
            code__in=[r["key"] for r in out]).order_by("sort_order", "code").values_list("code", flat=True))}
        out.sort(key=lambda r: order.get(r["key"], 999))
    else:
        out.sort(key=lambda r: (-r["enabled"], r["label"]))
    return out


def online_rates(qs: QuerySet[Camera], by: str) -> list[dict]:
    """Video online rate (视频在线率) of enabled cameras per district or brand, as regulators track it."""
    return rate_rows(qs, {"district": "district", "brand": "site__brand"}[by], by,
                     on=Q(status=Camera.Status.ONLINE), off=Q(status=Camera.Status.OFFLINE))


def total_rate(rows: list[dict]) -> dict:
    enabled = sum(r["enabled"] for r in rows)
    online = sum(r["online"] for r in rows)
    return {"enabled": enabled, "online": online, "offline": sum(r["offline"] for r in rows),
            "rate": online / enabled if enabled else None}


def longest_offline(qs: QuerySet[Camera], limit: int = 10) -> list[Camera]:
    return list(qs.filter(enabled=True, status=Camera.Status.OFFLINE)
                .order_by(F("status_since").asc(nulls_first=True), "pk")[:limit])


# Patrols are seen by those who patrol the site's place; draws by those who patrol the drawn area.
PATROL_SCOPE = Scope(path_field="site__jurisdiction__path",
                     ids=(("site__jurisdiction__path", "site__district_id", "site__jurisdiction_id"),), join=True)
DRAW_SCOPE = Scope(path_field="area__path", ids=(("area__path", None, "area_id"),))


def patrols_visible_to(user: User) -> QuerySet[VideoPatrol]:
    return scoped(VideoPatrol.objects.all(), user, VIDEO_PATROL, PATROL_SCOPE).select_related(
        "site__district", "inspector", "draw")


def get_patrol_for_user(user: User, pk: object) -> VideoPatrol:
    return get_object_for_user(VideoPatrol.objects.select_related("site__district", "inspector", "draw__area"),
                               user, pk, scope=PATROL_SCOPE, view=VIDEO_PATROL)


def draws_visible_to(user: User) -> QuerySet[PatrolDraw]:
    return scoped(PatrolDraw.objects.all(), user, VIDEO_PATROL, DRAW_SCOPE).select_related("area", "drawn_by")


def get_draw_for_user(user: User, pk: object) -> PatrolDraw:
    return get_object_for_user(PatrolDraw.objects.select_related("area", "drawn_by"), user, pk, scope=DRAW_SCOPE,
                               view=VIDEO_PATROL)


def machines_visible_to(user: User) -> QuerySet[XrayMachine]:
    """X-ray machines, seen like the cameras of the same sites."""
    return scoped(XrayMachine.objects.all(), user, VIDEO_VIEW, MACHINE_SCOPE).select_related(
        "site__district", "site__brand")
