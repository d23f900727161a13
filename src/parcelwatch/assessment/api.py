"""The safe-delivery assessment and the credit grades through the API (the same services as the pages)."""

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.accounts.access import covers, has_permission
from parcelwatch.accounts.permissions import SELFCHECK_REVIEW, SELFCHECK_VIEW
from parcelwatch.lib.apitypes import Code, Id, In, Search, Year, mapped_pagination
from parcelwatch.registry.selectors import get_enterprise_for_user, get_site_for_user
from parcelwatch.selfcheck.api import _area, _save

from . import selectors as sel
from . import services
from .credit import describe
from .models import Evaluation, EvaluationResult, Grade, ScoringSheet

router = Router(tags=["assessment"])

GradeFilter = Enum("GradeFilter", {k: k for k in Grade.values}, type=str)
ItemCode = Annotated[str, Field(max_length=32)]
Score = Annotated[Decimal, Field(ge=0, le=1000, max_digits=5, decimal_places=1)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


class CriterionOut(Schema):
    code: str
    text: str
    points: Decimal
    method: str
    metric: str
    deduction: Decimal


class SheetOut(Schema):
    id: int
    name: str
    subject: str
    excellent_from: Decimal
    good_from: Decimal
    pass_from: Decimal
    criteria: list[CriterionOut]


class EvaluationOut(Schema):
    id: int
    sheet_id: int
    sheet_name: str
    subject: str
    year: int
    area_code: str
    area_name: str
    state: str
    state_label: str
    done: int  # progress while computing
    total: int
    computed_at: datetime | None
    published_at: datetime | None
    criteria: list[CriterionOut]
    available_actions: list[str]
    version: int


class LineOut(Schema):
    code: str
    text: str
    points: Decimal
    method: str
    score: Decimal | None  # None: scored by hand, not yet
    detail: str


class ResultOut(Schema):
    id: int
    evaluation_id: int
    enterprise_id: int
    enterprise_name: str
    site_id: int | None
    site_name: str | None
    total: Decimal
    grade: str
    grade_label: str
    rank: int | None
    lines: list[LineOut]
    version: int


def _actions(evaluation: Evaluation, user) -> list[str]:
    if not sel.can_manage(user, SELFCHECK_REVIEW, evaluation):
        return []
    if evaluation.stalled:
        return ["recompute"]
    return {Evaluation.State.OPEN: ["recompute", "publish"], Evaluation.State.FAILED: ["recompute"]}.get(
        evaluation.state, [])


def _criteria(rows: list[dict]) -> list[dict]:
    return [{**c, "points": Decimal(c["points"]), "deduction": Decimal(c["deduction"])} for c in rows]


def _evaluation_json(e: Evaluation, user) -> dict:
    return {"id": e.pk, "sheet_id": e.sheet_id, "sheet_name": e.sheet.name, "subject": e.sheet.subject,
            "year": e.year, "area_code": e.area.code, "area_name": e.area.name, "state": e.state,
            "state_label": str(e.get_state_display()), "done": e.done, "total": e.total,
            "computed_at": e.computed_at, "published_at": e.published_at, "criteria": _criteria(e.criteria),
            "available_actions": _actions(e, user), "version": e.version}


def _result_json(r: EvaluationResult) -> dict:
    lines = [{"code": c["code"], "text": c["text"], "points": Decimal(c["points"]), "method": c["method"],
              "score": c["score"], "detail": c["detail"]} for c in services.cells(r.evaluation, r)]
    return {"id": r.pk, "evaluation_id": r.evaluation_id, "enterprise_id": r.enterprise_id,
            "enterprise_name": r.enterprise.name, "site_id": r.site_id, "site_name": r.site.name if r.site_id else None,
            "total": r.total, "grade": r.grade, "grade_label": str(r.get_grade_display()), "rank": r.rank,
            "lines": lines, "version": r.version}


def _require(request, perm: str = SELFCHECK_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


class EvaluationIn(In):
    sheet: int = Field(..., ge=1, le=2**31 - 1)
    year: Year
    area: Code


class EvaluationFilters(Schema):
    year: Year | None = None


class ResultFilters(Schema):
    grade: GradeFilter | None = None
    q: Search | None = None


class EvaluationTransitionIn(In):
    action: Code
    version: Version | None = None


class ScoresIn(In):
    scores: dict[ItemCode, Score | None] = Field(..., max_length=50, description="Criterion code → score (null clears "
                                                                                   "it); only criteria scored by hand.")
    version: Version | None = None


@router.get("/assessment/sheets", response=list[SheetOut])
def list_sheets(request):
    """The scoring sheets in use (configuration)."""
    _require(request)
    return [{"id": s.pk, "name": s.name, "subject": s.subject, "excellent_from": s.excellent_from,
             "good_from": s.good_from, "pass_from": s.pass_from,
             "criteria": [{"code": c.code, "text": c.text, "points": c.points, "method": c.method, "metric": c.metric,
                           "deduction": c.deduction} for c in s.criteria.all()]}
            for s in ScoringSheet.objects.filter(active=True).prefetch_related("criteria")]


@router.get("/assessment/evaluations", response=list[EvaluationOut])
@paginate(mapped_pagination(lambda e, request: _evaluation_json(e, request.user)))
def list_evaluations(request, filters: Query[EvaluationFilters]):
    """Evaluations of the user's area; for an enterprise, the published ones it is in."""
    _require(request)
    qs = sel.evaluations_visible_to(request.user)
    if filters.year:
        qs = qs.filter(year=filters.year)
    return qs.order_by("-year", "area__code", "pk")


@router.post("/assessment/evaluations", response={201: EvaluationOut})
def create_evaluation(request, payload: EvaluationIn):
    """Evaluate a year: the worker scores every operating enterprise (or site) of the area; follow `done`/`total`."""
    _require(request, SELFCHECK_REVIEW)
    area = _area(payload.area)
    if not covers(request.user, SELFCHECK_REVIEW, area.path):
        raise HttpError(422, f"区域“{payload.area}”不在您的辖区内。")
    sheet = ScoringSheet.objects.filter(pk=payload.sheet, active=True).first()
    if sheet is None:
        raise HttpError(422, "sheet 不是在用的考评表。")
    evaluation = _save(lambda: services.start_evaluation(actor=request.user, sheet=sheet, year=payload.year,
                                                         area=area))
    return Status(201, _evaluation_json(sel.get_evaluation_for_user(request.user, evaluation.pk), request.user))


@router.get("/assessment/evaluations/{evaluation_id}", response=EvaluationOut)
def get_evaluation(request, evaluation_id: Id):
    return _evaluation_json(sel.get_evaluation_for_user(request.user, evaluation_id), request.user)


@router.get("/assessment/evaluations/{evaluation_id}/results", response=list[ResultOut])
@paginate(mapped_pagination(lambda r, request: _result_json(r)))
def list_results(request, evaluation_id: Id, filters: Query[ResultFilters]):
    """Results by rank (an enterprise: its own, once published). Export them with POST /exports, source
    `assessment` (or `assessment_pdf`), filters {"evaluation": id}."""
    from .views import filter_results

    evaluation = sel.get_evaluation_for_user(request.user, evaluation_id)
    params = {k: getattr(v, "value", v) for k, v in filters.dict().items() if v}
    return filter_results(sel.results_visible_to(request.user, evaluation), params)[0].select_related(
        "evaluation__sheet")


@router.post("/assessment/evaluations/{evaluation_id}/transitions", response=EvaluationOut)
def transition_evaluation(request, evaluation_id: Id, payload: EvaluationTransitionIn):
    """recompute (with today's data; hand scores stay) or publish (every hand score given)."""
    evaluation = sel.get_evaluation_for_user(request.user, evaluation_id, need=SELFCHECK_REVIEW)
    if payload.action == "recompute":
        _save(lambda: services.recompute(evaluation, actor=request.user, expected_version=payload.version))
    elif payload.action == "publish":
        _save(lambda: services.publish(evaluation, actor=request.user, expected_version=payload.version))
    else:
        raise HttpError(422, f"未知的操作：{payload.action}")
    return _evaluation_json(sel.get_evaluation_for_user(request.user, evaluation_id), request.user)


@router.get("/assessment/results/{evalresult_id}", response=ResultOut)
def get_result(request, evalresult_id: Id):
    return _result_json(sel.get_result_for_user(request.user, evalresult_id))


@router.patch("/assessment/results/{evalresult_id}", response=ResultOut)
def score_result(request, evalresult_id: Id, payload: ScoresIn):
    """Scores of the criteria scored by hand (0 to each criterion's points)."""
    result = sel.get_result_for_user(request.user, evalresult_id)
    if not sel.can_manage(request.user, SELFCHECK_REVIEW, result.evaluation):
        raise PermissionDenied
    _save(lambda: services.score_by_hand(result, actor=request.user, scores=dict(payload.scores),
                                         expected_version=payload.version))
    return _result_json(sel.get_result_for_user(request.user, evalresult_id))


# --- credit grades and the three safety rules -----------------------------------------------------------------


class CreditLineOut(Schema):
    key: str
    label: str
    points: float
    detail: str


class RatingOut(Schema):
    grade: str
    grade_label: str
    score: Decimal
    since: datetime
    computed_at: datetime
    lines: list[CreditLineOut]


class CreditOut(Schema):
    current: RatingOut | None  # None until the worker has graded it
    history: list[RatingOut]  # earlier grades, newest first
    detailed: bool  # False: the grade only — the reasons and the history are its regulators' and its own


def _rating(r, detailed: bool) -> dict:
    return {"grade": r.grade, "grade_label": str(r.get_grade_display()), "score": r.score, "since": r.since,
            "computed_at": r.computed_at, "lines": [describe(line) for line in r.lines] if detailed else []}


def _credit(current, history, detailed: bool) -> dict:
    return {"current": _rating(current, detailed) if current else None,
            "history": [_rating(r, detailed) for r in history], "detailed": detailed}


@router.get("/enterprises/{enterprise_id}/credit", response=CreditOut)
def enterprise_credit(request, enterprise_id: Id):
    """The enterprise's credit grade (A–D), why (each deduction), and its earlier grades."""
    enterprise = get_enterprise_for_user(request.user, enterprise_id)
    return _credit(*sel.rating_of(request.user, enterprise))


@router.get("/sites/{site_id}/credit", response=CreditOut)
def site_credit(request, site_id: Id):
    site = get_site_for_user(request.user, site_id)
    return _credit(*sel.rating_of(request.user, site.enterprise, site))


class RuleOut(Schema):
    rule: str
    label: str
    status: str  # ok, problem, unknown (no record)
    reports_yes: int
    reports_no: int
    events: int
    open_events: int
    event_numbers: list[str]
    patrol_ok: int
    patrol_problem: int


@router.get("/sites/{site_id}/three-rules", response=list[RuleOut])
def site_three_rules(request, site_id: Id):
    """收寄验视, 实名收寄, 过机安检 at the site over the last twelve months: the enterprise's monthly answers, problems
    of each rule found there, and what video patrols saw."""
    site = get_site_for_user(request.user, site_id)
    if not sel.may_see_rules(request.user, site):
        raise PermissionDenied
    return [{"rule": r["rule"], "label": str(r["label"]), "status": r["status"], "reports_yes": r["yes"],
             "reports_no": r["no"], "events": r["event_count"], "open_events": r["open"],
             "event_numbers": [e.number for e in r["events"]], "patrol_ok": r["patrol_ok"],
             "patrol_problem": r["patrol_problem"]} for r in sel.three_rules(site)]

