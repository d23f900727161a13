"""Files stored under a name made from their content (evidence under its SHA-256, a photo's thumbnail under the
photo's): the same name always means the same bytes, so a file already there is never written again, and two
writers of one name can only write the same thing."""

from __future__ import annotations

import os
import secrets
from typing import IO

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage

CHUNK = 1 << 20


def save_by_content(name: str, content: IO[bytes], *, storage: Storage = default_storage,
                    known_absent: bool = False) -> bool:
    """Store `content` under `name` unless a file of that name is there already; True when it was written now.

    On disk, the bytes go to a temporary file beside the final one and are renamed onto it: a reader (or a later
    upload of the same photo, which trusts the name) never finds a file half written, even after a crash
    mid-write; and the upload costs a third of the system calls of Storage.save. Other storages (S3) use
    Storage.save. `known_absent`: the caller has just looked and found no file of that name."""
    if not isinstance(storage, FileSystemStorage):
        if not known_absent and storage.exists(name):
            return False
        return _save(storage, name, content)
    final = storage.path(name)  # refuses a name outside the storage's folder
    if not known_absent and os.path.lexists(final):
        return False
    directory, base = os.path.split(final)
    partial = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except FileNotFoundError:  # the folder's first file: Django makes the folders, with their configured modes
        return _save(storage, name, content)
    try:
        try:
            content.seek(0)
            for chunk in iter(lambda: content.read(CHUNK), b""):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            if storage.file_permissions_mode is not None:
                os.fchmod(fd, storage.file_permissions_mode)
        finally:
            os.close(fd)
        os.replace(partial, final)  # the same name holds the same bytes: replacing a twin changes nothing
    except BaseException:
        try:
            os.unlink(partial)
        except FileNotFoundError:
            pass
        raise
    return True


def _save(storage: Storage, name: str, content: IO[bytes]) -> bool:
    content.seek(0)
    saved = storage.save(name, File(content, name=name))
    if saved != name:  # written meanwhile by another request (the storage chose another name): keep one copy
        storage.delete(saved)
        return False
    return True
