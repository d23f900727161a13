"""Photo thumbnails, made after the upload.

An uploaded photo is stored and recorded at once; its thumbnail (at most 480 px, JPEG) is made by the worker
within seconds, or by the first request that shows it if that comes sooner: scaling a phone photo costs tens of
milliseconds of CPU that the person reporting need not wait for. Identical bytes share one thumbnail file.
"""

from __future__ import annotations

import io
import logging
from contextlib import nullcontext
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from parcelwatch.lib.storage import save_by_content

from .attachments import thumbnail_path
from .models import Attachment

logger = logging.getLogger(__name__)
CLAIM = 20  # photos per transaction
# A photo whose file could not be read for this long is settled without a thumbnail (the file itself is checked
# by the backup and the timeline's verification; this only stops the retries).
GIVE_UP_AFTER = timedelta(days=1)
THUMBNAIL_SIZE = (480, 480)


def settle(attachment: Attachment) -> str:
    """Make the thumbnail of a waiting photo now and record it; returns its path ("" when the photo cannot be
    scaled). Storage errors propagate, and the photo stays waiting."""
    path = thumbnail_path(attachment.sha256)
    if not default_storage.exists(path):
        with default_storage.open(attachment.file.name, "rb") as fh:
            content = fh.read()  # read first: a failure from here on is the image's, not the storage's
        thumb = _scaled(content)
        path = _store(path, thumb) if thumb else ""
    _record(attachment, path)
    return path


def _scaled(content: bytes) -> bytes | None:
    """A JPEG of at most THUMBNAIL_SIZE, or None when the image cannot be scaled. The bytes are in memory, so any
    failure is the image's (a format without a decoder here, damage past what the upload's check reads)."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(content)) as img:
            img.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at reduced size, not the full photo
            img = ImageOps.exif_transpose(img)
            # Bilinear after the reducing step: as sharp as bicubic at this size, a quarter cheaper.
            img.thumbnail(THUMBNAIL_SIZE, Image.Resampling.BILINEAR, reducing_gap=2.0)
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue()
    except Exception:  # noqa: BLE001 - see above: whatever the decoder raises, there is no thumbnail to make
        return None


def _store(path: str, thumb: bytes) -> str:
    # The same bytes' thumbnail may be stored meanwhile (another worker, a viewer): one copy is kept.
    save_by_content(path, ContentFile(thumb), known_absent=True)
    return path


def _record(attachment: Attachment, path: str) -> None:
    Attachment.objects.filter(pk=attachment.pk, thumbnail_pending=True).update(thumbnail=path,
                                                                              thumbnail_pending=False)
    attachment.thumbnail, attachment.thumbnail_pending = path, False


def make_waiting_thumbnails(limit: int | None = None) -> int:
    """Make the thumbnails of the photos waiting for one, oldest first; returns how many were settled.

    Takes at most the photos waiting when it starts (and `limit`). On PostgreSQL each batch of CLAIM is locked
    (FOR NO KEY UPDATE SKIP LOCKED: two workers never make the same ones, and a report attaching one of them is
    not held up); on SQLite, whose transactions lock the whole database, nothing is held while scaling. A photo
    that cannot be scaled is settled without a thumbnail; one whose file cannot be read now stays waiting for the
    next run (for GIVE_UP_AFTER at most) and does not hold up the others."""
    waiting = Attachment.objects.filter(thumbnail_pending=True)
    budget = waiting.count() if limit is None else min(limit, waiting.count())
    locking = connection.features.has_select_for_update_skip_locked
    settled, after = 0, 0
    while settled < budget:
        with transaction.atomic() if locking else nullcontext():
            batch = waiting.filter(pk__gt=after).order_by("pk")
            if locking:
                batch = batch.select_for_update(skip_locked=True, no_key=True)
            batch = list(batch[:min(CLAIM, budget - settled)])
            if not batch:
                break
            after = batch[-1].pk
            for attachment in batch:
                try:
                    settle(attachment)
                except Exception as exc:  # noqa: BLE001 - storage trouble: this one waits, the others go on
                    if attachment.uploaded_at > timezone.now() - GIVE_UP_AFTER:
                        logger.warning("Thumbnail of evidence file %s not made now (%s); it stays waiting.",
                                       attachment.pk, exc)
                        continue
                    logger.exception("Thumbnail of evidence file %s given up: its file has been unreadable since "
                                     "%s.", attachment.pk, attachment.uploaded_at)
                    _record(attachment, "")
                settled += 1
    return settled
