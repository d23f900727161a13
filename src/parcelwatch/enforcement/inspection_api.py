"""REST endpoints of inspections: plans, their 双随机 draw, inspection records; and the public results."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.accounts.access import covers, has_permission, valid_pk
from parcelwatch.accounts.permissions import INSPECTIONS_MANAGE, INSPECTIONS_VIEW
from parcelwatch.evidence.api import own_uploads_or_422
from parcelwatch.lib.apitypes import Code, Findings, Id, In, Line, mapped_pagination, save_or_refuse
from parcelwatch.registry.models import Site

from . import selectors as sel
from . import services
from .models import Inspection, InspectionPlan

router = Router(tags=["inspections"])
public_router = Router(tags=["public"])



def _require(request, perm: str = INSPECTIONS_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


class InspectionSharesIn(In):
    A: int = Field(ge=0, le=100)
    B: int = Field(ge=0, le=100, description="Also the share of sites without a credit grade yet.")
    C: int = Field(ge=0, le=100)
    D: int = Field(ge=0, le=100)


class InspectionPlanIn(In):
    kind: InspectionPlan.Kind
    title: Line = Field(max_length=100)
    area: Code = Field(description="The city's or a district's code.")
    starts_on: date
    ends_on: date
    focus: Findings = ""
    site_kinds: list[Site.Kind] = Field([], max_length=3)
    shares: InspectionSharesIn
    team_size: int = Field(2, ge=2, le=5)


class InspectionPlanUpdateIn(InspectionPlanIn):
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class InspectionPublishIn(In):
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class InspectionPlanOut(Schema):
    id: int
    kind: str
    title: str
    area: str
    area_name: str
    starts_on: date
    ends_on: date
    focus: str
    site_kinds: list[str]
    shares: dict[str, int]
    team_size: int
    state: str
    seed: str
    published_at: datetime | None
    version: int


class InspectionTargetOut(Schema):
    id: int
    position: int
    site_id: int
    site: str
    enterprise: str
    grade: str
    inspectors: list[str]
    state: str
    result: str
    inspected_on: date | None


class InspectionPlanDetailOut(InspectionPlanOut):
    candidates: int
    inspector_pool: int
    inspections: list[InspectionTargetOut]
    redraw_matches: bool | None = Field(None, description="A published draw re-run from its seed gives the same list.")


class InspectionChecklistAnswerOut(Schema):
    code: str
    text: str
    answer: str


class InspectionOut(InspectionTargetOut):
    plan_id: int
    plan: str
    checklist: list[InspectionChecklistAnswerOut]
    findings: str
    attachment_ids: list[int]
    event_ids: list[int]
    recorded_by: str
    recorded_at: datetime | None
    can_record: bool
    can_raise_event: bool
    version: int


class InspectionRecordIn(In):
    inspected_on: date
    answers: dict[Code, Inspection.Answer] = Field(description="Every checklist point's code: yes, no or na.")
    findings: Findings = ""
    attachment_ids: list[Id] = Field([], max_length=10)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class InspectionEventIn(In):
    category: Code


class InspectionEventOut(Schema):
    event_id: int
    number: str


class InspectionFilters(Schema):
    plan: Id | None = None
    mine: bool = Field(False, description="Only those drawn for me and not recorded yet.")
    state: Inspection.State | None = None
    result: Inspection.Result | None = None


def _plan_json(plan: InspectionPlan) -> dict:
    return {"id": plan.pk, "kind": plan.kind, "title": plan.title, "area": plan.area.code,
            "area_name": plan.area.name, "starts_on": plan.starts_on, "ends_on": plan.ends_on, "focus": plan.focus,
            "site_kinds": plan.site_kinds, "shares": plan.shares, "team_size": plan.team_size, "state": plan.state,
            "seed": plan.seed, "published_at": plan.published_at, "version": plan.version}


def _target_json(i: Inspection) -> dict:
    return {"id": i.pk, "position": i.position, "site_id": i.site_id, "site": i.site.name,
            "enterprise": i.site.enterprise.name, "grade": i.grade,
            "inspectors": [u.display_name for u in i.inspectors.all()], "state": i.state, "result": i.result,
            "inspected_on": i.inspected_on}


def _plan_detail(plan: InspectionPlan, *, verify: bool = False) -> dict:
    published = plan.state == InspectionPlan.State.PUBLISHED
    rows = plan.inspections.select_related("site__enterprise").prefetch_related("inspectors").order_by("position")
    return {**_plan_json(plan),
            "candidates": len(plan.candidates) if published else len(services.inspection_candidates(plan)),
            "inspector_pool": len(plan.inspector_pool) if published else len(services.inspector_pool(plan.area)),
            "inspections": [_target_json(i) for i in rows],
            "redraw_matches": services.rerun_plan(plan)[0] if published and verify else None}


def _per_request(request) -> dict:
    """What every row of a list would otherwise query again: the checklist in use, the inspections the caller was
    drawn for, where the caller may report events."""
    cached = getattr(request, "_pw_inspections", None)
    if cached is None:
        drawn = set(Inspection.inspectors.through.objects.filter(user_id=request.user.pk).values_list(
            "inspection_id", flat=True))
        cached = request._pw_inspections = {"checklist": services.active_checklist(), "drawn": drawn, "report": {}}
    return cached


def _inspection_json(i: Inspection, request) -> dict:
    from parcelwatch.accounts.access import covers
    from parcelwatch.accounts.permissions import EVENTS_REPORT

    known = _per_request(request)
    drawn = i.pk in known["drawn"]
    path = i.site.district.path
    if path not in known["report"]:
        known["report"][path] = covers(request.user, EVENTS_REPORT, path)
    items = i.checklist if i.state == Inspection.State.DONE else known["checklist"]
    return {**_target_json(i), "plan_id": i.plan_id, "plan": i.plan.title,
            "checklist": [{**item, "answer": i.answers.get(item["code"], "")} for item in items],
            "findings": i.findings, "attachment_ids": sorted(a.pk for a in i.attachments.all()),
            "event_ids": sorted(e.pk for e in i.events.all()),
            "recorded_by": i.recorded_by.display_name if i.recorded_by else "", "recorded_at": i.recorded_at,
            "can_record": i.state == Inspection.State.PLANNED and drawn,
            "can_raise_event": i.result == Inspection.Result.PROBLEMS and drawn and known["report"][path],
            "version": i.version}


def _area_for(request, code: str):
    from parcelwatch.selfcheck.api import _area

    area = _area(code)
    if not covers(request.user, INSPECTIONS_MANAGE, area.path):
        raise HttpError(422, f"区域“{code}”不在您可以安排检查的范围内。")
    return area


def _fields(request, payload: InspectionPlanIn) -> dict:
    return {"kind": payload.kind.value, "title": payload.title, "area": _area_for(request, payload.area),
            "starts_on": payload.starts_on, "ends_on": payload.ends_on, "focus": payload.focus,
            "site_kinds": [k.value for k in payload.site_kinds], "shares": payload.shares.model_dump(),
            "team_size": payload.team_size}


@router.get("/inspections/plans", response=list[InspectionPlanOut])
@paginate(mapped_pagination(lambda p, request: _plan_json(p)))
def list_inspection_plans(request):
    _require(request)
    return sel.plans_visible_to(request.user).order_by("-starts_on", "-pk")


@router.post("/inspections/plans", response={201: InspectionPlanDetailOut})
def create_inspection_plan(request, payload: InspectionPlanIn):
    _require(request, INSPECTIONS_MANAGE)
    fields = _fields(request, payload)
    plan = save_or_refuse(lambda: services.create_plan(actor=request.user, **fields))
    return Status(201, _plan_detail(plan))


@router.get("/inspections/plans/{plan_id}", response=InspectionPlanDetailOut)
def get_inspection_plan(request, plan_id: int, verify: bool = False):
    return _plan_detail(sel.get_plan_for_user(request.user, plan_id), verify=verify)


@router.put("/inspections/plans/{plan_id}", response=InspectionPlanDetailOut)
def update_inspection_plan(request, plan_id: int, payload: InspectionPlanUpdateIn):
    plan = sel.get_plan_for_user(request.user, plan_id, need=INSPECTIONS_MANAGE)
    fields = _fields(request, payload)
    plan = save_or_refuse(lambda: services.update_plan(plan, actor=request.user, expected_version=payload.version,
                                                       **fields))
    return _plan_detail(plan)


@router.post("/inspections/plans/{plan_id}/publication", response=InspectionPlanDetailOut)
def publish_inspection_plan(request, plan_id: int, payload: InspectionPublishIn):
    """Draw the sites and their inspectors from the plan's area once and for all, and publish the draw. The server
    chooses the seed at random: nobody can try seeds until the list suits them."""
    plan = sel.get_plan_for_user(request.user, plan_id, need=INSPECTIONS_MANAGE)
    plan = save_or_refuse(lambda: services.publish_plan(plan, actor=request.user, expected_version=payload.version))
    return _plan_detail(plan)


@router.get("/inspections", response=list[InspectionOut])
@paginate(mapped_pagination(lambda i, request: _inspection_json(i, request)))
def list_inspections(request, filters: Query[InspectionFilters]):
    _require(request)
    qs = (sel.inspections_due_for(request.user) if filters.mine else sel.inspections_visible_to(request.user)
          .filter(plan__state=InspectionPlan.State.PUBLISHED))
    if filters.plan:
        qs = qs.filter(plan_id=filters.plan)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.result:
        qs = qs.filter(result=filters.result.value)
    return qs.select_related("recorded_by", "plan").prefetch_related("inspectors", "attachments", "events").order_by(
        "-plan__starts_on", "plan_id", "position")


@router.get("/inspections/{inspection_id}", response=InspectionOut)
def get_inspection(request, inspection_id: int):
    return _inspection_json(sel.get_inspection_for_user(request.user, inspection_id), request)


@router.post("/inspections/{inspection_id}/record", response=InspectionOut)
def record_inspection(request, inspection_id: int, payload: InspectionRecordIn):
    """The drawn inspectors' record: every checklist point answered, findings when a point is not met."""
    inspection = sel.get_inspection_for_user(request.user, inspection_id)
    attachments = own_uploads_or_422(request, payload.attachment_ids)
    answers = {code: value.value for code, value in payload.answers.items()}
    save_or_refuse(lambda: services.record_inspection(
        inspection, actor=request.user, inspected_on=payload.inspected_on, answers=answers,
        findings=payload.findings, attachments=attachments, expected_version=payload.version))
    return _inspection_json(sel.get_inspection_for_user(request.user, inspection_id), request)


