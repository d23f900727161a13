"""Export pages: ask for an export, follow its progress, download it."""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcelwatch.lib.pagination import CappedPaginator
from parcelwatch.lib.spreadsheets import content_disposition

from . import services
from .models import ExportJob
from .selectors import exports_of, get_export_for_user


@login_required
@require_POST
def export_create(request: HttpRequest) -> HttpResponse:
    params = dict(parse_qsl(request.POST.get("query", "")[:2000], keep_blank_values=False))
    job = services.request_export(actor=request.user, source=request.POST.get("source", ""), params=params)
    messages.info(request, _("The export “%(label)s” has been queued. It appears below when it is ready.")
                  % {"label": job.label})
    return redirect("exports:list")


def _status(job: ExportJob) -> dict:
    return {"id": job.pk, "state": job.state, "state_label": str(job.get_state_display()),
            "rows_total": job.rows_total, "rows_done": job.rows_done, "percent": job.percent,
            "error": job.error, "finished": job.is_finished}


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    page = CappedPaginator(exports_of(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "exports/list.html", {"page": page, "querystring": ""})


@login_required
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_status(get_export_for_user(request.user, pk)))


def download_response(job: ExportJob) -> FileResponse:
    """The finished spreadsheet of a job (pages and API alike); 404 until it is ready."""
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404
    try:
        handle = default_storage.open(job.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    is_pdf = job.file.name.endswith(".pdf")
    response = FileResponse(handle, content_type="application/pdf" if is_pdf else
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition(job.filename or "export.xlsx")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    return download_response(get_export_for_user(request.user, pk))
