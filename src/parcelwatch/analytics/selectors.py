"""Statistics of the events a user may see, from the monthly rollups where they answer the question
and from the per-event facts where they do not (a period that starts or ends inside a month, a
combination of filters no rollup splits by, a reach below district level)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.utils import timezone

from parcelwatch.accounts.access import ABOVE_TOWN, _subtree, memberships, valid_pk
from parcelwatch.accounts.models import Jurisdiction, Role, User
from parcelwatch.accounts.permissions import STATS_VIEW, permissions_for_role
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.lib import params as p
from parcelwatch.registry.models import Brand, Enterprise

from . import grains
from .measures import LIST_FLAGS, MEASURES, rates, totals
from .models import EventFact, StatsCube

EARLIEST = date(2000, 1, 1)


# --- who sees what --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """The events a user's statistics count: whole districts, places below a district, or enterprises."""

    district_ids: frozenset[int] = frozenset()
    place_ids: frozenset[int] = frozenset()
    enterprise_ids: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.district_ids or self.place_ids or self.enterprise_ids)

    @property
    def whole_districts(self) -> bool:
        """Only whole districts: the rollups (split by district) can answer."""
        return bool(self.district_ids) and not self.place_ids and not self.enterprise_ids

    def event_q(self) -> Q:
        """The same reach over events (the event list's `scope=stats`)."""
        return self._q(enterprise="fact__enterprise_id")

    def fact_q(self) -> Q:
        return self._q(enterprise="enterprise_id")

    def _q(self, *, enterprise: str) -> Q:
        # Events and facts share the district and place columns; the enterprise is the fact's (at report time).
        q = Q(pk__in=[])
        for lookup, ids in (("district_id", self.district_ids), ("jurisdiction_id", self.place_ids),
                            (enterprise, self.enterprise_ids)):
            if ids:
                q |= Q(**{f"{lookup}__in": sorted(ids)})
        return q


def reach_of(user: User, perm: str = STATS_VIEW) -> Reach:
    districts: set[int] = set()
    places: set[int] = set()
    enterprises: set[int] = set()
    for m in memberships(user):
        if perm not in permissions_for_role(m.role):
            continue
        if m.role == Role.ENTERPRISE_SAFETY:
            enterprises.add(m.enterprise_id)
            continue
        nodes, district_nodes = _subtree(m)
        if m.jurisdiction.level in ABOVE_TOWN:
            districts.update(district_nodes)
        else:
            places.update(nodes)
    return Reach(frozenset(districts), frozenset(places), frozenset(enterprises))


