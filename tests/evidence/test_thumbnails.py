"""Photo thumbnails are the worker's: an upload is stored at once, its thumbnail follows within seconds."""

import io

from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.models import Attachment
from parcelwatch.evidence.thumbnails import make_waiting_thumbnails
from tests.evidence_files import PDF, jpeg

# The start of an HEIC photo (an ISO media file of brand "heic"): accepted, but no decoder here can scale it.
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200


def _settled(attachment: Attachment) -> Attachment:
    return Attachment.objects.get(pk=attachment.pk)


def test_a_new_photo_waits_for_its_thumbnail_and_the_worker_makes_it(cast):
    photo = store_attachment(jpeg((10, 120, 40), size=(1200, 900)), name="现场.jpg", actor=cast.hanjiang_grid)
    assert photo.thumbnail_pending and not photo.thumbnail
    assert store_attachment(PDF, name="函.pdf", actor=None).thumbnail_pending is False  # only photos have one
    assert make_waiting_thumbnails() == 1
    photo = _settled(photo)
    assert not photo.thumbnail_pending and photo.thumbnail.name.endswith(f"{photo.sha256}.jpg")
    with default_storage.open(photo.thumbnail.name) as fh, Image.open(io.BytesIO(fh.read())) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (480, 360)
    assert make_waiting_thumbnails() == 0  # nothing left


def test_the_same_bytes_share_one_thumbnail(cast):
    first = store_attachment(jpeg((1, 2, 3)), name="a.jpg", actor=cast.hanjiang_grid)
    twin = store_attachment(jpeg((1, 2, 3)), name="b.jpg", actor=cast.zto_safety)  # before the worker ran
    assert first.thumbnail_pending and twin.thumbnail_pending
    assert make_waiting_thumbnails() == 2
    assert _settled(first).thumbnail.name == _settled(twin).thumbnail.name != ""
    later = store_attachment(jpeg((1, 2, 3)), name="c.jpg", actor=None)  # after: it has its thumbnail at once
    assert not later.thumbnail_pending and later.thumbnail.name == _settled(first).thumbnail.name


def test_a_photo_that_cannot_be_scaled_is_settled_without_one(cast):
    heic = store_attachment(HEIC, name="iphone.heic", actor=cast.hanjiang_grid)
    assert heic.kind == Attachment.Kind.IMAGE and heic.thumbnail_pending
    assert make_waiting_thumbnails() == 1
    heic = _settled(heic)
    assert not heic.thumbnail_pending and not heic.thumbnail


def test_a_photo_whose_file_cannot_be_read_waits_and_holds_up_no_other(cast, caplog):
    lost = store_attachment(jpeg((9, 9, 9)), name="lost.jpg", actor=cast.hanjiang_grid)
    fine = store_attachment(jpeg((8, 8, 8)), name="fine.jpg", actor=cast.hanjiang_grid)
    kept = default_storage.open(lost.file.name).read()
    default_storage.delete(lost.file.name)  # storage trouble, say
    assert make_waiting_thumbnails() == 1
    assert _settled(lost).thumbnail_pending and not _settled(fine).thumbnail_pending
    assert "stays waiting" in caplog.text
    default_storage.save(lost.file.name, io.BytesIO(kept))  # back
    assert make_waiting_thumbnails() == 1 and not _settled(lost).thumbnail_pending


def test_a_run_takes_the_oldest_first_within_its_limit(cast):
    photos = [store_attachment(jpeg((n, 50, 50)), name=f"{n}.jpg", actor=None) for n in range(5)]
    assert make_waiting_thumbnails(limit=2) == 2
    assert [_settled(p).thumbnail_pending for p in photos] == [False, False, True, True, True]
    assert make_waiting_thumbnails() == 3


def test_the_scheduler_has_the_worker_make_them(cast):
    from django_tasks_db.models import DBTaskResult

    from parcelwatch.events.management.commands import run_scheduler

    photo = store_attachment(jpeg((70, 70, 70)), name="现场.jpg", actor=cast.hanjiang_grid)
    assert run_scheduler.THUMBNAILS_EVERY <= 10
    call_command("run_scheduler", "--once", stdout=io.StringIO())
    queued = DBTaskResult.objects.get(task_path__endswith="make_thumbnails")
    assert queued.task.call() == 1 and _settled(photo).thumbnail


