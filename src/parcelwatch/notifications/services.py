from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone

from parcelwatch.accounts.models import Membership, Role, User, ancestor_paths

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


def users_with_role_covering(role: str, path: str) -> list[User]:
    """Active users holding `role` at a node whose subtree contains `path`."""
    memberships = Membership.objects.filter(role=role, user__is_active=True,
                                            jurisdiction__path__in=[*ancestor_paths(path), path])
    return list({m.user.pk: m.user for m in memberships.select_related("user").order_by("user_id")}.values())
