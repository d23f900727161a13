"""The data-analysis pages: statistics, performance tables, the yearly report, the event map and the wall screen."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import STATS_VIEW
from parcelwatch.accounts.selectors import districts_visible_to, home_city
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.lib import params as p
from parcelwatch.lib.pagination import page_rows
from parcelwatch.registry.models import Brand
from parcelwatch.registry.selectors import enterprises_visible_to

from . import selectors as s
from .measures import STAGES
from .tables import INDICATORS, sort_rows

ENTERPRISE_CHOICES_MAX = 500


def _require(request: HttpRequest) -> None:
    if not has_permission(request.user, STATS_VIEW):
        raise PermissionDenied


def _filter_choices(request: HttpRequest, f: s.StatsFilter) -> dict:
    enterprises = enterprises_visible_to(request.user).order_by("name").values_list("pk", "name")
    return {
        "districts": districts_visible_to(request.user),
        "categories": EventCategory.objects.all(),
        "brands": Brand.objects.order_by("code"),
        "enterprises": list(enterprises[:ENTERPRISE_CHOICES_MAX]),
        "sources": Event.Source.choices,
        "levels": Event.Level.choices,
        "f": f,
        "params": f.list_params,
    }


STATE_LABELS = dict(Event.State.choices)
# What each drill-down flag means, said above the event list it narrows.
FLAG_LABELS = {
    "accepted": gettext_lazy("Accepted"), "not_accepted": gettext_lazy("Rejected or merged"),
    "escalated": gettext_lazy("Escalated to the city bureau"), "letters": gettext_lazy("Reminder letter issued"),
    "rect_due": gettext_lazy("Rectification due"), "rect_on_time": gettext_lazy("Rectified on time"),
    "fixes": gettext_lazy("Fix submitted"), "reworked": gettext_lazy("Sent back at least once (rework)"),
    "closed_district": gettext_lazy("Closed at district level"), "closed_city": gettext_lazy("Closed at city level"),
    "closed_on_time": gettext_lazy("Closed on time"),
    "repeat": gettext_lazy("Repeat problem (same site and category within 12 months)"),
}
# The colours of the state badges (app.css), so that a point on the map looks like its badge.
STATE_COLOURS = {"reported": "#0b6ec5", "accepted": "#3d8bfd", "rectifying": "#d9822b",
                 "rectification_submitted": "#8a5cd1", "escalated": "#c8102e", "under_enforcement": "#842029",
                 "awaiting_confirmation": "#198754", "closed": "#495057", "rejected": "#adb5bd", "merged": "#ced4da"}
STAGE_LABELS = {
    "accept": gettext_lazy("Acceptance"), "rectify": gettext_lazy("Rectification"),
    "verify": gettext_lazy("Verification"), "confirm": gettext_lazy("On-site confirmation"),
    "district": gettext_lazy("At district level"), "city": gettext_lazy("At city level"),
    "total": gettext_lazy("Report to closure"),
}


def _stage_label(stage: str) -> str:
    return str(STAGE_LABELS[stage])


def _chart_rows(rows: list[dict]) -> list[dict]:
    return [{"label": r["label"], "value": r["reported"], "url": r["url"]} for r in rows]


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    _require(request)
    today = timezone.localdate()
    f = s.stats_filter(request.GET, today=today)
    reach = s.reach_of(request.user)
    months = s.breakdown(reach, f, "month", today=today)
    total = s.with_rates(s.summed(months))
    total.update(s.cases_and_fines(request.user, f))
    by_category = s.breakdown(reach, f, "category", today=today)
    by_district = s.breakdown(reach, f, "district", today=today)
    by_brand = s.breakdown(reach, f, "brand", today=today)
    by_enterprise = s.breakdown(reach, f, "enterprise", today=today)[:15]
    trend = s.trend(reach, f, today=today, months=months)
    states = [{"label": str(STATE_LABELS[st]), "value": total[f"st_{st}"], "url": s.drill(f, state=st)}
              for st in Event.State.values if total[f"st_{st}"]]
    stages = [{"label": _stage_label(st), "days": total[f"{st}_days"], "n": total[f"{st}_n"]} for st in STAGES]
    city = home_city(request.user)
    chart_data = {
        "category": _chart_rows(by_category),
        "district": _chart_rows(by_district),
        "brand": _chart_rows(by_brand),
        "enterprise": _chart_rows(by_enterprise),
        "state": states,
        "trend": {"labels": [r["label"] for r in trend], "reported": [r["reported"] for r in trend],
                  "closed": [r["closed"] for r in trend], "urls": [r["url"] for r in trend]},
        "stages": [{"label": st["label"], "days": round(st["days"], 1) if st["days"] is not None else None}
                   for st in stages],
        "mapName": city.map_name if city else "",
        "messages": {"reported": _("Reported events"), "closed": _("Events closed"), "days": _("days"), "events": _("events")},
    }
    links = {
        "reported": s.drill(f), "closed": s.drill(f, state="closed"), "open": s.drill(f, state="open"),
        "closed_district": s.drill(f, flag="closed_district"), "reworked": s.drill(f, flag="reworked"),
        "rect_on_time": s.drill(f, flag="rect_on_time"), "closed_on_time": s.drill(f, flag="closed_on_time"),
        "accepted": s.drill(f, flag="accepted"), "repeat": s.drill(f, flag="repeat"),
        "escalated": s.drill(f, flag="escalated"),
    }
    return render(request, "analytics/statistics.html", {
        **_filter_choices(request, f),
        "total": total, "links": links,
        "by_category": by_category, "by_district": by_district, "by_brand": by_brand,
        "by_enterprise": by_enterprise, "trend": trend, "states": states, "stages": stages,
        "repeat_sites": s.repeats(reach, f, "site"), "repeat_enterprises": s.repeats(reach, f, "enterprise"),
        "chart_data": chart_data, "city": city, "indicators": INDICATORS,
        "export_query": _export_query(f),
    })


def _export_query(f: s.StatsFilter, **extra) -> str:
    from urllib.parse import urlencode

    return urlencode({**{k: v for k, v in f.list_params.items()}, **extra})


PERFORMANCE = {
    "district": gettext_lazy("District"), "reporter": gettext_lazy("Grid worker"),
    "enterprise": gettext_lazy("Enterprise"),
}


@login_required
def performance(request: HttpRequest) -> HttpResponse:
    """Indicators of city grid management per district, grid worker or enterprise; sortable and exportable."""
    _require(request)
    by = request.GET.get("by", "district")
    if by not in PERFORMANCE:
        by = "district"
    f = s.stats_filter(request.GET)
    sort = request.GET.get("sort", "reported")
    descending = request.GET.get("dir", "desc") != "asc"
    rows = sort_rows(s.breakdown(s.reach_of(request.user), f, by), sort, descending)
    base = {**f.list_params, "by": by}
    from urllib.parse import urlencode

    headers = []
    for key, label, kind in (("label", PERFORMANCE[by], "text"), *INDICATORS):
        active = key == sort or (key == "reported" and sort not in {k for k, _l, _k in INDICATORS} | {"label"})
        direction = "asc" if active and descending else "desc"
        headers.append({"key": key, "label": label, "kind": kind, "active": active,
                        "descending": descending, "url": "?" + urlencode({**base, "sort": key, "dir": direction})})
    return render(request, "analytics/performance.html", {
        **_filter_choices(request, f), "by": by, "kinds": PERFORMANCE, "rows": rows, "headers": headers,
        "indicators": INDICATORS, "export_query": urlencode({**base, "sort": sort, "dir": "desc" if descending else "asc"}),
    })


@login_required
def yearly_report(request: HttpRequest) -> HttpResponse:
    _require(request)
    today = timezone.localdate()
    year = _year(request, today)
    district = _district(request)
    f = s.stats_filter({"year": str(year), "district": district.code if district else ""}, today=today)
    context = report_context(request.user, f, year=year, district=district)
    context.update({"years": range(today.year, 2017, -1), "districts": districts_visible_to(request.user),
                    "district": district, "pdf_query": _export_query(f, year=year)})
    return render(request, "analytics/report.html", context)


def _year(request: HttpRequest, today: date) -> int:
    year = p.year(request.GET)
    return year if year and year <= today.year else today.year


def _district(request: HttpRequest) -> Jurisdiction | None:
    code = request.GET.get("district", "")[:32]
    return districts_visible_to(request.user).filter(code=code).first() if code else None


def report_context(user, f: s.StatsFilter, *, year: int, district: Jurisdiction | None) -> dict:
    """The yearly report's figures (page and PDF)."""
    reach = s.reach_of(user)
    total = s.with_rates(s.aggregate(reach, f)[0])
    total.update(s.cases_and_fines(user, f))
    city = district.parent if district else None
    if city is None:
        from parcelwatch.accounts.selectors import home_city as _home

        city = _home(user)
    return {
        "year": year, "total": total, "place": district.name if district else (city.name if city else ""),
        "by_category": s.breakdown(reach, f, "category"), "by_district": s.breakdown(reach, f, "district"),
        "trend": s.trend(reach, f), "indicators": INDICATORS,
        "stages": [{"label": _stage_label(st), "days": total[f"{st}_days"]} for st in STAGES],
        "generated_at": timezone.localtime(),
    }


