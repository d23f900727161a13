"""Small factories for tests: plain functions with sensible Putian defaults."""

from __future__ import annotations

import itertools
from decimal import Decimal

from parcelwatch.accounts.models import Jurisdiction, Membership, User
from parcelwatch.accounts.services import upsert_jurisdiction
from parcelwatch.lib.credit_code import check_character
from parcelwatch.registry.models import Brand, Enterprise, SafetyOfficer, Site

_seq = itertools.count(1)

PASSWORD = "Test@2026"


def credit_code(region: str = "350303") -> str:
    body = f"91{region}{next(_seq):09d}"
    return body + check_character(body)


def node(code: str, name: str, level: str, parent: Jurisdiction | None, **kw) -> Jurisdiction:
    return upsert_jurisdiction(code=code, name=name, level=level, parent=parent, **kw)


def user(username: str, *memberships: tuple) -> User:
    """Memberships as (role, node), (role, node, enterprise) for enterprise staff, or (role, node, department) for
    partner users (a partner without one works for the city's public security bureau)."""
    from parcelwatch.accounts.models import Role

    u = User.objects.create_user(username=username, password=PASSWORD, full_name=username)
    for m in memberships:
        extra = m[2] if len(m) > 2 else None
        if m[0] == Role.PARTNER:
            Membership.objects.create(user=u, role=m[0], jurisdiction=m[1],
                                      partner_department=extra or department("莆田市公安局", m[1], "公安"))
        else:
            Membership.objects.create(user=u, role=m[0], jurisdiction=m[1], enterprise=extra)
    return u


def department(name: str, area: Jurisdiction, short: str = ""):
    from parcelwatch.collaboration.models import PartnerDepartment

    return PartnerDepartment.objects.get_or_create(name=name, defaults={"jurisdiction": area, "short_name": short})[0]


def brand(code: str = "zto", name: str = "中通快递", short: str = "中通") -> Brand:
    return Brand.objects.get_or_create(code=code, defaults={"name": name, "short_name": short})[0]


def enterprise(name: str, district: Jurisdiction, **kw) -> Enterprise:
    kw.setdefault("credit_code", credit_code(district.code))
    return Enterprise.objects.create(name=name, jurisdiction=district, **kw)


def site(name: str, place: Jurisdiction, enterprise: Enterprise, **kw) -> Site:
    kw.setdefault("kind", Site.Kind.OUTLET)
    kw.setdefault("address", f"莆田市{place.name}某路{next(_seq)}号")
    kw.setdefault("filing_number", f"TEST{next(_seq):06d}")
    kw.setdefault("lng", Decimal("119.120000"))
    kw.setdefault("lat", Decimal("25.460000"))
    return Site.objects.create(name=name, jurisdiction=place, district=place.district(), enterprise=enterprise, **kw)


def officer(name: str, enterprise: Enterprise, *sites: Site, **kw) -> SafetyOfficer:
    kw.setdefault("id_number", "350303198001011234")
    kw.setdefault("phone", "13800001111")
    o = SafetyOfficer.objects.create(name=name, enterprise=enterprise, **kw)
    o.sites.set(sites)
    return o
