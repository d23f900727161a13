from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import report


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database, the file storage and a worker are all well,
    503 otherwise, with each check's result."""
    result = report()
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)
