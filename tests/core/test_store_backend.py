"""The contract every `StoreBackend` keeps, run against each one: a backend joins `BACKENDS`."""

from __future__ import annotations

import errno
import io
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.core.errors import NotFound
from workbench.core.remotes.connect import open_backend
from workbench.core.remotes.settings import Remote
from workbench.core.storage import hashing
from workbench.core.storage.backend import Cancelled, StoreBackend
from workbench.core.storage.failures import NoSpace
from workbench.core.storage.local_backend import LocalBackend
from workbench.core.storage.store import ObjectStore


def _folder_remote(request, tmp: Path) -> StoreBackend:
    return open_backend(Remote("folder", str(tmp / "remote"), None, False))


def _s3_remote(request, tmp: Path) -> StoreBackend:
    return request.getfixturevalue("s3").backend(tmp.name)  # a prefix of its own in the bucket


# Each entry makes an empty backend for one test, under its temporary folder (and, for S3, its
# own prefix of the session's real server).
BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], StoreBackend]] = {
    "local": lambda request, tmp: LocalBackend(tmp / "objects"),
    "fsspec-folder": _folder_remote,
    "fsspec-s3": _s3_remote,
}


@pytest.fixture(params=list(BACKENDS))
def backend(request, tmp_path) -> StoreBackend:
    return BACKENDS[request.param](request, tmp_path)


def put(backend: StoreBackend, data: bytes) -> str:
    written = backend.stage(io.BytesIO(data))
    assert backend.commit(written)
    return written.oid


class FailingSource(io.RawIOBase):
    """A stream that gives `good` bytes, then fails as `error` (a disk filling, a Ctrl-C)."""

    def __init__(self, good: bytes, error: BaseException):
        self.source, self.error = io.BytesIO(good), error

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = self.source.readinto(buf)
        if n:
            return n
        raise self.error


def test_a_put_object_is_there_whole_under_its_hash(backend):
    data = os.urandom(3 * hashing.CHUNK // 2)  # more than one chunk
    written = backend.stage(io.BytesIO(data))
    assert (written.oid, written.size) == (hashing.hash_bytes(data), len(data))
    assert not backend.has(written.oid)  # staged is not stored
    assert backend.commit(written)
    assert backend.has(written.oid)
    with backend.open(written.oid) as f:
        assert f.read() == data
    (entry,) = backend.list()
    assert (entry.name, entry.size) == (written.oid, len(data))
    assert abs(entry.mtime - time.time()) < 300
    assert list(backend.temps()) == []


def test_putting_stored_bytes_again_keeps_the_first_and_leaves_no_temp(backend):
    oid = put(backend, b"same")
    again = backend.stage(io.BytesIO(b"same"))
    assert [t.name for t in backend.temps()] == [again.temp]
    assert not backend.commit(again)
    assert [e.name for e in backend.list()] == [oid]
    assert list(backend.temps()) == []


def test_put_stores_bytes_held_in_memory_whole_once(backend):
    data = b"small and verified"
    oid = hashing.hash_bytes(data)
    assert backend.put(oid, data)
    assert not backend.put(oid, data)
    with backend.open(oid) as f:
        assert f.read() == data
    assert [e.name for e in backend.list()] == [oid] and list(backend.temps()) == []


def test_touch_makes_an_object_young_for_gc(backend):
    oid = put(backend, b"old")
    before = next(backend.list()).mtime
    backend.touch(oid)
    assert next(backend.list()).mtime >= before


def test_list_by_prefix_yields_exactly_the_ids_that_start_with_it(backend):
    oids = {put(backend, f"object {i}".encode()) for i in range(40)}
    assert {e.name for e in backend.list()} == oids
    some = sorted(oids)[7]
    for length in (0, 1, 2, 3, len(some)):
        prefix = some[:length]
        assert {e.name for e in backend.list(prefix)} == {o for o in oids if o.startswith(prefix)}
    assert list(backend.list("0" * hashing.HEX_LENGTH)) == []


def test_delete_removes_only_that_object(backend):
    keep, gone = put(backend, b"keep"), put(backend, b"gone")
    backend.delete(gone)
    assert not backend.has(gone) and backend.has(keep)
    assert [e.name for e in backend.list()] == [keep]


def test_an_absent_object_is_said_so(backend):
    absent = hashing.hash_bytes(b"never stored")
    assert not backend.has(absent)
    assert list(backend.list(absent)) == []
    for call in (backend.open, backend.delete, backend.touch):
        with pytest.raises(FileNotFoundError):
            call(absent)
    backend.discard("no such temp")  # discarding what is gone is not an error


def test_a_discarded_stage_leaves_nothing(backend):
    written = backend.stage(io.BytesIO(b"changed my mind"))
    backend.discard(written.temp)
    assert list(backend.temps()) == [] and list(backend.list()) == []


@pytest.mark.parametrize(
    "error, raised",
    [
        (OSError(errno.ENOSPC, "No space left on device"), NoSpace),
        (KeyboardInterrupt(), KeyboardInterrupt),
    ],
    ids=["disk-full", "interrupt"],
)
def test_a_write_failing_midway_leaves_no_object_and_no_temp(backend, error, raised):
    with pytest.raises(raised):
        backend.stage(FailingSource(os.urandom(hashing.CHUNK + 10), error))
    assert list(backend.temps()) == [] and list(backend.list()) == []


def test_a_cancelled_write_leaves_nothing(backend):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        backend.stage(io.BytesIO(b"unwanted"), cancel=cancel)
    assert list(backend.temps()) == [] and list(backend.list()) == []


def test_progress_counts_every_byte(backend):
    seen: list[int] = []
    backend.stage(io.BytesIO(b"x" * (hashing.CHUNK + 1)), progress=seen.append)
    assert sum(seen) == hashing.CHUNK + 1


def test_the_store_keeps_its_api_over_the_backend(backend):
    store = ObjectStore(backend)
    assert not store.has_objects()
    oid, created = store.put_bytes(b"record")
    assert created and store.exists(oid) and list(store.oids()) == [oid]
    assert store.put_bytes(b"record") == (oid, False)
    assert store.read_verified(oid) == b"record" and store.size(oid) == len(b"record")
    store.delete(oid)
    with pytest.raises(NotFound, match="missing from the store"):
        store.open(oid)
    with pytest.raises(NotFound):
        store.size(oid)


# -- the local folder's own promises ---------------------------------------------------------
def test_a_rename_failing_at_commit_leaves_no_object_and_no_temp(tmp_path, monkeypatch):
    local = LocalBackend(tmp_path / "objects")
    written = local.stage(io.BytesIO(b"almost"))

    def fail(*args):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        local.commit(written)
    assert not local.has(written.oid) and list(local.temps()) == []


def test_the_local_layout_is_the_one_workspaces_already_have(tmp_path):
    local = LocalBackend(tmp_path / "objects")
    oid = put(local, b"hello")
    assert local.path(oid) == tmp_path / "objects" / "blake3" / oid[:2] / oid[2:]
    assert Path(local.stage(io.BytesIO(b"staged")).temp).parent == tmp_path / "objects" / "tmp"
