"""REST endpoints of public reports and rewards; reporting and tracking need no login."""

from datetime import datetime
from typing import Annotated

from django.conf import settings
from django.core.exceptions import PermissionDenied
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import REWARDS_VIEW, TIPS_HANDLE
from parcelwatch.accounts.services import rate_limited
from parcelwatch.events.models import EventCategory
from parcelwatch.evidence.api import own_uploads_or_422
from parcelwatch.lib.apitypes import Code, Id, In, Line, MoneyOut, Note, Year, mapped_pagination, save_or_refuse
from parcelwatch.lib.net import client_ip
from parcelwatch.registry.models import Site

from . import challenge, services
from . import selectors as sel
from .models import Reward, RewardRuleSet, TipOff

router = Router(tags=["public reports and rewards"])


class PublicChallengeOut(Schema):
    question: str
    token: str


class PublicReportIn(In):
    district: Code
    place: Line = Field(max_length=200)
    category: Code | None = None
    description: Note = Field(max_length=2000)
    reporter_name: Line = Field("", max_length=32)
    reporter_phone: Line = Field("", max_length=40)
    insider: bool = False
    token: str = Field(max_length=400, description="From GET /api/v1/public/reports/challenge.")
    answer: Line = Field(max_length=4, description="The sum the challenge asks for.")


class PublicReportOut(Schema):
    tracking_code: str
    district: str
    state: str
    outcome: str
    received_at: datetime


def _public(t: TipOff) -> dict:
    return {"tracking_code": t.tracking_code, "district": t.district.name, "state": t.state, "outcome": t.outcome,
            "received_at": t.received_at}


@router.get("/public/reports/challenge", response=PublicChallengeOut, auth=None)
def public_report_challenge(request):
    """A sum to answer with the report (no sooner than 3 seconds, within an hour)."""
    question, token = challenge.new_challenge()
    return {"question": question, "token": token}


@router.post("/public/reports", response={201: PublicReportOut}, auth=None)
def submit_public_report(request, payload: PublicReportIn):
    """Report a violation without login; keep the tracking code to follow it. Name and phone are optional and
    confidential."""
    if not challenge.use(payload.token, payload.answer, ""):
        raise HttpError(422, "验证答案不正确、提交过快或已使用过，请重新获取验证题。")
    district = Jurisdiction.objects.filter(code=payload.district, level__in=("district", "zone")).first()
    if district is None:
        raise HttpError(422, f"区县“{payload.district}”不存在。")
    category = None
    if payload.category:
        category = EventCategory.objects.filter(code=payload.category, active=True).first()
        if category is None:
            raise HttpError(422, f"违法类型“{payload.category}”不存在。")
    if rate_limited(f"tipoff:{client_ip(request)}", limit=settings.PUBLIC_REPORTS_PER_HOUR, window_seconds=3600):
        raise HttpError(429, "来自此网络的举报过多，请一小时后再试，或拨打12305。")
    tip = save_or_refuse(lambda: services.submit_tipoff(
        district=district, place=payload.place, description=payload.description, category=category,
        reporter_name=payload.reporter_name, reporter_phone=payload.reporter_phone, insider=payload.insider,
        challenge=challenge.nonce(payload.token)))
    return Status(201, _public(tip))


@router.get("/public/reports/{code}", response=PublicReportOut, auth=None)
def track_public_report(request, code: Annotated[str, Path(max_length=40)]):
    tip = services.track(code)
    if tip is None:
        raise HttpError(404, "没有这个查询码的举报。")
    return _public(tip)


# --- officers -------------------------------------------------------------------------------------------------


