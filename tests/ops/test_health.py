"""/healthz: 200 only when the database answers, the file storage round-trips and a worker ran the heartbeat."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from parcelwatch.ops.models import WorkerHeartbeat
from parcelwatch.ops.tasks import heartbeat


@pytest.fixture
def beaten(db):
    heartbeat.call()
    return WorkerHeartbeat.objects.get()


def test_all_well_when_a_worker_beat_recently(client, beaten):
    response = client.get("/healthz")
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "storage", "worker"}
    assert body["checks"]["worker"]["workers_that_beat"] == 1 and body["checks"]["storage"]["ok"]


def test_a_silent_worker_fails_the_check(client, beaten, settings):
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS + 5)):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False
    WorkerHeartbeat.objects.all().delete()
    cache.clear()  # the report is kept for 15 seconds
    assert client.get("/healthz").json()["checks"]["worker"]["error"] == "no heartbeat yet"


def test_a_broken_storage_fails_the_check_without_revealing_why(client, beaten, monkeypatch):
    from django.core.files.storage import default_storage

    def refuse(*args, **kwargs):
        raise PermissionError("/secret/path/to/media is read-only")

    monkeypatch.setattr(default_storage, "save", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    storage = response.json()["checks"]["storage"]
    assert storage == {"ok": False, "error": "PermissionError", "ms": storage["ms"]}
    assert "secret" not in response.content.decode()


def test_the_heartbeat_counts_beats_per_worker_and_forgets_old_ones(db):
    WorkerHeartbeat.objects.create(worker="gone:1", beat_at=timezone.now() - timedelta(days=8))
    heartbeat.call()
    heartbeat.call()
    assert list(WorkerHeartbeat.objects.values_list("beats", flat=True)) == [2]


def test_the_scheduler_queues_the_heartbeat(db):
    import io

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    call_command("run_scheduler", "--once", stdout=io.StringIO())
    assert DBTaskResult.objects.filter(task_path="parcelwatch.ops.tasks.heartbeat").exists()


def test_the_report_is_kept_briefly_so_that_probes_cost_one_check(client, beaten, monkeypatch):
    from parcelwatch.ops import views

    calls = []
    monkeypatch.setattr(views, "report", lambda: calls.append(1) or {"status": "ok", "checks": {}})
    for _probe in range(5):
        assert client.get("/healthz").status_code == 200
    assert client.head("/healthz").status_code == 200
    assert len(calls) == 1
