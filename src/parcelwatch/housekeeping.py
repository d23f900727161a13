"""Periodic clean-up queued by the scheduler: expired exports, old rate-limit windows, old login failures, the
results of background tasks done long ago (the scheduler queues several a minute), and the temporary files of
writes to the storage that never finished."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task


@task()
def housekeeping() -> dict[str, int]:
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from parcelwatch.accounts.models import LoginFailure, LoginThrottle
    from parcelwatch.accounts.services import forget_old_rate_buckets
    from parcelwatch.exports.services import delete_old_exports
    from parcelwatch.lib.storage import remove_abandoned_partials

    now = timezone.now()
    done = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - timedelta(days=7))
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__lt=now - timedelta(days=90))
    return {
        "task_results": done.delete()[0] + failed.delete()[0],
        "exports": delete_old_exports(),
        "rate_buckets": forget_old_rate_buckets(),
        "login_failures": LoginFailure.objects.filter(at__lt=now - timedelta(days=180)).delete()[0],
        "login_throttles": LoginThrottle.objects.filter(last_failure_at__lt=now - timedelta(days=2)).delete()[0],
        "unfinished_files": remove_abandoned_partials(),
    }
