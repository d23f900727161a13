from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from parcelwatch.accounts.models import Jurisdiction, Membership, Role, User, ancestor_paths
from parcelwatch.lib.queries import kept_cursor

from .models import Notification

_state = threading.local()


@contextmanager
def muted() -> Iterator[None]:
    """No notifications inside this block: for loading historical records, which nobody needs to act on."""
    previous = getattr(_state, "muted", False)
    _state.muted = True
    try:
        yield
    finally:
        _state.muted = previous


def on_commit(callback) -> None:
    """Queue notification work for after the transaction commits (dropped inside `muted()`)."""
    if getattr(_state, "muted", False):
        return
    transaction.on_commit(callback)


def notify(users: Iterable[User], *, kind: str, url: str = "", dedupe_key: str = "", exclude: User | None = None,
           **params) -> int:
    """Create one notification per user; with a dedupe_key, a user gets it at most once.

    `exclude` is the person whose action caused the notification: nobody is told about their own action.
    """
    if getattr(_state, "muted", False):
        return 0
    sent = 0
    recipients = {u.pk: u for u in users}
    if exclude is not None:
        recipients.pop(exclude.pk, None)
    if not dedupe_key:  # nothing to refuse: one insert for everybody
        Notification.objects.bulk_create([Notification(recipient=user, kind=kind, params=params, url=url)
                                          for user in recipients.values()])
        return len(recipients)
    for user in recipients.values():
        try:
            with transaction.atomic():
                Notification.objects.create(recipient=user, kind=kind, params=params, url=url, dedupe_key=dedupe_key)
            sent += 1
        except IntegrityError:
            continue
    return sent


def notify_admins_once(*, key: str, kind: str, **params) -> None:
    admins = User.objects.filter(memberships__role=Role.ADMIN, is_active=True).distinct()
    notify(admins, kind=kind, dedupe_key=key, **params)


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read_for_url(user: User, url: str) -> int:
    """Opening an item clears the notifications that pointed to it."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True, url=url).update(read_at=timezone.now())


def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def notify_role_covering(role: str, path: str, *, kind: str, url: str = "", exclude: User | None = None,
                         **params) -> int:
    """What `notify(users_with_role_covering(role, path), ...)` does (without a dedupe key), in one statement.

    For the notifications every event report sends: finding the recipients and inserting their notifications
    through the ORM cost each report more than both statements took to run."""
    if getattr(_state, "muted", False):
        return 0
    ops = connection.ops
    paths = [*ancestor_paths(path), path]
    sql = _covering_sql(len(paths), exclude is not None)
    values = [kind, Notification._meta.get_field("params").get_db_prep_save(params, connection), url,
              ops.adapt_datetimefield_value(timezone.now()), role, *paths]
    cursor = kept_cursor()
    cursor.execute(sql, values + ([exclude.pk] if exclude is not None else []))
    return cursor.rowcount


@functools.lru_cache(maxsize=32)
def _covering_sql(paths: int, excluding: bool) -> str:
    q = connection.ops.quote_name
    n, u, m, j = (q(model._meta.db_table) for model in (Notification, User, Membership, Jurisdiction))
    col = {f"{model.__name__}.{name}": q(model._meta.get_field(name).column) for model, name in (
        (Notification, "recipient"), (Notification, "kind"), (Notification, "params"), (Notification, "url"),
        (Notification, "dedupe_key"), (Notification, "created_at"), (Notification, "read_at"), (User, "id"),
        (User, "is_active"), (Membership, "user"), (Membership, "role"), (Membership, "jurisdiction"),
        (Jurisdiction, "id"), (Jurisdiction, "path"))}
    return (
        f"INSERT INTO {n} ({col['Notification.recipient']}, {col['Notification.kind']}, {col['Notification.params']}, "
        f"{col['Notification.url']}, {col['Notification.dedupe_key']}, {col['Notification.created_at']}, "
        f"{col['Notification.read_at']}) "
        f"SELECT {u}.{col['User.id']}, %s, %s, %s, '', %s, NULL FROM {u} WHERE {u}.{col['User.is_active']} "
        f"AND {u}.{col['User.id']} IN (SELECT {m}.{col['Membership.user']} FROM {m} INNER JOIN {j} "
        f"ON {m}.{col['Membership.jurisdiction']} = {j}.{col['Jurisdiction.id']} WHERE {m}.{col['Membership.role']} = %s "
        f"AND {j}.{col['Jurisdiction.path']} IN ({', '.join(['%s'] * paths)}))"
        + (f" AND {u}.{col['User.id']} <> %s" if excluding else "")
        + f" ORDER BY {u}.{col['User.id']}")


def users_with_role_covering(role: str, path: str) -> list[User]:
    """Active users holding `role` at a node whose subtree contains `path`."""
    users = User.objects.filter(pk__in=Membership.objects.filter(
        role=role, jurisdiction__path__in=[*ancestor_paths(path), path]).values("user_id"), is_active=True)
    return sorted(users.order_by(), key=lambda u: u.pk)  # sorted here: no ORDER BY to compile and run
