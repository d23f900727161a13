"""Staged imports through the API: upload, read the per-row check, commit or discard — as on the pages."""

from datetime import datetime
from typing import Literal

from ninja import File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import REGISTRY_IMPORT
from parcelwatch.lib.apitypes import Id

from . import importing
from .models import ImportBatch

router = Router(tags=["imports"])


class ImportRowOut(Schema):
    line: int
    action: str
    errors: list[str]
    notes: list[str]
    values: dict


class ImportOut(Schema):
    id: int
    kind: str
    state: str
    filename: str
    uploaded_at: datetime
    summary: dict
    result: dict
    rows: list[ImportRowOut]


def _out(batch: ImportBatch) -> dict:
    rows = [{"line": r["line"], "action": r.get("action") or "error", "errors": r.get("errors", []),
             "notes": r.get("notes", []) + ([r["skipped"]] if r.get("skipped") else []), "values": r.get("values", {})}
            for r in batch.rows]
    return {"id": batch.pk, "kind": batch.kind, "state": batch.state, "filename": batch.filename,
            "uploaded_at": batch.uploaded_at, "summary": importing.summarise(batch), "result": batch.result,
            "rows": rows}


def _require(request) -> None:
    if not has_permission(request.user, REGISTRY_IMPORT):
        raise HttpError(403, "您没有执行此操作的权限。")


@router.get("/imports/batches/{batch_id}", response=ImportOut)
def get_import(request, batch_id: Id):
    return _out(importing.get_batch_for_user(request.user, batch_id))


@router.get("/imports/{kind}/template", response={200: None})
def import_template(request, kind: Literal["sites", "enterprises", "cameras"]):
    """The .xlsx template with the bureau's column headers."""
    _require(request)
    return importing.template_response(importing.sheet_for(kind, request.user))


@router.post("/imports/{kind}", response={201: ImportOut})
def stage_import(request, kind: Literal["sites", "enterprises", "cameras"], file: File[UploadedFile]):
    """Upload a sheet (.xlsx or .csv, UTF-8 or GBK): every row is checked and reported with all its problems;
    nothing is saved until the import is committed."""
    _require(request)
    if request.POST or set(request.FILES) != {"file"}:
        raise HttpError(422, "只接受一个文件字段 file。")
    try:
        batch = importing.stage_import(importing.sheet_for(kind, request.user), file, actor=request.user)
    except importing.ImportFileError as exc:
        raise HttpError(422, exc.message) from None
    return Status(201, _out(batch))


@router.post("/imports/batches/{batch_id}/commit", response=ImportOut)
def commit_import(request, batch_id: Id):
    """Apply every row in one transaction, or nothing (the rows are checked again against the registry now)."""
    batch = importing.get_batch_for_user(request.user, batch_id)
    try:
        importing.commit_import(batch, actor=request.user)
    except importing.ImportFileError as exc:
        raise HttpError(422, exc.message) from None
    batch.refresh_from_db()
    return _out(batch)


@router.post("/imports/batches/{batch_id}/discard", response=ImportOut)
def discard_import(request, batch_id: Id):
    batch = importing.get_batch_for_user(request.user, batch_id)
    importing.discard_import(batch, actor=request.user)
    batch.refresh_from_db()
    return _out(batch)
