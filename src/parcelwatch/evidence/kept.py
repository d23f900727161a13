"""Files sent with a form that is refused come back with it as `file_ids`: nothing photographed is lost.

A form mixes in `KeptFilesMixin` and has an `attachments` file field and a hidden `file_ids`; the view calls
`kept_files` then `store_files`, and renders the ids of what it holds back into the page.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from parcelwatch.lib.text import is_ascii_digits

from .attachments import store_attachment
from .models import Attachment

MAX_FILES = 10
PHOTO_OR_PDF = (Attachment.Kind.IMAGE, Attachment.Kind.PDF)


class KeptFilesMixin:
    def kept_file_ids(self) -> list[int]:
        raw = self.data.getlist("file_ids") if hasattr(self.data, "getlist") else []
        ids = [part.strip() for chunk in raw for part in str(chunk).split(",")]
        return [int(i) for i in ids if is_ascii_digits(i) and len(i) < 19][:MAX_FILES]


def kept_files(request: HttpRequest, form, *, kinds=PHOTO_OR_PDF) -> list[Attachment]:
    """The files this user sent with an earlier, refused submission of the form (never anybody else's)."""
    ids = form.kept_file_ids()
    if not ids:
        return []
    return list(Attachment.objects.filter(pk__in=ids, uploaded_by=request.user, kind__in=kinds).order_by("pk"))


def store_files(request: HttpRequest, form, kept: list) -> bool:
    """Store the files just uploaded and add them to `kept`; False (with the form's error) if one is refused."""
    ok = True
    for upload in request.FILES.getlist("attachments")[: MAX_FILES - len(kept)]:
        try:
            attachment = store_attachment(upload, name=upload.name, actor=request.user)
        except ValidationError as exc:
            form.add_error("attachments", exc.messages)
            ok = False
            continue
        if attachment.kind not in PHOTO_OR_PDF:
            form.add_error("attachments", _("Attach photos or PDF documents."))
            ok = False
            continue
        kept.append(attachment)
    return ok


def submit_with_files(request: HttpRequest, form, call) -> tuple[bool, list]:
    """Validate the form and its files (kept from a refused submission), then run `call(files)`; False on any
    error, with the errors on the form and every file received kept for the next submission."""
    from parcelwatch.lib.forms import add_service_errors

    files = kept_files(request, form)
    valid = form.is_valid()
    valid = store_files(request, form, files) and valid
    if not valid:
        return False, files
    try:
        call(files)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False, files
    return True, files
