"""Backup and restore round trip: records, files and the timeline come back exactly; a damaged or mismatched
backup is refused before anything is changed."""

import io
import json
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from parcelwatch.accounts.models import User
from parcelwatch.collaboration import services as co
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.models import Attachment, TimelineEntry
from parcelwatch.registry.models import ChangeRecord, Site
from tests.evidence_files import jpeg

pytestmark = pytest.mark.django_db(transaction=True)


def _history(cast):
    from parcelwatch.evidence.thumbnails import make_waiting_thumbnails

    shot = store_attachment(jpeg((1, 2, 3)), name="现场.jpg", actor=cast.hanjiang_grid)
    make_waiting_thumbnails()
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, photos=[shot], description="备案地址不符",
                         category=EventCategory.objects.get(code="BA02"))
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)  # a real PDF letter in storage
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="立案")
    case = EnforcementCase.objects.get(events=event)
    co.share_record(actor=cast.city_officer, department=cast.police_partner.memberships.get().partner_department,
                    case=case, reason="请掌握情况")
    return event


def _snapshot():
    return {
        "users": sorted(User.objects.values_list("username", "password")),
        "events": sorted(Event.objects.values_list("number", "state", "version")),
        "timeline": sorted(TimelineEntry.objects.values_list("subject_type", "subject_id", "seq", "entry_hash")),
        "files": sorted((a.file.name, a.sha256) for a in Attachment.objects.all()),
        "changes": ChangeRecord.objects.count(),
        "sites": sorted(Site.objects.values_list("name", "address")),
    }


def _read_all():
    return {a.file.name: default_storage.open(a.file.name).read() for a in Attachment.objects.all()}


def test_a_backup_restores_records_files_and_a_verified_timeline(cast, tmp_path):
    _history(cast)
    before, contents = _snapshot(), _read_all()
    out = io.StringIO()
    call_command("backup", str(tmp_path / "backups"), stdout=out)
    backup_dir = next((tmp_path / "backups").iterdir())
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert len(manifest["files"]) >= 3 and manifest["problems"] == []  # photo, thumbnail, letter PDF

    # The installation is lost: records and files.
    call_command("flush", interactive=False, verbosity=0)
    for name in contents:
        default_storage.delete(name)
    with pytest.raises(CommandError, match="schema"):
        _restore_with_other_schema(backup_dir)

    out = io.StringIO()
    call_command("restore", str(backup_dir), stdout=out)
    assert "timeline entries verified" in out.getvalue()
    assert _snapshot() == before and _read_all() == contents
    call_command("verify_timeline", stdout=io.StringIO())
    # The restored installation works on: the case moves on and a new report is numbered after the restored ones
    # (counters and sequences came back with the records).
    event = Event.objects.get()
    assert event.cases.get().shares.get().department.name == "莆田市公安局"
    case = event.cases.get()
    from parcelwatch.enforcement.services import perform_case

    perform_case(case, "approve_filing", actor=User.objects.get(username="city_leader"))
    later = report_event(actor=User.objects.get(username="hanjiang_grid"), site=Site.objects.get(name="中通涵东营业部"),
                         category=EventCategory.objects.get(code="RS01"), description="恢复后新上报",
                         photos=[store_attachment(jpeg((7, 7, 7)), name="新.jpg",
                                                  actor=User.objects.get(username="hanjiang_grid"))])
    assert later.number != event.number
    call_command("verify_timeline", stdout=io.StringIO())
    # Restoring again over records needs --replace, and then what came after the backup is gone.
    with pytest.raises(CommandError, match="--replace"):
        call_command("restore", str(backup_dir), stdout=io.StringIO())
    call_command("restore", str(backup_dir), "--replace", stdout=io.StringIO())
    assert _snapshot() == before and not Event.objects.filter(pk=later.pk).exists()


def _restore_with_other_schema(backup_dir: Path):
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    altered = backup_dir.parent / "altered"
    altered.mkdir()
    for item in backup_dir.iterdir():
        target = altered / item.name
        if item.is_dir():
            import shutil

            shutil.copytree(item, target)
        else:
            target.write_bytes(item.read_bytes())
    manifest["schema"]["events"] = "9999_future"
    (altered / "manifest.json").write_text(json.dumps(manifest))
    call_command("restore", str(altered), stdout=io.StringIO())


def test_a_damaged_backup_is_refused_and_nothing_changes(cast, tmp_path):
    _history(cast)
    call_command("backup", str(tmp_path / "backups"), stdout=io.StringIO())
    backup_dir = next((tmp_path / "backups").iterdir())
    before = _snapshot()
    files = [p for p in (backup_dir / "files").rglob("*") if p.is_file()]
    assert files, list(backup_dir.rglob("*"))
    photo = files[0]
    photo.write_bytes(photo.read_bytes() + b"tampered")
    with pytest.raises(CommandError, match="altered"):
        call_command("restore", str(backup_dir), "--replace", stdout=io.StringIO())
    assert _snapshot() == before
    (backup_dir / "manifest.json").unlink()
    with pytest.raises(CommandError, match="not a complete backup"):
        call_command("restore", str(backup_dir), "--replace", stdout=io.StringIO())


def test_a_backup_is_readable_by_its_owner_only(cast, tmp_path):
    _history(cast)
    call_command("backup", str(tmp_path / "backups"), stdout=io.StringIO())
    backup_dir = next((tmp_path / "backups").iterdir())
    for item in [backup_dir, *backup_dir.rglob("*")]:
        assert item.stat().st_mode & 0o077 == 0, item


def test_a_manifest_naming_a_file_outside_the_backup_is_refused(cast, tmp_path):
    _history(cast)
    call_command("backup", str(tmp_path / "backups"), stdout=io.StringIO())
    backup_dir = next((tmp_path / "backups").iterdir())
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    manifest["files"]["../../etc/passwd"] = "0" * 64
    (backup_dir / "manifest.json").write_text(json.dumps(manifest))
    before = _snapshot()
    with pytest.raises(CommandError, match="not a storage file name"):
        call_command("restore", str(backup_dir), "--replace", stdout=io.StringIO())
    assert _snapshot() == before


def test_no_other_session_can_analyse_a_table_while_a_restore_loads_it(cast, tmp_path):
    """A restore loads every record in one transaction. An outside ANALYZE meanwhile would record the tables as
    empty and turn the load's lookups into whole-table scans (it happened to the demo's load); the restore's flush
    keeps every table locked until the commit, so none can run."""
    from django.db import connection
    from django.db.models.signals import post_save

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    import psycopg

    _history(cast)
    call_command("backup", str(tmp_path / "backups"), stdout=io.StringIO())
    backup_dir = next((tmp_path / "backups").iterdir())
    tried = []

    def analyse_from_outside(sender, raw, **kwargs):
        if not raw or tried:
            return
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("SET lock_timeout = '200ms'")
            for model in (Event, TimelineEntry, User):
                try:
                    other.execute(f'ANALYZE "{model._meta.db_table}"')
                    tried.append((model.__name__, "analysed"))
                except psycopg.errors.LockNotAvailable:
                    tried.append((model.__name__, "locked"))

    post_save.connect(analyse_from_outside, dispatch_uid="test-outside-analyze")
    try:
        call_command("restore", str(backup_dir), "--replace", stdout=io.StringIO())
    finally:
        post_save.disconnect(dispatch_uid="test-outside-analyze")
    assert tried == [("Event", "locked"), ("TimelineEntry", "locked"), ("User", "locked")]
