"""Exports in tests: ask through the page, let the worker's function run, download the file."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.urls import reverse
from openpyxl import load_workbook

from parcelwatch.exports.models import ExportJob
from parcelwatch.exports.services import run_export


def export(client, source: str, **params):
    """The response to the export request if it was refused, else the downloaded file's response."""
    before = ExportJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.post(reverse("exports:create"), {"source": source, "query": urlencode(params)})
    job = ExportJob.objects.filter(pk__gt=before).order_by("-pk").first()
    if response.status_code != 302 or job is None:
        return response
    run_export(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    return client.get(reverse("exports:download", args=[job.pk]))


def export_sheet(client, source: str, **params):
    response = export(client, source, **params)
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
