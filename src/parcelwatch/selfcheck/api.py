"""Self-inspection through the API: officer filings, monthly duty reports, spot checks and circulars.

The same services as the pages: every write goes through selfcheck.services, which checks role, jurisdiction,
state and version in one place.
"""

from datetime import date, datetime
from enum import Enum
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.accounts.access import covers, has_permission
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import (
    SELFCHECK_REVIEW,
    SELFCHECK_SUBMIT,
    SELFCHECK_VIEW,
)
from parcelwatch.evidence.api import own_uploads_or_422
from parcelwatch.evidence.schemas import AttachmentOut, attachment_json
from parcelwatch.lib.apitypes import Code, FilterDay, Id, In, Pagination, mapped_pagination, save_or_refuse
from parcelwatch.registry.models import Enterprise, SafetyOfficer, Site

from . import selectors as sel
from . import services
from .models import Circular, DutyReport, OfficerFiling, SpotCheck, SpotCheckDraw, month_start, previous_month

router = Router(tags=["self-inspection"])

FilingKind = Enum("FilingKind", {k: k for k in OfficerFiling.Kind.values}, type=str)
FilingState = Enum("FilingState", {k: k for k in OfficerFiling.State.values}, type=str)
ReportState = Enum("ReportState", {k: k for k in DutyReport.State.values}, type=str)
Answer = Enum("Answer", {k: k for k in DutyReport.Answer.values}, type=str)
ReportingStatus = Enum("ReportingStatus", {k: k for k in (
    sel.STATUS_DUE, sel.STATUS_MISSING, sel.STATUS_SUBMITTED, sel.STATUS_LATE, sel.STATUS_RETURNED,
    sel.STATUS_ACCEPTED)}, type=str)
CheckMethod = Enum("CheckMethod", {k: k for k in SpotCheck.Method.values}, type=str)
CheckResult = Enum("CheckResult", {k: k for k in (SpotCheck.Result.PASSED, SpotCheck.Result.FAILED)}, type=str)
CircularKind = Enum("CircularKind", {k: k for k in Circular.Kind.values}, type=str)
CircularState = Enum("CircularState", {k: k for k in Circular.State.values}, type=str)

