"""Files stored under a name made from their content: written once, never seen half written, and the same on disk
as in any other storage."""

import errno
import io
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, InMemoryStorage
from django.db import transaction

from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.lib.storage import flushed_before_exit, save_by_content


@pytest.fixture
def disk(tmp_path):
    return FileSystemStorage(location=tmp_path / "media", file_permissions_mode=0o640)


def _leftovers(storage) -> list[str]:
    return sorted(str(p.relative_to(storage.location)) for p in Path(storage.location).rglob("*")
                  if p.is_file())


def test_a_new_file_is_written_whole_with_its_mode_and_nothing_else_is_left(disk):
    assert save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"first"), storage=disk)  # its folder is new
    assert save_by_content("evidence/ab/ab34.jpg", io.BytesIO(b"second" * 100_000), storage=disk)  # folder exists
    assert disk.open("evidence/ab/ab12.jpg").read() == b"first"
    assert disk.open("evidence/ab/ab34.jpg").read() == b"second" * 100_000
    assert stat.S_IMODE(os.stat(disk.path("evidence/ab/ab34.jpg")).st_mode) == 0o640
    assert _leftovers(disk) == ["evidence/ab/ab12.jpg", "evidence/ab/ab34.jpg"]


def test_a_name_already_stored_is_not_written_again(disk):
    assert save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"stored"), storage=disk)
    assert save_by_content("evidence/ab/ab34.jpg", io.BytesIO(b"other"), storage=disk)
    assert not save_by_content("evidence/ab/ab34.jpg", io.BytesIO(b"anything"), storage=disk)
    assert disk.open("evidence/ab/ab34.jpg").read() == b"other"
    assert _leftovers(disk) == ["evidence/ab/ab12.jpg", "evidence/ab/ab34.jpg"]


class Breaks(io.BytesIO):
    """An upload cut off after its first bytes."""

    def read(self, size=-1):
        if self.tell() > 0:
            raise OSError("the upload was cut off")
        return super().read(4)


@pytest.mark.parametrize("folder", ["a folder with files", "a new folder"])
def test_a_write_that_fails_halfway_leaves_no_file_under_the_name(disk, folder):
    if folder == "a folder with files":
        save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"x"), storage=disk)
    with pytest.raises(OSError, match="cut off"):
        save_by_content("evidence/ab/ab34.jpg", Breaks(b"partial content"), storage=disk)
    # A later upload of the same photo must not find (and trust) a truncated file under its hash.
    assert not disk.exists("evidence/ab/ab34.jpg")
    assert _leftovers(disk) == (["evidence/ab/ab12.jpg"] if folder == "a folder with files" else [])
    assert save_by_content("evidence/ab/ab34.jpg", io.BytesIO(b"whole"), storage=disk)
    assert disk.open("evidence/ab/ab34.jpg").read() == b"whole"


def test_files_and_folders_get_the_modes_django_would_give_them(tmp_path, settings):
    configured = FileSystemStorage(location=tmp_path / "configured", file_permissions_mode=0o604,
                                   directory_permissions_mode=0o751)
    save_by_content("evidence/cd/cd12.jpg", io.BytesIO(b"x"), storage=configured)
    assert stat.S_IMODE(os.stat(configured.path("evidence/cd/cd12.jpg")).st_mode) == 0o604
    assert stat.S_IMODE(os.stat(configured.path("evidence/cd")).st_mode) == 0o751
    assert stat.S_IMODE(os.stat(configured.path("evidence")).st_mode) == 0o751
    # No mode configured: what the process's umask leaves of 0o666, as for Django's own files.
    settings.FILE_UPLOAD_PERMISSIONS = None
    plain = FileSystemStorage(location=tmp_path / "plain")
    assert plain.file_permissions_mode is None
    previous = os.umask(0o027)
    try:
        save_by_content("evidence/cd/cd12.jpg", io.BytesIO(b"x"), storage=plain)
        save_by_content("evidence/cd/cd34.jpg", io.BytesIO(b"y"), storage=plain)
    finally:
        os.umask(previous)
    for name in ("evidence/cd/cd12.jpg", "evidence/cd/cd34.jpg"):
        assert stat.S_IMODE(os.stat(plain.path(name)).st_mode) == 0o640


