from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from .selectors import get_attachment_for_user


@login_required
@require_GET
def attachment_file(request: HttpRequest, pk: int, variant: str = "file"):
    attachment = get_attachment_for_user(request.user, pk)
    if variant == "thumb":
        if not attachment.thumbnail:
            raise Http404
        name, content_type = attachment.thumbnail.name, "image/jpeg"
    else:
        name, content_type = attachment.file.name, attachment.content_type
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    filename = attachment.original_name or name.rsplit("/", 1)[-1]
    disposition = "inline" if attachment.kind in ("image", "pdf", "video") else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Evidence-SHA256"] = attachment.sha256
    return response
