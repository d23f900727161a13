"""REST endpoints of emergency management: organisations, plans, drills and incidents."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.accounts.access import covers, has_permission
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import EMERGENCY_SUBMIT, EMERGENCY_VIEW, INCIDENT_REPORT
from parcelwatch.evidence.api import own_uploads_or_422
from parcelwatch.lib.apitypes import Code, Id, In, Line, Note, mapped_pagination, save_or_refuse
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import sites_visible_to

from . import selectors as sel
from . import services
from .models import Drill, EmergencyOrganisation, EmergencyPlan, Incident

router = Router(tags=["emergency"])

Prose = Note  # bounded free text, cleaned like form input


def _require(request, perm: str = EMERGENCY_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _own_enterprise(request, enterprise_id: int | None):
    own = sel.enterprises_for(request.user, EMERGENCY_SUBMIT)
    if enterprise_id is None:
        if own.count() != 1:
            raise HttpError(422, "请用 enterprise 指明是哪一家企业。" if own.exists() else "您不是企业安全员。")
        return own.get()
    enterprise = own.filter(pk=enterprise_id).first()
    if enterprise is None:
        raise HttpError(422, "enterprise 只能是您负责的企业。")
    return enterprise


class EmergencyOrganisationIn(In):
    enterprise: Id | None = None
    head: Line = Field(max_length=32)
    deputy: Line = Field("", max_length=32)
    members: Prose = ""
    duty_phone: Line = Field(max_length=40)


class EmergencyOrganisationOut(Schema):
    enterprise_id: int
    head: str
    deputy: str
    members: str
    duty_phone: str
    updated_at: datetime


def _organisation_json(o: EmergencyOrganisation) -> dict:
    return {"enterprise_id": o.enterprise_id, "head": o.head, "deputy": o.deputy, "members": o.members,
            "duty_phone": o.duty_phone, "updated_at": o.updated_at}


@router.put("/emergency/organisation", response=EmergencyOrganisationOut)
def save_emergency_organisation(request, payload: EmergencyOrganisationIn):
    """The enterprise's emergency command: who leads, who is on it, the phone answered day and night."""
    _require(request, EMERGENCY_SUBMIT)
    enterprise = _own_enterprise(request, payload.enterprise)
    organisation = save_or_refuse(lambda: services.save_organisation(
        enterprise, actor=request.user, head=payload.head, deputy=payload.deputy, members=payload.members,
        duty_phone=payload.duty_phone))
    return _organisation_json(organisation)


@router.get("/emergency/organisations", response=list[EmergencyOrganisationOut])
@paginate(mapped_pagination(lambda o, request: _organisation_json(o)))
def list_emergency_organisations(request):
    _require(request)
    enterprises = sel.enterprises_for(request.user, EMERGENCY_VIEW)
    return EmergencyOrganisation.objects.filter(enterprise__in=enterprises).order_by("enterprise_id")


class EmergencyPlanIn(In):
    enterprise: Id | None = None
    kind: EmergencyPlan.Kind
    title: Line = Field(max_length=100)
    attachment_id: Id = Field(description="The plan as an uploaded PDF (POST /api/v1/evidence).")
    effective_on: date
    expires_on: date


class EmergencyPlanOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    kind: str
    title: str
    document_id: int
    effective_on: date
    expires_on: date
    state: str
    reason: str
    submitted_at: datetime
    reviewed_at: datetime | None
    available_actions: list[str]
    version: int


class EmergencyPlanFilters(Schema):
    state: EmergencyPlan.State | None = None
    expiring: bool = Field(False, description="Only plans in force that expire within 30 days or have expired.")


class EmergencyReviewIn(In):
    action: Code
    reason: Prose = ""
    version: int | None = Field(None, ge=1, le=2**31 - 1)


def _plan_json(p: EmergencyPlan, user) -> dict:
    return {"id": p.pk, "enterprise_id": p.enterprise_id, "enterprise": p.enterprise.name, "kind": p.kind,
            "title": p.title, "document_id": p.document_id, "effective_on": p.effective_on,
            "expires_on": p.expires_on, "state": p.state, "reason": p.reason, "submitted_at": p.submitted_at,
            "reviewed_at": p.reviewed_at, "available_actions": [n for n, _t in services.available_actions(p, user)],
            "version": p.version}


@router.get("/emergency/plans", response=list[EmergencyPlanOut])
@paginate(mapped_pagination(lambda p, request: _plan_json(p, request.user)))
def list_emergency_plans(request, filters: Query[EmergencyPlanFilters]):
    _require(request)
    qs = sel.plans_visible_to(request.user)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.expiring:
        qs = sel.plans_expiring(qs)
    return qs.order_by("-submitted_at", "-pk")