# --- the event map ----------------------------------------------------------------------------------------------

MAP_POINTS_MAX = 20000


@login_required
def event_map(request: HttpRequest) -> HttpResponse:
    _require(request)
    f = s.stats_filter(request.GET)
    city = home_city(request.user)
    return render(request, "analytics/event_map.html", {
        **_filter_choices(request, f), "city": city, "states": Event.State.choices,
        "map_config": {
            "mapName": city.map_name if city else "", "dataUrl": reverse("analytics:event_map_data"),
            "eventUrl": reverse("events:detail", args=[0]),
            "max": MAP_POINTS_MAX,
            "districts": [{"name": d.name, "value": [float(d.lng), float(d.lat)]}
                          for d in districts_visible_to(request.user) if d.lng is not None and d.lat is not None],
            "messages": {"shown": _("Events shown"), "capped": _("showing the newest %(n)s") % {
                "n": f"{MAP_POINTS_MAX:,}"}, "byState": _("By state"), "byCategory": _("By category"),
                "heat": _("Density")},
        },
    })


@login_required
def event_map_data(request: HttpRequest) -> JsonResponse:
    """Events matching the filters as compact points [lng, lat, state index, category index, id]."""
    _require(request)
    from parcelwatch.events.selectors import event_filters, listed_events

    params = request.GET.copy()
    f = s.stats_filter(params)
    for key, value in f.list_params.items():
        params[key] = value
    params["scope"] = "stats"
    qs = listed_events(request.user, event_filters(params)).order_by("-reported_at", "-pk")
    rows = list(qs.values_list("pk", "lng", "lat", "site__lng", "site__lat", "state", "category__code")
                [:MAP_POINTS_MAX + 1])
    capped = len(rows) > MAP_POINTS_MAX
    rows = rows[:MAP_POINTS_MAX]
    states = list(Event.State.values)
    categories: dict[str, int] = {}
    points = []
    for pk, lng, lat, site_lng, site_lat, state, category in rows:
        lng, lat = (lng, lat) if lng is not None and lat is not None else (site_lng, site_lat)
        if lng is None or lat is None:
            continue
        c = categories.setdefault(category, len(categories))
        points.append([float(lng), float(lat), states.index(state), c, pk])
    names = dict(EventCategory.objects.values_list("code", "name"))
    return JsonResponse({
        "points": points, "count": len(points), "capped": capped,
        "states": [str(STATE_LABELS[st]) for st in states],
        "stateColours": [STATE_COLOURS.get(st, "#6c757d") for st in states],
        "categories": [f"{code} {names.get(code, '')}" for code in categories],
    })


