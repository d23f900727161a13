"""Backup and restore of a whole installation: the database (every table that is a record, portable between SQLite
and PostgreSQL) and the files in storage (evidence, thumbnails, generated documents), with a manifest of hashes.

A restore goes into an installation migrated to the same schema, replaces its data, puts every file back where it
was, and proves the result: every file's SHA-256 as recorded, and every timeline hash chain unbroken."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
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


def backup(target_dir: str | Path) -> Report:
    """Write `<target_dir>/parcelwatch-<time>/` with data.exactjson.gz, files/ and manifest.json (written last: a
    backup without it is incomplete)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = Path(target_dir) / f"parcelwatch-{stamp}"
    if path.exists():
        raise BackupError(f"{path} exists already")
    (path / "files").mkdir(parents=True)
    report = Report(path)
    data = path / "data.exactjson.gz"
    # The models named one by one: unmanaged and proxy models (a dashboard of a library) have no table of their own.
    labels = [m._meta.label for m in _backed_up_models()]
    call_command("dumpdata", *labels, natural_foreign=True, output=str(data), verbosity=0, format="exactjson")
    report.rows = sum(model._default_manager.count() for model in _backed_up_models())
    files = {}
    for name in stored_files():
        digest = hashlib.sha256()
        destination = path / "files" / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            with default_storage.open(name, "rb") as source, open(destination, "wb") as out:
                for chunk in iter(lambda: source.read(1 << 20), b""):
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
    # Files first, checked against the manifest: a restore never loads records whose evidence is missing or altered.
    staged = []
    for name, digest in manifest["files"].items():
        local = (path / "files" / name).resolve()
        if not local.is_relative_to((path / "files").resolve()) or not local.is_file():
            raise BackupError(f"file missing from the backup: {name}")
        content = local.read_bytes()
        if hashlib.sha256(content).hexdigest() != digest:
            raise BackupError(f"file altered since the backup: {name}")
        staged.append((name, content))
    with transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
        call_command("loaddata", str(path / "data.exactjson.gz"), verbosity=0)
    for name, content in staged:
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as handle:
                if handle.read() == content:
                    report.files += 1
                    continue
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:
            report.problems.append(f"stored under another name: {name} → {saved}")
        report.files += 1
        report.bytes += len(content)
    report.rows = manifest["rows"]
    checked, broken = verify(check_files=True)
    report.timeline_entries = checked
    if broken is not None:
        report.problems.append(f"timeline broken at {broken.subject}: {broken.reason}")
    return report
