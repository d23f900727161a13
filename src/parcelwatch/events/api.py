from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import EVENTS_REPORT, EVENTS_VIEW
from parcelwatch.analytics.measures import LIST_FLAGS
from parcelwatch.evidence.api import own_uploads_or_422
from parcelwatch.evidence.attachments import store_uploads
from parcelwatch.evidence.models import Attachment
from parcelwatch.evidence.schemas import TimelineOut
from parcelwatch.evidence.timeline import entries_as_json, entry_as_json
from parcelwatch.lib.apitypes import (
    Code,
    Coordinate,
    Description,
    FilterDay,
    Id,
    In,
    Line,
    MoneyOut,
    Note,
    Pagination,
    Search,
    Year,
)
from parcelwatch.lib.queries import PreparedSelect
from parcelwatch.lib.storage import flushed_before_exit
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import sites_visible_to

from . import services
from .models import Event, EventCategory
from .selectors import available_transitions, events_visible_to, get_event_for_user, listed_events, todo_for
from .workflow import TRANSITIONS, next_step, requires_evidence

router = Router(tags=["events"])
MAX_PHOTOS = 10



class EventOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    site_id: int
    site_name: str
    enterprise_name: str
    category: str
    category_name: str
    district_code: str
    description: str
    reported_by: str
    reported_at: datetime
    deadline: date | None
    overdue: bool
    handled_level: str
    closure_level: str
    rework_count: int
    version: int


class CaseLinkOut(Schema):
    id: int
    number: str | None
    state: str
    state_label: str


class EventDetailOut(EventOut):
    available_actions: list[str]
    next_step: str
    cases: list[CaseLinkOut]
    timeline: list[TimelineOut]


def _event(e: Event) -> dict:
    return {
        "id": e.pk, "number": e.number, "state": e.state, "state_label": str(e.get_state_display()),
        "site_id": e.site_id, "site_name": e.site.name, "enterprise_name": e.site.enterprise.name,
        "category": e.category.code, "category_name": e.category.name, "district_code": e.district.code,
        "description": e.description, "reported_by": e.reported_by.username, "reported_at": e.reported_at,
        "deadline": e.deadline, "overdue": e.is_overdue(), "handled_level": e.handled_level,
        "closure_level": e.closure_level, "rework_count": e.rework_count, "version": e.version,
    }


def _detail(e: Event, user, *, reported: list[Attachment] | None = None) -> dict:
    """The event in full. `reported`: the event was reported in this request with these photos, so its detail is
    what is in memory (no case yet; its one entry, the report)."""
    from parcelwatch.enforcement.selectors import cases_visible_to

    return {
        **_event(e),
        "available_actions": [t.action for t in available_transitions(e, user)],
        "next_step": next_step(e),
        "cases": [] if reported is not None else [
            {"id": c.pk, "number": c.number, "state": c.state, "state_label": str(c.get_state_display())}
            for c in cases_visible_to(user).filter(events=e).order_by("proposed_at")],
        "timeline": ([entry_as_json(e.report_entry, reported)] if reported is not None else entries_as_json(e)),
    }


class EventFilters(Schema):
    state: Code | None = None
    district: Code | None = None
    category: Code | None = None
    overdue: bool | None = None
    q: Search | None = None
    year: Year | None = Field(None, description="Year of report (local time).")
    site: Id | None = None
    brand: Code | None = None
    enterprise: Id | None = None
    closure_level: Literal["district", "city"] | None = None
    reported_from: FilterDay | None = Field(None, description="Reported on or after this local day.")
    reported_to: FilterDay | None = Field(None, description="Reported on or before this local day.")
    closed_from: FilterDay | None = None
    closed_to: FilterDay | None = None
    reporter: Id | None = Field(None, description="Reported by this user (id).")
    source: Literal["grid", "inspection"] | None = None
    level: Literal["district", "city"] | None = Field(None, description="The level handling (or that handled) it.")
    flag: Literal[LIST_FLAGS] | None = Field(  # type: ignore[valid-type]
        None, description="Only the events one statistics figure counts (see GET /stats/summary).")
    escalated_from: FilterDay | None = Field(None, description="Escalated to the city on or after this local day.")
    escalated_to: FilterDay | None = Field(None, description="Escalated to the city on or before this local day.")
    due_soon: bool | None = Field(None, description="Rectifying, with the deadline within the next two days.")
    unacknowledged: bool | None = Field(None, description="Rectifying, the reminder letter not yet acknowledged.")
    scope: Literal["stats", "all"] | None = Field(None, description="stats: only what the caller's statistics count "
                                                                    "(their statistics role's jurisdiction).")


class EventPagination(Pagination):
    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        result["items"] = [_event(e) for e in result["items"]]
        return result


def _require(request, perm):
    if not has_permission(request.user, perm):
        raise HttpError(403, "您没有执行此操作的权限。")


@router.get("/events", response=list[EventOut])
@paginate(EventPagination)
def list_events(request, filters: Query[EventFilters]):
    """Events in the user's jurisdiction. `state=open` lists every unfinished event."""
    _require(request, EVENTS_VIEW)
    if filters.state and filters.state != "open" and filters.state not in Event.State.values:
        raise HttpError(422, f"未知的状态：{filters.state}")
    f = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    return listed_events(request.user, f).order_by("-reported_at", "-pk")


