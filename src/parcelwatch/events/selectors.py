"""Scoped reads of events. Views and the API read only through these."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from parcelwatch.accounts.access import Scope, get_object_for_user, scoped, user_can
from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.permissions import EVENTS_VIEW
from parcelwatch.lib import params as p
from parcelwatch.registry.models import Brand

from .models import Event, EventCategory
from .workflow import TRANSITIONS, Transition

EVENT_SCOPE = Scope(path_field="jurisdiction__path", enterprise_field="site__enterprise_id",
                    ids=(("jurisdiction__path", "district_id", "jurisdiction_id"),))


_RELATED = ("site__enterprise", "category", "district", "jurisdiction", "reported_by")


def events_visible_to(user: User, perm: str = EVENTS_VIEW) -> QuerySet[Event]:
    """Events in the user's jurisdiction (lists, counts, exports): an indexed filter on the event's own ids."""
    return scoped(Event.objects.all(), user, perm, EVENT_SCOPE).select_related(*_RELATED)


def reports_of(user: User) -> QuerySet[Event]:
    """What the user reported, wherever they work now ("my reports")."""
    return Event.objects.filter(reported_by=user).select_related(*_RELATED)


def event_ids_visible_to(user: User, ids) -> set[int]:
    """Of these events, those the user may open: in the jurisdiction, or reported by them (one small query)."""
    ids = list(ids)
    if not ids or not user.is_authenticated:
        return set()
    return set(scoped(Event.objects.filter(pk__in=ids), user, EVENTS_VIEW, EVENT_SCOPE).values_list("pk", flat=True)) | set(
        Event.objects.filter(pk__in=ids, reported_by=user).values_list("pk", flat=True))


def get_event_for_user(user: User, pk: object, need: str = EVENTS_VIEW) -> Event:
    """The event, if in the user's jurisdiction, or reported by them (a grid worker who moved keeps their reports)."""
    visible = events_visible_to(user) | reports_of(user) if user.is_authenticated else events_visible_to(user)
    return get_object_for_user(visible, user, pk, scope=EVENT_SCOPE, view=EVENTS_VIEW, need=need)


def can_on_event(user: User, perm: str, event: Event) -> bool:
    return user_can(user, perm, event, scope=EVENT_SCOPE)


def available_transitions(event: Event, user: User) -> list[Transition]:
    """The actions this user may take on this event now: exactly the buttons they see."""
    result = []
    granted: dict[str, bool] = {}
    for t in TRANSITIONS.values():
        if t.permission is None or event.state not in t.sources:
            continue
        if t.action == "acknowledge" and event.acknowledged_at:
            continue
        if t.action == "submit_rectification" and event.state == Event.State.UNDER_ENFORCEMENT and event.rectified_at:
            continue
        if t.permission not in granted:
            granted[t.permission] = can_on_event(user, t.permission, event)
        if granted[t.permission]:
            result.append(t)
    return result


def event_filters(params: Mapping) -> dict:
    """The event list's filters from a query string (pages and exports read the same keys)."""

    return {
        "state": p.text(params, "state", 32), "district": p.text(params, "district", 32),
        "category": p.text(params, "category", 8), "q": p.text(params, "q"), "overdue": p.flag(params, "overdue"),
        "year": p.year(params), "site": _id_filter(params, "site"),
        "brand": p.text(params, "brand", 32),
        "enterprise": _id_filter(params, "enterprise"),
        "closure_level": p.text(params, "closure_level", 8),
        "reported_from": p.day(params, "reported_from"), "reported_to": p.day(params, "reported_to"),
        "closed_from": p.day(params, "closed_from"), "closed_to": p.day(params, "closed_to"),
        "reporter": _id_filter(params, "reporter"),
        "scope": p.text(params, "scope", 8),
        "source": p.text(params, "source", 16), "level": p.text(params, "level", 8),
        "flag": p.text(params, "flag", 32),
        "escalated_from": p.day(params, "escalated_from"), "escalated_to": p.day(params, "escalated_to"),
        "due_soon": p.flag(params, "due_soon"), "unacknowledged": p.flag(params, "unacknowledged"),
    }


def _id_filter(params: Mapping, key: str) -> int | None:
    """An id to filter by: None when not asked for, 0 (which names nothing) when the value is junk."""
    from parcelwatch.accounts.access import valid_pk

    raw = params.get(key)
    if raw in (None, ""):
        return None
    return valid_pk(raw) or 0


SEARCH_SITE_IDS = 5000
# "Due soon": a rectification deadline today or within this many calendar days.
DUE_SOON_DAYS = 2


