"""Accepting evidence files: checked by content, size-limited before reading, stored once under their hash.

The bytes of a file are stored once (the path is their SHA-256), but every
upload gets its own record: two users uploading the same photo each get their
own attachment, and neither ever receives the other's record.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from parcelwatch.accounts.models import User
from parcelwatch.lib.storage import save_by_content
from parcelwatch.lib.text import clean_text

from .models import Attachment

CHUNK = 1 << 20


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


def clean_filename(name: str) -> str:
    """A display name only (files are stored under their hash): no path, no control characters, bounded."""
    name = clean_text(name or "", multiline=False)
    name = re.split(r"[\\/]", name)[-1].lstrip(".")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 110] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:120]
    return name


# --- images -------------------------------------------------------------------------------------------------


def _check_image(fh: IO[bytes], name: str) -> None:
    """Refuse damaged images and decompression bombs, reading only the header before the pixel count is known."""
    from PIL import Image, UnidentifiedImageError

    fh.seek(0)
    try:
        with Image.open(fh) as img:
            width, height = img.size
            if width * height > settings.EVIDENCE_MAX_PIXELS:
                raise ValidationError(
                    _("“%(name)s” is %(w)d × %(h)d pixels, more than a photo can be (%(mp)d megapixels at most).")
                    % {"name": name, "w": width, "h": height, "mp": settings.EVIDENCE_MAX_PIXELS // 1_000_000})
            img.verify()
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError(_("“%(name)s” has far too many pixels to be a photo.") % {"name": name}) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise ValidationError(_("The photo “%(name)s” is damaged or not really an image.") % {"name": name}) from None


def thumbnail_path(sha: str) -> str:
    return f"evidence/thumbs/{sha[:2]}/{sha}.jpg"


# --- PDFs ---------------------------------------------------------------------------------------------------

# Names that make a PDF do things when opened: scripts, launching programs, embedded files, forms that submit.
ACTIVE_PDF_NAMES = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/EmbeddedFiles", b"/RichMedia",
                    b"/XFA", b"/AA", b"/OpenAction", b"/SubmitForm", b"/ImportData", b"/GoToE")


def _unescape_names(raw: bytes) -> bytes:
    # PDF names may hide letters as #xx escapes (/J#61vaScript).
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _pdf_is_active(fh: IO[bytes]) -> bool:
    """True when the PDF carries active content, in its plain text or inside compressed object streams."""
    fh.seek(0)
    raw = fh.read()
    # A quick look at the PDF's own syntax, stream bodies (binary) left out so that their bytes never look
    # like names by chance.
    syntax = _unescape_names(re.sub(rb"stream\r?\n.*?endstream", b"", raw, flags=re.S))
    if any(re.search(re.escape(name) + rb"(?![A-Za-z0-9])", syntax) for name in ACTIVE_PDF_NAMES):
        return True
    # Then every object reachable from the trailer, including those packed in compressed object streams.
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject, IndirectObject

    reader = PdfReader(io.BytesIO(raw), strict=False)
    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1
        if visited > 50_000:
            return True  # too convoluted to vouch for
        if isinstance(obj, DictionaryObject):
            for name, value in obj.items():
                if name.encode() in ACTIVE_PDF_NAMES:
                    return True
                stack.append(value)
        elif isinstance(obj, list):
            stack.extend(obj)
    return False


def _check_pdf(fh: IO[bytes], name: str) -> None:
    try:
        active = _pdf_is_active(fh)
    except Exception:  # noqa: BLE001 - pypdf raises many kinds on damaged files
        raise ValidationError(_("The PDF “%(name)s” is damaged and cannot be checked.") % {"name": name}) from None
    if active:
        raise ValidationError(
            _("The PDF “%(name)s” contains scripts, embedded files or automatic actions and is not accepted as "
              "evidence. Print it to a plain PDF, or scan the paper document.") % {"name": name})


# --- storing ------------------------------------------------------------------------------------------------


def _as_file(content: bytes | IO[bytes]) -> tuple[IO[bytes], int]:
    if isinstance(content, (bytes, bytearray)):
        return io.BytesIO(content), len(content)
    size = getattr(content, "size", None)
    if size is None:
        content.seek(0, io.SEEK_END)
        size = content.tell()
    content.seek(0)
    return content, size


def store_attachment(content: bytes | IO[bytes], *, name: str = "", actor: User | None) -> Attachment:
    """Check and store one evidence file (bytes, or an uploaded file read in chunks).

    The size is checked before anything is read; the content decides what the file is.
    """
    name = clean_filename(name or getattr(content, "name", "") or "")
    fh, size = _as_file(content)
    if size <= 0:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name})
    if size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            _("The file “%(name)s” is larger than %(mb)d MB.") % {"name": name, "mb": settings.EVIDENCE_MAX_BYTES // 2**20}
        )
    sniffed = sniff(fh.read(32))
    if sniffed is None:
        raise ValidationError(
            _("“%(name)s” is not a photo, PDF or video (JPEG, PNG, GIF, WebP, HEIC, PDF, MP4, MOV, WebM).") % {"name": name}
        )
    if sniffed.kind == Attachment.Kind.IMAGE and sniffed.content_type != "image/heic":
        _check_image(fh, name)
    if sniffed.kind == Attachment.Kind.PDF:
        _check_pdf(fh, name)
    digest = hashlib.sha256()
    fh.seek(0)
    for chunk in iter(lambda: fh.read(CHUNK), b""):
        digest.update(chunk)
    sha = digest.hexdigest()
    path = f"evidence/{sha[:2]}/{sha}{sniffed.extension}"
    written = save_by_content(path, fh)
    # A photo's thumbnail is made after the upload (evidence.thumbnails: by the worker, or by the first request
    # that shows it): a phone photo takes tens of milliseconds of CPU to scale, which the upload need not wait
    # for. The same bytes seen before may have theirs already.
    thumb_path, pending = "", False
    if sniffed.kind == Attachment.Kind.IMAGE:
        thumb_path = thumbnail_path(sha)
        if written or not default_storage.exists(thumb_path):
            thumb_path, pending = "", True
    attachment = Attachment(
        sha256=sha, kind=sniffed.kind, content_type=sniffed.content_type, size=size, file=path,
        thumbnail=thumb_path, thumbnail_pending=pending, original_name=name[:255], uploaded_by=actor,
    )
    attachment.save()
    return attachment


def store_uploads(files: Iterable, *, actor: User | None) -> list[Attachment]:
    """Store several uploads; the first bad one stops the lot with its message (nothing half-attached)."""
    return [store_attachment(f, name=getattr(f, "name", ""), actor=actor) for f in files]


def file_sha256(attachment: Attachment) -> str:
    digest = hashlib.sha256()
    with default_storage.open(attachment.file.name, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()



def check_own_files(actor: User, attachments: Iterable[Attachment], errors: dict,
                    field: str = "attachments") -> list[Attachment]:
    """The files a service attaches: the actor's own uploads, photos or PDFs; what is wrong goes into `errors`."""
    attachments = list(attachments)
    for a in attachments:
        if a.uploaded_by_id != actor.pk:
            errors[field] = _("Attach only files you uploaded yourself.")
        elif a.kind not in (Attachment.Kind.IMAGE, Attachment.Kind.PDF):
            errors[field] = _("Attach photos or PDF documents.")
    return attachments
