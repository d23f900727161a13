"""Appending to and verifying the hash-chained timeline."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection, models
from django.utils import timezone

from parcelwatch.accounts.models import User
from parcelwatch.lib.queries import kept_cursor

from .attachments import file_sha256
from .models import Attachment, TimelineEntry


def canonical(entry: TimelineEntry, attachment_hashes: list[str]) -> bytes:
    content = {
        "subject": f"{entry.subject_type}:{entry.subject_id}",
        "seq": entry.seq,
        "action": entry.action,
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_role": entry.actor_role,
        "from": entry.from_state,
        "to": entry.to_state,
        "note": entry.note,
        "deadline": entry.deadline.isoformat() if entry.deadline else None,
        "data": entry.data,
        "at": entry.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "attachments": sorted(attachment_hashes),
        "prev": entry.prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def compute_hash(entry: TimelineEntry, attachment_hashes: list[str]) -> str:
    return hashlib.sha256(canonical(entry, attachment_hashes)).hexdigest()


def subject_key(subject: models.Model) -> tuple[str, int]:
    return subject._meta.model_name, subject.pk


def append(
    subject: models.Model,
    *,
    action: str,
    actor: User | None,
    actor_role: str,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    deadline: date | None = None,
    data: dict | None = None,
    attachments: list[Attachment] = (),
    at: datetime | None = None,
    first: bool = False,
) -> TimelineEntry:
    """Append an entry. Call inside the transaction that holds the subject's row lock.

    `at` is only for loading historical records (the demo's 2019 history); live steps use now. `first` says the
    subject was created in this transaction, so it has no entry yet (the entry's unique sequence number would
    refuse a second #1).
    """
    subject_type, subject_id = subject_key(subject)
    # Each file is linked once, and the hash covers the links as they are stored (a file named twice would
    # otherwise count twice in the hash and once in the links, and the entry would never verify).
    attachments = list({a.pk: a for a in attachments}.values())
    last = None if first else (
        TimelineEntry.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("-seq").first()
    )
    entry = TimelineEntry(
        subject_type=subject_type,
        subject_id=subject_id,
        seq=(last.seq + 1) if last else 1,
        action=action,
        actor=actor,
        actor_name=actor.username if actor else "system",
        actor_role=actor_role,
        from_state=from_state,
        to_state=to_state,
        note=note,
        deadline=deadline,
        data=data or {},
        created_at=at or timezone.now(),
        prev_hash=last.entry_hash if last else "",
    )
    # JSON round-trip so the hash sees exactly what the database will give back.
    entry.data = json.loads(json.dumps(entry.data, default=str))
    entry.entry_hash = compute_hash(entry, [a.sha256 for a in attachments])
    entry.save(force_insert=True)
    if attachments:
        # A new entry has no links yet: one plain insert (the manager's set() would first read the links there
        # are, and bulk_create costs as much again as the insert itself).
        kept_cursor().execute(_link_sql(len(attachments)), [value for a in attachments for value in (entry.pk, a.pk)])
    return entry


@functools.lru_cache(maxsize=32)
def _link_sql(count: int) -> str:
    through = TimelineEntry.attachments.through
    quote = connection.ops.quote_name
    columns = (through._meta.get_field("timelineentry").column, through._meta.get_field("attachment").column)
    return (f"INSERT INTO {quote(through._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES "
            + ", ".join(["(%s, %s)"] * count))


def entries_for(subject: models.Model):
    subject_type, subject_id = subject_key(subject)
    return (
        TimelineEntry.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .select_related("actor")
        .prefetch_related("attachments")
        .order_by("seq")
    )


@dataclass
class Break:
    entry: TimelineEntry | None
    subject: str
    reason: str


def verify(*, check_files: bool = True) -> tuple[int, Break | None]:
    """Walk every chain; return the number of entries checked and the first break, if any."""
    checked = 0
    previous: dict[tuple[str, int], TimelineEntry] = {}
    file_ok: dict[int, bool] = {}
    qs = TimelineEntry.objects.prefetch_related("attachments").order_by("subject_type", "subject_id", "seq")
    for entry in qs.iterator(chunk_size=500):
        key = (entry.subject_type, entry.subject_id)
        prev = previous.get(key)
        name = f"{entry.subject_type} {entry.subject_id} #{entry.seq}"
        expected_seq = prev.seq + 1 if prev else 1
        if entry.seq != expected_seq:
            return checked, Break(entry, name, f"sequence gap: expected #{expected_seq}")
        if entry.prev_hash != (prev.entry_hash if prev else ""):
            return checked, Break(entry, name, "does not link to the previous entry")
        attachments = list(entry.attachments.all())
        if compute_hash(entry, [a.sha256 for a in attachments]) != entry.entry_hash:
            return checked, Break(entry, name, "content does not match its hash")
        if check_files:
            for a in attachments:
                if a.pk not in file_ok:
                    try:
                        file_ok[a.pk] = file_sha256(a) == a.sha256
                    except OSError:
                        file_ok[a.pk] = False
                if not file_ok[a.pk]:
                    return checked, Break(entry, name, f"attachment {a.original_name or a.sha256[:12]} was altered or lost")
        previous[key] = entry
        checked += 1
    return checked, None


def labelled_entries(subject: models.Model, *, action_labels: dict, state_labels: dict) -> list[TimelineEntry]:
    """The subject's entries with readable action, state and role labels, for pages."""
    from django.utils.translation import gettext

    from parcelwatch.accounts.models import Role

    roles = dict(Role.choices)
    entries = list(entries_for(subject))
    for entry in entries:
        entry.label = action_labels.get(entry.action, entry.action)
        entry.to_label = state_labels.get(entry.to_state, entry.to_state)
        entry.role_label = roles.get(entry.actor_role) or (gettext("system") if entry.actor_role == "system"
                                                           else entry.actor_role)
    return entries


def entry_as_json(t: TimelineEntry, attachments: list[Attachment]) -> dict:
    """One entry for the API, with its hash and its attachments' hashes (in the order they were stored)."""
    from .schemas import attachment_json

    return {
        "seq": t.seq, "action": t.action, "actor": t.actor_name, "actor_role": t.actor_role,
        "from_state": t.from_state, "to_state": t.to_state, "note": t.note,
        "deadline": t.deadline.isoformat() if t.deadline else None, "data": t.data,
        "created_at": t.created_at.isoformat(),
        "attachments": [attachment_json(a) for a in sorted({a.pk: a for a in attachments}.values(),
                                                           key=lambda a: a.pk)],
        "entry_hash": t.entry_hash, "prev_hash": t.prev_hash,
    }


def entries_as_json(subject: models.Model) -> list[dict]:
    """The subject's entries for the API, with their hashes and attachment hashes."""
    return [entry_as_json(t, list(t.attachments.all())) for t in entries_for(subject)]
