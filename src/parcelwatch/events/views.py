"""Event pages. Thin: read through selectors, write through services."""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import EVENTS_REPORT, EVENTS_VIEW
from parcelwatch.accounts.selectors import districts_visible_to, home_city
from parcelwatch.documents.models import OfficialDocument
from parcelwatch.evidence.attachments import store_uploads
from parcelwatch.evidence.timeline import labelled_entries
from parcelwatch.lib.forms import add_service_errors, form_errors_text
from parcelwatch.registry.selectors import get_site_for_user, sites_visible_to

from . import services
from .forms import ActionForm, ReportForm
from .models import Event, EventCategory
from .selectors import (
    available_transitions,
    due_soon,
    event_filters,
    events_visible_to,
    filter_events,
    get_event_for_user,
    todo_for,
)
from .workflow import ACTION_LABELS, requires_evidence


def _require(request: HttpRequest, perm: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    _require(request, EVENTS_VIEW)
    filters = event_filters(request.GET)
    qs = filter_events(events_visible_to(request.user), **filters).order_by("-reported_at", "-pk")
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "events/event_list.html", {
        "page": page, "filters": filters, "querystring": params.urlencode(), "today": timezone.localdate(),
        "states": Event.State.choices, "districts": districts_visible_to(request.user),
        "categories": EventCategory.objects.all(), "can_report": has_permission(request.user, EVENTS_REPORT),
    })


@login_required
def todo(request: HttpRequest) -> HttpResponse:
    _require(request, EVENTS_VIEW)
    today = timezone.localdate()
    tasks = list(todo_for(request.user, today))
    visible = events_visible_to(request.user)
    by_state = dict(visible.order_by().values_list("state").annotate(n=Count("pk")))
    return render(request, "events/todo.html", {
        "tasks": tasks,
        "overdue": [e for e in tasks if e.is_overdue(today)],
        "due_soon": list(due_soon(visible, today).order_by("deadline")[:50]),
        "by_state": [(value, label, by_state.get(value, 0)) for value, label in Event.State.choices],
        "today": today,
        "mine": visible.filter(reported_by=request.user).order_by("-reported_at")[:20]
        if has_permission(request.user, EVENTS_REPORT) else [],
    })


@login_required
def report(request: HttpRequest) -> HttpResponse:
    _require(request, EVENTS_REPORT)
    initial_site = None
    site_id = request.POST.get("site") or request.GET.get("site")
    if site_id:
        try:
            initial_site = get_site_for_user(request.user, site_id)
        except Http404:
            initial_site = None  # a bad or foreign site id just means "no site chosen"
    form = ReportForm(request.POST or None, request.FILES or None, initial={"site": initial_site.pk if initial_site else None})
    if request.method == "POST" and form.is_valid():
        try:
            site = get_site_for_user(request.user, form.cleaned_data["site"])
            photos = store_uploads(form.cleaned_data["photos"], actor=request.user)
            event = services.report_event(
                actor=request.user, site=site, category=form.cleaned_data["category"],
                description=form.cleaned_data["description"], photos=photos,
                lng=form.cleaned_data.get("lng"), lat=form.cleaned_data.get("lat"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except services.TransitionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Event %(number)s reported. The district safety centre has been notified.")
                             % {"number": event.number})
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/report.html", {"form": form, "initial_site": initial_site})


def _distance_km(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    rad = math.radians
    dlat, dlng = rad(lat2 - lat1), rad(lng2 - lng1)
    a = math.sin(dlat / 2) ** 2 + math.cos(rad(lat1)) * math.cos(rad(lat2)) * math.sin(dlng / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


@login_required
def report_sites(request: HttpRequest) -> JsonResponse:
    """Sites the user may report on: by name, or nearest to a GPS position."""
    _require(request, EVENTS_REPORT)
    qs = sites_visible_to(request.user, EVENTS_REPORT)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(address__icontains=q)
    rows = list(qs.values("pk", "name", "address", "lng", "lat")[:2000])
    try:
        lng, lat = float(request.GET["lng"]), float(request.GET["lat"])
    except (KeyError, ValueError):
        lng = lat = None
    for r in rows:
        r["distance_km"] = (round(_distance_km(lng, lat, float(r["lng"]), float(r["lat"])), 2)
                            if lng is not None and r["lng"] is not None else None)
    if lng is not None:
        rows.sort(key=lambda r: (r["distance_km"] is None, r["distance_km"] or 0))
    else:
        rows.sort(key=lambda r: r["name"])
    return JsonResponse({"sites": [{"id": r["pk"], "name": r["name"], "address": r["address"],
                                    "distance_km": r["distance_km"]} for r in rows[:15]]})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    transitions = available_transitions(event, request.user)
    entries = labelled_entries(event, action_labels=ACTION_LABELS, state_labels=dict(Event.State.choices))
    documents = OfficialDocument.objects.filter(subject_type="event", subject_id=event.pk).select_related("attachment")
    gallery = [a for e in entries for a in e.attachments.all() if a.kind == "image"]
    return render(request, "events/event_detail.html", {
        "event": event,
        "actions": [(t, requires_evidence(t, event)) for t in transitions],
        "entries": entries,
        "documents": documents,
        "gallery": list({a.pk: a for a in gallery}.values()),
        "cases": event.cases.all(),
        "merge_candidates": events_visible_to(request.user).filter(
            site=event.site, category=event.category, state__in=Event.OPEN_STATES).exclude(pk=event.pk)
        if event.state == Event.State.REPORTED else [],
        "today": timezone.localdate(),
        "city": home_city(request.user),
        "point": [float(event.lng or event.site.lng or 0), float(event.lat or event.site.lat or 0)],
    })


@login_required
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    form = ActionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("events:detail", pk=event.pk)
    data = form.cleaned_data
    duplicate = None
    if data["action"] == "merge" and data["duplicate_of"]:
        duplicate = events_visible_to(request.user).filter(number=data["duplicate_of"].strip()).first()
    site_changes = {"address": data["new_address"].strip()} if data.get("new_address", "").strip() else None
    try:
        attachments = store_uploads(data["attachments"], actor=request.user)
        services.perform(
            event, data["action"], actor=request.user, note=data["note"], attachments=attachments,
            deadline_days=data.get("deadline_days"), expected_version=data.get("version"), duplicate_of=duplicate,
            site_changes=site_changes,
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    except services.TransitionError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS.get(data["action"], data["action"])})
    return redirect("events:detail", pk=event.pk)