class ReportIn(In):
    site: Id
    category: Code = Field(description="A category code from GET /categories.")
    description: Description
    lng: Coordinate | None = None
    lat: Coordinate | None = None


# Read by every report: compiled once.
_CATEGORY_BY_CODE = PreparedSelect(lambda code: EventCategory.objects.filter(code=code), str)


@router.post("/events", response={201: EventDetailOut})
def create_event(request, payload: Form[ReportIn], photos: File[list[UploadedFile]]):
    """Report an event (multipart): the site, the category code, a description and at least one photo."""
    _require(request, EVENTS_REPORT)
    unknown = sorted(set(request.POST) - set(ReportIn.model_fields))
    if unknown or set(request.FILES) - {"photos"}:
        raise HttpError(422, f"未知字段：{'、'.join(unknown or sorted(set(request.FILES) - {'photos'}))}")
    if len(photos) > MAX_PHOTOS:
        raise HttpError(422, f"最多上传 {MAX_PHOTOS} 张照片。")
    category_obj = _CATEGORY_BY_CODE.one(payload.category)
    if category_obj is None:
        raise HttpError(422, f"未知的事件类别：{payload.category}")
    try:
        # All or nothing: a refused report leaves no record of its photos (the client still has them). The photos
        # reach the disk while the report's SQL runs, and before it commits; a refused report's files not yet
        # flushed are dropped (one already on the disk stays, unnamed by any record).
        with transaction.atomic(), flushed_before_exit():
            stored = store_uploads(photos, actor=request.user)
            # The service reads the site again, locks it and authorises the report.
            event = services.report_event(actor=request.user, site=Site(pk=payload.site), category=category_obj,
                                          description=payload.description, photos=stored, lng=payload.lng,
                                          lat=payload.lat, savepoint=False)
    except DjangoValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from None
    except services.TransitionError as exc:
        if exc.code == "forbidden" and not sites_visible_to(request.user).filter(pk=payload.site).exists():
            raise HttpError(404, "未找到该网点。") from None  # outside the jurisdiction: as if it did not exist
        raise HttpError(exc.http_status, exc.message) from None
    return Status(201, _detail(event, request.user, reported=stored))


@router.get("/events/{event_id}", response=EventDetailOut)
def get_event(request, event_id: int):
    return _detail(get_event_for_user(request.user, event_id), request.user)


class TransitionIn(In):
    action: Code
    note: Note = ""
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    deadline_days: int | None = Field(None, ge=1, le=60)
    duplicate_of: Code | None = None
    new_address: Line | None = None
    attachment_ids: list[Id] = Field([], max_length=20)


@router.post("/events/{event_id}/transitions", response=EventDetailOut)
def transition_event(request, event_id: int, payload: TransitionIn):
    """Perform a workflow action. Evidence is uploaded first with POST /evidence and referred to by id."""
    event = get_event_for_user(request.user, event_id)
    attachments = own_uploads_or_422(request, payload.attachment_ids)
    duplicate = None
    if payload.duplicate_of:
        duplicate = events_visible_to(request.user).filter(number=payload.duplicate_of).first()
    try:
        services.perform(
            event, payload.action, actor=request.user, note=payload.note, attachments=attachments,
            deadline_days=payload.deadline_days, expected_version=payload.version, duplicate_of=duplicate,
            site_changes={"address": payload.new_address} if payload.new_address else None,
        )
    except services.TransitionError as exc:
        raise HttpError(exc.http_status, exc.message) from None
    return _detail(get_event_for_user(request.user, event_id), request.user)



# --- reference data and work queues ------------------------------------------------------------------------------


class CategoryOut(Schema):
    code: str
    name: str
    legal_basis: str
    penalty_range: str
    fine_min: MoneyOut | None
    fine_max: MoneyOut | None
    rectification_days: int
    evidence_required: list[str] = Field(description="Workflow actions that must carry evidence in this category.")
    allows_filing_change: bool
    active: bool


@router.get("/categories", response=list[CategoryOut])
def list_categories(request):
    """Event categories: the `category` codes POST /events accepts, with legal basis and fine range."""
    _require(request, EVENTS_VIEW)
    categories = list(EventCategory.objects.order_by("sort_order", "code"))
    for c in categories:
        c.evidence_required = [a for a, t in TRANSITIONS.items() if t.permission and requires_evidence(t, _Probe(c))]
    return categories


class _Probe:
    """`requires_evidence` reads the category through an event; this stands in for one."""

    def __init__(self, category: EventCategory) -> None:
        self.category = category


@router.get("/todo/events", response=list[EventOut])
@paginate(EventPagination)
def todo_events(request):
    """Events waiting for this user's action (the to-do page), soonest deadline first."""
    _require(request, EVENTS_VIEW)
    return todo_for(request.user)


class DueDateOut(Schema):
    start: date
    working_days: int
    date: date


@router.get("/calendar/due-date", response=DueDateOut)
def due_date(request, days: int = Query(..., ge=1, le=60), start: FilterDay | None = None):
    """The date `days` working days after `start` (today by default): weekends and public holidays are not
    counted, make-up working days are. What a rectification deadline will be."""
    from django.utils import timezone

    from parcelwatch.workdays.services import add_working_days

    start = start or timezone.localdate()
    if not 2000 <= start.year <= 2100:
        raise HttpError(422, "start 超出范围。")
    return {"start": start, "working_days": days, "date": add_working_days(start, days)}
