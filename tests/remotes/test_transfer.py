"""Copying what the other side lacks: only the missing objects, verified, in parallel."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from fsspec.implementations.local import LocalFileSystem

from workbench.core.errors import IntegrityError, NotFound
from workbench.core.remotes.connect import open_backend
from workbench.core.remotes.settings import Remote
from workbench.core.remotes.transfer import copy_missing
from workbench.core.storage import hashing
from workbench.core.storage.backend import StoreBackend
from workbench.core.storage.local_backend import LocalBackend


def put_all(backend: StoreBackend, blobs: list[bytes]) -> list[str]:
    oids = []
    for data in blobs:
        written = backend.stage(io.BytesIO(data))
        backend.commit(written)
        oids.append(written.oid)
    return oids


@pytest.fixture(params=["folder", "s3"])
def remote(request, tmp_path) -> StoreBackend:
    if request.param == "s3":
        return request.getfixturevalue("s3").backend(tmp_path.name)
    return open_backend(Remote("usb", str(tmp_path / "usb"), None, False))


@pytest.fixture
def local(tmp_path) -> LocalBackend:
    return LocalBackend(tmp_path / "objects")


class Watched:
    """A backend whose calls are counted, and whose `open` can be held at a barrier."""

    def __init__(self, inner: StoreBackend, barrier: threading.Barrier | None = None):
        self.inner, self.barrier, self.calls = inner, barrier, {"has": 0, "list": 0}
        self.open_now = self.most_open = 0
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def has(self, oid):
        self.calls["has"] += 1
        return self.inner.has(oid)

    def list(self, prefix=""):
        self.calls["list"] += 1
        return self.inner.list(prefix)

    def open(self, oid):
        with self._lock:
            self.open_now += 1
            self.most_open = max(self.most_open, self.open_now)
        try:
            if self.barrier is not None:
                self.barrier.wait()  # every worker has an object open at once, or this times out
            return io.BytesIO(self.inner.open(oid).read())
        finally:
            with self._lock:
                self.open_now -= 1


def test_only_the_missing_objects_travel_and_a_second_run_moves_nothing(local, remote):
    blobs = [f"object {i}".encode() * (i + 1) for i in range(29)]
    blobs.append(os.urandom(hashing.CHUNK + 1))  # one streamed through a temp, not held in memory
    oids = put_all(local, blobs)
    put_all(remote, blobs[:10])
    first = copy_missing(local, remote, oids)
    assert first.to_dict() == {"objects": 20, "bytes": sum(map(len, blobs[10:])), "skipped": 10}
    assert {e.name for e in remote.list()} == set(oids)
    for oid, data in zip(oids, blobs, strict=True):
        with remote.open(oid) as f:
            assert f.read() == data
    assert copy_missing(local, remote, oids).to_dict() == {"objects": 0, "bytes": 0, "skipped": 30}
    assert list(remote.temps()) == []


def test_what_is_there_is_learnt_from_listings_not_one_request_per_object(local, tmp_path):
    oids = put_all(local, [f"blob {i}".encode() for i in range(60)])  # in far more than 16 fans
    dest = Watched(LocalBackend(tmp_path / "dest"))
    copy_missing(local, dest, oids)
    assert dest.calls == {"has": 0, "list": 1}
    few = Watched(LocalBackend(tmp_path / "dest"))
    copy_missing(local, few, oids[:3])
    assert few.calls["has"] == 0 and few.calls["list"] <= 3  # a listing per fan


def test_copies_run_in_a_bounded_pool(local, tmp_path):
    oids = put_all(local, [f"parallel {i}".encode() for i in range(12)])
    source = Watched(local, threading.Barrier(4, timeout=10))
    seen: list[int] = []
    result = copy_missing(source, LocalBackend(tmp_path / "dest"), oids, workers=4, progress=seen.append)
    assert result.objects == 12 and source.most_open == 4
    assert sum(seen) == result.bytes


def _damage(remote: StoreBackend, oid: str, damage: str) -> None:
    """Change the stored bytes behind wb's back: on S3 as anyone with the keys could (a PUT
    over the key), in a folder as a failing disk or a careless hand would."""
    with remote.open(oid) as f:
        data = f.read()
    damaged = bytes([data[0] ^ 1]) + data[1:] if damage == "tampered" else data[: len(data) // 2]
    if isinstance(remote.fs, LocalFileSystem):
        Path(remote.path(oid)).write_bytes(damaged)
    else:
        remote.fs.pipe_file(remote.path(oid), damaged)


@pytest.mark.parametrize("size", ["small", "large"])  # held in memory, or streamed
@pytest.mark.parametrize("damage", ["tampered", "truncated"])
def test_a_damaged_remote_object_is_refused_and_named(local, remote, damage, size):
    blob = os.urandom(hashing.CHUNK + 100 if size == "large" else 100)
    good, bad = put_all(remote, [b"good bytes", blob])
    _damage(remote, bad, damage)
    with pytest.raises(IntegrityError, match=f"object {bad[:12]} in the remote usb is damaged"):
        copy_missing(remote, local, [good, bad], source_name="the remote usb", workers=1)
    assert not local.has(bad) and list(local.temps()) == []


def test_an_object_missing_from_the_source_is_named(local, remote):
    absent = "f" * 64
    with pytest.raises(NotFound, match=f"object {absent[:12]} is missing from the remote usb"):
        copy_missing(remote, local, [absent], source_name="the remote usb")


def test_a_failed_transfer_leaves_no_temp_and_resumes(local, remote):
    oids = put_all(remote, [f"x{i}".encode() for i in range(20)])
    missing = "f" * 64  # named, but stored nowhere
    with pytest.raises(NotFound):
        copy_missing(remote, local, [*oids, missing], workers=2)
    assert list(local.temps()) == []
    arrived = {e.name for e in local.list()}
    assert arrived <= set(oids)  # whatever arrived arrived whole...
    resumed = copy_missing(remote, local, oids)  # ...and running it again brings the rest
    assert (resumed.objects, resumed.skipped) == (len(oids) - len(arrived), len(arrived))
    assert {e.name for e in local.list()} == set(oids)


def test_the_air_gap_round_trip_through_a_folder(tmp_path):
    here, there = LocalBackend(tmp_path / "here"), LocalBackend(tmp_path / "there")
    usb = open_backend(Remote("usb", str(Path(tmp_path / "usb")), None, False))
    oids = put_all(here, [b"dataset bytes", b"model bytes"])
    assert copy_missing(here, usb, oids).objects == 2
    assert copy_missing(usb, there, oids).objects == 2
    assert {e.name for e in there.list()} == set(oids)
