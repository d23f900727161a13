"""Event pages. Thin: read through selectors, write through services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import CASES_VIEW, EVENTS_REPORT, EVENTS_VIEW
from parcelwatch.accounts.selectors import districts_visible_to, home_city
from parcelwatch.collaboration.selectors import sharing_panel
from parcelwatch.documents.selectors import documents_of
from parcelwatch.enforcement.selectors import case_todo_for
from parcelwatch.evidence.attachments import store_attachment, store_uploads
from parcelwatch.evidence.timeline import labelled_entries
from parcelwatch.lib.forms import form_errors_text, posted, posted_files
from parcelwatch.lib.geo import clean_point
from parcelwatch.lib.pagination import CappedPaginator, page_rows
from parcelwatch.lib.text import clean_text, is_ascii_digits
from parcelwatch.notifications.services import mark_read_for_url
from parcelwatch.registry.models import Brand
from parcelwatch.registry.selectors import enterprises_visible_to, get_site_for_user
from parcelwatch.workdays.services import add_working_days

from . import services
from .forms import MAX_PHOTOS, ActionForm, ReportForm
from .models import Event, EventCategory
from .selectors import (
    available_transitions,
    due_soon,
    event_filters,
    events_visible_to,
    filter_events,
    get_event_for_user,
    listed_events,
    nearby_sites,
    reports_of,
    todo_for,
)
from .workflow import ACTION_LABELS, next_step, requires_evidence


def _require(request: HttpRequest, perm: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    _require(request, EVENTS_VIEW)
    filters = event_filters(request.GET)
    qs = listed_events(request.user, filters).order_by("-reported_at", "-pk")
    page = CappedPaginator(qs, 25).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "events/event_list.html", {
        "page": page, "filters": filters, "querystring": params.urlencode(), "today": timezone.localdate(),
        "states": Event.State.choices, "districts": districts_visible_to(request.user),
        "categories": EventCategory.objects.all(), "can_report": has_permission(request.user, EVENTS_REPORT),
        "years": range(timezone.localdate().year, 2017, -1),
        "brands": Brand.objects.order_by("code"),
        "enterprises": list(enterprises_visible_to(request.user).order_by("name").values_list("pk", "name")[:500]),
        "narrowed": _narrowed_by(filters, request.user),
    })


def _narrowed_by(filters: dict, user) -> list[tuple[str, str, str]]:
    """Filters a statistics figure or a home-page count added, which the form has no field for:
    (key, value, what it means), kept as hidden fields and shown as a note above the list."""
    from parcelwatch.accounts.models import User
    from parcelwatch.analytics.views import FLAG_LABELS

    out = []
    if filters.get("reporter") is not None:
        # Named only if the viewer sees something they reported: an id alone must not reveal who has an account.
        who = None
        if events_visible_to(user).filter(reported_by_id=filters["reporter"]).exists():
            who = User.objects.filter(pk=filters["reporter"]).values_list("full_name", "username").first()
        out.append(("reporter", str(filters["reporter"]), _("Reported by %(name)s") % {
            "name": (who[0] or who[1]) if who else "—"}))
    if filters.get("source") in Event.Source.values:
        out.append(("source", filters["source"], str(Event.Source(filters["source"]).label)))
    if filters.get("level") in Event.Level.values:
        out.append(("level", filters["level"], _("Handled at: %(level)s") % {
            "level": Event.Level(filters["level"]).label}))
    if filters.get("flag"):
        out.append(("flag", filters["flag"], str(FLAG_LABELS.get(filters["flag"], filters["flag"]))))
    for key, label in (("escalated_from", _("Escalated on or after %(day)s")),
                       ("escalated_to", _("Escalated on or before %(day)s")),
                       ("closed_from", _("Closed on or after %(day)s")), ("closed_to", _("Closed on or before %(day)s"))):
        if filters.get(key):
            out.append((key, filters[key].isoformat(), label % {"day": filters[key].isoformat()}))
    if filters.get("due_soon"):
        out.append(("due_soon", "1", _("Deadline within the next two days")))
    if filters.get("unacknowledged"):
        out.append(("unacknowledged", "1", _("Letter not yet acknowledged")))
    if filters.get("closure_level") in Event.Level.values:
        out.append(("closure_level", filters["closure_level"], _("Closed at: %(level)s") % {
            "level": Event.Level(filters["closure_level"]).label}))
    if filters.get("site") is not None:
        out.append(("site", str(filters["site"]), _("One site")))
    if filters.get("scope") == "stats":
        out.append(("scope", "stats", _("As counted in your statistics")))
    return out


@login_required
def todo(request: HttpRequest) -> HttpResponse:
    """What waits for this user: event steps (paginated) and case steps, with overdue and due-soon work."""
    _require(request, EVENTS_VIEW)
    today = timezone.localdate()
    tasks = todo_for(request.user, today)
    visible = events_visible_to(request.user)
    page = CappedPaginator(tasks, 25).get_page(request.GET.get("page"))
    # The same set as the event list's "overdue" filter, which the count links to.
    overdue = filter_events(visible, overdue=True, today=today).order_by("deadline", "pk")
    open_counts = dict(visible.filter(state__in=Event.OPEN_STATES).order_by().values_list("state")
                       .annotate(n=Count("pk")))
    cases = case_todo_for(request.user, today) if has_permission(request.user, CASES_VIEW) else None
    return render(request, "events/todo.html", {
        "page": page,
        "querystring": "",
        # Short lists read as ids first (page_rows): their joins never steer the database into a full sort.
        "overdue": page_rows(overdue, 0, 20),
        "overdue_count": overdue.count(),
        "due_soon": page_rows(due_soon(visible, today).order_by("deadline", "pk"), 0, 20),
        "by_state": [(value, label, open_counts.get(value, 0)) for value, label in Event.State.choices
                     if value in Event.OPEN_STATES],
        "cases": list(cases[:50]) if cases is not None else [],
        "case_count": cases.count() if cases is not None else 0,
        "today": today,
        "mine": page_rows(reports_of(request.user).order_by("-reported_at", "-pk"), 0, 20)
        if has_permission(request.user, EVENTS_REPORT) else [],
    })


def _kept_photos(request: HttpRequest, form: ReportForm) -> list:
    """Photos received with an earlier submission of this report (the user's own, not yet used)."""
    from parcelwatch.evidence.models import Attachment

    ids = form.kept_photo_ids()
    if not ids:
        return []
    return list(Attachment.objects.filter(pk__in=ids, uploaded_by=request.user, kind=Attachment.Kind.IMAGE,
                                          timeline_entries__isnull=True).order_by("pk"))


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Report from the phone. Photos are stored as soon as they arrive: a refused submission keeps them."""
    _require(request, EVENTS_REPORT)
    initial_site = None
    site_id = request.POST.get("site") or request.GET.get("site")
    if site_id:
        try:
            initial_site = get_site_for_user(request.user, site_id, need=EVENTS_REPORT)
        except (Http404, PermissionDenied):
            initial_site = None  # a bad or foreign site id just means "no site chosen"
    form = ReportForm(posted(request), posted_files(request),
                      initial={"site": initial_site.pk if initial_site else None})
    photos: list = []
    if request.method == "POST":
        photos = _kept_photos(request, form)
        valid = form.is_valid()
        for upload in request.FILES.getlist("photos")[: MAX_PHOTOS - len(photos)]:
            try:
                photos.append(store_attachment(upload, name=upload.name, actor=request.user))
            except ValidationError as exc:
                form.add_error("photos", exc.messages)
                valid = False
        if not photos and "photos" not in form.errors:
            form.add_error("photos", _("Take at least one photo of the problem."))
            valid = False
        if valid:
            try:
                site = get_site_for_user(request.user, form.cleaned_data["site"], need=EVENTS_REPORT)
                event = services.report_event(
                    actor=request.user, site=site, category=form.cleaned_data["category"],
                    description=form.cleaned_data["description"], photos=photos,
                    lng=form.cleaned_data.get("lng") or None, lat=form.cleaned_data.get("lat") or None,
                )
            except (Http404, PermissionDenied):
                form.add_error(None, _("Choose a site in your grid."))
            except services.TransitionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Event %(number)s reported. %(next)s")
                                 % {"number": event.number, "next": next_step(event)})
                return redirect("events:detail", pk=event.pk)
    city = home_city(request.user)
    return render(request, "events/report.html", {
        "form": form, "initial_site": initial_site, "photos": photos,
        "report_config": {
            "sitesUrl": reverse("events:report_sites"), "bounds": city.bounds if city else None,
            "maxFileBytes": settings.EVIDENCE_MAX_BYTES, "maxPhotos": MAX_PHOTOS,
            "messages": {
                "noSite": _("No site found."), "located": _("Location captured"),
                "noLocation": _("Location not available; the site position will be used."),
                "outside": _("Your position is outside the city; the site position will be used."),
                "chooseSite": _("Choose the site."), "needPhoto": _("Take at least one photo of the problem."),
                "tooLarge": _("This photo is larger than %(mb)d MB.") % {"mb": settings.EVIDENCE_MAX_BYTES // 2**20},
                "needText": _("Describe what you found."), "needCategory": _("Choose the problem category."),
            },
        },
    })


@login_required
def report_sites(request: HttpRequest) -> JsonResponse:
    """Sites the user may report on: by name, or nearest to a GPS position. Bad positions are a 422."""
    _require(request, EVENTS_REPORT)
    lng = lat = None
    if request.GET.get("lng") or request.GET.get("lat"):
        city = home_city(request.user)
        try:
            lng, lat = clean_point(request.GET.get("lng"), request.GET.get("lat"),
                                   bounds=city.bounds if city else None, place=city.name if city else "")
        except ValidationError as exc:
            return JsonResponse({"detail": exc.messages[0]}, status=422)
    q = clean_text(request.GET.get("q", ""), multiline=False)[:100]
    return JsonResponse({"sites": nearby_sites(request.user, q=q, lng=lng, lat=lat)})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    mark_read_for_url(request.user, reverse("events:detail", args=[event.pk]))
    transitions = available_transitions(event, request.user)
    entries = labelled_entries(event, action_labels=ACTION_LABELS, state_labels=dict(Event.State.choices))
    gallery = [a for e in entries for a in e.attachments.all() if a.kind == "image"]
    today = timezone.localdate()
    city = home_city(request.user)
    return render(request, "events/event_detail.html", {
        "event": event,
        "next_step": next_step(event),
        "actions": [(t, requires_evidence(t, event)) for t in transitions],
        "entries": entries,
        "documents": documents_of(event, entries),
        "gallery": list({a.pk: a for a in gallery}.values()),
        "cases": event.cases.all(),
        **_rewards(request.user, event),
        **sharing_panel(request.user, event=event),
        "merge_candidates": events_visible_to(request.user).filter(
            site=event.site, category=event.category, state__in=Event.OPEN_STATES).exclude(pk=event.pk)
        if event.state == Event.State.REPORTED else [],
        "today": today,
        "default_due": add_working_days(today, event.category.rectification_days)
        if any(t.sets_deadline for t in transitions) else None,
        "map_config": {
            "mapName": city.map_name if city else "",
            "point": [float(event.lng or event.site.lng or 0), float(event.lat or event.site.lat or 0)],
        },
        "city": city,
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
        event = services.perform(
            event, data["action"], actor=request.user, note=data["note"], attachments=attachments,
            deadline_days=data.get("deadline_days"), expected_version=data.get("version"), duplicate_of=duplicate,
            site_changes=site_changes,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except services.TransitionError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(action)s. %(next)s") % {
            "action": ACTION_LABELS.get(data["action"], data["action"]), "next": next_step(event)})
    return redirect("events:detail", pk=event.pk)


@login_required
def due_date(request: HttpRequest) -> JsonResponse:
    """The calendar date N working days from today (holidays and make-up days counted), for deadline forms."""
    _require(request, EVENTS_VIEW)
    raw = request.GET.get("days", "")
    if not is_ascii_digits(raw) or not 1 <= int(raw) <= 60:
        return JsonResponse({"detail": _("The rectification period must be 1 to 60 working days.")}, status=422)
    due = add_working_days(timezone.localdate(), int(raw))
    return JsonResponse({"days": int(raw), "date": due.isoformat(), "weekday": _weekday(due)})


def _weekday(day) -> str:
    return str([_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
                _("Sunday")][day.weekday()])


def _rewards(user, event: Event) -> dict:
    """The rewards for this event's report, and whether this user may propose the grid worker's."""
    from parcelwatch.accounts.permissions import REWARDS_PROPOSE, REWARDS_VIEW
    from parcelwatch.tipoffs.models import Reward

    from .selectors import can_on_event

    if not has_permission(user, REWARDS_VIEW):
        return {"rewards": [], "reward_proposable": False}
    rewards = list(Reward.objects.filter(event=event).select_related("rule_set"))
    proposable = (event.source == Event.Source.GRID and not rewards
                  and event.state not in (Event.State.REPORTED, Event.State.REJECTED, Event.State.MERGED)
                  and can_on_event(user, REWARDS_PROPOSE, event))
    return {"rewards": rewards, "reward_proposable": proposable}