def _search_q(q: str, *, bounded: bool) -> Q:
    """Quick search: an event number (or its beginning), a site's name or address; the description too when
    the search is narrowed to a period (reading every description ever written does not scale)."""
    from parcelwatch.registry.models import Site

    upper = q.upper()
    match = Q(number__gte=upper, number__lt=upper + "\uffff")  # a prefix, by the number's unique index
    # The matching sites as a list of ids, so that both halves of the OR are index lookups (a subquery
    # there makes PostgreSQL read every event); a search broad enough to match more sites stays a subquery.
    sites = Site.objects.filter(Q(name__icontains=q) | Q(address__icontains=q)).values_list("pk", flat=True)
    site_ids = list(sites[:SEARCH_SITE_IDS + 1])
    match |= Q(site_id__in=site_ids if len(site_ids) <= SEARCH_SITE_IDS else sites)
    if bounded:
        match |= Q(description__icontains=q)
    return match


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_events(
    qs: QuerySet[Event],
    *,
    state: str = "",
    district: str = "",
    category: str = "",
    overdue: bool | None = None,
    q: str = "",
    year: int | None = None,
    site: int | None = None,
    brand: str = "",
    enterprise: int | None = None,
    closure_level: str = "",
    reported_from: date | None = None,
    reported_to: date | None = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
    reporter: int | None = None,
    source: str = "",
    level: str = "",
    flag: str = "",
    escalated_from: date | None = None,
    escalated_to: date | None = None,
    due_soon: bool | None = None,
    unacknowledged: bool | None = None,
    today: date | None = None,
) -> QuerySet[Event]:
    """Dates are local (Asia/Shanghai) days, both ends included.

    Brand and enterprise are those the event counted for when it was reported (as in the statistics);
    `flag` narrows to the events one statistics figure counts (analytics.measures.LIST_FLAGS)."""
    from parcelwatch.analytics.measures import LIST_FLAGS

    today = today or timezone.localdate()
    if state == "open":
        qs = qs.filter(state__in=Event.OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    # Codes become ids first, so the filters use the event's own indexed columns instead of joins.
    district_ids = list(Jurisdiction.objects.filter(code=district).values_list("pk", flat=True)) if district else None
    if district_ids is not None:
        qs = qs.filter(district_id__in=district_ids)
    if category:
        qs = qs.filter(category_id__in=list(EventCategory.objects.filter(code=category).values_list("pk", flat=True)))
    if overdue is True:
        qs = qs.filter(state=Event.State.RECTIFYING, deadline__lt=today)
    elif overdue is False:
        qs = qs.exclude(state=Event.State.RECTIFYING, deadline__lt=today)
    if q:
        qs = qs.filter(_search_q(q, bounded=bool(year or reported_from or reported_to or closed_from or closed_to)))
    if year:
        qs = qs.filter(reported_at__gte=_start(date(year, 1, 1)), reported_at__lt=_start(date(year + 1, 1, 1)))
    if site is not None:
        qs = qs.filter(site_id=site)
    # Filters on the statistics facts select event ids from the facts (narrowed to the same days), which the
    # events' primary key then answers: no probe of the facts for every event of the period.
    facts: dict = {}
    if brand:
        facts["brand_id__in"] = list(Brand.objects.filter(code=brand).values_list("pk", flat=True))
    if enterprise is not None:
        facts["enterprise_id"] = enterprise
    if reporter is not None:
        qs = qs.filter(reported_by_id=reporter)
    if source:
        qs = qs.filter(source=source)
    if level:
        qs = qs.filter(handled_level=level)
    if flag:
        if flag not in LIST_FLAGS:
            return qs.none()
        facts[f"{flag}__gt"] = 0
    if facts:
        from parcelwatch.analytics.models import EventFact

        if district_ids is not None:
            # The facts carry the event's district too: the facts' district index then narrows the ids.
            facts["district_id__in"] = district_ids
        if reported_from:
            facts["reported_on__gte"] = reported_from
        if reported_to:
            facts["reported_on__lte"] = reported_to
        if year:
            facts["reported_on__gte"] = max(facts.get("reported_on__gte", date(year, 1, 1)), date(year, 1, 1))
            facts["reported_on__lte"] = min(facts.get("reported_on__lte", date(year, 12, 31)), date(year, 12, 31))
        qs = qs.filter(pk__in=EventFact.objects.filter(**facts).values("event_id"))
    if escalated_from:
        qs = qs.filter(escalated_at__gte=_start(escalated_from))
    if escalated_to:
        qs = qs.filter(escalated_at__lt=_start(escalated_to + timedelta(days=1)))
    if due_soon:
        qs = qs.filter(state=Event.State.RECTIFYING, deadline__gte=today, deadline__lte=today + timedelta(days=DUE_SOON_DAYS))
    if unacknowledged:
        qs = qs.filter(state=Event.State.RECTIFYING, acknowledged_at__isnull=True)
    if closure_level:
        qs = qs.filter(closure_level=closure_level)
    if reported_from:
        qs = qs.filter(reported_at__gte=_start(reported_from))
    if reported_to:
        qs = qs.filter(reported_at__lt=_start(reported_to + timedelta(days=1)))
    if closed_from:
        qs = qs.filter(closed_at__gte=_start(closed_from))
    if closed_to:
        qs = qs.filter(closed_at__lt=_start(closed_to + timedelta(days=1)))
    return qs


def listed_events(user: User, filters: dict) -> QuerySet[Event]:
    """The event list (page, API, export, map) for these filters. `scope=stats` narrows it to what the user's
    statistics count (the reach of their statistics role), so that a figure and the list it opens agree even for
    someone who also sees other events through another role."""
    filters = dict(filters)
    qs = events_visible_to(user)
    if filters.pop("scope", "") == "stats":
        from parcelwatch.accounts.access import has_permission
        from parcelwatch.accounts.permissions import STATS_VIEW
        from parcelwatch.analytics.selectors import reach_of

        # The statistics role's reach; for those without one (an enterprise's own record), their events' reach.
        qs = qs.filter(reach_of(user, STATS_VIEW if has_permission(user, STATS_VIEW) else EVENTS_VIEW).event_q())
    return filter_events(qs, **filters)


def todo_for(user: User, today: date | None = None) -> QuerySet[Event]:
    """Events waiting for this user's action (待办)."""
    today = today or timezone.localdate()
    perms_states = {
        "events.district": [Event.State.REPORTED, Event.State.ACCEPTED, Event.State.RECTIFICATION_SUBMITTED],
        "events.city": [Event.State.ESCALATED],
        "events.enterprise": [Event.State.RECTIFYING, Event.State.UNDER_ENFORCEMENT],
        "events.confirm": [Event.State.AWAITING_CONFIRMATION],
    }
    qs = Event.objects.none()
    for perm, states in perms_states.items():
        part = scoped(Event.objects.filter(state__in=states), user, perm, EVENT_SCOPE)
        if perm == "events.enterprise":
            part = part.exclude(state=Event.State.UNDER_ENFORCEMENT, rectified_at__isnull=False)
        qs = qs | part
    # District officers also watch letters running in their district (to escalate by hand if needed).
    qs = qs | scoped(Event.objects.filter(state=Event.State.RECTIFYING, deadline__lt=today), user,
                     "events.district", EVENT_SCOPE)
    return qs.select_related("site__enterprise", "category", "district").order_by("deadline", "reported_at")


def due_soon(qs: QuerySet[Event], today: date | None = None) -> QuerySet[Event]:
    """Letters whose deadline falls in the next days (the event list's `due_soon` filter)."""
    return filter_events(qs, due_soon=True, today=today)



def _distance_km(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    rad = math.radians
    dlat, dlng = rad(lat2 - lat1), rad(lng2 - lng1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rad(lat1)) * math.cos(rad(lat2)) * math.sin(dlng / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def nearby_sites(user, *, q: str = "", lng=None, lat=None, limit: int = 15) -> list[dict]:
    """Sites the user may report on, by name/address and nearest to a position (already checked)."""
    from parcelwatch.accounts.permissions import EVENTS_REPORT
    from parcelwatch.registry.selectors import sites_visible_to

    qs = sites_visible_to(user, EVENTS_REPORT)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if lng is not None:
        # Nearest first: a box around the position keeps the candidates few whatever the registry's size.
        box = Decimal("0.05")
        near = list(qs.filter(lng__range=(lng - box, lng + box), lat__range=(lat - box, lat + box))
                    .values("pk", "name", "address", "lng", "lat")[:500])
        rows = near if near or q else []
        if not rows:
            rows = list(qs.values("pk", "name", "address", "lng", "lat")[:500])
    else:
        rows = list(qs.order_by("name").values("pk", "name", "address", "lng", "lat")[:limit])
    for r in rows:
        r["distance_km"] = (round(_distance_km(float(lng), float(lat), float(r["lng"]), float(r["lat"])), 2)
                            if lng is not None and r["lng"] is not None else None)
    if lng is not None:
        rows.sort(key=lambda r: (r["distance_km"] is None, r["distance_km"] or 0))
    return [{"id": r["pk"], "name": r["name"], "address": r["address"], "distance_km": r["distance_km"]}
            for r in rows[:limit]]