PersonName = Annotated[str, Field(max_length=32)]
IdNumber = Annotated[str, Field(max_length=40)]
Phone = Annotated[str, Field(max_length=40)]
Reason = Annotated[str, Field(max_length=services.REASON_MAX)]
Narrative = Annotated[str, Field(max_length=services.NARRATIVE_MAX)]
Findings = Annotated[str, Field(max_length=services.FINDINGS_MAX)]
Title = Annotated[str, Field(max_length=100)]
Body = Annotated[str, Field(max_length=services.BODY_MAX)]
ItemCode = Annotated[str, Field(max_length=32)]
Seed = Annotated[str, Field(max_length=40)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
MONTH_HELP = "Any day of the month (the first is usual): the month reported on."


_save = save_or_refuse


def _require(request, perm: str = SELFCHECK_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _actions(obj, user) -> list[str]:
    return [name for name, _t in services.available_actions(obj, user)]


def _area(code: str) -> Jurisdiction:
    area = Jurisdiction.objects.filter(code=code, level__in=("city", "district", "zone")).first()
    if area is None:
        raise HttpError(422, f"区域“{code}”不存在。")
    return area


def _my_enterprise(request, enterprise_id: int | None) -> Enterprise:
    """The enterprise the user submits for: the one named, or their only one."""
    ids = sel._enterprise_ids(request.user, SELFCHECK_SUBMIT)
    if not ids:
        raise PermissionDenied
    if enterprise_id is None:
        if len(ids) > 1:
            raise HttpError(422, "您负责多家企业：请用 enterprise 指明是哪一家。")
        enterprise_id = ids[0]
    if enterprise_id not in ids:
        raise HttpError(422, "enterprise 只能是您负责的企业。")
    return Enterprise.objects.select_related("jurisdiction").get(pk=enterprise_id)


class HistoryOut(Schema):
    at: str
    actor: str
    action: str
    reason: str


# --- filings ---------------------------------------------------------------------------------------------------


class FilingOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    officer_id: int | None
    name: str
    id_number: str  # masked unless the viewer may see the enterprise's personal data
    phone: str
    site_ids: list[int]
    site_names: list[str]
    note: str
    reason: str
    submitted_at: datetime
    decide_by: date
    decided_at: datetime | None
    decided_by: str | None
    version: int
    available_actions: list[str]
    history: list[HistoryOut]


def _filing_json(filing: OfficerFiling, user) -> dict:
    sites = list(filing.sites.order_by("name"))
    return {
        "id": filing.pk, "enterprise_id": filing.enterprise_id, "enterprise_name": filing.enterprise.name,
        "kind": filing.kind, "kind_label": str(filing.get_kind_display()), "state": filing.state,
        "state_label": str(filing.get_state_display()), "officer_id": filing.officer_id, "name": filing.name,
        **sel.filing_personal(user, filing),
        "site_ids": [s.pk for s in sites], "site_names": [s.name for s in sites], "note": filing.note,
        "reason": filing.reason, "submitted_at": filing.submitted_at, "decide_by": filing.decide_by,
        "decided_at": filing.decided_at, "decided_by": filing.decided_by.display_name if filing.decided_by else None,
        "version": filing.version, "available_actions": _actions(filing, user), "history": filing.history,
    }


class FilingFilters(Schema):
    state: FilingState | None = None
    enterprise: Id | None = None


class FilingIn(In):
    enterprise: Id | None = Field(None, description="Needed only by someone who files for several enterprises.")
    kind: FilingKind
    officer: Id | None = Field(None, description="The officer in post, for a change or a departure.")
    name: PersonName = ""
    id_number: IdNumber = ""
    phone: Phone = ""
    site_ids: list[Id] = Field([], max_length=200)
    note: Reason = ""


class FilingResubmitIn(In):
    name: PersonName = ""
    id_number: IdNumber = ""
    phone: Phone = ""
    site_ids: list[Id] = Field([], max_length=200)
    note: Reason = ""
    version: Version | None = None


class SelfcheckTransitionIn(In):
    action: Code
    reason: Reason = ""
    version: Version | None = None


def _sites_of(enterprise: Enterprise, ids: list[int]) -> list[Site]:
    sites = list(Site.objects.filter(pk__in=set(ids), enterprise=enterprise))
    if len(sites) != len(set(ids)):
        raise HttpError(422, "site_ids 只能是本企业的网点。")
    return sites


@router.get("/selfcheck/filings", response=list[FilingOut])
@paginate(mapped_pagination(lambda f, request: _filing_json(f, request.user)))
def list_filings(request, filters: Query[FilingFilters]):
    """Safety-officer filings: the enterprise's own, or those of the enterprises registered in the user's area."""
    _require(request)
    qs = sel.filings_visible_to(request.user).select_related("enterprise__jurisdiction", "decided_by")
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.enterprise:
        qs = qs.filter(enterprise_id=filters.enterprise)
    return qs.order_by("-submitted_at", "-pk")


@router.post("/selfcheck/filings", response={201: FilingOut})
def create_filing(request, payload: FilingIn):
    """File a new safety officer, a change of one's details or sites, or a departure; the district decides
    within five working days."""
    _require(request, SELFCHECK_SUBMIT)
    enterprise = _my_enterprise(request, payload.enterprise)
    officer = None
    if payload.officer is not None:
        officer = SafetyOfficer.objects.filter(pk=payload.officer, enterprise=enterprise).first()
        if officer is None:
            raise HttpError(422, "officer 只能是本企业的安全员。")
    filing = _save(lambda: services.submit_filing(
        enterprise, actor=request.user, kind=payload.kind.value, officer=officer, note=payload.note,
        data={"name": payload.name, "id_number": payload.id_number, "phone": payload.phone},
        sites=_sites_of(enterprise, payload.site_ids)))
    return Status(201, _filing_json(sel.get_filing_for_user(request.user, filing.pk), request.user))


@router.get("/selfcheck/filings/{filing_id}", response=FilingOut)
def get_filing(request, filing_id: Id):
    return _filing_json(sel.get_filing_for_user(request.user, filing_id), request.user)


@router.post("/selfcheck/filings/{filing_id}/resubmission", response=FilingOut)
def resubmit_filing(request, filing_id: Id, payload: FilingResubmitIn):
    """A returned filing, corrected and sent again (its kind and officer stay)."""
    filing = sel.get_filing_for_user(request.user, filing_id, need=SELFCHECK_SUBMIT)
    _save(lambda: services.resubmit_filing(
        filing, actor=request.user, note=payload.note, expected_version=payload.version,
        data={"name": payload.name, "id_number": payload.id_number, "phone": payload.phone},
        sites=_sites_of(filing.enterprise, payload.site_ids)))
    return _filing_json(sel.get_filing_for_user(request.user, filing_id), request.user)


@router.post("/selfcheck/filings/{filing_id}/transitions", response=FilingOut)
def transition_filing(request, filing_id: Id, payload: SelfcheckTransitionIn):
    """approve (the registry record is written), return (with a reason) or withdraw (the enterprise)."""
    filing = sel.get_filing_for_user(request.user, filing_id)
    _save(lambda: services.act_on_filing(filing, payload.action, actor=request.user, reason=payload.reason,
                                         expected_version=payload.version))
    return _filing_json(sel.get_filing_for_user(request.user, filing_id), request.user)


# --- duty reports ----------------------------------------------------------------------------------------------


class TemplateItemOut(Schema):
    code: str
    text: str
    rule: str


class TemplateOut(Schema):
    id: int
    name: str
    due_day: int
    remind_days_before: int
    narrative_required: bool
    attachment_required: bool
    items: list[TemplateItemOut]


class ReportOut(Schema):
    id: int
    enterprise_id: int
    enterprise_name: str
    period: date
    state: str
    state_label: str
    due_date: date
    late: bool
    first_submitted_at: datetime
    submitted_at: datetime
    reviewed_at: datetime | None
    reason: str
    version: int


class AnswerOut(TemplateItemOut):
    answer: str


class ReportDetailOut(ReportOut):
    narrative: str
    answers: list[AnswerOut]
    attachments: list[AttachmentOut]
    available_actions: list[str]
    history: list[HistoryOut]


def _report_json(r: DutyReport) -> dict:
    return {"id": r.pk, "enterprise_id": r.enterprise_id, "enterprise_name": r.enterprise.name, "period": r.period,
            "state": r.state, "state_label": str(r.get_state_display()), "due_date": r.due_date, "late": r.late,
            "first_submitted_at": r.first_submitted_at, "submitted_at": r.submitted_at,
            "reviewed_at": r.reviewed_at, "reason": r.reason, "version": r.version}


def _report_detail(r: DutyReport, user) -> dict:
    return {**_report_json(r), "narrative": r.narrative,
            "answers": [{"code": i["code"], "text": i["text"], "rule": i.get("rule", ""),
                         "answer": r.answers.get(i["code"], "")} for i in r.items],
            "attachments": [attachment_json(a) for a in r.attachments.order_by("pk")],
            "available_actions": _actions(r, user), "history": r.history}


class ReportFilters(Schema):
    state: ReportState | None = None
    month: FilterDay | None = Field(None, description=MONTH_HELP)
    enterprise: Id | None = None


class DutyReportIn(In):
    enterprise: Id | None = Field(None, description="Needed only by someone who reports for several enterprises.")
    month: FilterDay = Field(..., description=MONTH_HELP)
    answers: dict[ItemCode, Answer] = Field(..., max_length=100, description="Every checklist item's code: yes or no.")
    narrative: Narrative = ""
    attachment_ids: list[Id] = Field([], max_length=10)
    version: Version | None = Field(None, description="When correcting a returned report: the version read.")


class ReportingRowOut(Schema):
    enterprise_id: int
    enterprise_name: str
    district_code: str
    status: str
    report_id: int | None


class ReportingDistrictOut(Schema):
    district_code: str
    district_name: str
    expected: int
    due: int
    submitted: int
    late: int
    missing: int
    returned: int
    accepted: int


class ReportingOut(Schema):
    period: date
    due_date: date
    summary: list[ReportingDistrictOut]
    rows: list[ReportingRowOut]


class ReportingFilters(Schema):
    month: FilterDay | None = Field(None, description=MONTH_HELP + " Default: last month.")
    district: Code | None = None
    status: ReportingStatus | None = None


@router.get("/selfcheck/report-template", response=TemplateOut)
def report_template(request):
    """The monthly duty report's checklist in use (configuration)."""
    _require(request)
    template = sel.active_template()
    if template is None:
        raise HttpError(404, "没有启用的履职月报告模板。")
    return {"id": template.pk, "name": template.name, "due_day": template.due_day,
            "remind_days_before": template.remind_days_before, "narrative_required": template.narrative_required,
            "attachment_required": template.attachment_required,
            "items": [{"code": i.code, "text": i.text, "rule": i.rule} for i in template.items.all()]}


@router.get("/selfcheck/reports", response=list[ReportOut])
@paginate(mapped_pagination(lambda r, request: _report_json(r)))
def list_reports(request, filters: Query[ReportFilters]):
    """Monthly duty reports: the enterprise's own, or those of the enterprises of the user's area."""
    _require(request)
    qs = sel.reports_visible_to(request.user).select_related("enterprise")
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.month:
        qs = qs.filter(period=month_start(filters.month))
    if filters.enterprise:
        qs = qs.filter(enterprise_id=filters.enterprise)
    return qs.order_by("-period", "enterprise__name", "pk")


@router.post("/selfcheck/reports", response={201: ReportDetailOut})
def submit_report(request, payload: DutyReportIn):
    """Submit a month's duty report (attachments uploaded first through POST /evidence), or correct and send
    again a returned one."""
    _require(request, SELFCHECK_SUBMIT)
    enterprise = _my_enterprise(request, payload.enterprise)
    files = own_uploads_or_422(request, payload.attachment_ids)
    report = _save(lambda: services.submit_report(
        enterprise, actor=request.user, period=payload.month,
        answers={code: answer.value for code, answer in payload.answers.items()}, narrative=payload.narrative,
        attachments=files, expected_version=payload.version))
    return Status(201, _report_detail(sel.get_report_for_user(request.user, report.pk), request.user))


@router.get("/selfcheck/reports/{report_id}", response=ReportDetailOut)
def get_report(request, report_id: Id):
    return _report_detail(sel.get_report_for_user(request.user, report_id), request.user)


@router.post("/selfcheck/reports/{report_id}/transitions", response=ReportDetailOut)
def transition_report(request, report_id: Id, payload: SelfcheckTransitionIn):
    """accept, or return with a reason."""
    report = sel.get_report_for_user(request.user, report_id)
    _save(lambda: services.act_on_report(report, payload.action, actor=request.user, reason=payload.reason,
                                         expected_version=payload.version))
    return _report_detail(sel.get_report_for_user(request.user, report_id), request.user)


@router.get("/selfcheck/reporting", response=ReportingOut)
def reporting(request, filters: Query[ReportingFilters]):
    """A month's reporting by enterprise (status due, missing, submitted, late, returned, accepted) and per district;
    the regulators' view of the late and missing lists."""
    _require(request, SELFCHECK_REVIEW)
    today = timezone.localdate()
    period = month_start(filters.month) if filters.month else previous_month(month_start(today))
    district = None
    if filters.district:
        district = Jurisdiction.objects.filter(code=filters.district).first()
        if district is None:
            raise HttpError(422, f"区域“{filters.district}”不存在。")
    status = filters.status.value if filters.status else ""
    rows = sel.reporting_rows(request.user, period, today=today, district=district, status=status)
    summary = sel.reporting_summary(request.user, period, today=today)
    if district is not None:
        summary = [s for s in summary if s["district"].path.startswith(district.path)]
    return {"period": period, "due_date": sel.due_date_for(period),
            "summary": [{**{k: v for k, v in s.items() if k != "district"}, "district_code": s["district"].code,
                         "district_name": s["district"].name} for s in summary],
            "rows": [{"enterprise_id": r.enterprise.pk, "enterprise_name": r.enterprise.name,
                      "district_code": r.enterprise.jurisdiction.code, "status": r.status,
                      "report_id": r.report.pk if r.report else None} for r in rows]}


# --- spot checks -----------------------------------------------------------------------------------------------


class CheckOut(Schema):
    id: int
    draw_id: int
    report_id: int
    enterprise_id: int
    enterprise_name: str
    period: date
    method: str
    result: str
    result_label: str
    findings: str
    site_id: int | None
    checked_by: str | None
    checked_at: datetime | None
    event_id: int | None
    attachments: list[AttachmentOut]


class SpotDrawOut(Schema):
    id: int
    area_code: str
    area_name: str
    period: date
    percent: int
    seed: str
    candidate_reports: int
    drawn_by: str
    drawn_at: datetime
    recheck_ok: bool  # running the draw again from its seed and recorded candidates gives exactly these checks
    checks: list[CheckOut]


def _check_json(c: SpotCheck) -> dict:
    return {"id": c.pk, "draw_id": c.draw_id, "report_id": c.report_id, "enterprise_id": c.report.enterprise_id,
            "enterprise_name": c.report.enterprise.name, "period": c.report.period, "method": c.method,
            "result": c.result, "result_label": str(c.get_result_display()), "findings": c.findings,
            "site_id": c.site_id, "checked_by": c.checked_by.display_name if c.checked_by else None,
            "checked_at": c.checked_at, "event_id": c.event_id,
            "attachments": [attachment_json(a) for a in sorted(c.attachments.all(), key=lambda a: a.pk)]}


def _draw_json(d: SpotCheckDraw) -> dict:
    return {"id": d.pk, "area_code": d.area.code, "area_name": d.area.name, "period": d.period,
            "percent": d.percent, "seed": d.seed, "candidate_reports": len(d.candidates),
            "drawn_by": d.drawn_by.display_name, "drawn_at": d.drawn_at, "recheck_ok": services.recheck(d),
            "checks": [_check_json(c) for c in d.checks.select_related("report__enterprise", "checked_by")
                       .prefetch_related("attachments").order_by("pk")]}


class SpotDrawIn(In):
    area: Code
    month: FilterDay = Field(..., description=MONTH_HELP)
    percent: int = Field(10, ge=1, le=100)
    seed: Seed = ""


class CheckFilters(Schema):
    pending: bool = False


class CheckResultIn(In):
    method: CheckMethod
    result: CheckResult
    findings: Findings = ""
    site: Id | None = None
    attachment_ids: list[Id] = Field([], max_length=10)


class SpotCheckRaiseIn(In):
    category: Code


class SpotCheckRaisedOut(Schema):
    event_id: int
    number: str


@router.get("/selfcheck/spot-check-draws", response=list[SpotDrawOut])
@paginate(mapped_pagination(lambda d, request: _draw_json(d)))
def list_spot_draws(request):
    _require(request)
    return sel.draws_visible_to(request.user).select_related("area", "drawn_by").order_by("-drawn_at", "-pk")


@router.post("/selfcheck/spot-check-draws", response={201: SpotDrawOut})
def create_spot_draw(request, payload: SpotDrawIn):
    """Draw this share of a month's submitted reports in the area; the seed and candidates are recorded."""
    _require(request, SELFCHECK_REVIEW)
    area = _area(payload.area)
    if not covers(request.user, SELFCHECK_REVIEW, area.path):
        raise HttpError(422, f"区域“{payload.area}”不在您的辖区内。")
    record = _save(lambda: services.draw_spot_checks(actor=request.user, area=area, period=payload.month,
                                                     percent=payload.percent, seed=payload.seed))
    return Status(201, _draw_json(sel.get_draw_for_user(request.user, record.pk)))


@router.get("/selfcheck/spot-check-draws/{spotdraw_id}", response=SpotDrawOut)
def get_spot_draw(request, spotdraw_id: Id):
    return _draw_json(sel.get_draw_for_user(request.user, spotdraw_id))


@router.get("/selfcheck/spot-checks", response=list[CheckOut])
@paginate(mapped_pagination(lambda c, request: _check_json(c)))
def list_spot_checks(request, filters: Query[CheckFilters]):
    """Spot checks of the user's area (`pending=true`: those not yet checked)."""
    _require(request, SELFCHECK_REVIEW)
    qs = (sel.checks_visible_to(request.user, SELFCHECK_REVIEW).select_related("report__enterprise", "checked_by")
          .prefetch_related("attachments"))
    if filters.pending:
        qs = qs.filter(result=SpotCheck.Result.PENDING)
    return qs.order_by("-draw__drawn_at", "pk")


@router.get("/selfcheck/spot-checks/{check_id}", response=CheckOut)
def get_spot_check(request, check_id: Id):
    return _check_json(sel.get_check_for_user(request.user, check_id))


@router.post("/selfcheck/spot-checks/{check_id}/result", response=CheckOut)
def record_spot_check(request, check_id: Id, payload: CheckResultIn):
    """Documentary or on-site result, with findings (required when failed), the site checked and photos."""
    check = sel.get_check_for_user(request.user, check_id, need=SELFCHECK_REVIEW)
    site = None
    if payload.site is not None:
        site = Site.objects.filter(pk=payload.site, enterprise_id=check.report.enterprise_id).first()
        if site is None:
            raise HttpError(422, "site 只能是被抽查企业的网点。")
    files = own_uploads_or_422(request, payload.attachment_ids)
    _save(lambda: services.record_check(check, actor=request.user, method=payload.method.value,
                                        result=payload.result.value, findings=payload.findings, site=site,
                                        attachments=files))
    return _check_json(sel.get_check_for_user(request.user, check_id))


@router.post("/selfcheck/spot-checks/{check_id}/events", response={201: SpotCheckRaisedOut})
def raise_spot_check_event(request, check_id: Id, payload: SpotCheckRaiseIn):
    """A failed check becomes an event (source spot_check) at the site checked, its photos as evidence."""
    check = sel.get_check_for_user(request.user, check_id, need=SELFCHECK_REVIEW)
    event = _save(lambda: services.raise_check_event(check, actor=request.user, category_code=payload.category))
    return Status(201, {"event_id": event.pk, "number": event.number})


# --- circulars -------------------------------------------------------------------------------------------------


class RecipientOut(Schema):
    enterprise_id: int
    enterprise_name: str
    read_at: datetime | None
    read_by: str | None


class CircularOut(Schema):
    id: int
    area_code: str
    area_name: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    title: str
    number: str | None
    drafted_at: datetime
    published_at: datetime | None
    read: bool | None  # for an enterprise: whether it has signed for the circular
    version: int


class CircularDetailOut(CircularOut):
    body: str
    issuer: str
    reason: str
    pdf: AttachmentOut | None
    recipients: list[RecipientOut]  # the regulators see all of them; an enterprise, its own copy
    available_actions: list[str]
    history: list[HistoryOut]


def _circular_json(c: Circular, receipts: dict) -> dict:
    receipt = receipts.get(c.pk)
    return {"id": c.pk, "area_code": c.area.code, "area_name": c.area.name, "kind": c.kind,
            "kind_label": str(c.get_kind_display()), "state": c.state, "state_label": str(c.get_state_display()),
            "title": c.title, "number": c.document.number if c.document_id else None, "drafted_at": c.drafted_at,
            "published_at": c.published_at, "read": (receipt.read_at is not None) if receipt else None,
            "version": c.version}


def _circular_detail(c: Circular, user) -> dict:
    mine = list(sel.receipts_of(user).filter(circular=c))
    regulator = sel.can_on_circular(user, SELFCHECK_VIEW, c)
    recipients = list(c.recipients.select_related("enterprise", "read_by").order_by("enterprise__name")) \
        if regulator else mine
    return {**_circular_json(c, {r.circular_id: r for r in mine}), "body": c.body,
            "issuer": services.issuer_name(c.area), "reason": c.reason,
            "pdf": attachment_json(c.document.attachment) if c.document_id and c.document.attachment_id else None,
            "recipients": [{"enterprise_id": r.enterprise_id, "enterprise_name": r.enterprise.name,
                            "read_at": r.read_at, "read_by": r.read_by.display_name if r.read_by else None}
                           for r in recipients],
            "available_actions": _actions(c, user), "history": c.history}


class CircularFilters(Schema):
    state: CircularState | None = None
    unread: bool = Field(False, description="Only those the user's enterprise has not signed for yet.")


class CircularIn(In):
    area: Code
    kind: CircularKind = CircularKind("general")
    title: Title
    body: Body
    enterprise_ids: list[Id] = Field(..., min_length=1, max_length=2000)


class CircularPatch(In):
    title: Title
    body: Body
    enterprise_ids: list[Id] = Field(..., min_length=1, max_length=2000)
    version: Version | None = None


class DraftFilters(Schema):
    area: Code
    kind: CircularKind
    month: FilterDay | None = Field(None, description=MONTH_HELP + " For late reports; default: last month.")


class DraftOut(Schema):
    title: str
    body: str
    enterprise_ids: list[int]


class CircularReadOut(Schema):
    marked: int


def _recipients(request, ids: list[int]) -> list[Enterprise]:
    enterprises = list(sel.reporters_visible_to(request.user, SELFCHECK_REVIEW).filter(pk__in=set(ids)))
    if len(enterprises) != len(set(ids)):
        raise HttpError(422, "enterprise_ids 只能是您辖区内的企业。")
    return enterprises


class CircularPagination(Pagination):
    """The page's circulars, each with the user's enterprise's receipt (one query for the page)."""

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        rows = result["items"]
        mine = {r.circular_id: r for r in sel.receipts_of(request.user).filter(circular_id__in=[c.pk for c in rows])}
        result["items"] = [_circular_json(c, mine) for c in rows]
        return result


@router.get("/selfcheck/circulars", response=list[CircularOut])
@paginate(CircularPagination)
def list_circulars(request, filters: Query[CircularFilters]):
    """Circulars: those the user's area issues, or those published to the user's enterprise."""
    _require(request)
    qs = sel.circulars_visible_to(request.user)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.unread:
        qs = qs.filter(pk__in=sel.receipts_of(request.user).filter(read_at__isnull=True).values("circular_id"))
    return qs.order_by("-drafted_at", "-pk")


@router.get("/selfcheck/circulars/draft", response=DraftOut)
def draft_from_data(request, filters: Query[DraftFilters]):
    """A draft's title, text and recipients from the data: last month's late and missing reporters, enterprises
    with the same problem twice within twelve months, or three months of accepted on-time reports."""
    _require(request, SELFCHECK_REVIEW)
    area = _area(filters.area)
    if not covers(request.user, SELFCHECK_REVIEW, area.path):
        raise HttpError(422, f"区域“{filters.area}”不在您的辖区内。")
    title, body, recipients = _save(lambda: services.circular_from_data(
        actor=request.user, area=area, kind=filters.kind.value, period=filters.month))
    return {"title": title, "body": body, "enterprise_ids": [e.pk for e in recipients]}


@router.post("/selfcheck/circulars", response={201: CircularDetailOut})
def create_circular(request, payload: CircularIn):
    """Draft a circular for an area and the enterprises it goes to; then submit it for the leader's approval."""
    _require(request, SELFCHECK_REVIEW)
    area = _area(payload.area)
    if not covers(request.user, SELFCHECK_REVIEW, area.path):
        raise HttpError(422, f"区域“{payload.area}”不在您的辖区内。")
    circular = _save(lambda: services.draft_circular(
        actor=request.user, area=area, kind=payload.kind.value, title=payload.title, body=payload.body,
        enterprises=_recipients(request, payload.enterprise_ids)))
    return Status(201, _circular_detail(sel.get_circular_for_user(request.user, circular.pk), request.user))


@router.get("/selfcheck/circulars/{circular_id}", response=CircularDetailOut)
def get_circular(request, circular_id: Id):
    return _circular_detail(sel.get_circular_for_user(request.user, circular_id), request.user)


@router.patch("/selfcheck/circulars/{circular_id}", response=CircularDetailOut)
def update_circular(request, circular_id: Id, payload: CircularPatch):
    """Change a draft's text and recipients."""
    circular = sel.get_circular_for_user(request.user, circular_id, need=SELFCHECK_REVIEW)
    _save(lambda: services.update_circular(circular, actor=request.user, title=payload.title, body=payload.body,
                                           enterprises=_recipients(request, payload.enterprise_ids),
                                           expected_version=payload.version))
    return _circular_detail(sel.get_circular_for_user(request.user, circular_id), request.user)


@router.post("/selfcheck/circulars/{circular_id}/transitions", response=CircularDetailOut)
def transition_circular(request, circular_id: Id, payload: SelfcheckTransitionIn):
    """submit (for approval), approve or return (the leader), publish (renders the numbered PDF)."""
    circular = sel.get_circular_for_user(request.user, circular_id)
    _save(lambda: services.act_on_circular(circular, payload.action, actor=request.user, reason=payload.reason,
                                           expected_version=payload.version))
    return _circular_detail(sel.get_circular_for_user(request.user, circular_id), request.user)


@router.post("/selfcheck/circulars/{circular_id}/read", response=CircularReadOut)
def read_circular(request, circular_id: Id):
    """The user's enterprise signs for a published circular (the first reading counts)."""
    circular = sel.get_circular_for_user(request.user, circular_id)
    try:
        marked = services.mark_circular_read(circular, actor=request.user)
    except PermissionDenied:
        raise HttpError(403, "只有收文企业可以签收已发布的通报。") from None
    return {"marked": marked}
