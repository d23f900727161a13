"""Files stored under a name made from their content (evidence under its SHA-256, a photo's thumbnail under the
photo's): the same name always means the same bytes, so a file already there is never written again, and two
writers of one name can only write the same thing. A restore puts each file back under its recorded name the same
way."""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import IO

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import connection
from django.utils._os import safe_makedirs

logger = logging.getLogger(__name__)

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
    `known_absent`: the caller has just looked and found no file of that name.

    Within `flushed_before_exit()` the flush and the rename happen in a helper thread, and the block's end waits
    for them; without it, before this returns."""
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
    made: list[str] = []  # the folders this write makes: each is flushed into its parent after the rename
    try:
        fd = os.open(partial, flags, 0o666)  # the umask applies, as to Django's own files
    except FileNotFoundError:  # the folder's first file: its folders made as Django makes them
        folder = directory
        while not os.path.isdir(folder):
            made.append(folder)
            folder = os.path.dirname(folder)
        if storage.directory_permissions_mode is not None:
            safe_makedirs(directory, storage.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        fd = os.open(partial, flags, 0o666)
    try:
        content.seek(0)
        for chunk in iter(lambda: content.read(CHUNK), b""):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        if storage.file_permissions_mode is not None:
            os.fchmod(fd, storage.file_permissions_mode)
    except BaseException:
        _abandon(fd, partial)
        raise
    job = _Flush(fd, partial, final, storage, made)
    pending = getattr(_deferred, "pending", None)
    if pending is None:
        job.run()
        return True
    try:
        future = _flusher().submit(job.run)
    except BaseException:
        # No helper thread to be had (the interpreter shutting down, or no thread could start): flushed here. If the
        # task was queued all the same, whichever runs it first does it, once.
        job.run()
        future = None
    pending.append((job, future))
    return True


class _Flush:
    """One written file's flush and rename, done exactly once: by a helper thread or the request's own, or, when the
    block fails before anybody has started it, abandoned (the temporary file removed, never named)."""

    def __init__(self, fd: int, partial: str, final: str, storage: FileSystemStorage, made: list[str]) -> None:
        self.fd, self.partial, self.final, self.storage, self.made = fd, partial, final, storage, made
        self._lock = threading.Lock()
        self._taken = False

    def _take(self) -> bool:
        with self._lock:
            taken, self._taken = self._taken, True
            return not taken

    def run(self) -> None:
        if self._take():
            _finish(self.fd, self.partial, self.final, self.storage, self.made)

    def abandon(self) -> bool:
        """True when it had not started, and never will; False when it is done or under way."""
        if not self._take():
            return False
        _abandon(self.fd, self.partial)
        return True


def _finish(fd: int, partial: str, final: str, storage: FileSystemStorage, made: list[str]) -> None:
    """Flush the written file to the disk, give it its name, and flush the folder (the new name), and the parent of
    each folder just made (the folder's own name)."""
    try:
        os.fsync(fd)
        fd, written = -1, fd
        os.close(written)  # released even when this fails: never closed twice
        ensure_group = getattr(storage, "_ensure_location_group_id", None)  # Django 5.2: the storage folder's group
        if ensure_group is not None:
            ensure_group(partial)
        os.replace(partial, final)  # the same name holds the same bytes: replacing a twin changes nothing
    except BaseException:
        _abandon(fd, partial)
        raise
    _sync_folder(os.path.dirname(final))
    for folder in made:
        _sync_folder(os.path.dirname(folder))


def _abandon(fd: int, partial: str) -> None:
    """Remove a write's temporary file after a failure (whose error the caller raises: a failure to close is not
    that error)."""
    try:
        if fd >= 0:
            os.close(fd)
    except OSError:
        pass
    finally:
        try:
            os.unlink(partial)
        except FileNotFoundError:
            pass


# --- flushing while the transaction goes on -----------------------------------------------------------------------

_deferred = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _flusher() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="storage-flush")
        return _pool


def _forget_pool() -> None:
    """In a forked child (a gunicorn worker) the parent's threads do not exist: it makes its own pool, and a block
    the parent was in is not the child's."""
    global _pool, _pool_lock, _deferred
    _pool, _pool_lock, _deferred = None, threading.Lock(), threading.local()


os.register_at_fork(after_in_child=_forget_pool)


@contextmanager
def flushed_before_exit() -> Iterator[None]:
    """Inside a transaction: the files `save_by_content` writes within the block are flushed to the disk by helper
    threads while the block goes on (the database work of the same request, for one), and the block's end waits
    for every flush and rename, raising the first that failed. The transaction commits after the block, so a row
    that names such a file is never seen before the file is on the disk under its name, as without the block.

    When the block fails, the files whose flush has not started are abandoned (the transaction that would have
    named them rolls back); those under way are waited for. A nested block leaves the waiting to the outermost one.

    Why: the two flushes of a report (the file, then its folder) made the intake wait (docs/benchmarks.md,
    "second round")."""
    if getattr(_deferred, "pending", None) is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("flushed_before_exit() belongs inside the transaction of the rows that name the files")
    pending: list[tuple[_Flush, Future | None]] = []
    _deferred.pending = pending
    try:
        yield
    except BaseException:
        _deferred.pending = None
        _wait([future for job, future in pending if not job.abandon()], quiet=True)  # no thread left writing
        raise
    _deferred.pending = None
    _wait([future for _job, future in pending], quiet=False)


def _wait(futures: list[Future | None], *, quiet: bool) -> None:
    failure = None
    for future in futures:
        error = future.exception() if future is not None else None  # None: done in the request's own thread
        if error is not None:
            if quiet:
                logger.warning("Storing a file failed after its request had failed: %s", error)
            elif failure is None:
                failure = error
    if failure is not None:
        raise failure


def _sync_folder(directory: str) -> None:
    """Flush a folder's entries (the new name) to the disk."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except (PermissionError, IsADirectoryError):
        return  # a platform that cannot open a folder (Windows): its file system orders this itself
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some file systems refuse fsync on a folder; any other failure (EIO) fails the write.
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF):
            raise
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
