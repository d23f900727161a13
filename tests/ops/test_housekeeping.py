"""Housekeeping forgets the results of background tasks done long ago, and keeps the rest."""

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_old_task_results_are_forgotten_failures_later():
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from parcelwatch.housekeeping import housekeeping
    from parcelwatch.ops.tasks import heartbeat

    now = timezone.now()
    rows = {}
    for label, status, age in (("done_old", TaskResultStatus.SUCCESSFUL, 8), ("done_recent", TaskResultStatus.SUCCESSFUL, 6),
                               ("failed_old", TaskResultStatus.FAILED, 91), ("failed_recent", TaskResultStatus.FAILED, 30),
                               ("waiting", TaskResultStatus.READY, None)):
        result = heartbeat.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(
            status=status, finished_at=now - timedelta(days=age) if age is not None else None)
        rows[label] = str(result.id)
    assert housekeeping.call()["task_results"] == 2
    kept = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert kept == {rows["done_recent"], rows["failed_recent"], rows["waiting"]}


def test_housekeeping_removes_the_files_of_writes_that_never_finished(settings, tmp_path):
    import os
    import time

    from parcelwatch.housekeeping import housekeeping

    settings.MEDIA_ROOT = tmp_path / "media"
    folder = tmp_path / "media" / "evidence" / "ab"
    folder.mkdir(parents=True)
    stale = folder / ".ab12.jpg.0123456789ab.part"
    stale.write_bytes(b"half a photo")
    os.utime(stale, (time.time() - 2 * 86_400,) * 2)
    assert housekeeping.call()["unfinished_files"] == 1
    assert not stale.exists()
