"""Statistics through the API: the same figures as the statistics pages, for the same reach."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import STATS_VIEW
from parcelwatch.lib.apitypes import Code, FilterDay, Id, MoneyOut, Year

from . import selectors as s
from .measures import MEASURES, STAGES

router = Router(tags=["statistics"])


class StatsFilters(Schema):
    year: Year | None = Field(None, description="A calendar year (local time); ignored when dates are given.")
    reported_from: FilterDay | None = Field(None, description="Reported on or after this local day (default: 1 January "
                                                         "of this year).")
    reported_to: FilterDay | None = Field(None, description="Reported on or before this local day (default: today).")
    district: Code | None = Field(None, description="A district code, e.g. 350303.")
    category: Code | None = None
    brand: Code | None = None
    enterprise: Id | None = None
    reporter: Id | None = None
    source: Literal["grid", "inspection", "video_patrol", "spot_check", "public_report"] | None = None
    level: Literal["district", "city"] | None = None


def _filter(request, filters: StatsFilters) -> s.StatsFilter:
    if not has_permission(request.user, STATS_VIEW):
        raise HttpError(403, "您没有查看统计数据的权限。")
    params = {k: (v.isoformat() if isinstance(v, date) else str(v)) for k, v in filters.dict().items()
              if v not in (None, "")}
    if filters.reported_from and filters.reported_to and filters.reported_to < filters.reported_from:
        raise HttpError(422, "截止日期早于起始日期。")
    return s.stats_filter(params)


class Rates(Schema):
    acceptance_rate: float | None = Field(description="accepted ÷ (accepted + rejected or merged)")
    on_time_rectification_rate: float | None = Field(
        description="rectified by the deadline ÷ rectifications due (letter issued, then submitted or escalated)")
    closure_rate: float | None = Field(description="closed ÷ accepted")
    on_time_closure_rate: float | None = Field(description="closed without escalation or missed deadline ÷ closed")
    district_closure_share: float | None = Field(description="closed at district level ÷ closed")
    rework_rate: float | None = Field(description="sent back at least once ÷ events with a fix submitted")
    repeat_share: float | None = Field(description="repeat problems ÷ reported")
    average_days: dict[str, float | None] = Field(
        description="Average days per stage: " + ", ".join(STAGES) + " (None where nothing passed the stage).")


class Counts(Schema):
    events: int = Field(description="Events reported in the period.")
    accepted: int
    not_accepted: int = Field(description="Rejected or merged as duplicates.")
    open: int
    closed: int
    closed_at_district: int
    closed_at_city: int
    escalated: int
    letters: int = Field(description="Events for which a reminder letter was issued.")
    rectifications_due: int
    rectified_on_time: int
    reworked: int
    repeat: int
    by_state: dict[str, int]


class SummaryOut(Counts, Rates):
    start: date
    end: date
    cases: int = Field(description="Enforcement cases filed in the period (by filing date).")
    penalised: int = Field(description="Of these, cases with a penalty decided.")
    fines_total: MoneyOut = Field(description="Fines decided in these cases, yuan (a string with two decimals).")


class BreakdownRow(Counts, Rates):
    key: int | str = Field(description="The id (district, category, brand, enterprise, reporter) or yyyymm.")
    label: str
    share: float | None = Field(description="Share of all events in the selection.")
    events_url: str = Field(description="The web event list of exactly these events.")


def _counts(row: dict) -> dict:
    return {
        "events": row["reported"], "accepted": row["accepted"], "not_accepted": row["not_accepted"],
        "open": row["open"], "closed": row["closed"], "closed_at_district": row["closed_district"],
        "closed_at_city": row["closed_city"], "escalated": row["escalated"], "letters": row["letters"],
        "rectifications_due": row["rect_due"], "rectified_on_time": row["rect_on_time"],
        "reworked": row["reworked"], "repeat": row["repeat"],
        "by_state": {m[3:]: row[m] for m in MEASURES if m.startswith("st_")},
        "acceptance_rate": row["acceptance_rate"], "on_time_rectification_rate": row["on_time_rectification_rate"],
        "closure_rate": row["closure_rate"], "on_time_closure_rate": row["on_time_closure_rate"],
        "district_closure_share": row["district_closure_share"], "rework_rate": row["rework_rate"],
        "repeat_share": row["repeat_share"], "average_days": {st: row[f"{st}_days"] for st in STAGES},
    }


@router.get("/stats/summary", response=SummaryOut)
def stats_summary(request, filters: Query[StatsFilters]):
    """Figures for events reported in a period (a year, or dates) in the caller's jurisdiction.

    `?year=2019` gives the yearly report's figures; `?district=<code>` narrows to one district."""
    f = _filter(request, filters)
    row = s.summary(request.user, f)
    return {**_counts(row), "start": f.start, "end": f.end, "cases": row["cases"], "penalised": row["penalised"],
            "fines_total": Decimal(row["fines_total"] or 0)}


