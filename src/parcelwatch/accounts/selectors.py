"""Scoped reads for accounts: the jurisdiction tree as a user may see it."""

from __future__ import annotations

from django.db.models import QuerySet

from .access import jurisdictions_q, memberships
from .models import Jurisdiction, User
from .permissions import REGISTRY_VIEW


def jurisdictions_visible_to(user: User, perm: str = REGISTRY_VIEW) -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.filter(jurisdictions_q(user, perm)).select_related("parent")


def districts_visible_to(user: User) -> QuerySet[Jurisdiction]:
    """Districts and management zones the user can filter by."""
    return jurisdictions_visible_to(user).filter(
        level__in=[Jurisdiction.Level.DISTRICT, Jurisdiction.Level.ZONE]
    ).order_by("sort_order", "code")


def city_of(node: Jurisdiction) -> Jurisdiction:
    """The root of the node's tree; no query when it is among the parents already loaded with the node."""
    code = node.path.split("/")[0]
    while node is not None:
        if node.code == code:
            return node
        node = node.parent if Jurisdiction.parent.is_cached(node) else None
    return Jurisdiction.objects.get(code=code)


def home_city(user: User) -> Jurisdiction | None:
    """The city the user works in (first membership's root), or the only city configured."""
    ms = memberships(user)
    if ms:
        return city_of(ms[0].jurisdiction)
    return Jurisdiction.objects.filter(level=Jurisdiction.Level.CITY).order_by("path").first()
