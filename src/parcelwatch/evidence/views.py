import logging

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from parcelwatch.lib.spreadsheets import content_disposition

from .models import Attachment
from .selectors import get_attachment_for_user
from .thumbnails import settle

logger = logging.getLogger(__name__)


def file_response(attachment: Attachment, variant: str = "file") -> FileResponse:
    """An evidence file as a response: never cached by shared caches, its hash in a header.

    Shared by the pages (session) and the API (bearer token), which differ only in how the user is known.
    """
    if variant == "thumb":
        if not attachment.thumbnail and attachment.thumbnail_pending:
            try:
                settle(attachment)  # asked for before the worker made it: made now, once
            except Exception as exc:  # noqa: BLE001 - the photo cannot be read now: it stays waiting
                logger.warning("Thumbnail of evidence file %s not made on request (%s).", attachment.pk, exc)
                raise Http404 from None
        if not attachment.thumbnail:
            raise Http404
        name, content_type = attachment.thumbnail.name, "image/jpeg"
    else:
        name, content_type = attachment.file.name, attachment.content_type
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    filename = attachment.original_name or name.rsplit("/", 1)[-1]
    response["Content-Disposition"] = content_disposition(filename, "inline")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["X-Evidence-SHA256"] = attachment.sha256
    # Only checked photos, PDFs without active content and videos are ever stored; the browser's own PDF
    # viewer does not run under a page policy, so these responses carry none.
    response._csp_exempt = True
    return response


@login_required
@require_GET
def attachment_file(request: HttpRequest, pk: int, variant: str = "file"):
    return file_response(get_attachment_for_user(request.user, pk), variant)
