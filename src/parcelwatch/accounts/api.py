from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.lib.apitypes import Code, Id, In, Pagination
from parcelwatch.lib.net import client_ip

from .access import has_permission, memberships
from .models import ApiToken
from .permissions import API_USE
from .selectors import jurisdictions_visible_to
from .services import (
    AuthenticationFailed,
    authenticate_user,
    change_password,
    check_second_factor,
    issue_api_token,
    rate_limited,
    revoke_api_token,
    tokens_of,
    two_factor_enabled,
)

router = Router(tags=["accounts"])


class TokenIn(In):
    username: str = Field(max_length=150)
    password: str = Field(max_length=256)
    otp: str | None = Field(None, max_length=16, description="The authenticator's code, for users with two-step "
                                                               "login on.")


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


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut})
def create_token(request, payload: TokenIn):
    """Exchange a username and password for a bearer token (valid API_TOKEN_DAYS days, 7 by default).

    Limited per client address; repeated failures lock that username from that address.
    """
    if rate_limited(f"api-token:{client_ip(request)}", limit=settings.API_TOKEN_RATE_PER_MINUTE):
        raise HttpError(429, "请求过于频繁，请一分钟后再试。")
    try:
        user = authenticate_user(payload.username, payload.password, request=request)
    except AuthenticationFailed as exc:
        raise HttpError(429 if exc.locked else 401, exc.message) from None
    if two_factor_enabled(user):
        if not payload.otp:
            raise HttpError(401, "您已开启两步登录：请同时提供动态验证码 otp。")
        try:
            check_second_factor(user, payload.otp, request=request)
        except AuthenticationFailed as exc:
            raise HttpError(429 if exc.locked else 401, exc.message) from None
    if not has_permission(user, API_USE):
        raise HttpError(403, "您的角色不使用接口。")
    key, token = issue_api_token(user, name="API")
    return {"token": key, "expires_at": token.expires_at}


@router.delete("/auth/token", response={204: None})
def revoke_token(request):
    """Revoke the token this request was made with (log out of the API)."""
    token = ApiToken.objects.filter(pk=getattr(request.user, "_pw_api_token_id", None), user=request.user).first()
    if token is not None:
        revoke_api_token(token, actor=request.user)
    return Status(204, None)


class PasswordIn(In):
    old_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


@router.post("/me/password", response={204: None, 422: ErrorOut})
def set_password(request, payload: PasswordIn):
    """Change one's own password. Every token issued under the old password stops working, this one included."""
    try:
        change_password(request.user, old_password=payload.old_password, new_password=payload.new_password)
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from None
    return Status(204, None)


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




class TokenInfoOut(Schema):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    current: bool


@router.get("/me/tokens", response=list[TokenInfoOut])
def my_tokens(request):
    """The user's live API tokens (never their keys); `current` marks the one this request used."""
    current = getattr(request.user, "_pw_api_token_id", None)
    return [{"id": t.pk, "name": t.name, "created_at": t.created_at, "expires_at": t.expires_at,
             "last_used_at": t.last_used_at, "current": t.pk == current} for t in tokens_of(request.user)]


@router.delete("/me/tokens/{token_id}", response={204: None})
def revoke_my_token(request, token_id: Id):
    """Revoke one of one's own tokens (404 for anybody else's)."""
    from django.http import Http404

    token = tokens_of(request.user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    revoke_api_token(token, actor=request.user)
    return Status(204, None)
