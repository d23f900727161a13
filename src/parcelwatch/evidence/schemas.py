"""API shapes of evidence and timeline entries, shared by events and cases."""

from datetime import date, datetime

from ninja import Schema


class AttachmentOut(Schema):
    id: int
    sha256: str
    kind: str
    name: str
    url: str


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
