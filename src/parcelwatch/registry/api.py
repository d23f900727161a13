from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import AfterValidator

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import REGISTRY_EDIT, REGISTRY_VIEW, REGISTRY_VIEW_PEOPLE
from parcelwatch.lib.apitypes import Code, Coordinate, Day, Id, In, Line, Pagination, Search, save_or_refuse
from parcelwatch.lib.text import clean_text

from . import privacy, services
from .models import Brand, Enterprise, SafetyOfficer, Site
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


CreditGrade = Enum("CreditGrade", {g: g for g in ("A", "B", "C", "D")}, type=str)


class EnterpriseFilters(Schema):
    district: Code | None = None
    brand: Code | None = None
    status: EnterpriseStatus | None = None
    credit: CreditGrade | None = None  # the enterprise's current credit grade
    q: Search | None = None


class OfficerFilters(Schema):
    district: Code | None = None
    status: OfficerStatus | None = None
    q: Search | None = None


def _require_view(request, perm: str = REGISTRY_VIEW) -> None:
    if not has_permission(request.user, perm):
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


class NearbySiteOut(Schema):
    id: int
    name: str
    address: str
    distance_km: float | None


@router.get("/sites/nearby", response=list[NearbySiteOut])
def nearby_sites(request, lng: Coordinate | None = None, lat: Coordinate | None = None, q: Search | None = None):
    """Sites the user may report on, by name or address and nearest to a position (what the report form offers)."""

    from parcelwatch.accounts.permissions import EVENTS_REPORT
    from parcelwatch.accounts.selectors import home_city
    from parcelwatch.events.selectors import nearby_sites as find
    from parcelwatch.lib.geo import clean_point

    if not has_permission(request.user, EVENTS_REPORT):
        raise PermissionDenied
    if lng is not None or lat is not None:
        city = home_city(request.user)
        try:
            lng, lat = clean_point(lng, lat, bounds=city.bounds if city else None, place=city.name if city else "")
        except ValidationError as exc:
            raise HttpError(422, exc.messages[0]) from None
    return find(request.user, q=q or "", lng=lng, lat=lat)


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
    _require_view(request, REGISTRY_VIEW_PEOPLE)
    return filter_officers(officers_visible_to(request.user), **_clean(filters)).prefetch_related("sites")


@router.get("/safety-officers/{officer_id}", response=OfficerOut)
def get_officer(request, officer_id: int):
    return _officer_out(privacy.flag([get_officer_for_user(request.user, officer_id)], request.user)[0])


# --- reference data -------------------------------------------------------------------------------------------


class BrandFullOut(Schema):
    code: str
    name: str
    short_name: str
    is_historical: bool


@router.get("/brands", response=list[BrandFullOut])
def list_brands(request):
    """Courier brands (the `brand` codes registry writes accept)."""
    _require_view(request)
    return Brand.objects.order_by("sort_order", "code")


# --- writes -----------------------------------------------------------------------------------------------------

Name = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(lambda v: clean_text(v, multiline=False))]
Short = Annotated[str, Field(max_length=64), AfterValidator(lambda v: clean_text(v, multiline=False))]
Ident = Annotated[str, Field(max_length=40)]


class EnterpriseIn(In):
    name: Name
    credit_code: Ident = Field(description="统一社会信用代码; full-width characters and spaces are normalised.")
    brand: Code | None = Field(None, description="A brand code from GET /brands.")
    licence_number: Ident = ""
    licence_valid_until: Day | None = None
    legal_representative: Short = ""
    contact_person: Short = ""
    contact_phone: Ident = ""
    address: Line = ""
    district: Code = Field(description="The code of the city, district or zone it is registered with.")
    status: EnterpriseStatus = EnterpriseStatus.operating


class EnterprisePatch(In):
    name: Name | None = None
    credit_code: Ident | None = None
    brand: Code | None = None
    licence_number: Ident | None = None
    licence_valid_until: Day | None = None
    legal_representative: Short | None = None
    contact_person: Short | None = None
    contact_phone: Ident | None = None
    address: Line | None = None
    district: Code | None = None
    status: EnterpriseStatus | None = None


