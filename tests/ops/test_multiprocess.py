"""Two app servers and two background workers on one PostgreSQL, under load, as a province would deploy them:
reports arrive on both servers at once, two officers race for the same events, several sweeps run side by side.

No event is escalated twice, no transition is lost or applied twice, every event gets its own number, and every
timeline hash chain still verifies."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from parcelwatch.accounts.services import issue_api_token
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.models import TimelineEntry
from parcelwatch.evidence.timeline import verify
from tests.evidence_files import jpeg

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OVERDUE, RACED, REPORTS, SWEEPS = 12, 12, 16, 4


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"a server exited: {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("a server did not start")


def _request(url: str, token: str, *, data: bytes | None = None, content_type: str = "application/json"):
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def deployment(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the deployment this stands for shares one PostgreSQL; the PostgreSQL pass runs it")
    from django.conf import settings

    db = connection.settings_dict
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DJANGO_SETTINGS_MODULE": "parcelwatch.settings",
           "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "PW_VAR_DIR": str(tmp_path / "var"), "MEDIA_ROOT": str(tmp_path / "media"), "DEBUG": "false",
           "ALLOWED_HOSTS": "127.0.0.1", "SECRET_KEY": settings.SECRET_KEY}  # tokens are tied to it
    settings.MEDIA_ROOT = tmp_path / "media"  # the servers and this test read and write the same files
    ports = [_port(), _port()]
    processes = [subprocess.Popen([str(BIN / "gunicorn"), "parcelwatch.wsgi:application", "--bind",
                                   f"127.0.0.1:{port}", "--workers", "2", "--threads", "2", "--log-level", "warning"],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for port in ports]
    processes += [subprocess.Popen([sys.executable, "src/manage.py", "db_worker", "--queue-name", "*", "--interval",
                                    "0.2", "--no-startup-delay", "--worker-id", f"worker-{n}"],
                                   env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                  for n in (1, 2)]
    try:
        for port, process in zip(ports, processes[:2], strict=True):
            _wait_for(port, process)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_two_servers_and_two_workers_lose_nothing_and_double_nothing(cast, deployment):
    from django_tasks_db.models import DBTaskResult

    from parcelwatch.events.tasks import sweep_deadlines
    from parcelwatch.ops.tasks import heartbeat

    ba02 = EventCategory.objects.get(code="BA02")

    def reported(site, n):
        return report_event(actor=cast.hanjiang_officer, site=site, category=ba02, description=f"备案地址不符 {n}",
                            photos=[store_attachment(jpeg((n % 250, 9, 9)), name="现场.jpg",
                                                     actor=cast.hanjiang_officer)])

    with time_machine.travel(datetime(2019, 4, 15, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        overdue = [reported(cast.hanjiang_outlet, n) for n in range(OVERDUE)]
        for event in overdue:
            perform(event, "accept", actor=cast.hanjiang_officer)
            perform(event, "issue_letter", actor=cast.hanjiang_officer, render_documents=False)
    raced = [reported(cast.hanjiang_outlet_g2, 100 + n) for n in range(RACED)]
    officer, grid = issue_api_token(cast.hanjiang_officer)[0], issue_api_token(cast.hanjiang_grid)[0]

    # Several sweeps queued at once, for two workers; a heartbeat for the health checks.
    for _n in range(SWEEPS):
        sweep_deadlines.enqueue()
    heartbeat.enqueue()

    def accept(args):
        server, event = args
        body = json.dumps({"action": "accept", "version": event.version, "note": "受理"}).encode()
        return event.pk, _request(f"{server}/api/v1/events/{event.pk}/transitions", officer, data=body)[0]

    def report(args):
        server, n = args
        body = encode_multipart(BOUNDARY, {"site": str(cast.hanjiang_outlet.pk), "category": "RS01",
                                           "description": f"未实名收寄 {n}",
                                           "photos": _upload(jpeg((n, 200, 30)), f"{n}.jpg")})
        return _request(f"{server}/api/v1/events", grid, data=body, content_type=MULTIPART_CONTENT)

    with ThreadPoolExecutor(max_workers=8) as pool:
        # The same event accepted through both servers at the same moment, for every raced event.
        races = list(pool.map(accept, [(server, event) for event in raced for server in deployment]))
        reports = list(pool.map(report, [(deployment[n % 2], n) for n in range(REPORTS)]))

    deadline = time.monotonic() + 120
    while DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists():
        assert time.monotonic() < deadline, "the workers did not finish"
        time.sleep(0.3)
    assert not DBTaskResult.objects.filter(status="FAILED").exists()
    sweeps = list(DBTaskResult.objects.filter(task_path__endswith="sweep_deadlines").values_list("worker_ids",
                                                                                                flat=True))
    assert len(sweeps) == SWEEPS and all(len(ids) == 1 for ids in sweeps)  # each run once, by one worker

    # Each overdue event escalated exactly once, however many sweeps ran.
    for event in overdue:
        event.refresh_from_db()
        assert event.state == Event.State.ESCALATED
        assert TimelineEntry.objects.filter(subject_type="event", subject_id=event.pk,
                                            action="auto_escalate").count() == 1
    # Each raced event accepted exactly once: one 200, the other refused as stale, nothing applied twice.
    by_event: dict[int, list[int]] = {}
    for pk, status in races:
        by_event.setdefault(pk, []).append(status)
    for pk, statuses in by_event.items():
        assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in (409, 422), statuses
        assert TimelineEntry.objects.filter(subject_type="event", subject_id=pk, action="accept").count() == 1
        assert Event.objects.get(pk=pk).state == Event.State.ACCEPTED
    # Every report through either server became an event with its own number.
    assert [status for status, _body in reports] == [201] * REPORTS
    numbers = [body["number"] for _status, body in reports]
    assert len(set(numbers)) == REPORTS
    assert Event.objects.filter(number__in=numbers).count() == REPORTS
    checked, broken = verify(check_files=True)
    assert broken is None and checked >= OVERDUE * 4 + RACED * 2 + REPORTS
    for server in deployment:
        with urllib.request.urlopen(f"{server}/healthz", timeout=30) as response:
            assert response.status == 200


def _upload(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, "image/jpeg")