@router.post("/inspections/{inspection_id}/events", response={201: InspectionEventOut})
def raise_inspection_event(request, inspection_id: int, payload: InspectionEventIn):
    inspection = sel.get_inspection_for_user(request.user, inspection_id)
    event = save_or_refuse(lambda: services.raise_inspection_event(inspection, actor=request.user,
                                                                   category_code=payload.category))
    return Status(201, {"event_id": event.pk, "number": event.number})


# --- 一公开 ----------------------------------------------------------------------------------------------------


class PublicInspectionTargetOut(Schema):
    position: int
    site_id: int
    site: str
    enterprise: str
    district: str
    inspectors: list[str]
    result: str
    inspected_on: date | None
    points_not_met: list[str]


class PublicInspectorOut(Schema):
    id: int
    name: str
    enforcement_id: str


class PublicInspectionCandidateOut(Schema):
    site: int
    grade: str


class PublicInspectionPlanOut(Schema):
    id: int
    kind: str
    title: str
    area_name: str
    starts_on: date
    ends_on: date
    published_at: datetime | None


class PublicInspectionPlanDetailOut(PublicInspectionPlanOut):
    seed: str
    shares: dict[str, int]
    team_size: int
    candidates: list[PublicInspectionCandidateOut]
    inspectors: list[PublicInspectorOut]
    targets: list[PublicInspectionTargetOut]
    redraw_matches: bool | None


