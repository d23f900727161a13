from datetime import date
from enum import Enum

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import REGISTRY_VIEW
from parcelwatch.lib.apitypes import Code, Id, Pagination, Search

from . import privacy
from .models import Enterprise, SafetyOfficer, Site
from .selectors import (
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

    @staticmethod
    def resolve_contact_phone(obj) -> str:
        return privacy.shown(obj, "contact_phone")


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
    manager_name: str
    manager_phone: str

    @staticmethod
    def resolve_manager_phone(obj) -> str:
        return privacy.shown(obj, "manager_phone")

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
    district: Code | None = None
    brand: Code | None = None
    status: SiteStatus | None = None
    q: Search | None = None
    enterprise: Id | None = None


class EnterpriseFilters(Schema):
    district: Code | None = None
    brand: Code | None = None
    status: EnterpriseStatus | None = None
    q: Search | None = None


class OfficerFilters(Schema):
    district: Code | None = None
    status: OfficerStatus | None = None
    q: Search | None = None


def _require_view(request) -> None:
    if not has_permission(request.user, REGISTRY_VIEW):
        raise PermissionDenied


def _clean(filters: Schema) -> dict:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in filters.dict().items() if v not in (None, "")}


class MaskedPagination(Pagination):
    """Flags the page actually returned with what the user may see of its personal data (one query)."""

    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        result["items"] = privacy.flag(result["items"], request.user)
        return result


@router.get("/enterprises", response=list[EnterpriseOut])
@paginate(MaskedPagination)
def list_enterprises(request, filters: Query[EnterpriseFilters]):
    """Enterprises in the user's jurisdiction; contact phones are masked unless the role may see them."""
    _require_view(request)
    return filter_enterprises(enterprises_visible_to(request.user), **_clean(filters))


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut)
def get_enterprise(request, enterprise_id: int):
    return privacy.flag([get_enterprise_for_user(request.user, enterprise_id)], request.user)[0]


@router.get("/sites", response=list[SiteOut])
@paginate(MaskedPagination)
def list_sites(request, filters: Query[SiteFilters]):
    """Sites (outlets, terminal outlets, sorting centres) in the user's jurisdiction."""
    _require_view(request)
    return filter_sites(sites_visible_to(request.user), **_clean(filters))


@router.get("/sites/{site_id}", response=SiteOut)
def get_site(request, site_id: int):
    return privacy.flag([get_site_for_user(request.user, site_id)], request.user)[0]


def _officer_out(officer: SafetyOfficer) -> dict:
    return {
        "id": officer.pk,
        "name": officer.name,
        "enterprise_id": officer.enterprise_id,
        "enterprise_name": officer.enterprise.name,
        "id_number": privacy.shown(officer, "id_number"),
        "phone": privacy.shown(officer, "phone"),
        "site_ids": sorted(s.pk for s in officer.sites.all()),
        "filing_date": officer.filing_date,
        "status": officer.status,
    }


class OfficerPagination(MaskedPagination):
    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        result["items"] = [_officer_out(o) for o in result["items"]]
        return result


@router.get("/safety-officers", response=list[OfficerOut])
@paginate(OfficerPagination)
def list_officers(request, filters: Query[OfficerFilters]):
    """Safety officers; ID numbers and phones are masked unless the role may see them."""
    _require_view(request)
    return filter_officers(officers_visible_to(request.user), **_clean(filters)).prefetch_related("sites")


@router.get("/safety-officers/{officer_id}", response=OfficerOut)
def get_officer(request, officer_id: int):
    return _officer_out(privacy.flag([get_officer_for_user(request.user, officer_id)], request.user)[0])
