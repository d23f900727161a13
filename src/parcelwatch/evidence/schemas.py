"""API shapes of evidence and timeline entries, shared by events and cases."""

from datetime import date, datetime

from ninja import Field, Schema

from .models import Attachment


def file_url(attachment: Attachment) -> str:
    """Where an API client downloads the file, with its bearer token."""
    return f"/api/v1/evidence/{attachment.pk}/file"


def attachment_json(a: Attachment) -> dict:
    return {"id": a.pk, "sha256": a.sha256, "kind": a.kind, "name": a.original_name, "url": file_url(a),
            "thumbnail_url": f"/api/v1/evidence/{a.pk}/thumbnail" if a.shows_thumbnail else None,
            "thumbnail_pending": a.thumbnail_pending}


class AttachmentOut(Schema):
    id: int
    sha256: str
    kind: str
    name: str
    url: str
    thumbnail_url: str | None = None
    thumbnail_pending: bool = Field(False, description="A photo whose thumbnail the server has not made yet (it does "
                                                         "within seconds, or when thumbnail_url is first asked for).")


class UploadedOut(AttachmentOut):
    content_type: str
    size: int


class TimelineOut(Schema):
    seq: int
    action: str
    actor: str
    actor_role: str
    from_state: str
    to_state: str
    note: str
    deadline: date | None
    data: dict
    created_at: datetime
    attachments: list[AttachmentOut]
    entry_hash: str
    prev_hash: str