def _public_json(plan: InspectionPlan) -> dict:
    return {"id": plan.pk, "kind": plan.kind, "title": plan.title, "area_name": plan.area.name,
            "starts_on": plan.starts_on, "ends_on": plan.ends_on, "published_at": plan.published_at}


@public_router.get("/public/inspection-plans", response=list[PublicInspectionPlanOut], auth=None)
@paginate(mapped_pagination(lambda p, request: _public_json(p)))
def list_public_inspection_plans(request):
    """Published draws, newest first: no login needed."""
    return sel.published_plans().order_by("-published_at", "-pk")


@public_router.get("/public/inspection-plans/{plan_id}", response=PublicInspectionPlanDetailOut, auth=None)
def get_public_inspection_plan(request, plan_id: int, verify: bool = False):
    """A published draw with its seed and lists, so anyone can re-run it (`verify=true` re-runs it here), and the
    results: the points not met, never the inspectors' notes."""
    plan = get_object_or_404(sel.published_plans(), pk=valid_pk(plan_id) or 0)
    rows = plan.inspections.select_related("site__enterprise", "site__district").prefetch_related(
        "inspectors").order_by("position")
    return {**_public_json(plan), "seed": plan.seed, "shares": plan.shares, "team_size": plan.team_size,
            "candidates": [{"site": s, "grade": g} for s, g in plan.candidates],
            "inspectors": [{"id": r[0], "name": r[1], "enforcement_id": r[2]} for r in plan.inspector_pool],
            "targets": [{"position": i.position, "site_id": i.site_id, "site": i.site.name,
                         "enterprise": i.site.enterprise.name, "district": i.site.district.name,
                         "inspectors": [u.full_name for u in i.inspectors.all()], "result": i.result,
                         "inspected_on": i.inspected_on, "points_not_met": [x["text"] for x in i.failed_items()]}
                        for i in rows],
            "redraw_matches": services.rerun_plan(plan)[0] if verify else None}
