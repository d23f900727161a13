"""Accepting evidence files: checked by content, size-limited, stored once under their hash."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from parcelwatch.accounts.models import User

from .models import Attachment

THUMBNAIL_SIZE = (480, 480)


@dataclass(frozen=True)
class Sniffed:
    kind: str
    content_type: str
    extension: str


def sniff(head: bytes) -> Sniffed | None:
    """What a file really is, from its first bytes (never from its name)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(Attachment.Kind.IMAGE, "image/jpeg", ".jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(Attachment.Kind.IMAGE, "image/png", ".png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(Attachment.Kind.IMAGE, "image/gif", ".gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(Attachment.Kind.IMAGE, "image/webp", ".webp")
    if head.startswith(b"%PDF-"):
        return Sniffed(Attachment.Kind.PDF, "application/pdf", ".pdf")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"heim", b"heis"):
            return Sniffed(Attachment.Kind.IMAGE, "image/heic", ".heic")
        if brand == b"qt  ":
            return Sniffed(Attachment.Kind.VIDEO, "video/quicktime", ".mov")
        return Sniffed(Attachment.Kind.VIDEO, "video/mp4", ".mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed(Attachment.Kind.VIDEO, "video/webm", ".webm")
    return None


def _thumbnail(content: bytes) -> bytes | None:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as img:
            img = ImageOps.exif_transpose(img)
            img.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def _check_image(content: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationError(_("The photo is damaged or not really an image.")) from None


def store_attachment(content: bytes, *, name: str = "", actor: User | None) -> Attachment:
    """Check and store one evidence file; the same content is stored once."""
    if not content:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name})
    if len(content) > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("The file “%(name)s” is larger than %(mb)d MB.") % {"name": name, "mb": settings.EVIDENCE_MAX_BYTES // 2**20}
        )
    sniffed = sniff(content[:32])
    if sniffed is None:
        raise ValidationError(
            _("“%(name)s” is not a photo, PDF or video (JPEG, PNG, GIF, WebP, HEIC, PDF, MP4, MOV, WebM).") % {"name": name}
        )
    if sniffed.kind == Attachment.Kind.IMAGE and sniffed.content_type != "image/heic":
        _check_image(content)
    digest = hashlib.sha256(content).hexdigest()
    existing = Attachment.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing
    path = f"evidence/{digest[:2]}/{digest}{sniffed.extension}"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(content))
    thumb_path = ""
    if sniffed.kind == Attachment.Kind.IMAGE:
        thumb = _thumbnail(content)
        if thumb:
            thumb_path = f"evidence/thumbs/{digest[:2]}/{digest}.jpg"
            if not default_storage.exists(thumb_path):
                thumb_path = default_storage.save(thumb_path, ContentFile(thumb))
    attachment = Attachment(
        sha256=digest, kind=sniffed.kind, content_type=sniffed.content_type, size=len(content), file=path,
        thumbnail=thumb_path, original_name=(name or "")[:255], uploaded_by=actor,
    )
    attachment.save()
    return attachment


def store_uploads(files, *, actor: User | None) -> list[Attachment]:
    return [store_attachment(f.read(), name=f.name, actor=actor) for f in files]


def file_sha256(attachment: Attachment) -> str:
    digest = hashlib.sha256()
    with default_storage.open(attachment.file.name, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
