"""Backup and restore of a whole installation: the database (every table that is a record, portable between SQLite
and PostgreSQL) and the files in storage (evidence, thumbnails, generated documents), with a manifest of hashes.

A backup is one consistent snapshot (a single read-only transaction, repeatable-read on PostgreSQL) and readable
by its owner only: it holds password hashes, authenticator secrets and reporters' identities.

A restore goes into an installation migrated to the same schema (with its web servers and workers stopped). It
checks every file against the manifest and puts the files in storage first; only then does it replace the records,
in one transaction; and it proves the result: every file's SHA-256 as recorded, and every timeline chain unbroken.
Nothing is changed when anything is wrong before the records are replaced."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.core.files.utils import validate_file_name
from django.core.management import call_command
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from parcelwatch.lib.storage import save_by_content

FORMAT = 1
CHUNK = 1 << 20
# Not records: rebuilt by migrate, transient, or bound to one running installation.
EXCLUDED = ("contenttypes", "auth.permission", "sessions", "django_tasks_database", "ops.workerheartbeat",
            "accounts.ratebucket", "accounts.loginthrottle", "exports")


class BackupError(Exception):
    """The backup or restore cannot be done, and nothing was changed."""


@dataclass
class Report:
    path: Path
    rows: int = 0
    files: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)
    timeline_entries: int = 0


def _schema() -> dict[str, str]:
    """The latest migration applied per app: a restore needs the same."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def _backed_up_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label not in EXCLUDED
            and m._meta.label_lower not in EXCLUDED and m._meta.managed and not m._meta.proxy]


def _file_fields() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in _backed_up_models():
        names = [f.name for f in model._meta.get_fields() if isinstance(f, models.FileField)]
        if names:
            found.append((model, names))
    return found


def stored_files():
    """Every file name the records refer to, once."""
    seen: set[str] = set()
    for model, names in _file_fields():
        for row in model._default_manager.values_list(*names).iterator(chunk_size=2000):
            for name in row:
                if name and name not in seen:
                    seen.add(name)
                    yield name


def _inside(root: Path, name: str) -> Path:
    """`root / name`, refused when the name is not a plain relative storage name that stays inside `root`."""
    try:
        validate_file_name(name, allow_relative_path=True)
    except SuspiciousFileOperation:
        raise BackupError(f"not a storage file name: {name!r}") from None
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        raise BackupError(f"not a storage file name: {name!r}")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backup(target_dir: str | Path) -> Report:
    """Write `<target_dir>/parcelwatch-<time>/` with data.exactjson.gz, files/ and manifest.json (written last: a
    backup without it is incomplete)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = Path(target_dir) / f"parcelwatch-{stamp}"
    if path.exists():
        raise BackupError(f"{path} exists already")
    previous_umask = os.umask(0o077)  # owner only, for every file and folder of the backup
    try:
        Path(target_dir).mkdir(parents=True, exist_ok=True)
        (path / "files").mkdir(parents=True, mode=0o700)
        return _write_backup(path)
    finally:
        os.umask(previous_umask)


def _write_backup(path: Path) -> Report:
    report = Report(path)
    data = path / "data.exactjson.gz"
    files = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # one snapshot for the records, their counts and their files
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # The models named one by one: unmanaged and proxy models (a library's dashboard) have no table.
        labels = [m._meta.label for m in _backed_up_models()]
        call_command("dumpdata", *labels, natural_foreign=True, output=str(data), verbosity=0, format="exactjson")
        report.rows = sum(model._default_manager.count() for model in _backed_up_models())
        names = list(stored_files())
    for name in names:
        destination = _inside(path / "files", name)
        destination.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            with default_storage.open(name, "rb") as source, open(destination, "wb") as out:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            report.problems.append(f"missing in storage: {name}")
            destination.unlink(missing_ok=True)
            continue
        files[name] = digest.hexdigest()
        report.files += 1
        report.bytes += destination.stat().st_size
    manifest = {"format": FORMAT, "created_at": timezone.now().isoformat(), "database": connection.vendor,
                "schema": _schema(), "rows": report.rows, "files": files, "problems": report.problems}
    (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return report


def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a complete backup (manifest.json: {exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if not (path / "data.exactjson.gz").is_file():
        raise BackupError(f"{path} has no data.exactjson.gz")
    return manifest


def _installation_has_records() -> bool:
    from parcelwatch.accounts.models import User
    from parcelwatch.events.models import Event

    return User.objects.exists() or Event.objects.exists()


def _same_content(name: str, local: Path) -> bool:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest() == _sha256(local)


def restore(source: str | Path, *, replace: bool = False) -> Report:
    """Load a backup into this installation. Without `replace`, only into one without users or events."""
    from parcelwatch.evidence.timeline import verify

    path = Path(source)
    manifest = _read_manifest(path)
    if manifest["schema"] != _schema():
        differ = sorted(app for app in set(manifest["schema"]) | set(_schema())
                        if manifest["schema"].get(app) != _schema().get(app))
        raise BackupError("the schema differs from the backup's (run the same release's migrations): "
                          + ", ".join(differ))
    if _installation_has_records() and not replace:
        raise BackupError("this installation holds records: restore into an empty one, or say --replace")
    report = Report(path)
    # 1. Every file checked against the manifest (streamed: any size), and every name a plain storage name.
    local_files = []
    for name, digest in manifest["files"].items():
        local = _inside(path / "files", name)
        if not local.is_file():
            raise BackupError(f"file missing from the backup: {name}")
        if _sha256(local) != digest:
            raise BackupError(f"file altered since the backup: {name}")
        local_files.append((name, local))
    # 2. The files into storage, before any record changes: evidence is stored under its hash, so a file already
    # there with other content means damage, and stops the restore.
    for name, local in local_files:
        if default_storage.exists(name):
            if not _same_content(name, local):
                raise BackupError(f"storage holds other content under {name}: restore stopped before any change")
            report.files += 1
            continue
        # Written whole or not at all (an interrupted restore leaves no truncated file to stop the next one).
        with open(local, "rb") as handle:
            if not save_by_content(name, handle, known_absent=True):
                raise BackupError(f"storage would not keep the name {name}: restore stopped")
        report.files += 1
        report.bytes += local.stat().st_size
    # 3. The records, all or nothing. The flush empties every table inside the transaction, and so holds each one
    # locked until the commit: no other session's ANALYZE (autovacuum's) can record a table as empty while its rows
    # are loading, which would leave the load's cached plans scanning whole tables (the demo's load, which cannot
    # lock its tables, refreshes the statistics itself: lib.queries.analyze_own_rows). After the commit the
    # tables count as never analysed, and the planner goes by their size.
    with transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
        call_command("loaddata", str(path / "data.exactjson.gz"), verbosity=0)
    report.rows = manifest["rows"]
    checked, broken = verify(check_files=True)
    report.timeline_entries = checked
    if broken is not None:
        report.problems.append(f"timeline broken at {broken.subject}: {broken.reason}")
    return report