@router.post("/emergency/plans", response={201: EmergencyPlanOut})
def submit_emergency_plan(request, payload: EmergencyPlanIn):
    _require(request, EMERGENCY_SUBMIT)
    enterprise = _own_enterprise(request, payload.enterprise)
    document = own_uploads_or_422(request, [payload.attachment_id])[0]
    plan = save_or_refuse(lambda: services.submit_plan(
        enterprise, actor=request.user, kind=payload.kind.value, title=payload.title, document=document,
        effective_on=payload.effective_on, expires_on=payload.expires_on))
    return Status(201, _plan_json(plan, request.user))


@router.get("/emergency/plans/{emplan_id}", response=EmergencyPlanOut)
def get_emergency_plan(request, emplan_id: int):
    return _plan_json(sel.get_plan_for_user(request.user, emplan_id), request.user)


@router.post("/emergency/plans/{emplan_id}/transitions", response=EmergencyPlanOut)
def review_emergency_plan(request, emplan_id: int, payload: EmergencyReviewIn):
    plan = sel.get_plan_for_user(request.user, emplan_id)
    plan = save_or_refuse(lambda: services.review_plan(plan, payload.action, actor=request.user,
                                                       reason=payload.reason, expected_version=payload.version))
    return _plan_json(plan, request.user)


class DrillIn(In):
    enterprise: Id | None = None
    title: Line = Field(max_length=100)
    scenario: Prose
    planned_on: date
    emplan: Id | None = Field(None, description="The emergency plan drilled.")
    site: Id | None = None


class DrillOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    plan_id: int | None
    site_id: int | None
    title: str
    scenario: str
    planned_on: date
    state: str
    held_on: date | None
    participants: int | None
    participant_names: str
    summary: str
    attachment_ids: list[int]
    rating: str
    evaluation: str
    version: int


class DrillRecordIn(In):
    held_on: date
    participants: int = Field(ge=1, le=100000)
    participant_names: Prose = ""
    summary: Prose
    attachment_ids: list[Id] = Field([], max_length=10)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class DrillEvaluationIn(In):
    rating: Drill.Rating
    evaluation: Prose = ""
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class DrillFilters(Schema):
    state: Drill.State | None = None
    due: bool = Field(False, description="Only planned drills due within 30 days or overdue.")


def _drill_json(d: Drill) -> dict:
    return {"id": d.pk, "enterprise_id": d.enterprise_id, "enterprise": d.enterprise.name, "plan_id": d.plan_id,
            "site_id": d.site_id, "title": d.title, "scenario": d.scenario, "planned_on": d.planned_on,
            "state": d.state, "held_on": d.held_on, "participants": d.participants,
            "participant_names": d.participant_names, "summary": d.summary,
            "attachment_ids": sorted(a.pk for a in d.attachments.all()), "rating": d.rating,
            "evaluation": d.evaluation, "version": d.version}


@router.get("/emergency/drills", response=list[DrillOut])
@paginate(mapped_pagination(lambda d, request: _drill_json(d)))
def list_drills(request, filters: Query[DrillFilters]):
    _require(request)
    qs = sel.drills_visible_to(request.user)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.due:
        qs = sel.drills_due(qs)
    return qs.prefetch_related("attachments").order_by("-planned_on", "-pk")


@router.post("/emergency/drills", response={201: DrillOut})
def plan_drill(request, payload: DrillIn):
    _require(request, EMERGENCY_SUBMIT)
    enterprise = _own_enterprise(request, payload.enterprise)
    plan = EmergencyPlan.objects.filter(pk=payload.emplan, enterprise=enterprise).first() if payload.emplan else None
    if payload.emplan and plan is None:
        raise HttpError(422, "emplan 只能是本企业的应急预案。")
    site = Site.objects.filter(pk=payload.site, enterprise=enterprise).first() if payload.site else None
    if payload.site and site is None:
        raise HttpError(422, "site 只能是本企业的网点。")
    drill = save_or_refuse(lambda: services.plan_drill(enterprise, actor=request.user, title=payload.title,
                                                       scenario=payload.scenario, planned_on=payload.planned_on,
                                                       plan=plan, site=site))
    return Status(201, _drill_json(drill))


@router.get("/emergency/drills/{drill_id}", response=DrillOut)
def get_drill(request, drill_id: int):
    return _drill_json(sel.get_drill_for_user(request.user, drill_id))


@router.post("/emergency/drills/{drill_id}/record", response=DrillOut)
def record_drill(request, drill_id: int, payload: DrillRecordIn):
    drill = sel.get_drill_for_user(request.user, drill_id)
    files = own_uploads_or_422(request, payload.attachment_ids)
    save_or_refuse(lambda: services.record_drill(
        drill, actor=request.user, held_on=payload.held_on, participants=payload.participants,
        participant_names=payload.participant_names, summary=payload.summary, attachments=files,
        expected_version=payload.version))
    return _drill_json(sel.get_drill_for_user(request.user, drill_id))