# --- the wall screen --------------------------------------------------------------------------------------------

WALL_REFRESH_SECONDS = 30


@login_required
def wall(request: HttpRequest) -> HttpResponse:
    _require(request)
    city = home_city(request.user)
    district = _district(request)
    return render(request, "analytics/wall.html", {
        "city": city, "district": district,
        "place": district.name if district else (city.name if city else ""),
        "wall_config": {"mapName": city.map_name if city else "",
                        "dataUrl": reverse("analytics:wall_data") + (f"?district={district.code}" if district else ""),
                        "refreshSeconds": WALL_REFRESH_SECONDS},
        "wall_messages": {"updated": _("updated"), "report": _("Report"), "escalate": _("Escalated"),
                          "quiet": _("No new reports or escalations in the last days."),
                          "noneClosed": _("none closed yet")},
    })


@login_required
def wall_data(request: HttpRequest) -> JsonResponse:
    _require(request)
    return JsonResponse(wall_figures(request.user, _district(request)))


def wall_figures(user, district: Jurisdiction | None, *, now=None) -> dict:
    """Today's figures, this year's district-closure share, per-district counts and the latest activity."""
    from parcelwatch.events.selectors import events_visible_to, filter_events

    now = timezone.localtime(now)
    today = now.date()
    reach = s.reach_of(user)
    only = district.pk if district else None
    year_filter = s.StatsFilter(start=date(today.year, 1, 1), end=today, district_id=only)
    today_filter = s.StatsFilter(start=today, end=today, district_id=only)
    year = s.with_rates(s.aggregate(reach, year_filter, today=today)[0])
    # The same events as the statistics count (a user may see more through another role).
    visible = events_visible_to(user).filter(reach.event_q())
    if only:
        visible = visible.filter(district_id=only)
    start = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
    per_district = {r["key"]: r for r in s.breakdown(reach, year_filter, "district", today=today)}
    # Open now, whenever reported (the district/state index answers it).
    open_now = dict(visible.filter(state__in=Event.OPEN_STATES).order_by().values_list("district_id")
                    .annotate(n=Count("pk")))
    # The districts the statistics reach (not those another role of the user lets them see).
    reached = set(reach.district_ids)
    for node in Jurisdiction.objects.filter(pk__in=sorted(reach.place_ids)[:5000]):
        district_node = node.district()
        if district_node is not None:
            reached.add(district_node.pk)
    districts = districts_visible_to(user).filter(pk__in=sorted(reached))
    if only:
        districts = districts.filter(pk=only)
    # The latest reports and escalations, newest first (each read by its own index).
    # Ids first, from the event's own indexes, then those rows with their site (page_rows): with the joins in
    # the same query a planner may sort every event of the city to find the newest twelve.
    latest = [("report", e.reported_at, e) for e in page_rows(visible.order_by("-reported_at", "-pk"), 0, 12)]
    latest += [("escalate", e.escalated_at, e) for e in
               page_rows(visible.filter(escalated_at__isnull=False).order_by("-escalated_at", "-pk"), 0, 12)]
    latest.sort(key=lambda item: item[1], reverse=True)
    ticker = [{"time": timezone.localtime(at).strftime("%m-%d %H:%M"), "kind": kind, "number": e.number,
               "text": f"{e.district.name} · {e.site.name} · {e.category.name}"} for kind, at, e in latest[:12]]
    return {
        "generated_at": now.strftime("%Y-%m-%d %H:%M:%S"),
        "today": {
            "reported": s.aggregate(reach, today_filter, today=today)[0]["reported"],
            "closed": visible.filter(closed_at__gte=start).count(),
            "overdue": filter_events(visible, overdue=True, today=today).count(),
            "escalated": visible.filter(escalated_at__gte=start).count(),
        },
        "year": {"year": today.year, "reported": year["reported"], "closed": year["closed"], "open": year["open"],
                 "district_closure_share": year["district_closure_share"],
                 "on_time_rectification_rate": year["on_time_rectification_rate"]},
        "districts": [{"name": d.name, "code": d.code,
                       "point": [float(d.lng), float(d.lat)] if d.lng is not None and d.lat is not None else None,
                       "reported": per_district[d.pk]["reported"] if d.pk in per_district else 0,
                       "open": open_now.get(d.pk, 0)} for d in districts],
        "ticker": ticker,
    }


@login_required
def district_assessment(request: HttpRequest) -> HttpResponse:
    """The city's assessment of its districts (市对县综治考评) over a period: weighted indicators, score, rank."""
    from .districts import ASSESSED, assessed_districts
    from .districts import district_assessment as assess

    _require(request)
    f = s.stats_filter(request.GET)
    reach = s.reach_of(request.user)
    rows, weighted = assess(reach, f, assessed_districts(reach))
    from urllib.parse import urlencode

    return render(request, "analytics/district_assessment.html", {
        "f": f, "rows": rows, "ranked": len(rows) > 1, "weights": [(ASSESSED[k], w) for k, w in weighted],
        "indicators": [(key, label) for key, label in ASSESSED.items()],
        "export_query": urlencode({"reported_from": f.start.isoformat(), "reported_to": f.end.isoformat()}),
        "years": range(timezone.localdate().year, 2017, -1),
    })

