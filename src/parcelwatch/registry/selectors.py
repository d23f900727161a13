"""Scoped reads of the registry. Views and the API read only through these."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from parcelwatch.accounts.access import Scope, get_object_for_user, scoped, user_can
from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import REGISTRY_VIEW, REGISTRY_VIEW_SENSITIVE

from .models import Enterprise, SafetyOfficer, Site

SITE_SCOPE = Scope(path_field="jurisdiction__path", enterprise_field="enterprise_id")
# An enterprise belongs to its registered district and to every area where it runs a site.
ENTERPRISE_SCOPE = Scope(path_field="jurisdiction__path", enterprise_field="id", extra=("sites__jurisdiction__path",))
OFFICER_SCOPE = Scope(
    path_field="enterprise__jurisdiction__path",
    enterprise_field="enterprise_id",
    extra=("sites__jurisdiction__path",),
)

SORTS = {
    "name": "name",
    "-name": "-name",
    "district": "district__sort_order",
    "-district": "-district__sort_order",
    "filing_date": "filing_date",
    "-filing_date": "-filing_date",
    "updated": "updated_at",
    "-updated": "-updated_at",
}


def sites_visible_to(user: User, perm: str = REGISTRY_VIEW) -> QuerySet[Site]:
    return scoped(Site.objects.all(), user, perm, SITE_SCOPE).select_related(
        "enterprise", "brand", "district", "jurisdiction"
    )


def enterprises_visible_to(user: User, perm: str = REGISTRY_VIEW) -> QuerySet[Enterprise]:
    return scoped(Enterprise.objects.all(), user, perm, ENTERPRISE_SCOPE).select_related("brand", "jurisdiction")


def officers_visible_to(user: User, perm: str = REGISTRY_VIEW) -> QuerySet[SafetyOfficer]:
    return scoped(SafetyOfficer.objects.all(), user, perm, OFFICER_SCOPE).select_related("enterprise")


def get_site_for_user(user: User, pk: object, need: str = REGISTRY_VIEW) -> Site:
    return get_object_for_user(
        Site.objects.select_related("enterprise", "brand", "district", "jurisdiction__parent"),
        user, pk, scope=SITE_SCOPE, view=REGISTRY_VIEW, need=need,
    )


def get_enterprise_for_user(user: User, pk: object, need: str = REGISTRY_VIEW) -> Enterprise:
    return get_object_for_user(
        Enterprise.objects.select_related("brand", "jurisdiction"),
        user, pk, scope=ENTERPRISE_SCOPE, view=REGISTRY_VIEW, need=need,
    )


def get_officer_for_user(user: User, pk: object, need: str = REGISTRY_VIEW) -> SafetyOfficer:
    return get_object_for_user(
        SafetyOfficer.objects.select_related("enterprise"),
        user, pk, scope=OFFICER_SCOPE, view=REGISTRY_VIEW, need=need,
    )


def can_on_site(user: User, perm: str, site: Site) -> bool:
    return user_can(user, perm, site, scope=SITE_SCOPE)


def can_on_enterprise(user: User, perm: str, enterprise: Enterprise) -> bool:
    return user_can(user, perm, enterprise, scope=ENTERPRISE_SCOPE)


def can_on_officer(user: User, perm: str, officer: SafetyOfficer) -> bool:
    return user_can(user, perm, officer, scope=OFFICER_SCOPE)


def can_see_sensitive(user: User, officer: SafetyOfficer) -> bool:
    return can_on_officer(user, REGISTRY_VIEW_SENSITIVE, officer)


def filter_sites(
    qs: QuerySet[Site],
    *,
    q: str = "",
    district: str = "",
    brand: str = "",
    kind: str = "",
    status: str = "",
    enterprise: int | None = None,
    sort: str = "",
) -> QuerySet[Site]:
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(address__icontains=q) | Q(filing_number__icontains=q)
            | Q(enterprise__name__icontains=q)
        )
    if district:
        qs = qs.filter(district__code=district)
    if brand:
        qs = qs.filter(brand__code=brand)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if enterprise:
        qs = qs.filter(enterprise_id=enterprise)
    return qs.order_by(SORTS.get(sort, "district__sort_order"), "name", "pk")


def filter_enterprises(
    qs: QuerySet[Enterprise], *, q: str = "", district: str = "", brand: str = "", status: str = "", sort: str = ""
) -> QuerySet[Enterprise]:
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q) | Q(licence_number__icontains=q))
    if district:
        qs = qs.filter(Q(jurisdiction__code=district) | Q(sites__district__code=district)).distinct()
    if brand:
        qs = qs.filter(brand__code=brand)
    if status:
        qs = qs.filter(status=status)
    order = {"name": "name", "-name": "-name", "updated": "updated_at", "-updated": "-updated_at"}.get(sort, "name")
    return qs.annotate(site_count=Count("sites", distinct=True)).order_by(order, "pk")


def filter_officers(qs: QuerySet[SafetyOfficer], *, q: str = "", district: str = "", status: str = "") -> QuerySet:
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(enterprise__name__icontains=q))
    if district:
        qs = qs.filter(Q(enterprise__jurisdiction__code=district) | Q(sites__district__code=district)).distinct()
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(site_count=Count("sites", distinct=True)).order_by("enterprise__name", "name", "pk")