@router.post("/emergency/drills/{drill_id}/evaluation", response=DrillOut)
def evaluate_drill(request, drill_id: int, payload: DrillEvaluationIn):
    drill = sel.get_drill_for_user(request.user, drill_id)
    save_or_refuse(lambda: services.evaluate_drill(drill, actor=request.user, rating=payload.rating.value,
                                                   evaluation=payload.evaluation, expected_version=payload.version))
    return _drill_json(sel.get_drill_for_user(request.user, drill_id))


class IncidentIn(In):
    kind: Incident.Kind
    severity: Incident.Severity
    title: Line = Field(max_length=100)
    description: Prose
    occurred_at: datetime
    site: Id | None = None
    district: Code | None = Field(None, description="Where it happened, when not at a site.")
    attachment_ids: list[Id] = Field([], max_length=10)


class IncidentUpdateIn(In):
    text: Prose
    close: bool = False
    attachment_ids: list[Id] = Field([], max_length=10)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class IncidentEntryOut(Schema):
    kind: str
    text: str
    actor: str
    at: datetime
    attachment_ids: list[int]


class IncidentOut(Schema):
    id: int
    number: str
    kind: str
    severity: str
    title: str
    description: str
    occurred_at: datetime
    district: str
    site_id: int | None
    enterprise_id: int | None
    state: str
    reported_at: datetime
    timeline: list[IncidentEntryOut]
    version: int


class IncidentFilters(Schema):
    state: Incident.State | None = None


def _incident_json(i: Incident) -> dict:
    return {"id": i.pk, "number": i.number, "kind": i.kind, "severity": i.severity, "title": i.title,
            "description": i.description, "occurred_at": i.occurred_at, "district": i.district.code,
            "site_id": i.site_id, "enterprise_id": i.enterprise_id, "state": i.state, "reported_at": i.reported_at,
            "timeline": [{"kind": u.kind, "text": u.text, "actor": u.actor.display_name, "at": u.at,
                          "attachment_ids": sorted(a.pk for a in u.attachments.all())} for u in i.updates.all()],
            "version": i.version}


def _incidents(qs):
    return qs.prefetch_related("updates__actor", "updates__attachments")


@router.get("/emergency/incidents", response=list[IncidentOut])
@paginate(mapped_pagination(lambda i, request: _incident_json(i)))
def list_incidents(request, filters: Query[IncidentFilters]):
    _require(request)
    qs = sel.incidents_visible_to(request.user)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    return _incidents(qs).order_by("-reported_at", "-pk")


@router.post("/emergency/incidents", response={201: IncidentOut})
def report_incident(request, payload: IncidentIn):
    """Report an incident: the district's officers, the city's officers and the bureau's leaders are told at once."""
    _require(request, INCIDENT_REPORT)
    site = None
    if payload.site:
        site = sites_visible_to(request.user, INCIDENT_REPORT).filter(pk=payload.site).first()
        if site is None:
            raise HttpError(422, "site 不在您可以报告的范围内。")
    district = None
    if payload.district:
        district = Jurisdiction.objects.filter(code=payload.district, level__in=("district", "zone")).first()
        if district is None or not covers(request.user, INCIDENT_REPORT, district.path):
            raise HttpError(422, f"区县“{payload.district}”不在您可以报告的范围内。")
        if site is not None and site.district_id != district.pk:
            raise HttpError(422, "site 不在 district 所指的区县。")
    own = list(sel.enterprises_for(request.user, EMERGENCY_SUBMIT))
    files = own_uploads_or_422(request, payload.attachment_ids)
    incident = save_or_refuse(lambda: services.report_incident(
        actor=request.user, kind=payload.kind.value, severity=payload.severity.value, title=payload.title,
        description=payload.description, occurred_at=payload.occurred_at, site=site, district=district,
        enterprise=own[0] if len(own) == 1 and site is None else None, attachments=files))
    return Status(201, _incident_json(incident))


@router.get("/emergency/incidents/{incident_id}", response=IncidentOut)
def get_incident(request, incident_id: int):
    return _incident_json(sel.get_incident_for_user(request.user, incident_id))


@router.post("/emergency/incidents/{incident_id}/updates", response=IncidentOut)
def add_incident_update(request, incident_id: int, payload: IncidentUpdateIn):
    incident = sel.get_incident_for_user(request.user, incident_id)
    files = own_uploads_or_422(request, payload.attachment_ids)
    save_or_refuse(lambda: services.add_incident_update(incident, actor=request.user, text=payload.text,
                                                        close=payload.close, attachments=files,
                                                        expected_version=payload.version))
    return _incident_json(sel.get_incident_for_user(request.user, incident_id))
