"""Photo thumbnails, made by the worker after the upload.

An uploaded photo is stored and recorded at once; its thumbnail (at most 480 px, JPEG) is made here, within
seconds, because scaling a phone photo costs tens of milliseconds of CPU that the person reporting need not wait
for. Until then the pages show the file's name. Identical bytes share one thumbnail file.
"""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from .attachments import _thumbnail, thumbnail_path
from .models import Attachment

logger = logging.getLogger(__name__)
CLAIM = 50  # photos per transaction


def make_waiting_thumbnails(limit: int | None = None) -> int:
    """Make the thumbnails of the photos waiting for one, oldest first; returns how many were settled.

    Takes at most the photos waiting when it starts (and `limit`), CLAIM at a time, each batch locked so that two
    workers never make the same ones. A photo that cannot be scaled (a format without a decoder here) is settled
    without a thumbnail; one whose file cannot be read now stays waiting for the next run and does not hold up
    the others."""
    waiting = Attachment.objects.filter(thumbnail_pending=True)
    budget = waiting.count() if limit is None else min(limit, waiting.count())
    settled, after = 0, 0
    while settled < budget:
        with transaction.atomic():
            batch = list(waiting.filter(pk__gt=after).select_for_update(skip_locked=True)
                         .order_by("pk")[:min(CLAIM, budget - settled)])
            if not batch:
                break
            after = batch[-1].pk
            for attachment in batch:
                try:
                    path = _make(attachment)
                except Exception:  # noqa: BLE001 - storage trouble: this one waits for the next run
                    logger.exception("Thumbnail of evidence file %s not made now; it stays waiting.", attachment.pk)
                    continue
                Attachment.objects.filter(pk=attachment.pk).update(thumbnail=path, thumbnail_pending=False)
                settled += 1
    return settled


def _make(attachment: Attachment) -> str:
    """The thumbnail's path in storage ("" when the photo cannot be scaled), making the file if needed."""
    path = thumbnail_path(attachment.sha256)
    if default_storage.exists(path):
        return path
    with default_storage.open(attachment.file.name, "rb") as fh:
        thumb = _thumbnail(fh)
    if thumb is None:
        return ""
    return default_storage.save(path, ContentFile(thumb))
