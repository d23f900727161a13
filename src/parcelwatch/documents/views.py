from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from parcelwatch.lib.pagination import CappedPaginator
from parcelwatch.lib.params import text

from .models import DocumentKind
from .selectors import documents_visible_to

LISTED_KINDS = [DocumentKind.REMINDER_LETTER, DocumentKind.PENALTY_NOTICE, DocumentKind.PENALTY_DECISION]


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    kind = text(request.GET, "kind", 32)
    qs = documents_visible_to(request.user).order_by("-issued_at", "-pk")
    if kind:
        qs = qs.filter(kind=kind)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "documents/list.html", {
        "page": CappedPaginator(qs, 25).get_page(request.GET.get("page")),
        "kinds": [(k.value, k.label) for k in LISTED_KINDS],
        "kind": kind,
        "querystring": params.urlencode(),
    })