class SiteIn(In):
    kind: SiteKind
    name: Name
    enterprise: Id
    brand: Code | None = None
    station_operator: Short = ""
    filing_number: Ident = ""
    filing_date: Day | None = None
    address: Line = Field(min_length=1)
    jurisdiction: Code = Field(description="The code of the town/street or grid the site lies in.")
    lng: Coordinate | None = None
    lat: Coordinate | None = None
    status: SiteStatus = SiteStatus.operating
    xray_count: int = Field(0, ge=0, le=99)
    opening_date: Day | None = None
    manager_name: Short = ""
    manager_phone: Ident = ""


class SitePatch(In):
    kind: SiteKind | None = None
    name: Name | None = None
    enterprise: Id | None = None
    brand: Code | None = None
    station_operator: Short | None = None
    filing_number: Ident | None = None
    filing_date: Day | None = None
    address: Line | None = None
    jurisdiction: Code | None = None
    lng: Coordinate | None = None
    lat: Coordinate | None = None
    status: SiteStatus | None = None
    xray_count: int | None = Field(None, ge=0, le=99)
    opening_date: Day | None = None
    manager_name: Short | None = None
    manager_phone: Ident | None = None


class OfficerIn(In):
    enterprise: Id
    name: Short = Field(min_length=1)
    id_number: Ident
    phone: Ident
    site_ids: list[Id] = Field([], max_length=500)
    filing_date: Day | None = None
    status: OfficerStatus = OfficerStatus.active


class OfficerPatch(In):
    name: Short | None = None
    id_number: Ident | None = None
    phone: Ident | None = None
    site_ids: list[Id] | None = Field(None, max_length=500)
    filing_date: Day | None = None
    status: OfficerStatus | None = None


class TrainingIn(In):
    date: Day
    topic: Short = Field(min_length=1)
    hours: Decimal = Field(ge=0, le=99, max_digits=3, decimal_places=1)
    organiser: Short = ""


class TrainingOut(Schema):
    id: int
    date: date
    topic: str
    hours: float
    organiser: str


def _node(code: str | None, levels: tuple[str, ...], label: str) -> Jurisdiction | None:
    if code is None:
        return None
    node = Jurisdiction.objects.filter(code=code, level__in=levels).first()
    if node is None:
        raise HttpError(422, f"{label}“{code}”不存在。")
    return node


def _brand(code: str | None) -> Brand | None:
    if not code:
        return None
    brand = Brand.objects.filter(code=code).first()
    if brand is None:
        raise HttpError(422, f"品牌“{code}”不存在，见 GET /api/v1/brands。")
    return brand


