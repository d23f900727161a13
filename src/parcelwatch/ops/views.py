from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import report

CACHE_SECONDS = 15  # probes every few seconds from several balancers cost one check, not one each


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database, the file storage and a worker are all well,
    503 otherwise, with each check's result (at most CACHE_SECONDS old, its time in `checked_at`)."""
    result = cache.get("pw-health")
    if result is None:
        result = report()
        cache.set("pw-health", result, CACHE_SECONDS)
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)