def test_a_name_outside_the_storage_is_refused(disk):
    with pytest.raises(SuspiciousFileOperation):
        save_by_content("../outside.jpg", io.BytesIO(b"x"), storage=disk)
    assert not (disk.base_location.parent / "outside.jpg").exists()


def test_another_storage_keeps_one_copy_when_the_name_was_taken_meanwhile():
    memory = InMemoryStorage()
    assert save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"one"), storage=memory)
    assert not save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"one"), storage=memory)
    # The caller had looked and found nothing, but another request stored it since: the storage's second copy
    # (under a name it made up) is removed.
    assert not save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"one"), storage=memory, known_absent=True)
    assert memory.listdir("evidence/ab") == ([], ["ab12.jpg"])
    assert memory.open("evidence/ab/ab12.jpg").read() == b"one"


def test_the_temporary_files_of_writes_that_never_finished_are_removed_after_a_day(disk):
    from parcelwatch.lib.storage import remove_abandoned_partials

    save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"kept"), storage=disk)
    folder = Path(disk.path("evidence/ab"))
    stale = folder / ".ab34.jpg.0123456789ab.part"  # a process killed in mid-write, two days ago
    fresh = folder / ".ab56.jpg.abcdef012345.part"  # a write in progress
    dotfile = folder / ".keep"
    for path in (stale, fresh, dotfile):
        path.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(stale, (two_days_ago, two_days_ago))
    os.utime(dotfile, (two_days_ago, two_days_ago))
    assert remove_abandoned_partials(storage=disk) == 1
    assert sorted(p.name for p in folder.iterdir()) == [".ab56.jpg.abcdef012345.part", ".keep", "ab12.jpg"]
    assert remove_abandoned_partials(storage=InMemoryStorage()) == 0  # on disk only


# --- flushed beside the transaction's work ------------------------------------------------------------------------


class HeldFlushes:
    """os.fsync that records which thread calls it and waits until released (or fails, when told to)."""

    def __init__(self, monkeypatch, *, fail: bool = False):
        self.released, self.started, self.threads = threading.Event(), threading.Event(), []
        self.fail, self._fsync = fail, os.fsync
        monkeypatch.setattr(os, "fsync", self)

    def __call__(self, fd):
        self.threads.append(threading.current_thread().name)
        self.started.set()
        self.released.wait(10)
        if self.fail:
            raise OSError(errno.EIO, "the disk failed")
        self._fsync(fd)


@pytest.mark.django_db
def test_within_the_block_a_file_is_flushed_beside_the_work_and_named_before_the_block_ends(disk, monkeypatch):
    flushes = HeldFlushes(monkeypatch)
    with transaction.atomic(), flushed_before_exit():
        assert save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"photo"), storage=disk)
        # Back while its flush waits: the name shows nothing until the file is on the disk.
        assert not os.path.exists(disk.path("evidence/ab/ab12.jpg"))
        flushes.released.set()
    assert disk.open("evidence/ab/ab12.jpg").read() == b"photo"
    assert _leftovers(disk) == ["evidence/ab/ab12.jpg"]
    assert flushes.threads and all(name.startswith("storage-flush") for name in flushes.threads)


@pytest.mark.django_db
def test_a_flush_that_fails_fails_the_block_so_the_rows_naming_the_file_are_not_committed(disk, monkeypatch):
    flushes = HeldFlushes(monkeypatch, fail=True)
    flushes.released.set()
    before = Jurisdiction.objects.count()
    with pytest.raises(OSError, match="the disk failed"):
        with transaction.atomic(), flushed_before_exit():
            save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"photo"), storage=disk)
            Jurisdiction.objects.create(code="350399", name="某区", level=Jurisdiction.Level.DISTRICT)
    assert Jurisdiction.objects.count() == before
    assert _leftovers(disk) == []  # neither the name nor the temporary file


@pytest.mark.django_db
def test_when_the_block_fails_its_flushes_still_finish_and_its_own_error_is_raised(disk, monkeypatch):
    flushes = HeldFlushes(monkeypatch)
    with pytest.raises(ValueError, match="refused"):
        with transaction.atomic(), flushed_before_exit():
            save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"photo"), storage=disk)
            # A flush already under way when the block fails (one not yet started is dropped: test below).
            assert flushes.started.wait(10)
            threading.Timer(0.05, flushes.released.set).start()
            raise ValueError("refused")
    # No thread is left writing once the block has ended (the file is kept, as a stored upload always was).
    assert _leftovers(disk) == ["evidence/ab/ab12.jpg"]