def _enterprise_data(payload: Schema, *, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    if "brand" in data:
        data["brand"] = _brand(data["brand"])
    if "district" in data:
        data["jurisdiction"] = _node(data.pop("district"), ("city", "district", "zone"), "县区")
    if "status" in data and data["status"] is not None:
        data["status"] = getattr(data["status"], "value", data["status"])
    return {k: v for k, v in data.items() if not (partial and v is None and k not in ("brand", "licence_valid_until"))}


def _site_data(request, payload: Schema, *, partial: bool) -> dict:
    data = payload.dict(exclude_unset=partial)
    if "brand" in data:
        data["brand"] = _brand(data["brand"])
    if "jurisdiction" in data and data["jurisdiction"] is not None:
        data["jurisdiction"] = _node(data["jurisdiction"], ("town", "grid"), "乡镇街道或网格")
    if data.get("enterprise") is not None:
        data["enterprise"] = get_enterprise_for_user(request.user, data["enterprise"])
    for key in ("kind", "status"):
        if data.get(key) is not None:
            data[key] = getattr(data[key], "value", data[key])
    return {k: v for k, v in data.items()
            if not (partial and v is None and k not in ("brand", "filing_date", "opening_date", "lng", "lat"))}


_save = save_or_refuse


def _require_edit(request) -> None:
    if not has_permission(request.user, REGISTRY_EDIT):
        raise PermissionDenied


@router.post("/enterprises", response={201: EnterpriseOut})
def create_enterprise(request, payload: EnterpriseIn):
    """Register an enterprise (credit code checked, versioned like the form)."""
    _require_edit(request)
    enterprise = _save(lambda: services.create_enterprise(actor=request.user,
                                                          data=_enterprise_data(payload, partial=False)))
    return Status(201, privacy.flag([enterprise], request.user)[0])


@router.patch("/enterprises/{enterprise_id}", response=EnterpriseOut)
def update_enterprise(request, enterprise_id: Id, payload: EnterprisePatch):
    """Change an enterprise registered in the user's district (or, for the city bureau, anywhere in the city)."""
    enterprise = get_enterprise_for_user(request.user, enterprise_id, need=REGISTRY_EDIT)
    _save(lambda: services.update_enterprise(enterprise, actor=request.user,
                                             data=_enterprise_data(payload, partial=True)))
    return privacy.flag([get_enterprise_for_user(request.user, enterprise_id)], request.user)[0]


@router.post("/sites", response={201: SiteOut})
def create_site(request, payload: SiteIn):
    """Register a site in the user's jurisdiction, for an enterprise the user can see."""
    _require_edit(request)
    site = _save(lambda: services.create_site(actor=request.user, data=_site_data(request, payload, partial=False)))
    return Status(201, privacy.flag([get_site_for_user(request.user, site.pk)], request.user)[0])


@router.patch("/sites/{site_id}", response=SiteOut)
def update_site(request, site_id: Id, payload: SitePatch):
    site = get_site_for_user(request.user, site_id, need=REGISTRY_EDIT)
    _save(lambda: services.update_site(site, actor=request.user, data=_site_data(request, payload, partial=True)))
    return privacy.flag([get_site_for_user(request.user, site_id)], request.user)[0]


def _officer_sites(request, ids: list[int], enterprise_id: int) -> list[Site]:
    sites = list(sites_visible_to(request.user).filter(pk__in=ids))
    if len(sites) != len(set(ids)):
        raise HttpError(422, "site_ids 中有不存在或不在您辖区内的网点。")
    return sites


@router.post("/safety-officers", response={201: OfficerOut})
def create_officer(request, payload: OfficerIn):
    """File a safety officer (备案) of an enterprise registered in the user's jurisdiction."""
    _require_edit(request)
    enterprise = get_enterprise_for_user(request.user, payload.enterprise, need=REGISTRY_EDIT)
    data = payload.dict()
    sites = _officer_sites(request, data.pop("site_ids"), enterprise.pk)
    data.pop("enterprise")
    data["status"] = getattr(data["status"], "value", data["status"])
    officer = _save(lambda: services.create_officer(actor=request.user, data={**data, "enterprise": enterprise},
                                                    sites=sites))
    return Status(201, _officer_out(privacy.flag([get_officer_for_user(request.user, officer.pk)], request.user)[0]))


@router.patch("/safety-officers/{officer_id}", response=OfficerOut)
def update_officer(request, officer_id: Id, payload: OfficerPatch):
    officer = get_officer_for_user(request.user, officer_id, need=REGISTRY_EDIT)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "filing_date"}
    ids = data.pop("site_ids", None)
    sites = _officer_sites(request, ids, officer.enterprise_id) if ids is not None else list(officer.sites.all())
    if "status" in data:
        data["status"] = getattr(data["status"], "value", data["status"])
    _save(lambda: services.update_officer(officer, actor=request.user, data=data, sites=sites))
    return _officer_out(privacy.flag([get_officer_for_user(request.user, officer_id)], request.user)[0])


@router.post("/safety-officers/{officer_id}/trainings", response={201: TrainingOut})
def add_training(request, officer_id: Id, payload: TrainingIn):
    officer = get_officer_for_user(request.user, officer_id, need=REGISTRY_EDIT)
    record = _save(lambda: services.add_training_record(officer, actor=request.user, data=payload.dict()))
    return Status(201, record)