def test_a_thumbnail_asked_for_before_the_worker_made_it_is_made_then(cast, client):
    """The grid worker sees their photo on the event's page straight after reporting, as do the API's clients."""
    from parcelwatch.accounts.services import issue_api_token
    from parcelwatch.events.models import EventCategory
    from parcelwatch.events.services import report_event

    photo = store_attachment(jpeg((30, 60, 90)), name="现场.jpg", actor=cast.hanjiang_grid)
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, photos=[photo],
                         category=EventCategory.objects.get(code="BA02"), description="备案地址不符")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(cast.hanjiang_officer)[0]}"}
    client.force_login(cast.hanjiang_grid)
    page = client.get(f"/events/{event.pk}/").content.decode()
    assert page.count(f'src="/evidence/{photo.pk}/thumb/"') == 2  # the evidence gallery and the timeline
    shown = client.get(f"/api/v1/events/{event.pk}", **bearer).json()["timeline"][0]["attachments"][0]
    assert shown["thumbnail_pending"] is True and shown["thumbnail_url"] == f"/api/v1/evidence/{photo.pk}/thumbnail"
    thumb = client.get(f"/evidence/{photo.pk}/thumb/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert b"".join(thumb.streaming_content).startswith(b"\xff\xd8\xff")
    assert not _settled(photo).thumbnail_pending and _settled(photo).thumbnail  # made once, recorded
    assert make_waiting_thumbnails() == 0
    api = client.get(shown["thumbnail_url"], **bearer)
    assert api.status_code == 200 and api["Content-Type"] == "image/jpeg"
    # A photo that cannot be scaled: settled on request, 404 like any file without a thumbnail.
    heic = store_attachment(HEIC, name="iphone.heic", actor=cast.hanjiang_grid)  # its uploader may see it
    assert client.get(f"/evidence/{heic.pk}/thumb/").status_code == 404 and not _settled(heic).thumbnail_pending


def test_damage_the_upload_check_does_not_read_settles_without_a_thumbnail(cast):
    whole = jpeg((120, 10, 200), size=(400, 300))
    cut = whole[: len(whole) * 2 // 3]  # the scan data stops short: the header is sound
    photo = store_attachment(cut, name="截断.jpg", actor=cast.hanjiang_grid)
    assert photo.thumbnail_pending
    assert make_waiting_thumbnails() == 1
    assert not _settled(photo).thumbnail_pending


def test_a_file_unreadable_for_a_day_is_given_up(cast, caplog):
    from datetime import timedelta

    from django.utils import timezone

    lost = store_attachment(jpeg((3, 3, 3)), name="lost.jpg", actor=cast.hanjiang_grid)
    default_storage.delete(lost.file.name)
    Attachment.objects.filter(pk=lost.pk).update(uploaded_at=timezone.now() - timedelta(days=1, minutes=1))
    assert make_waiting_thumbnails() == 1
    lost = _settled(lost)
    assert not lost.thumbnail_pending and not lost.thumbnail and "given up" in caplog.text


def test_a_batch_locks_its_photos_without_holding_up_reports(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    store_attachment(jpeg((44, 44, 44)), name="a.jpg", actor=None)
    with CaptureQueriesContext(connection) as queries:
        make_waiting_thumbnails()
    claims = [q["sql"] for q in queries if "evidence_attachment" in q["sql"] and "ORDER BY" in q["sql"]]
    assert claims
    if connection.features.has_select_for_update_skip_locked:  # PostgreSQL: a key-share lock (a foreign key
        assert all("FOR NO KEY UPDATE SKIP LOCKED" in sql for sql in claims)  # check) is not in conflict
    else:  # SQLite: no transaction held while scaling (it would lock the whole database)
        assert not any("FOR" in sql.split("ORDER BY")[-1] for sql in claims)
