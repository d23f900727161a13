import os
import socket
from datetime import timedelta

from django.db.models import F
from django.utils import timezone
from django_tasks import task

from .models import WorkerHeartbeat


def _worker_pid() -> int:
    """The worker's own process: RQ's forking workers run each job in a child, whose parent is the worker."""
    try:
        from rq import get_current_job
    except ImportError:  # pragma: no cover - rq is a dependency
        return os.getpid()
    return os.getppid() if get_current_job() is not None and os.getppid() > 1 else os.getpid()


@task()
def heartbeat() -> str:
    """Run by whichever worker takes it: the health check reads how long ago one did."""
    worker = f"{socket.gethostname()}:{_worker_pid()}"[:200]
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker=worker).update(beat_at=now, beats=F("beats") + 1)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(worker=worker, defaults={"beat_at": now, "beats": 1})
    # Workers that stopped long ago are forgotten, so the list stays the live fleet and its recent past.
    WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=7)).delete()
    return worker
