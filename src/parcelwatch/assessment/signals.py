"""Credit ratings follow their inputs: a saved event, case or duty report marks its enterprise for recalculation.

The enterprises touched in one transaction are recalculated by one task queued after it commits (nothing is
queued for a transaction that rolls back).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

PENDING = "pw_credit_pending"
MANY = 200  # enterprises per recalculation task


def _flush() -> None:
    from .tasks import recalculate_credit

    ids = getattr(connection, PENDING, set())
    setattr(connection, PENDING, set())
    ids = sorted(ids)
    for start in range(0, len(ids), MANY):  # a task per batch of the enterprises touched, however many
        recalculate_credit.enqueue(ids[start:start + MANY])


def touch(enterprise_id: int | None) -> None:
    if not enterprise_id:
        return
    registered = any(callback is _flush for _ids, callback, *_rest in connection.run_on_commit)
    if not registered:
        # No flush waits for a commit: whatever is left over belongs to a transaction that rolled back.
        setattr(connection, PENDING, set())
    getattr(connection, PENDING).add(enterprise_id)
    if not registered:
        transaction.on_commit(_flush)


def _connect():
    from parcelwatch.enforcement.models import EnforcementCase
    from parcelwatch.events.models import Event
    from parcelwatch.selfcheck.models import DutyReport

    @receiver(post_save, sender=Event, weak=False, dispatch_uid="credit_event")
    def event_saved(sender, instance, raw=False, **kwargs):
        if not raw:
            touch(instance.site.enterprise_id if instance.site_id else None)

    @receiver(post_save, sender=EnforcementCase, weak=False, dispatch_uid="credit_case")
    def case_saved(sender, instance, raw=False, **kwargs):
        if not raw:
            touch(instance.enterprise_id)

    @receiver(post_save, sender=DutyReport, weak=False, dispatch_uid="credit_report")
    def report_saved(sender, instance, raw=False, **kwargs):
        if not raw:
            touch(instance.enterprise_id)


_connect()
