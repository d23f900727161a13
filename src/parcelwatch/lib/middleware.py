"""Language: Simplified Chinese unless the user chose another language.

Django's LocaleMiddleware follows the browser's Accept-Language header; our
users are Chinese civil servants whose office browsers often say "en-US", so
only an explicit choice (the language cookie set by /i18n/setlang/) counts.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import translation


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


API_PREFIX = "/api/"
STATUS_MESSAGES = {
    400: "请求无效。",
    401: "需要认证：请发送有效的令牌。",
    403: "您没有执行此操作的权限。",
    404: "未找到。",
    405: "不支持此请求方法。",
    413: "请求内容过大。",
    429: "请求过于频繁，请稍后再试。",
}


def _too_large(request) -> HttpResponse:
    from django.template.loader import render_to_string

    limit_mb = settings.REQUEST_MAX_BYTES // 2**20
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": f"请求内容过大：文件合计不能超过 {limit_mb} MB，"
                                       f"表单或 JSON 不能超过 {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20} MB。"},
                            status=413)
    html = render_to_string("413.html", {"limit_mb": limit_mb}, request=request)
    return HttpResponse(html, status=413)


class RequestLimitsMiddleware:
    """Refuse oversized requests from their Content-Length, before a byte of the body is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if length > settings.REQUEST_MAX_BYTES or (not multipart and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE):
            return _too_large(request)
        return self.get_response(request)


class ApiJsonMiddleware:
    """Everything under /api/ answers JSON, unknown paths and methods included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith(API_PREFIX) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            status = response.status_code
            replacement = JsonResponse({"detail": STATUS_MESSAGES.get(status, "服务器内部错误，已记录。")},
                                       status=status)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response
