"""Exports run in the background worker: the request only records what to export."""

from __future__ import annotations

import logging
import re
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.models import User
from parcelwatch.lib.spreadsheets import write_workbook
from parcelwatch.lib.text import clean_text

from .models import ExportJob
from .sources import source_for

logger = logging.getLogger(__name__)
# Query-string keys an export remembers (the list's filters); anything else is dropped.
MAX_PARAM_LENGTH = 100


def _clean_params(params: dict) -> dict[str, str]:
    cleaned = {}
    for key, value in list(params.items())[:20]:
        key = str(key)
        if key in ("page", "format", "csrfmiddlewaretoken", "source") or not re.fullmatch(r"[a-z_]{1,32}", key):
            continue  # filters are named in lower case; anything else is not a filter of any list
        cleaned[key] = clean_text(str(value), multiline=False)[:MAX_PARAM_LENGTH]
    return cleaned


def request_export(*, actor: User, source: str, params: dict) -> ExportJob:
    """Record an export and queue it for the worker; the user follows its progress on the exports page."""
    from .tasks import run_export

    export_source = source_for(source)
    if not has_permission(actor, export_source.permission):
        raise PermissionDenied
    params = _clean_params(params)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    job = ExportJob.objects.create(
        owner=actor, source=source, params=params, label=str(export_source.label),
        filename=f"{export_source.label}-{stamp}.{export_source.extension}",
    )
    transaction.on_commit(lambda: run_export.enqueue(job.pk))
    return job


def _progress(job_id: int):
    def update(done: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(rows_done=done)

    return update


def run_export(job_id: int) -> str:
    """Write the spreadsheet for one job (in the worker). Returns the job's final state."""
    job = ExportJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or job.state != ExportJob.State.QUEUED:
        return job.state if job else "missing"
    claimed = ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.QUEUED).update(
        state=ExportJob.State.RUNNING, started_at=timezone.now())
    if not claimed:
        return "taken"  # another worker has it
    with translation.override(settings.LANGUAGE_CODE):
        try:
            return _write(job)
        except Exception:
            logger.exception("Export %s failed", job.pk)
            ExportJob.objects.filter(pk=job.pk).update(
                state=ExportJob.State.FAILED, finished_at=timezone.now(),
                error=_("The export failed because of an internal error. It has been logged; try again later."))
            return ExportJob.State.FAILED


def _write(job: ExportJob) -> str:
    source = source_for(job.source)
    user = job.owner
    if not user.is_active or not has_permission(user, source.permission):
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED, finished_at=timezone.now(),
            error=_("You no longer have permission to export this list."))
        return ExportJob.State.FAILED
    if source.write is not None:
        with tempfile.TemporaryFile() as tmp:
            written = source.write(user, job.params, tmp)
            tmp.seek(0)
            name = default_storage.save(f"exports/{job.owner_id}/{job.pk}.{source.extension}", File(tmp))
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.DONE, file=name, rows_done=written, rows_total=written, finished_at=timezone.now())
        return ExportJob.State.DONE
    qs = source.rows(user, job.params)
    # A list for summary tables (statistics), a queryset for the lists of records.
    total = len(qs) if isinstance(qs, list) else qs.count()
    ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
    if total > settings.EXPORT_MAX_ROWS:
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED, finished_at=timezone.now(),
            error=_("%(n)s rows match, more than the %(max)s an export may hold. Narrow the filters (for example "
                    "by year or district) and export again.") % {"n": f"{total:,}", "max": f"{settings.EXPORT_MAX_ROWS:,}"})
        return ExportJob.State.FAILED
    rows = source.prepare(user, qs) if source.prepare else source.sheet.queryset_for_export(qs)
    with tempfile.TemporaryFile() as tmp:
        written = write_workbook(tmp, source.sheet.title, source.sheet.columns,
                                 rows if isinstance(rows, list) else rows.iterator(chunk_size=2000),
                                 progress=_progress(job.pk))
        tmp.seek(0)
        name = default_storage.save(f"exports/{job.owner_id}/{job.pk}.xlsx", File(tmp))
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.DONE, file=name, rows_done=written, rows_total=written, finished_at=timezone.now())
    return ExportJob.State.DONE


def delete_old_exports(*, older_than_days: int | None = None) -> int:
    """Exports are kept for a while for download, then removed with their files."""
    days = older_than_days if older_than_days is not None else settings.EXPORT_KEEP_DAYS
    old = ExportJob.objects.filter(created_at__lt=timezone.now() - timedelta(days=days))
    count = 0
    for job in old.iterator():
        if job.file:
            default_storage.delete(job.file.name)
        job.delete()
        count += 1
    return count
