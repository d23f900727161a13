from datetime import datetime

from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.lib.apitypes import Code, Pagination

from .access import memberships
from .selectors import jurisdictions_visible_to
from .services import AuthenticationFailed, authenticate_user, issue_api_token

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=256)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class ErrorOut(Schema):
    detail: str


class JurisdictionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    lng: float | None
    lat: float | None

    @staticmethod
    def resolve_parent_code(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class MembershipOut(Schema):
    role: str
    jurisdiction_code: str
    jurisdiction_name: str
    enterprise_id: int | None


class MeOut(Schema):
    username: str
    full_name: str
    memberships: list[MembershipOut]


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut, 429: ErrorOut})
def create_token(request, payload: TokenIn):
    """Exchange a username and password for a bearer token."""
    try:
        user = authenticate_user(payload.username, payload.password, request=request)
    except AuthenticationFailed as exc:
        raise HttpError(429 if exc.locked else 401, exc.message) from None
    key, token = issue_api_token(user)
    return {"token": key, "expires_at": token.expires_at}


@router.get("/me", response=MeOut)
def me(request):
    """Who the token belongs to, and their roles."""
    return {
        "username": request.user.username,
        "full_name": request.user.full_name,
        "memberships": [
            {
                "role": m.role,
                "jurisdiction_code": m.jurisdiction.code,
                "jurisdiction_name": m.jurisdiction.name,
                "enterprise_id": m.enterprise_id,
            }
            for m in memberships(request.user)
        ],
    }


@router.get("/jurisdictions", response=list[JurisdictionOut])
@paginate(Pagination)
def list_jurisdictions(request, level: Code | None = None, parent: Code | None = None):
    """The jurisdiction nodes the user may see (their subtree and the path to it)."""
    qs = jurisdictions_visible_to(request.user)
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent__code=parent)
    return qs.order_by("path")


