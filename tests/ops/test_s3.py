"""Object storage: the same evidence, document and export paths as on disk, against a real S3-compatible HTTP
server (moto's standalone server, started here on 127.0.0.1), through django-storages as in production."""

import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import override_settings

from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.models import Attachment
from parcelwatch.evidence.thumbnails import make_waiting_thumbnails
from tests.evidence_files import jpeg
from tests.exporting import export

BUCKET = "parcelwatch-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    server = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("moto_server did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3(s3_server, settings):
    import boto3

    client = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="test", aws_secret_access_key="test",
                          region_name="us-east-1")
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    storages = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": BUCKET, "endpoint_url": s3_server, "region_name": "us-east-1", "access_key": "test",
        "secret_key": "test", "file_overwrite": False, "default_acl": None, "querystring_auth": True}}}
    with override_settings(STORAGES=storages):
        yield client


def _keys(client) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_evidence_letters_and_exports_live_in_the_bucket(cast, s3, client):
    photo = store_attachment(jpeg((5, 6, 7)), name="现场.jpg", actor=cast.hanjiang_grid)
    assert photo.file.name in _keys(s3) and photo.thumbnail_pending
    make_waiting_thumbnails()  # the worker reads the photo from the bucket and writes its thumbnail there
    photo.refresh_from_db()
    assert photo.thumbnail.name and photo.thumbnail.name in _keys(s3)
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, photos=[photo],
                         category=EventCategory.objects.get(code="BA02"), description="备案地址不符")
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)  # the reminder letter: a PDF written to storage
    letter = Attachment.objects.filter(kind=Attachment.Kind.PDF).get()
    assert letter.file.name in _keys(s3)
    body = s3.get_object(Bucket=BUCKET, Key=letter.file.name)["Body"].read()
    assert body.startswith(b"%PDF")

    # The pages and the API serve the same bytes, with their hash.
    client.force_login(cast.hanjiang_officer)
    response = client.get(f"/evidence/{photo.pk}/")
    assert response.status_code == 200 and response["X-Evidence-SHA256"] == photo.sha256
    stored = s3.get_object(Bucket=BUCKET, Key=photo.file.name)["Body"].read()
    assert b"".join(response.streaming_content) == stored
    # An export written by the worker to the bucket, downloaded through the page.
    download = export(client, "events")
    assert download.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert any(event.number in [str(c.value) for c in row] for row in sheet.iter_rows())
    assert any(key.startswith("exports/") for key in _keys(s3))
    # The health check writes, reads and deletes in the bucket.
    from parcelwatch.ops.health import check_storage

    assert check_storage() == {"ok": True, "backend": "S3Storage"}


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_through_the_bucket(cast, s3, tmp_path):
    from django.core.management import call_command

    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, description="备案地址不符",
                         category=EventCategory.objects.get(code="BA02"),
                         photos=[store_attachment(jpeg((9, 8, 7)), name="现场.jpg", actor=cast.hanjiang_grid)])
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    names = sorted(Attachment.objects.values_list("file", flat=True))
    call_command("backup", str(tmp_path / "backups"), stdout=io.StringIO())
    for key in _keys(s3):
        s3.delete_object(Bucket=BUCKET, Key=key)
    call_command("flush", interactive=False, verbosity=0)
    out = io.StringIO()
    call_command("restore", str(next((tmp_path / "backups").iterdir())), stdout=out)
    assert "timeline entries verified" in out.getvalue()
    assert sorted(Attachment.objects.values_list("file", flat=True)) == names
    assert set(names) <= _keys(s3)
