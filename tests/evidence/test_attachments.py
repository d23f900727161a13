import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from parcelwatch.evidence.attachments import file_sha256, store_attachment
from parcelwatch.evidence.models import Attachment
from tests.evidence_files import PDF, jpeg, png

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


def test_same_bytes_are_stored_once_but_each_upload_is_its_own_record(cast):
    first = store_attachment(jpeg(), name="现场.jpg", actor=cast.hanjiang_grid)
    again = store_attachment(jpeg(), name="另一个名字.jpg", actor=cast.zto_safety)
    assert first.pk != again.pk and first.kind == Attachment.Kind.IMAGE
    assert again.uploaded_by == cast.zto_safety and again.original_name == "另一个名字.jpg"
    assert first.file.name == again.file.name and first.sha256 == again.sha256
    from parcelwatch.evidence.thumbnails import make_waiting_thumbnails

    make_waiting_thumbnails()
    first.refresh_from_db()
    assert first.thumbnail.name and default_storage.exists(first.thumbnail.name)
    assert file_sha256(first) == first.sha256
    assert store_attachment(png(), name="p.png", actor=None).content_type == "image/png"


@pytest.mark.parametrize(("content", "kind"), [(PDF, "pdf"), (MP4_HEAD, "video")])
def test_pdf_and_video_are_accepted_by_content(db, content, kind):
    assert store_attachment(content, name="whatever.bin", actor=None).kind == kind


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"plain text pretending", "照片.jpg", "不是照片、PDF 或视频"),
        (b"\xff\xd8\xff\xe0" + b"broken" * 10, "坏图.jpg", "已损坏"),
        (b"", "empty.jpg", "为空"),
    ],
)
def test_bad_files_are_refused_by_content(db, content, name, message):
    with pytest.raises(ValidationError, match=message):
        store_attachment(content, name=name, actor=None)
    assert not Attachment.objects.exists()


def test_size_limit(db, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="超过"):
        store_attachment(jpeg(size=(400, 400)) + b"\x00" * 2000, name="big.jpg", actor=None)


def test_evidence_rows_are_immutable(db):
    attachment = store_attachment(PDF, name="a.pdf", actor=None)
    attachment.original_name = "b.pdf"
    with pytest.raises(RuntimeError):
        attachment.save()
