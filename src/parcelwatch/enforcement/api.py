from datetime import date, datetime

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import CASES_VIEW
from parcelwatch.events.services import TransitionError
from parcelwatch.evidence.api import own_uploads_or_422
from parcelwatch.evidence.schemas import TimelineOut
from parcelwatch.evidence.timeline import entries_as_json
from parcelwatch.lib.apitypes import Code, Findings, Id, In, Line, Money, MoneyOut, Note, Pagination, Search, Year

from . import services
from .models import EnforcementCase
from .selectors import (
    available_case_transitions,
    case_todo_for,
    case_totals,
    cases_visible_to,
    filter_cases,
    fines_total,
    get_case_for_user,
)
from .workflow import case_next_step

router = Router(tags=["enforcement"])


class CaseOut(Schema):
    id: int
    number: str | None
    state: str
    state_label: str
    enterprise_name: str
    site_id: int
    site_name: str
    category: str
    district_code: str
    event_numbers: list[str]
    proposed_at: datetime
    filed_at: datetime | None
    legal_basis: str
    fine_amount: MoneyOut | None
    decision_number: str
    paid_at: datetime | None
    closed_at: datetime | None
    version: int


class EventLinkOut(Schema):
    id: int
    number: str
    state: str
    state_label: str


class CaseDetailOut(CaseOut):
    findings: str
    justification: str
    hearing_deadline: date | None
    available_actions: list[str]
    next_step: str
    events: list[EventLinkOut]
    timeline: list[TimelineOut]


def _case(c: EnforcementCase) -> dict:
    return {
        "id": c.pk, "number": c.number, "state": c.state, "state_label": str(c.get_state_display()),
        "enterprise_name": c.enterprise.name, "site_id": c.site_id, "site_name": c.site.name,
        "category": c.category.code, "district_code": c.district.code,
        "event_numbers": [e.number for e in c.events.all()], "proposed_at": c.proposed_at, "filed_at": c.filed_at,
        "legal_basis": c.legal_basis, "fine_amount": c.fine_amount, "decision_number": c.decision_number,
        "paid_at": c.paid_at, "closed_at": c.closed_at, "version": c.version,
    }


def _detail(c: EnforcementCase, user) -> dict:
    return {
        **_case(c), "findings": c.findings, "justification": c.justification, "hearing_deadline": c.hearing_deadline,
        "available_actions": [t.action for t in available_case_transitions(c, user)],
        "next_step": case_next_step(c),
        "events": [{"id": e.pk, "number": e.number, "state": e.state, "state_label": str(e.get_state_display())}
                   for e in c.events.order_by("reported_at")],
        "timeline": entries_as_json(c),
    }


class CaseFilters(Schema):
    year: Year | None = Field(None, description="Year of filing (of proposal, for cases not filed), local time.")
    district: Code | None = None
    state: Code | None = None
    q: Search | None = Field(None, description="Matches case, decision and event numbers, party and site names.")
    category: Code | None = Field(None, description="An event category's code.")


class CasePagination(Pagination):
    class Output(Schema):
        count: int
        count_capped: bool = False
        fines_total: MoneyOut
        items: list[CaseOut]

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        result["fines_total"] = fines_total(queryset)
        result["items"] = [_case(c) for c in result["items"]]
        return result


@router.get("/cases", response=list[CaseOut])
@paginate(CasePagination)
def list_cases(request, filters: Query[CaseFilters]):
    """Enforcement cases; `year` is the year of filing. `fines_total` sums decided fines of all matching cases."""
    return _filtered_cases(request, filters).prefetch_related("events").order_by("-proposed_at", "-pk")


def _filtered_cases(request, filters: CaseFilters):
    if not has_permission(request.user, CASES_VIEW):
        raise HttpError(403, "您没有执行此操作的权限。")
    if filters.state and filters.state not in EnforcementCase.State.values:
        raise HttpError(422, f"未知的状态：{filters.state}")
    f = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    return filter_cases(cases_visible_to(request.user), **f)


class CaseTotalRowOut(Schema):
    code: str
    name: str
    cases: int
    fines: MoneyOut


class CaseTotalsOut(Schema):
    cases: int = Field(description="Cases filed (立案) among those matching.")
    fines_total: MoneyOut = Field(description="Fines decided on them, in yuan.")
    by_category: list[CaseTotalRowOut]
    by_district: list[CaseTotalRowOut]


@router.get("/cases/totals", response=CaseTotalsOut)
def case_ledger_totals(request, filters: Query[CaseFilters]):
    """The enforcement ledger's totals: cases filed and fines decided, by category and by district."""
    totals = case_totals(_filtered_cases(request, filters))
    return {"cases": totals["cases"], "fines_total": totals["fines"],
            "by_category": [{"code": r["category__code"], "name": r["category__name"], "cases": r["cases"],
                             "fines": r["fines"]} for r in totals["by_category"]],
            "by_district": [{"code": r["district__code"], "name": r["district__name"], "cases": r["cases"],
                             "fines": r["fines"]} for r in totals["by_district"]]}


@router.get("/cases/{case_id}", response=CaseDetailOut)
def get_case(request, case_id: int):
    return _detail(get_case_for_user(request.user, case_id), request.user)


class CaseTransitionIn(In):
    action: Code
    note: Note = ""
    version: int | None = Field(None, ge=1, le=2**31 - 1)
    findings: Findings = ""
    legal_basis: Line = ""
    fine: Money | None = Field(None, description="Yuan, at most two decimals.")
    justification: Note = ""
    hearing_days: int | None = Field(None, ge=1, le=30)
    hearing_waived: bool = False
    attachment_ids: list[Id] = Field([], max_length=20)


@router.post("/cases/{case_id}/transitions", response=CaseDetailOut)
def transition_case(request, case_id: int, payload: CaseTransitionIn):
    case = get_case_for_user(request.user, case_id)
    attachments = own_uploads_or_422(request, payload.attachment_ids)
    try:
        services.perform_case(
            case, payload.action, actor=request.user, note=payload.note, attachments=attachments,
            findings=payload.findings, legal_basis=payload.legal_basis, fine=payload.fine,
            justification=payload.justification, hearing_days=payload.hearing_days,
            hearing_waived=payload.hearing_waived, expected_version=payload.version,
        )
    except TransitionError as exc:
        raise HttpError(exc.http_status, exc.message) from None
    return _detail(get_case_for_user(request.user, case_id), request.user)



class CaseListPagination(Pagination):
    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        result["items"] = [_case(c) for c in result["items"]]
        return result


@router.get("/todo/cases", response=list[CaseOut])
@paginate(CaseListPagination)
def todo_cases(request):
    """Case steps waiting for this user: filings and decisions for leaders, the other steps for officers."""
    if not has_permission(request.user, CASES_VIEW):
        raise HttpError(403, "您没有执行此操作的权限。")
    return case_todo_for(request.user).prefetch_related("events")
