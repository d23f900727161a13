"""Scoped reads of events. Views and the API read only through these."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from parcelwatch.accounts.access import Scope, get_object_for_user, scoped, user_can
from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import EVENTS_VIEW
from parcelwatch.lib import params as p

from .models import Event
from .workflow import TRANSITIONS, Transition

EVENT_SCOPE = Scope(path_field="jurisdiction__path", enterprise_field="site__enterprise_id",
                    ids=(("jurisdiction__path", "district_id", "jurisdiction_id"),))


def events_visible_to(user: User, perm: str = EVENTS_VIEW) -> QuerySet[Event]:
    qs = scoped(Event.objects.all(), user, perm, EVENT_SCOPE)
    if perm == EVENTS_VIEW and user.is_authenticated:
        # A grid worker always sees what they reported.
        qs = qs | Event.objects.filter(reported_by=user)
    return qs.select_related("site__enterprise", "category", "district", "jurisdiction", "reported_by")


def get_event_for_user(user: User, pk: object, need: str = EVENTS_VIEW) -> Event:
    return get_object_for_user(
        events_visible_to(user), user, pk, scope=EVENT_SCOPE, view=EVENTS_VIEW, need=need
    )


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
    from parcelwatch.accounts.access import valid_pk

    return {
        "state": p.text(params, "state", 32), "district": p.text(params, "district", 32),
        "category": p.text(params, "category", 8), "q": p.text(params, "q"), "overdue": p.flag(params, "overdue"),
        "year": p.year(params), "site": valid_pk(params.get("site")) if params.get("site") else None,
        "brand": p.text(params, "brand", 32),
        "enterprise": valid_pk(params.get("enterprise")) if params.get("enterprise") else None,
        "closure_level": p.text(params, "closure_level", 8),
        "reported_from": p.day(params, "reported_from"), "reported_to": p.day(params, "reported_to"),
        "closed_from": p.day(params, "closed_from"), "closed_to": p.day(params, "closed_to"),
    }


def _search_q(q: str, *, bounded: bool) -> Q:
    """Quick search: an event number (or its beginning), a site's name or address; the description too when
    the search is narrowed to a period (reading every description ever written does not scale)."""
    from parcelwatch.registry.models import Site

    upper = q.upper()
    match = Q(number__gte=upper, number__lt=upper + "\uffff")  # a prefix, by the number's unique index
    sites = Site.objects.filter(Q(name__icontains=q) | Q(address__icontains=q)).values("pk")
    match |= Q(site_id__in=sites)
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
    today: date | None = None,
) -> QuerySet[Event]:
    """Dates are local (Asia/Shanghai) days, both ends included."""
    today = today or timezone.localdate()
    if state == "open":
        qs = qs.filter(state__in=Event.OPEN_STATES)
    elif state:
        qs = qs.filter(state=state)
    if district:
        qs = qs.filter(district__code=district)
    if category:
        qs = qs.filter(category__code=category)
    if overdue is True:
        qs = qs.filter(state=Event.State.RECTIFYING, deadline__lt=today)
    elif overdue is False:
        qs = qs.exclude(state=Event.State.RECTIFYING, deadline__lt=today)
    if q:
        qs = qs.filter(_search_q(q, bounded=bool(year or reported_from or reported_to or closed_from or closed_to)))
    if year:
        qs = qs.filter(reported_at__gte=_start(date(year, 1, 1)), reported_at__lt=_start(date(year + 1, 1, 1)))
    if site:
        qs = qs.filter(site_id=site)
    if brand:
        qs = qs.filter(site__brand__code=brand)
    if enterprise:
        qs = qs.filter(site__enterprise_id=enterprise)
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


def due_soon(qs: QuerySet[Event], today: date | None = None, days: int = 2) -> QuerySet[Event]:
    today = today or timezone.localdate()
    return qs.filter(state=Event.State.RECTIFYING, deadline__gte=today, deadline__lte=today + timedelta(days=days))

