"""Files stored under a name made from their content (evidence under its SHA-256, a photo's thumbnail under the
photo's): the same name always means the same bytes, so a file already there is never written again, and two
writers of one name can only write the same thing. A restore puts each file back under its recorded name the same
way."""

from __future__ import annotations

import os
import re
import secrets
import time
from typing import IO

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.utils._os import safe_makedirs

CHUNK = 1 << 20
# The temporary file of a write in progress: "." + final name + "." + 12 hex digits + ".part".
PARTIAL = re.compile(r"^\..+\.[0-9a-f]{12}\.part$")


def save_by_content(name: str, content: IO[bytes], *, storage: Storage = default_storage,
                    known_absent: bool = False) -> bool:
    """Store `content` under `name` unless a file of that name is there already; True when it was written now.

    On disk, the bytes go to a temporary file beside the final one, are flushed to the disk, and the file is renamed
    onto its name (the folder flushed too): the name never shows a file half written, even after a crash or a
    power cut in mid-write, and a later upload of the same photo, which trusts the name, never finds a truncated
    one. It also costs a third of the system calls of Storage.save. Other storages (S3) use Storage.save.
    `known_absent`: the caller has just looked and found no file of that name."""
    if not isinstance(storage, FileSystemStorage):
        if not known_absent and storage.exists(name):
            return False
        return _save(storage, name, content)
    final = storage.path(name)  # refuses a name outside the storage's folder
    if not known_absent and os.path.lexists(final):
        return False
    directory, base = os.path.split(final)
    partial = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(partial, flags, 0o666)  # the umask applies, as to Django's own files
    except FileNotFoundError:  # the folder's first file: its folders made as Django makes them
        if storage.directory_permissions_mode is not None:
            safe_makedirs(directory, storage.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        fd = os.open(partial, flags, 0o666)
    try:
        try:
            content.seek(0)
            for chunk in iter(lambda: content.read(CHUNK), b""):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            if storage.file_permissions_mode is not None:
                os.fchmod(fd, storage.file_permissions_mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        ensure_group = getattr(storage, "_ensure_location_group_id", None)  # Django 5.2: the storage folder's group
        if ensure_group is not None:
            ensure_group(partial)
        os.replace(partial, final)  # the same name holds the same bytes: replacing a twin changes nothing
    except BaseException:
        try:
            os.unlink(partial)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(directory)
    return True


def _sync_folder(directory: str) -> None:
    """Flush a folder's entries (the new name) to the disk."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # a platform that cannot open a folder: its file system orders this itself
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the file's own data is flushed already
    finally:
        os.close(fd)


def _save(storage: Storage, name: str, content: IO[bytes]) -> bool:
    content.seek(0)
    saved = storage.save(name, File(content, name=name))
    if saved != name:  # written meanwhile by another request (the storage chose another name): keep one copy
        storage.delete(saved)
        return False
    return True


def remove_abandoned_partials(*, older_than_seconds: float = 86_400, storage: Storage = default_storage) -> int:
    """Delete the temporary files of writes that never finished (a process killed in mid-write leaves one beside
    the final name; nothing reads them). A day old at least, so that no write in progress loses its file. On disk
    only; it reads every folder of the storage, so it runs with the housekeeping, in the worker."""
    if not isinstance(storage, FileSystemStorage) or not os.path.isdir(storage.location):
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for folder, _subfolders, names in os.walk(storage.location):
        for name in names:
            if not PARTIAL.match(name):
                continue
            path = os.path.join(folder, name)
            try:
                if os.lstat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:
                continue  # renamed onto its name, or removed, meanwhile
    return removed
