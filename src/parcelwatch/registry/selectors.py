"""Scoped reads of the registry. Views and the API read only through these."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from parcelwatch.accounts.access import Scope, get_object_for_user, scoped, user_can, valid_pk
from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.permissions import REGISTRY_EDIT, REGISTRY_VIEW, REGISTRY_VIEW_PEOPLE

from .models import Brand, Enterprise, SafetyOfficer, Site

SITE_SCOPE = Scope(path_field="jurisdiction__path", enterprise_field="enterprise_id",
                   ids=(("jurisdiction__path", "district_id", "jurisdiction_id"),))
# An enterprise belongs to its registered district and to every area where it runs a site.
ENTERPRISE_SCOPE = Scope(path_field="jurisdiction__path", enterprise_field="id", extra=("sites__jurisdiction__path",),
                         ids=(("jurisdiction__path", None, "jurisdiction_id"),
                              ("sites__jurisdiction__path", "sites__district_id", "sites__jurisdiction_id")))
OFFICER_SCOPE = Scope(
    path_field="enterprise__jurisdiction__path",
    enterprise_field="enterprise_id",
    extra=("sites__jurisdiction__path",),
    ids=(("enterprise__jurisdiction__path", None, "enterprise__jurisdiction_id"),
         ("sites__jurisdiction__path", "sites__district_id", "sites__jurisdiction_id")),
)
# Writes reach only what is registered in the user's area: an enterprise registered at city level or in
# another district is read-only for a district, even where it runs sites; so are its safety officers.
ENTERPRISE_EDIT_SCOPE = Scope(path_field="jurisdiction__path", ids=(("jurisdiction__path", None, "jurisdiction_id"),))
OFFICER_EDIT_SCOPE = Scope(path_field="enterprise__jurisdiction__path",
                           ids=(("enterprise__jurisdiction__path", None, "enterprise__jurisdiction_id"),))

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
    scope = ENTERPRISE_EDIT_SCOPE if perm == REGISTRY_EDIT else ENTERPRISE_SCOPE
    return scoped(Enterprise.objects.all(), user, perm, scope).select_related("brand", "jurisdiction")


def officers_visible_to(user: User, perm: str = REGISTRY_VIEW_PEOPLE) -> QuerySet[SafetyOfficer]:
    scope = OFFICER_EDIT_SCOPE if perm == REGISTRY_EDIT else OFFICER_SCOPE
    return scoped(SafetyOfficer.objects.all(), user, perm, scope).select_related("enterprise")


def get_site_for_user(user: User, pk: object, need: str = REGISTRY_VIEW) -> Site:
    return get_object_for_user(
        Site.objects.select_related("enterprise", "brand", "district", "jurisdiction__parent"),
        user, pk, scope=SITE_SCOPE, view=REGISTRY_VIEW, need=need,
    )


def get_enterprise_for_user(user: User, pk: object, need: str = REGISTRY_VIEW) -> Enterprise:
    return get_object_for_user(
        Enterprise.objects.select_related("brand", "jurisdiction"),
        user, pk, scope=ENTERPRISE_SCOPE, view=REGISTRY_VIEW, need=need,
        need_scope=ENTERPRISE_EDIT_SCOPE if need == REGISTRY_EDIT else None,
    )


def get_officer_for_user(user: User, pk: object, need: str = REGISTRY_VIEW_PEOPLE) -> SafetyOfficer:
    return get_object_for_user(
        SafetyOfficer.objects.select_related("enterprise"),
        user, pk, scope=OFFICER_SCOPE, view=REGISTRY_VIEW_PEOPLE, need=need,
        need_scope=OFFICER_EDIT_SCOPE if need == REGISTRY_EDIT else None,
    )


def can_on_site(user: User, perm: str, site: Site) -> bool:
    return user_can(user, perm, site, scope=SITE_SCOPE)


def can_on_enterprise(user: User, perm: str, enterprise: Enterprise) -> bool:
    return user_can(user, perm, enterprise, scope=ENTERPRISE_EDIT_SCOPE if perm == REGISTRY_EDIT else ENTERPRISE_SCOPE)


def can_on_officer(user: User, perm: str, officer: SafetyOfficer) -> bool:
    return user_can(user, perm, officer, scope=OFFICER_EDIT_SCOPE if perm == REGISTRY_EDIT else OFFICER_SCOPE)


# --- filters from a query string (pages, API and background exports read the same keys) ---------------


def _get(params: Mapping, key: str) -> str:
    from parcelwatch.lib.params import text

    return text(params, key)


def site_filters(params: Mapping) -> dict:
    return {
        "q": _get(params, "q"),
        "district": _get(params, "district"),
        "brand": _get(params, "brand"),
        "kind": _get(params, "kind"),
        "status": _get(params, "status"),
        "enterprise": valid_pk(params.get("enterprise")) if params.get("enterprise") else None,
        "officer": "none" if _get(params, "officer") == "none" else "",
        "sort": _get(params, "sort"),
    }


def enterprise_filters(params: Mapping) -> dict:
    return {k: _get(params, k) for k in ("q", "district", "brand", "status", "credit", "sort")}


def officer_filters(params: Mapping) -> dict:
    return {k: _get(params, k) for k in ("q", "district", "status")}


def filter_sites(
    qs: QuerySet[Site],
    *,
    q: str = "",
    district: str = "",
    brand: str = "",
    kind: str = "",
    status: str = "",
    enterprise: int | None = None,
    officer: str = "",
    sort: str = "",
) -> QuerySet[Site]:
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(address__icontains=q) | Q(filing_number__icontains=q)
            | Q(enterprise__name__icontains=q)
        )
    if district:
        qs = qs.filter(district_id__in=list(Jurisdiction.objects.filter(code=district).values_list("pk", flat=True)))
    if brand:
        qs = qs.filter(brand_id__in=list(Brand.objects.filter(code=brand).values_list("pk", flat=True)))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if enterprise:
        qs = qs.filter(enterprise_id=enterprise)
    if officer == "none":
        qs = without_filed_officer(qs)
    return qs.order_by(SORTS.get(sort, "district__sort_order"), "name", "pk")


def _filed_officer_covers() -> Exists:
    return Exists(SafetyOfficer.sites.through.objects.filter(
        site_id=OuterRef("pk"), safetyofficer__status=SafetyOfficer.Status.ACTIVE,
        safetyofficer__filing_date__isnull=False))


def without_filed_officer(sites: QuerySet[Site]) -> QuerySet[Site]:
    """Operating sites that no filed safety officer in post covers (flagged on lists and home pages)."""
    return sites.filter(~_filed_officer_covers(), status=Site.Status.OPERATING)


CREDIT_GRADES = ("A", "B", "C", "D")


def _current_grade():
    from parcelwatch.assessment.models import CreditRating

    return CreditRating.objects.filter(enterprise=OuterRef("pk"), site__isnull=True, current=True)


def with_credit_grade(qs: QuerySet[Enterprise], grade: str) -> QuerySet[Enterprise]:
    """Enterprises whose current credit grade is `grade` (none for a grade that does not exist): the enterprise
    list's filter, and the home pages' counts of it."""
    return qs.filter(Exists(_current_grade().filter(grade=grade))) if grade in CREDIT_GRADES else qs.none()


def credit_grade_counts(qs: QuerySet[Enterprise], grades: tuple[str, ...] = ("D", "C")) -> dict[str, int]:
    """How many enterprises `qs` holds ("all") and how many of them hold each current grade, in one query: the
    same sets as the list and `with_credit_grade`, counted together for the home pages."""
    counts = qs.order_by().aggregate(all=Count("pk"), **{
        grade: Count("pk", filter=Exists(_current_grade().filter(grade=grade))) for grade in grades})
    return {k: v or 0 for k, v in counts.items()}


def filter_enterprises(
    qs: QuerySet[Enterprise], *, q: str = "", district: str = "", brand: str = "", status: str = "", credit: str = "",
    sort: str = "",
) -> QuerySet[Enterprise]:
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q) | Q(licence_number__icontains=q))
    if district:
        qs = qs.filter(Q(jurisdiction__code=district) | Q(sites__district__code=district)).distinct()
    if brand:
        qs = qs.filter(brand__code=brand)
    if status:
        qs = qs.filter(status=status)
    if credit:
        qs = with_credit_grade(qs, credit)
    order = {"name": "name", "-name": "-name", "updated": "updated_at", "-updated": "-updated_at"}.get(sort, "name")
    return qs.annotate(site_count=Count("sites", distinct=True),
                       credit_grade=Subquery(_current_grade().values("grade")[:1])).order_by(order, "pk")


def filter_officers(qs: QuerySet[SafetyOfficer], *, q: str = "", district: str = "", status: str = "") -> QuerySet:
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(enterprise__name__icontains=q))
    if district:
        qs = qs.filter(Q(enterprise__jurisdiction__code=district) | Q(sites__district__code=district)).distinct()
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(site_count=Count("sites", distinct=True)).order_by("enterprise__name", "name", "pk")


# --- the site map ---------------------------------------------------------------------------------------------

MAP_CACHE_SECONDS = 300


def _scope_signature(user: User) -> str:
    from parcelwatch.accounts.access import memberships

    parts = sorted(f"{m.role}:{m.jurisdiction.path}:{m.enterprise_id or ''}" for m in memberships(user))
    return "|".join(parts)


def registry_changed() -> None:
    """Called after a registry write: maps built before it are no longer served from the cache."""
    from django.core.cache import cache

    try:
        cache.incr("registry:version")
    except ValueError:
        cache.set("registry:version", 2, None)


def map_points(user: User, filters: dict, *, fresh: bool = False) -> tuple[bytes, datetime]:
    """(JSON bytes, when built) for the sites this user may see with these filters.

    Points are arrays [lng, lat, kind index, brand index, id, name]: about 40 bytes a site, so 50,000
    sites load in well under a second. The payload is cached for a few minutes per jurisdiction
    scope and filters, and rebuilt at once after a registry change or on request.
    """
    import hashlib
    import json

    from django.core.cache import cache
    from django.utils import timezone



    version = cache.get("registry:version", 1)
    key_source = json.dumps([_scope_signature(user), filters, version], sort_keys=True, default=str)
    key = "sitemap:" + hashlib.sha256(key_source.encode()).hexdigest()
    cached = None if fresh else cache.get(key)
    if cached is not None:
        return cached
    kinds = list(Site.Kind.values)
    brands = list(Brand.objects.order_by("pk").values_list("pk", "short_name"))
    brand_index = {pk: i for i, (pk, _name) in enumerate(brands)}
    qs = filter_sites(sites_visible_to(user), **filters).filter(lng__isnull=False).order_by()
    points = [
        [float(lng), float(lat), kinds.index(kind), brand_index.get(brand_id, -1), pk, name]
        for pk, name, kind, brand_id, lng, lat in qs.values_list("pk", "name", "kind", "brand_id", "lng", "lat")
        .iterator(chunk_size=5000)
    ]
    generated_at = timezone.now()
    payload = json.dumps({
        "count": len(points), "kinds": {k: str(label) for k, label in Site.Kind.choices},
        "brands": [name for _pk, name in brands], "points": points, "generated_at": generated_at.isoformat(),
    }, ensure_ascii=False, separators=(",", ":")).encode()
    cache.set(key, (payload, generated_at), MAP_CACHE_SECONDS)
    return payload, generated_at
