from datetime import date
from enum import Enum

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import REGISTRY_VIEW, REGISTRY_VIEW_SENSITIVE
from parcelwatch.lib.masking import mask_id_number, mask_phone

from .models import Enterprise, SafetyOfficer, Site
from .selectors import (
    can_see_sensitive,
    enterprises_visible_to,
    filter_enterprises,
    filter_officers,
    filter_sites,
    get_enterprise_for_user,
    get_officer_for_user,
    get_site_for_user,
    officers_visible_to,
    sites_visible_to,
)

router = Router(tags=["registry"])

SiteKind = Enum("SiteKind", {k: k for k in Site.Kind.values}, type=str)
SiteStatus = Enum("SiteStatus", {k: k for k in Site.Status.values}, type=str)
EnterpriseStatus = Enum("EnterpriseStatus", {k: k for k in Enterprise.Status.values}, type=str)
OfficerStatus = Enum("OfficerStatus", {k: k for k in SafetyOfficer.Status.values}, type=str)


class BrandOut(Schema):
    code: str
    name: str


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    brand: BrandOut | None
    licence_number: str
    licence_valid_until: date | None
    legal_representative: str
    contact_person: str
    contact_phone: str
    address: str
    district_code: str
    district_name: str
    status: str

    @staticmethod
    def resolve_district_code(obj) -> str:
        return obj.jurisdiction.code

    @staticmethod
    def resolve_district_name(obj) -> str:
        return obj.jurisdiction.name


class SiteOut(Schema):
    id: int
    kind: str
    name: str
    enterprise_id: int
    enterprise_name: str
    brand: BrandOut | None
    station_operator: str
    filing_number: str | None
    filing_date: date | None
    address: str
    district_code: str
    district_name: str
    jurisdiction_code: str
    jurisdiction_name: str
    lng: float | None
    lat: float | None
    status: str
    xray_count: int
    opening_date: date | None

    @staticmethod
    def resolve_enterprise_name(obj) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_district_code(obj) -> str:
        return obj.district.code

    @staticmethod
    def resolve_district_name(obj) -> str:
        return obj.district.name

    @staticmethod
    def resolve_jurisdiction_code(obj) -> str:
        return obj.jurisdiction.code

    @staticmethod
    def resolve_jurisdiction_name(obj) -> str:
        return obj.jurisdiction.name


class OfficerOut(Schema):
    id: int
    name: str
    enterprise_id: int
    enterprise_name: str
    id_number: str
    phone: str
    site_ids: list[int]
    filing_date: date | None
    status: str


class SiteFilters(Schema):
    kind: SiteKind | None = None
    district: str | None = None
    brand: str | None = None
    status: SiteStatus | None = None
    q: str | None = None
    enterprise: int | None = None


class EnterpriseFilters(Schema):
    district: str | None = None
    brand: str | None = None
    status: EnterpriseStatus | None = None
    q: str | None = None


class OfficerFilters(Schema):
    district: str | None = None
    status: OfficerStatus | None = None
    q: str | None = None


def _require_view(request) -> None:
    if not has_permission(request.user, REGISTRY_VIEW):
        raise PermissionDenied


def _clean(filters: Schema) -> dict:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in filters.dict().items() if v not in (None, "")}


@router.get("/enterprises", response=list[EnterpriseOut])
@paginate(LimitOffsetPagination)
def list_enterprises(request, filters: Query[EnterpriseFilters]):
    """Enterprises in the user's jurisdiction."""
    _require_view(request)
    return filter_enterprises(enterprises_visible_to(request.user), **_clean(filters))


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut)
def get_enterprise(request, enterprise_id: int):
    return get_enterprise_for_user(request.user, enterprise_id)


@router.get("/sites", response=list[SiteOut])
@paginate(LimitOffsetPagination)
def list_sites(request, filters: Query[SiteFilters]):
    """Sites (outlets, terminal outlets, sorting centres) in the user's jurisdiction."""
    _require_view(request)
    return filter_sites(sites_visible_to(request.user), **_clean(filters))


@router.get("/sites/{site_id}", response=SiteOut)
def get_site(request, site_id: int):
    return get_site_for_user(request.user, site_id)


def _officer_out(officer: SafetyOfficer, sensitive: bool) -> dict:
    return {
        "id": officer.pk,
        "name": officer.name,
        "enterprise_id": officer.enterprise_id,
        "enterprise_name": officer.enterprise.name,
        "id_number": officer.id_number if sensitive else mask_id_number(officer.id_number),
        "phone": officer.phone if sensitive else mask_phone(officer.phone),
        "site_ids": sorted(s.pk for s in officer.sites.all()),
        "filing_date": officer.filing_date,
        "status": officer.status,
    }


class OfficerPagination(LimitOffsetPagination):
    """Masks personal data per officer on the page actually returned."""

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        page = list(result["items"])
        ids = [o.pk for o in page]
        sensitive = set(
            officers_visible_to(request.user, REGISTRY_VIEW_SENSITIVE).filter(pk__in=ids).values_list("pk", flat=True)
        )
        result["items"] = [_officer_out(o, o.pk in sensitive) for o in page]
        return result


@router.get("/safety-officers", response=list[OfficerOut])
@paginate(OfficerPagination)
def list_officers(request, filters: Query[OfficerFilters]):
    """Safety officers; ID numbers and phones are masked unless the role may see them."""
    _require_view(request)
    return filter_officers(officers_visible_to(request.user), **_clean(filters)).prefetch_related("sites")


@router.get("/safety-officers/{officer_id}", response=OfficerOut)
def get_officer(request, officer_id: int):
    officer = get_officer_for_user(request.user, officer_id)
    return _officer_out(officer, can_see_sensitive(request.user, officer))
