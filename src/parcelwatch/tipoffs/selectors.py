"""Scoped reads of public reports and rewards."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from parcelwatch.accounts.access import Scope, get_object_for_user, scope_q, scoped, user_can
from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import REWARDS_VIEW, TIPS_HANDLE, TIPS_IDENTITY

from .models import Reward, RewardRuleSet, TipOff

DISTRICT_SCOPE = Scope(path_field="district__path", ids=(("district__path", "district_id", "district_id"),))


def tipoffs_visible_to(user: User) -> QuerySet[TipOff]:
    """Reports of the user's area, for those who check them and for those allowed to know who reported (the leader
    approving a reward reaches the report it rewards)."""
    q = scope_q(user, TIPS_HANDLE, DISTRICT_SCOPE) | scope_q(user, TIPS_IDENTITY, DISTRICT_SCOPE)
    return TipOff.objects.filter(q).select_related("district", "category", "event")


def get_tipoff_for_user(user: User, pk: object) -> TipOff:
    from django.http import Http404

    from parcelwatch.accounts.access import valid_pk

    tip = tipoffs_visible_to(user).filter(pk=valid_pk(pk) or 0).first()
    if tip is None:
        raise Http404
    return tip


def rewards_visible_to(user: User, perm: str = REWARDS_VIEW) -> QuerySet[Reward]:
    return scoped(Reward.objects.all(), user, perm, DISTRICT_SCOPE).select_related(
        "rule_set", "event", "recipient", "district", "tipoff")


def get_reward_for_user(user: User, pk: object, need: str = REWARDS_VIEW) -> Reward:
    return get_object_for_user(rewards_visible_to(user), user, pk, scope=DISTRICT_SCOPE, view=REWARDS_VIEW, need=need)


def can_on(user: User, perm: str, obj) -> bool:
    return user_can(user, perm, obj, scope=DISTRICT_SCOPE)


def yearly_totals(rewards: QuerySet[Reward]) -> list[dict]:
    """Rewards paid per year (by the day paid) and per rule set: the ledger's totals."""
    from django.db.models.functions import ExtractYear

    rows = (rewards.filter(state=Reward.State.PAID).order_by().annotate(year=ExtractYear("paid_at"))
            .values("year", "rule_set__audience").annotate(n=Count("pk"), total=Sum("amount")))
    labels = dict(RewardRuleSet.Audience.choices)
    years: dict[int, dict] = {}
    for row in rows:
        year = years.setdefault(row["year"], {"year": row["year"], "count": 0, "total": Decimal(0), "by": []})
        year["count"] += row["n"]
        year["total"] += row["total"] or Decimal(0)
        year["by"].append({"audience": row["rule_set__audience"], "label": labels.get(row["rule_set__audience"], ""),
                           "count": row["n"], "total": row["total"] or Decimal(0)})
    return [years[y] for y in sorted(years, reverse=True)]
