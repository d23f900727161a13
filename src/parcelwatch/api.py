"""REST API v1: typed, scoped, JSON errors only."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import API_USE
from parcelwatch.accounts.services import user_for_api_token

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_api_token(token)
        if user is None:
            return None
        if not has_permission(user, API_USE):
            raise PermissionDenied  # a real user whose roles do not use the API: 403, not "log in again"
        request.user = user
        return user


class StrictJSONParser(Parser):
    """JSON bodies only as application/json, and only real JSON (no NaN or Infinity tokens)."""

    def parse_body(self, request: HttpRequest):
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise ValueError("wrong content type")

        def refuse(token):
            raise ValueError(f"{token} is not a number")

        return json.loads(request.body, parse_constant=refuse)


api = NinjaAPI(
    title="ParcelWatch API",
    version="1",
    description="寄递安全监管指挥平台 REST API。先用 POST /api/v1/auth/token（用户名、密码）换取令牌，"
    "或在“我的账号”页面创建令牌，然后在每个请求中发送 `Authorization: Bearer <令牌>`。"
    "数据范围与网页相同：只返回您的角色和辖区可以看到的数据；金额为两位小数的字符串；"
    "列表的 count 最多精确到 10,000（count_capped 为 true 时请缩小筛选范围）。",
    auth=BearerToken(),
    urls_namespace="api-v1",
    parser=StrictJSONParser(),
)


def _error(request: HttpRequest, status: int, message: str, **extra):
    return api.create_response(request, {"detail": message, **extra}, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, _("You do not have permission to do this."))


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, _("Authentication required: send a valid bearer token."))


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return _error(request, 422, _("The request is not valid."), errors=exc.errors)


@api.exception_handler(HttpError)
def http_error(request, exc):
    message = str(exc)
    if message.startswith("Cannot parse request body"):
        message = _("The body must be valid JSON sent as application/json.")
    extra = {"errors": exc.errors} if getattr(exc, "errors", None) else {}
    return _error(request, exc.status_code, message, **extra)


@api.exception_handler(MultiPartParserError)
def bad_multipart(request, exc):
    return _error(request, 400, _("The multipart body cannot be read."))


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return _error(request, 413, _("The request is too large."))


@api.exception_handler(Exception)
def unexpected(request, exc):
    logger.exception("Unhandled API error")
    return _error(request, 500, _("Internal error. It has been logged."))


from parcelwatch.accounts.api import router as accounts_router  # noqa: E402
from parcelwatch.analytics.api import router as analytics_router  # noqa: E402
from parcelwatch.assessment.api import router as assessment_router  # noqa: E402
from parcelwatch.collaboration.api import router as collaboration_router  # noqa: E402
from parcelwatch.documents.api import router as documents_router  # noqa: E402
from parcelwatch.emergency.api import router as emergency_router  # noqa: E402
from parcelwatch.enforcement.api import router as enforcement_router  # noqa: E402
from parcelwatch.enforcement.inspection_api import public_router as public_inspections_router  # noqa: E402
from parcelwatch.enforcement.inspection_api import router as inspections_router  # noqa: E402
from parcelwatch.events.api import router as events_router  # noqa: E402
from parcelwatch.evidence.api import router as evidence_router  # noqa: E402
from parcelwatch.exports.api import router as exports_router  # noqa: E402
from parcelwatch.notifications.api import router as notifications_router  # noqa: E402
from parcelwatch.registry.api import router as registry_router  # noqa: E402
from parcelwatch.registry.imports_api import router as imports_router  # noqa: E402
from parcelwatch.selfcheck.api import router as selfcheck_router  # noqa: E402
from parcelwatch.tipoffs.api import router as tipoffs_router  # noqa: E402
from parcelwatch.video.api import router as video_router  # noqa: E402

api.add_router("", accounts_router)
api.add_router("", registry_router)
api.add_router("", imports_router)
api.add_router("", events_router)
api.add_router("", evidence_router)
api.add_router("", enforcement_router)
api.add_router("", inspections_router)
api.add_router("", public_inspections_router)
api.add_router("", documents_router)
api.add_router("", notifications_router)
api.add_router("", exports_router)
api.add_router("", analytics_router)
api.add_router("", video_router)
api.add_router("", selfcheck_router)
api.add_router("", assessment_router)
api.add_router("", emergency_router)
api.add_router("", tipoffs_router)
api.add_router("", collaboration_router)