def _require(request, perm: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


class TipOffOut(Schema):
    id: int
    tracking_code: str
    district: str
    place: str
    category: str | None
    description: str
    attachment_ids: list[int]
    anonymous: bool
    insider: bool
    received_at: datetime
    state: str
    outcome: str
    event_id: int | None
    version: int


class TipOffFilters(Schema):
    state: TipOff.State | None = None


class TipOffSubstantiationIn(In):
    site: Id
    category: Code
    description: Note = Field(max_length=2000, description="What was found on checking, in the officer's own words "
                                                          "(the enterprise reads it: never the reporter's words).")
    outcome: Note = Field(max_length=500)
    attachment_ids: list[Id] = Field([], max_length=10)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class TipOffDismissalIn(In):
    outcome: Note = Field(max_length=500)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class TipOffIdentityOut(Schema):
    name: str
    phone: str


def _tip_json(t: TipOff) -> dict:
    return {"id": t.pk, "tracking_code": t.tracking_code, "district": t.district.code, "place": t.place,
            "category": t.category.code if t.category else None, "description": t.description,
            "attachment_ids": sorted(a.pk for a in t.attachments.all()), "anonymous": t.anonymous,
            "insider": t.insider, "received_at": t.received_at, "state": t.state, "outcome": t.outcome,
            "event_id": t.event_id, "version": t.version}


@router.get("/tips", response=list[TipOffOut])
@paginate(mapped_pagination(lambda t, request: _tip_json(t)))
def list_tipoffs(request, filters: Query[TipOffFilters]):
    _require(request, TIPS_HANDLE)
    qs = sel.tipoffs_visible_to(request.user)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    return qs.prefetch_related("attachments").order_by("-received_at", "-pk")


@router.get("/tips/{tip_id}", response=TipOffOut)
def get_tipoff(request, tip_id: int):
    return _tip_json(sel.get_tipoff_for_user(request.user, tip_id))


def _handled(request, tip_id: int) -> TipOff:
    """A report the caller may handle (403 for those who may only see it, such as the leader)."""
    tip = sel.get_tipoff_for_user(request.user, tip_id)
    if not sel.can_on(request.user, TIPS_HANDLE, tip):
        raise PermissionDenied
    return tip


@router.post("/tips/{tip_id}/substantiation", response=TipOffOut)
def substantiate_tipoff(request, tip_id: int, payload: TipOffSubstantiationIn):
    """The report proved true: it becomes an event at the site; a named reporter is proposed a reward."""
    tip = _handled(request, tip_id)
    site = Site.objects.filter(pk=payload.site, district_id=tip.district_id).exclude(
        status=Site.Status.CLOSED).first()
    if site is None:
        raise HttpError(422, "site 必须是举报所在区县的场所。")
    category = EventCategory.objects.filter(code=payload.category, active=True).first()
    if category is None:
        raise HttpError(422, f"类别“{payload.category}”不存在。")
    photos = own_uploads_or_422(request, payload.attachment_ids)
    save_or_refuse(lambda: services.substantiate_tipoff(tip, actor=request.user, site=site, category=category,
                                                        description=payload.description, outcome=payload.outcome,
                                                        photos=photos, expected_version=payload.version))
    return _tip_json(sel.get_tipoff_for_user(request.user, tip_id))


@router.post("/tips/{tip_id}/dismissal", response=TipOffOut)
def dismiss_tipoff(request, tip_id: int, payload: TipOffDismissalIn):
    tip = _handled(request, tip_id)
    save_or_refuse(lambda: services.dismiss_tipoff(tip, actor=request.user, outcome=payload.outcome,
                                                   expected_version=payload.version))
    return _tip_json(sel.get_tipoff_for_user(request.user, tip_id))


@router.post("/tips/{tip_id}/identity", response=TipOffIdentityOut)
def reveal_tipoff_identity(request, tip_id: int):
    """Who made the report, for the roles allowed to know; every call is logged."""
    tip = sel.get_tipoff_for_user(request.user, tip_id)
    name, phone = services.reveal_identity(tip, actor=request.user)
    return {"name": name, "phone": phone}


class RewardOut(Schema):
    id: int
    audience: str
    event_id: int
    tip_id: int | None
    recipient: str
    district: str
    amount: MoneyOut
    basis: str
    state: str
    proposed_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None
    voucher: str
    version: int


class RewardFilters(Schema):
    state: Reward.State | None = None
    audience: RewardRuleSet.Audience | None = None


class RewardProposalIn(In):
    event: Id = Field(description="An accepted event reported by a grid worker.")


class RewardDecisionIn(In):
    approve: bool
    reason: Note = Field("", max_length=500)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class RewardPaymentIn(In):
    voucher: Line = Field(max_length=64)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class RewardAudienceTotalOut(Schema):
    audience: str
    count: int
    total: MoneyOut


class RewardYearOut(Schema):
    year: int
    count: int
    total: MoneyOut
    by_audience: list[RewardAudienceTotalOut]


class RewardTotalsFilters(Schema):
    year: Year | None = None


def _reward_json(r: Reward) -> dict:
    return {"id": r.pk, "audience": r.rule_set.audience, "event_id": r.event_id, "tip_id": r.tipoff_id,
            "recipient": r.recipient.display_name if r.recipient else "", "district": r.district.code,
            "amount": r.amount, "basis": r.basis, "state": r.state, "proposed_at": r.proposed_at,
            "decided_at": r.decided_at, "paid_at": r.paid_at, "voucher": r.voucher, "version": r.version}


@router.get("/rewards", response=list[RewardOut])
@paginate(mapped_pagination(lambda r, request: _reward_json(r)))
def list_rewards(request, filters: Query[RewardFilters]):
    _require(request, REWARDS_VIEW)
    qs = sel.rewards_visible_to(request.user)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.audience:
        qs = qs.filter(rule_set__audience=filters.audience.value)
    return qs.order_by("-proposed_at", "-pk")


@router.get("/rewards/totals", response=list[RewardYearOut])
def reward_totals(request, filters: Query[RewardTotalsFilters]):
    """Rewards paid per year (the day paid) and per rule set."""
    _require(request, REWARDS_VIEW)
    years = sel.yearly_totals(sel.rewards_visible_to(request.user))
    return [{"year": y["year"], "count": y["count"], "total": y["total"],
             "by_audience": [{"audience": b["audience"], "count": b["count"], "total": b["total"]} for b in y["by"]]}
            for y in years if not filters.year or y["year"] == filters.year]


@router.post("/rewards", response={201: RewardOut})
def propose_reward(request, payload: RewardProposalIn):
    from parcelwatch.events.selectors import get_event_for_user

    event = get_event_for_user(request.user, payload.event)
    reward = save_or_refuse(lambda: services.propose_grid_reward(event, actor=request.user))
    return Status(201, _reward_json(reward))


@router.get("/rewards/{reward_id}", response=RewardOut)
def get_reward(request, reward_id: int):
    return _reward_json(sel.get_reward_for_user(request.user, reward_id))


@router.post("/rewards/{reward_id}/decision", response=RewardOut)
def decide_reward(request, reward_id: int, payload: RewardDecisionIn):
    reward = sel.get_reward_for_user(request.user, reward_id)
    save_or_refuse(lambda: services.decide_reward(reward, actor=request.user, approve=payload.approve,
                                                  reason=payload.reason, expected_version=payload.version))
    return _reward_json(sel.get_reward_for_user(request.user, reward_id))


@router.post("/rewards/{reward_id}/payment", response=RewardOut)
def pay_reward(request, reward_id: int, payload: RewardPaymentIn):
    reward = sel.get_reward_for_user(request.user, reward_id)
    save_or_refuse(lambda: services.pay_reward(reward, actor=request.user, voucher=payload.voucher,
                                               expected_version=payload.version))
    return _reward_json(sel.get_reward_for_user(request.user, reward_id))
