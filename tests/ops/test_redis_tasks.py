"""Background work on Redis (django-tasks-rq with a real redis-server started here on 127.0.0.1): the same task
code as the database backend runs the deadline sweep, an export and the heartbeat the health check reads."""

import socket
import subprocess
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from tests.evidence_files import jpeg

REDIS = "/usr/bin/redis-server"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def rq(redis_url):
    """The RQ backend for the test; `work()` runs a worker until the queue is empty (in this process, so that it
    sees the test's database)."""
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.worker import SimpleWorker

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
                           RQ_QUEUES={"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 600}}):
        django_rq.get_queue("default").empty()

        def work() -> int:
            queue = django_rq.get_queue("default", job_class=Job)
            waiting = queue.count
            django_rq.get_worker("default", job_class=Job, worker_class=SimpleWorker).work(burst=True)
            return waiting
        yield work


def test_the_sweep_escalates_through_redis(cast, rq):
    from parcelwatch.events.tasks import sweep_deadlines

    sh = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2019, 4, 15, 9, 30, tzinfo=sh), tick=False) as clock:
        event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, description="备案地址不符",
                             category=EventCategory.objects.get(code="BA02"),
                             photos=[store_attachment(jpeg(), name="现场.jpg", actor=cast.hanjiang_grid)])
        perform(event, "accept", actor=cast.hanjiang_officer)
        perform(event, "issue_letter", actor=cast.hanjiang_officer, render_documents=False)
        clock.move_to(datetime(2019, 4, 23, 1, 0, tzinfo=sh))
        result = sweep_deadlines.enqueue()
        assert rq() == 1  # the job was in Redis, and a Redis worker ran it
        event.refresh_from_db()
        assert event.state == Event.State.ESCALATED
        result.refresh()
        assert result.return_value == {"escalated": 1, "reminded": 0}


def test_an_export_is_made_by_a_redis_worker(cast, rq, client, django_capture_on_commit_callbacks):
    from parcelwatch.exports.models import ExportJob

    client.force_login(cast.hanjiang_officer)
    with django_capture_on_commit_callbacks(execute=True):  # queued once the request's transaction commits
        assert client.post("/exports/new/", {"source": "sites", "query": ""}).status_code == 302
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.QUEUED
    assert rq() == 1
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    response = client.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"PK"


def test_the_health_check_sees_a_redis_worker(db, rq, client):
    from django.core.cache import cache

    from parcelwatch.ops.tasks import heartbeat

    assert client.get("/healthz").status_code == 503
    heartbeat.enqueue()
    assert rq() == 1
    cache.clear()  # the report is kept for 15 seconds
    assert client.get("/healthz").status_code == 200