# --- the question ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsFilter:
    """Events reported from `start` to `end` (local days, both included), narrowed by dimensions (ids)."""

    start: date
    end: date
    district_id: int | None = None
    category_id: int | None = None
    brand_id: int | None = None
    enterprise_id: int | None = None
    reporter_id: int | None = None
    source: str = ""
    level: str = ""
    # What the page's filters were, as the event list spells them (codes), for drill-down links.
    list_params: dict = field(default_factory=dict, compare=False)

    def dimension_filters(self) -> dict:
        out = {}
        for name in ("district_id", "category_id", "brand_id", "enterprise_id", "reporter_id"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.source:
            out["source"] = self.source
        if self.level:
            out["level"] = self.level
        return out

    @property
    def empty(self) -> bool:
        """A filter that names nothing that exists (an unknown code): nothing matches."""
        return -1 in (self.district_id, self.category_id, self.brand_id, self.enterprise_id, self.reporter_id)


def _id_for(model, code: str) -> int | None:
    if not code:
        return None
    return model.objects.filter(code=code).values_list("pk", flat=True).first() or -1


def stats_filter(params: Mapping, *, today: date | None = None) -> StatsFilter:
    """The statistics' filters from a query string; the default period is this year to date."""
    today = today or timezone.localdate()
    year = p.year(params)
    start = p.day(params, "reported_from", clamp=True) or p.day(params, "start", clamp=True)
    end = p.day(params, "reported_to", clamp=True) or p.day(params, "end", clamp=True)
    if year and not (start or end):
        start, end = date(year, 1, 1), date(year, 12, 31)
    # One end given: the other is the start of that year, or today (never a period that runs backwards).
    if start is None:
        start = date(end.year, 1, 1) if end else date(today.year, 1, 1)
    if end is None:
        end = max(today, start)
    if end < start:
        start, end = end, start
    district = p.text(params, "district", 32)
    category = p.text(params, "category", 8)
    brand = p.text(params, "brand", 32)
    enterprise = valid_pk(params.get("enterprise")) if params.get("enterprise") else None
    reporter = valid_pk(params.get("reporter")) if params.get("reporter") else None
    source = p.text(params, "source", 16)
    level = p.text(params, "level", 8)
    source = source if source in Event.Source.values else ""
    level = level if level in Event.Level.values else ""
    listed = {"reported_from": start.isoformat(), "reported_to": end.isoformat(), "district": district,
              "category": category, "brand": brand,
              # An id that names nothing stays in the links as 0, so the lists they open are empty like the figures.
              "enterprise": enterprise or ("0" if params.get("enterprise") else ""),
              "reporter": reporter or ("0" if params.get("reporter") else ""),
              "source": source, "level": level}
    return StatsFilter(
        start=start, end=end,
        district_id=_id_for(Jurisdiction, district), category_id=_id_for(EventCategory, category),
        brand_id=_id_for(Brand, brand), enterprise_id=enterprise or (-1 if params.get("enterprise") else None),
        reporter_id=reporter or (-1 if params.get("reporter") else None), source=source, level=level,
        list_params={k: v for k, v in listed.items() if v},
    )


# --- summing --------------------------------------------------------------------------------------------------


def _month(d: date) -> int:
    return d.year * 100 + d.month


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _split(start: date, end: date, today: date) -> tuple[tuple[int, int] | None, list[tuple[date, date]]]:
    """(first and last whole month, or None; the partial stretches to read from the facts).

    A period ending today or later counts its last month as whole: nothing is reported in the future.
    """
    first = start if start.day == 1 else _month_end(start) + timedelta(days=1)
    last_end = end if (end == _month_end(end) or end >= today) else end.replace(day=1) - timedelta(days=1)
    if first > last_end:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if end > last_end:
        edges.append((last_end + timedelta(days=1), end))
    return (_month(first), _month(last_end)), edges


def _sums() -> dict:
    return {m: Sum(m) for m in MEASURES}


def aggregate(reach: Reach, f: StatsFilter, group: tuple[str, ...] = (), *, today: date | None = None) -> list[dict]:
    """Summed measures of the matching events, one dict per value of `group` (dimension names or "month")."""
    nothing = [] if group else [dict.fromkeys(MEASURES, 0)]
    if reach.empty or f.empty:
        return nothing
    today = today or timezone.localdate()
    dims = f.dimension_filters()
    if f.district_id is not None and reach.whole_districts and f.district_id not in reach.district_ids:
        return nothing
    needed = {g for g in group if g != "month"} | set(dims) | {"district_id"}
    grain = grains.grain_for(needed) if reach.whole_districts else None
    parts = []
    if grain is None:
        parts.append(_facts(reach, dims, [(f.start, f.end)], group))
    else:
        months, edges = _split(f.start, f.end, today)
        if months:
            cube = StatsCube.objects.filter(grain=grain, month__gte=months[0], month__lte=months[1],
                                            district_id__in=sorted(reach.district_ids), **dims)
            parts.append(cube.order_by().values(*group).annotate(**_sums()) if group else
                         [cube.aggregate(**_sums())])
        if edges:  # both partial months in one query
            parts.append(_facts(reach, dims, edges, group))
    merged: dict[tuple, dict] = {}
    for part in parts:
        for row in part:
            k = tuple(row[g] for g in group)
            into = merged.setdefault(k, {**{g: row[g] for g in group}, **dict.fromkeys(MEASURES, 0)})
            for m in MEASURES:
                into[m] += row[m] or 0
    return [r for r in merged.values() if r["reported"]] if group else list(merged.values()) or [
        dict.fromkeys(MEASURES, 0)]


def _facts(reach: Reach, dims: dict, spans: list[tuple[date, date]], group: tuple[str, ...]):
    days = Q()
    for start, end in spans:
        days |= Q(reported_on__gte=start, reported_on__lte=end)
    qs = EventFact.objects.filter(days, reach.fact_q(), **dims)
    if group:
        return qs.order_by().values(*group).annotate(**_sums())
    return [qs.aggregate(**_sums())]


def summed(rows: list[dict]) -> dict:
    """The measures of a breakdown's rows added up: every event is in exactly one row of a breakdown, so this
    is the whole (the statistics page takes its totals from the monthly trend instead of another query)."""
    total = dict.fromkeys(MEASURES, 0)
    for row in rows:
        for m in MEASURES:
            total[m] += row[m] or 0
    return total


def with_rates(row: dict) -> dict:
    return {**row, **totals(row), **rates(row)}


# --- the pages' figures ---------------------------------------------------------------------------------------


def _names(model, ids, attr="name") -> dict[int, str]:
    return {pk: name for pk, name in model.objects.filter(pk__in=list(ids)).values_list("pk", attr)}


def drill(f: StatsFilter, **extra) -> str:
    """The event list showing exactly the events a figure counts."""
    from django.urls import reverse

    params = {**f.list_params, **{k: v for k, v in extra.items() if v not in (None, "")}, "scope": "stats"}
    return reverse("events:list") + "?" + urlencode(params)


def breakdown(reach: Reach, f: StatsFilter, by: str, *, today: date | None = None) -> list[dict]:
    """Rows of measures and rates per category, district, brand, enterprise, reporter or month, with their
    names and drill-down links, largest first (months in order)."""
    column = {"category": "category_id", "district": "district_id", "brand": "brand_id",
              "enterprise": "enterprise_id", "reporter": "reporter_id", "month": "month"}[by]
    rows = aggregate(reach, f, (column,), today=today)
    total = sum(r["reported"] for r in rows) or 0
    out = []
    if by == "category":
        info = {pk: (code, f"{code} {name}") for pk, code, name in
                EventCategory.objects.filter(pk__in=[r[column] for r in rows]).values_list("pk", "code", "name")}
    elif by == "district":
        info = {pk: (code, name) for pk, code, name in
                Jurisdiction.objects.filter(pk__in=[r[column] for r in rows]).values_list("pk", "code", "name")}
    elif by == "brand":
        info = {pk: (code, name) for pk, code, name in
                Brand.objects.filter(pk__in=[r[column] for r in rows]).values_list("pk", "code", "short_name")}
    elif by == "enterprise":
        info = {pk: (pk, name) for pk, name in _names(Enterprise, [r[column] for r in rows]).items()}
    elif by == "reporter":
        info = {pk: (pk, full or username) for pk, full, username in
                User.objects.filter(pk__in=[r[column] for r in rows]).values_list("pk", "full_name", "username")}
    else:
        info = {}
    for r in rows:
        value = r[column]
        if by == "month":
            year, month = divmod(value, 100)
            first = max(date(year, month, 1), f.start)
            last = min(_month_end(date(year, month, 1)), f.end)
            label, link = f"{year}-{month:02d}", drill(f, reported_from=first.isoformat(),
                                                       reported_to=last.isoformat())
        else:
            code, label = info.get(value, ("", "—"))
            if by == "brand" and not value:
                label = "—"
            link = drill(f, **{by: code}) if code else ""
        out.append({**with_rates(r), "key": value, "label": label, "url": link,
                    "share": r["reported"] / total if total else None})
    if by == "month":
        out.sort(key=lambda r: r["key"])
    else:
        out.sort(key=lambda r: (-r["reported"], r["label"]))
    return out


def months_between(start: date, end: date) -> list[int]:
    months = []
    d = start.replace(day=1)
    while d <= end:
        months.append(_month(d))
        d = _month_end(d) + timedelta(days=1)
    return months


def trend(reach: Reach, f: StatsFilter, *, today: date | None = None, months: list[dict] | None = None) -> list[dict]:
    """Every month of the period, empty months included (`months`: the period's month breakdown, if read)."""
    if months is None:
        months = breakdown(reach, f, "month", today=today)
    have = {r["key"]: r for r in months}
    out = []
    # Up to today: the months of a period reaching into the future are all empty.
    last = min(f.end, today or timezone.localdate())
    for m in months_between(f.start, max(last, f.start))[-120:]:
        if m in have:
            out.append(have[m])
        else:
            year, month = divmod(m, 100)
            out.append({**with_rates(dict.fromkeys(MEASURES, 0)), "key": m, "label": f"{year}-{month:02d}",
                        "url": "", "share": None})
    return out


def repeats(reach: Reach, f: StatsFilter, by: str, limit: int = 10) -> list[dict]:
    """Sites or enterprises where the same problem came back within a year, most repeats first."""
    if reach.empty or f.empty:
        return []
    column = {"site": "site_id", "enterprise": "enterprise_id"}[by]
    if by == "enterprise":
        # Per enterprise the monthly rollups hold the repeats already.
        summed = [r for r in aggregate(reach, f, (column,)) if r["repeat"]]
        summed.sort(key=lambda r: (-r["repeat"], r[column]))
        rows = [{column: r[column], "n": r["repeat"]} for r in summed[:limit]]
    else:
        # Per site, the facts, read through the index of repeats only (fact_repeat covers the query).
        qs = EventFact.objects.filter(reach.fact_q(), repeat=1, reported_on__gte=f.start, reported_on__lte=f.end,
                                      **f.dimension_filters())
        rows = list(qs.order_by().values(column).annotate(n=Count("*")).order_by("-n", column)[:limit])
    from parcelwatch.registry.models import Site

    names = _names(Site if by == "site" else Enterprise, [r[column] for r in rows])
    out = []
    for r in rows:
        params = {"site": r[column]} if by == "site" else {"enterprise": r[column]}
        out.append({"id": r[column], "label": names.get(r[column], "—"), "n": r["n"],
                    "url": drill(replace(f, list_params={**f.list_params, **{k: str(v) for k, v in params.items()}}),
                                 flag="repeat")})
    return out


def case_params(f: StatsFilter) -> dict:
    """The case list's filters for the cases filed in the statistics' period and selection."""
    keep = ("district", "category", "brand", "enterprise")
    return {"filed_from": f.start.isoformat(), "filed_to": f.end.isoformat(),
            **{k: str(v) for k, v in f.list_params.items() if k in keep}}


def cases_and_fines(user: User, f: StatsFilter) -> dict:
    """Enforcement cases filed in the period (by filing date) and the fines decided in them: the same
    count as the case list with `case_params`."""
    from django.urls import reverse

    from parcelwatch.enforcement.models import EnforcementCase
    from parcelwatch.enforcement.selectors import case_filters, cases_visible_to, filter_cases

    params = case_params(f)
    url = reverse("enforcement:list") + "?" + urlencode(params)
    if f.empty:
        return {"cases": 0, "fines_total": 0, "penalised": 0, "cases_url": url}
    qs = filter_cases(cases_visible_to(user), **case_filters(params))
    agg = qs.order_by().aggregate(n=Count("pk"), fines=Sum("fine_amount", filter=Q(
        state__in=EnforcementCase.PENALISED)), penalised=Count("pk", filter=Q(state__in=EnforcementCase.PENALISED)))
    return {"cases": agg["n"] or 0, "fines_total": agg["fines"] or 0, "penalised": agg["penalised"] or 0,
            "cases_url": url}


def summary(user: User, f: StatsFilter, *, today: date | None = None) -> dict:
    reach = reach_of(user)
    row = with_rates(aggregate(reach, f, today=today)[0])
    return {**row, **cases_and_fines(user, f)}


def list_flag_ok(name: str) -> bool:
    return name in LIST_FLAGS