@router.get("/stats/breakdown", response=list[BreakdownRow])
def stats_breakdown(request, by: Literal["category", "district", "brand", "enterprise", "reporter", "month"],
                    filters: Query[StatsFilters]):
    """The same figures per category, district, brand, enterprise, grid worker or month (months in order,
    the others largest first)."""
    f = _filter(request, filters)
    rows = s.breakdown(s.reach_of(request.user), f, by)
    return [{**_counts(r), "key": r["key"], "label": r["label"], "share": r["share"], "events_url": r["url"]}
            for r in rows]


class DistrictAssessmentRow(Schema):
    code: str
    name: str
    rank: int | None = Field(description="Equal scores share a rank; a district without a score has none.")
    score: float | None = Field(description="Out of 100: the weighted mean of the indicators the district has "
                                            "events to judge by; the rework rate counts against it.")
    reported: int
    acceptance_rate: float | None
    on_time_rectification_rate: float | None
    closure_rate: float | None
    on_time_closure_rate: float | None
    district_closure_share: float | None
    rework_rate: float | None
    events_url: str


class DistrictAssessmentWeightOut(Schema):
    indicator: str
    weight: float


class DistrictAssessmentOut(Schema):
    start: date
    end: date
    weights: list[DistrictAssessmentWeightOut]
    districts: list[DistrictAssessmentRow]


@router.get("/stats/district-assessment", response=DistrictAssessmentOut)
def stats_district_assessment(request, filters: Query[StatsFilters]):
    """The city's assessment of its districts (市对县综治考评) over a period: scores out of 100 and ranking."""
    from .districts import ASSESSED, assessed_districts, district_assessment

    f = _filter(request, filters)
    reach = s.reach_of(request.user)
    rows, weighted = district_assessment(reach, f, assessed_districts(reach))
    return {"start": f.start, "end": f.end,
            "weights": [{"indicator": k, "weight": float(w)} for k, w in weighted],
            "districts": [{"code": r["code"], "name": r["label"], "rank": r["rank"],
                           "score": float(r["score"]) if r["score"] is not None else None,
                           "reported": r["reported"], **{k: r[k] for k in ASSESSED}, "events_url": r["url"]}
                          for r in rows]}


class WallToday(Schema):
    reported: int
    closed: int
    overdue: int
    escalated: int


class WallYear(Schema):
    year: int
    reported: int
    closed: int
    open: int
    district_closure_share: float | None
    on_time_rectification_rate: float | None


class WallDistrict(Schema):
    name: str
    code: str
    point: list[float] | None = Field(description="[longitude, latitude] of the district's label, if known.")
    reported: int = Field(description="Reported this year.")
    open: int = Field(description="Open now, whenever reported.")


class WallTicker(Schema):
    time: str
    kind: Literal["report", "escalate"]
    number: str
    text: str


class WallOut(Schema):
    generated_at: str
    today: WallToday
    year: WallYear
    districts: list[WallDistrict]
    ticker: list[WallTicker]


@router.get("/stats/wall", response=WallOut)
def stats_wall(request, district: Code | None = None):
    """The wall screen's figures: today, this year, open events per district, the latest activity."""
    if not has_permission(request.user, STATS_VIEW):
        raise HttpError(403, "您没有查看统计数据的权限。")
    from parcelwatch.accounts.selectors import districts_visible_to

    from .views import wall_figures

    chosen = districts_visible_to(request.user).filter(code=district).first() if district else None
    if district and chosen is None:
        raise HttpError(404, "没有这个县区。")
    return wall_figures(request.user, chosen)
