"""The deployment's health: the database answers, the file storage writes, reads and deletes, and a background
worker ran the heartbeat task recently. Each check is timed; none reveals a secret."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.utils import timezone


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - a health check reports any failure, it never raises
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_storage() -> dict:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name, "rb") as handle:
            ok = handle.read() == b"ok"
    finally:
        default_storage.delete(name)
    return {"ok": ok, "backend": type(storages["default"]).__name__}


def check_worker() -> dict:
    from .models import WorkerHeartbeat

    latest = WorkerHeartbeat.objects.order_by("-beat_at").first()
    limit = settings.HEALTH_WORKER_MAX_AGE_SECONDS
    if latest is None:
        return {"ok": False, "error": "no heartbeat yet", "max_age_seconds": limit}
    age = (timezone.now() - latest.beat_at).total_seconds()
    live = WorkerHeartbeat.objects.filter(beat_at__gte=timezone.now() - timedelta(seconds=limit)).count()
    return {"ok": age <= limit, "age_seconds": round(age), "max_age_seconds": limit, "workers_that_beat": live}


def report() -> dict:
    checks = {"database": _timed(check_database), "storage": _timed(check_storage), "worker": _timed(check_worker)}
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "fail", "checks": checks,
            "checked_at": timezone.now().isoformat()}