@pytest.mark.django_db
def test_a_nested_block_leaves_the_waiting_to_the_outermost(disk, monkeypatch):
    flushes = HeldFlushes(monkeypatch)
    with transaction.atomic(), flushed_before_exit():
        with flushed_before_exit():
            save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"photo"), storage=disk)
        assert not os.path.exists(disk.path("evidence/ab/ab12.jpg"))  # the inner end did not wait
        flushes.released.set()
    assert disk.open("evidence/ab/ab12.jpg").read() == b"photo"


@pytest.mark.django_db(transaction=True)
def test_the_block_belongs_inside_a_transaction(disk):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        with flushed_before_exit():
            pass


class QueuedForever:
    """A pool whose threads are all busy: what is submitted waits and never starts (unless run by hand)."""

    def __init__(self):
        self.tasks = []

    def submit(self, task):
        from concurrent.futures import Future

        self.tasks.append(task)
        return Future()


@pytest.mark.django_db
def test_when_the_block_fails_the_flushes_not_yet_started_are_abandoned(disk, monkeypatch):
    from parcelwatch.lib import storage

    pool = QueuedForever()
    monkeypatch.setattr(storage, "_flusher", lambda: pool)
    with pytest.raises(ValueError, match="refused"):
        with transaction.atomic(), flushed_before_exit():
            save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"photo"), storage=disk)
            raise ValueError("refused")  # the report is refused: nothing will name its photo
    assert _leftovers(disk) == []  # no file under the name, no temporary file, and no wait for the flush
    for task in pool.tasks:  # a thread that gets to it at last finds nothing left to do
        task()
    assert _leftovers(disk) == []


@pytest.mark.django_db
def test_without_a_helper_thread_the_file_is_flushed_by_the_request_itself(disk, monkeypatch):
    from parcelwatch.lib import storage

    class NoThreads:
        def submit(self, task):
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(storage, "_flusher", lambda: NoThreads())
    with transaction.atomic(), flushed_before_exit():
        assert save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"photo"), storage=disk)
        assert disk.open("evidence/ab/ab12.jpg").read() == b"photo"  # named before save_by_content returned
    assert _leftovers(disk) == ["evidence/ab/ab12.jpg"]


def _flushed_paths(monkeypatch, *, folders_fail: bool = False) -> list[str]:
    flushed, real = [], os.fsync

    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        flushed.append(path)
        if folders_fail and os.path.isdir(path):
            raise OSError(errno.EIO, "the disk failed")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return flushed


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names open files through /proc")
def test_the_folders_a_write_makes_are_flushed_into_their_parents(disk, monkeypatch):
    os.makedirs(disk.location)
    flushed = _flushed_paths(monkeypatch)
    save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"first"), storage=disk)  # makes evidence/ and evidence/ab/
    root = str(Path(disk.location).resolve())
    assert flushed[1:] == [f"{root}/evidence/ab", f"{root}/evidence", root]  # after the file itself
    flushed.clear()
    save_by_content("evidence/ab/ab34.jpg", io.BytesIO(b"second"), storage=disk)  # the folders are there
    assert flushed[1:] == [f"{root}/evidence/ab"]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names open files through /proc")
def test_a_folder_flush_that_fails_fails_the_write(disk, monkeypatch):
    _flushed_paths(monkeypatch, folders_fail=True)
    with pytest.raises(OSError, match="the disk failed"):
        save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"photo"), storage=disk)


@pytest.mark.django_db
def test_a_forked_process_flushes_with_threads_of_its_own(disk):
    import traceback

    from parcelwatch.lib.storage import _flusher

    with transaction.atomic(), flushed_before_exit():  # the parent's helper thread exists, idle, before the fork
        save_by_content("evidence/ab/ab12.jpg", io.BytesIO(b"parent"), storage=disk)
    pid = os.fork()
    if pid == 0:  # as a gunicorn worker is made: the parent's threads are not in the child
        # The child touches neither the database connection it shares with the parent nor pytest: it leaves by
        # os._exit, whatever happens.
        code = 1
        try:
            code = 0 if _flusher().submit(os.getpid).result(timeout=10) == os.getpid() else 1
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked process hung")
    assert os.waitstatus_to_exitcode(done[1]) == 0
