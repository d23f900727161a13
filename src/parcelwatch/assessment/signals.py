"""Credit ratings follow their inputs: a saved event, case or duty report marks its enterprise for recalculation.

The enterprises touched in one transaction are put on the list of those waiting for a recalculation after it
commits (nothing for a transaction that rolls back). The scheduler has the worker take the list every minute
(run_scheduler), so a hundred reports at an enterprise's sites within the minute ask for one recalculation, and
a busy day costs the worker one pass a minute over the enterprises that changed, not one per change.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

PENDING = "pw_credit_pending"


def _flush() -> None:
    from .credit import request_recalculation

    ids = getattr(connection, PENDING, set())
    setattr(connection, PENDING, set())
    if ids:
        request_recalculation(ids)


def touch(enterprise_id: int | None) -> None:
    if not enterprise_id:
        return
    registered = any(callback is _flush for _ids, callback, *_rest in connection.run_on_commit)
    if not registered:
        # No flush waits for a commit: whatever is left over belongs to a transaction that rolled back.
        setattr(connection, PENDING, set())
    getattr(connection, PENDING).add(enterprise_id)
    if not registered:
        # Robust: the change is committed; a failure here is logged (the nightly run regrades everybody) instead of
        # failing the request that made the change.
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
