"""Evidence files through the API: the same files, to the same people, as the pages give them."""

from ninja import File, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import COLLAB_RESPOND, EVENTS_VIEW
from parcelwatch.lib.apitypes import Id

from .attachments import store_attachment
from .schemas import AttachmentOut, UploadedOut, attachment_json
from .selectors import get_attachment_for_user, own_uploads
from .views import file_response

router = Router(tags=["evidence"])


def own_uploads_or_422(request, ids: list[int]) -> list:
    """The caller's own uploads named by `attachment_ids`, or a 422 if any id is not one of them: how every
    endpoint that attaches files takes them."""
    attachments = own_uploads(request.user, ids)
    if attachments is None:
        raise HttpError(422, "attachment_ids 只能是您本人上传的文件。")
    return attachments


@router.post("/evidence", response={201: UploadedOut})
def upload_evidence(request, file: File[UploadedFile]):
    """Upload one evidence file (photo, PDF or video); returns its id and SHA-256.

    Refer to it by id in a transition's `attachment_ids`. Only its uploader sees it until it is attached.
    """
    from django.core.exceptions import ValidationError

    # Whoever attaches files to records: the workflow's people, and partner departments (referrals and answers).
    if not (has_permission(request.user, EVENTS_VIEW) or has_permission(request.user, COLLAB_RESPOND)):
        raise HttpError(403, "您没有执行此操作的权限。")
    if request.POST or len(request.FILES) != 1:
        raise HttpError(422, "只接受一个文件字段 file。")
    try:
        attachment = store_attachment(file, name=file.name, actor=request.user)
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from None
    return Status(201, {**attachment_json(attachment), "content_type": attachment.content_type,
                        "size": attachment.size})


@router.get("/evidence/{attachment_id}", response=AttachmentOut)
def get_evidence(request, attachment_id: Id):
    """An evidence file's record: visible to whoever may see an event or case it belongs to, and its uploader."""
    return attachment_json(get_attachment_for_user(request.user, attachment_id))


@router.get("/evidence/{attachment_id}/file", response={200: None})
def evidence_file(request, attachment_id: Id):
    """The file itself (its SHA-256 in the X-Evidence-SHA256 header)."""
    return file_response(get_attachment_for_user(request.user, attachment_id))


@router.get("/evidence/{attachment_id}/thumbnail", response={200: None})
def evidence_thumbnail(request, attachment_id: Id):
    """A JPEG thumbnail of a photo (404 for files that have none)."""
    return file_response(get_attachment_for_user(request.user, attachment_id), "thumb")
