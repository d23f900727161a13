"""Background exports through the API: ask, follow the progress, download."""

from datetime import datetime
from typing import Annotated

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, StringConstraints

from parcelwatch.lib.apitypes import Code, Id, In, Pagination
from parcelwatch.lib.text import clean_text

from . import services
from .models import ExportJob
from .selectors import exports_of, get_export_for_user

router = Router(tags=["exports"])
FilterKey = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")]
FilterValue = Annotated[str, Field(max_length=100), AfterValidator(lambda v: clean_text(v, multiline=False))]


class ExportIn(In):
    source: Code = Field(description="sites, enterprises, officers, events or cases")
    filters: dict[FilterKey, FilterValue] = Field(
        {}, max_length=20, description='The list\'s filters, as in its query string (e.g. {"year": "2019"}).')


class ExportOut(Schema):
    id: int
    source: str
    label: str
    filters: dict
    state: str
    state_label: str
    rows_total: int | None
    rows_done: int
    percent: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    file_url: str | None


def _out(job: ExportJob) -> dict:
    return {"id": job.pk, "source": job.source, "label": job.label, "filters": job.params, "state": job.state,
            "state_label": str(job.get_state_display()), "rows_total": job.rows_total, "rows_done": job.rows_done,
            "percent": job.percent, "error": job.error, "created_at": job.created_at, "finished_at": job.finished_at,
            "file_url": f"/api/v1/exports/{job.pk}/file" if job.state == ExportJob.State.DONE else None}


@router.post("/exports", response={202: ExportOut})
def create_export(request, payload: ExportIn):
    """Queue an export of a list, scoped and filtered as the list would be; poll it until `state` is done."""
    job = services.request_export(actor=request.user, source=payload.source, params=payload.filters)
    return Status(202, _out(job))


class ExportPagination(Pagination):
    def paginate_queryset(self, queryset, pagination, request=None, **params):
        result = super().paginate_queryset(queryset, pagination, request=request, **params)
        result["items"] = [_out(j) for j in result["items"]]
        return result


@router.get("/exports", response=list[ExportOut])
@paginate(ExportPagination)
def list_exports(request):
    """The user's own exports, newest first."""
    return exports_of(request.user)


@router.get("/exports/{export_id}", response=ExportOut)
def get_export(request, export_id: Id):
    return _out(get_export_for_user(request.user, export_id))


@router.get("/exports/{export_id}/file", response={200: None})
def export_file(request, export_id: Id):
    """The .xlsx, once the export is done."""
    from .views import download_response

    return download_response(get_export_for_user(request.user, export_id))
