"""Credit ratings follow their inputs: a saved event, case or duty report marks its enterprise for recalculation.

The enterprises touched in one transaction are put on the list of those waiting for the worker after it commits
(nothing for a transaction that rolls back), and a task is queued if one of them was not on the list yet: an
enterprise that already waits has its task queued, so a hundred reports at its sites ask for one recalculation.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

PENDING = "pw_credit_pending"


def _flush() -> None:
    from .credit import request_recalculation
    from .tasks import recalculate_requested_credit

    ids = getattr(connection, PENDING, set())
    setattr(connection, PENDING, set())
    if ids and request_recalculation(ids):
        recalculate_requested_credit.enqueue()


def touch(enterprise_id: int | None) -> None:
    if not enterprise_id:
        return
    registered = any(callback is _flush for _ids, callback, *_rest in connection.run_on_commit)
    if not registered:
        # No flush waits for a commit: whatever is left over belongs to a transaction that rolled back.
        setattr(connection, PENDING, set())
    getattr(connection, PENDING).add(enterprise_id)
    if not registered:
        # Robust: the change is committed; a failure here (the queue unreachable) is logged, and the enterprise
        # stays on the list for the scheduler's next look (run_scheduler), instead of failing the request.
        transaction.on_commit(_flush, robust=True)


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
