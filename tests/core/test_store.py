from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.errors import IntegrityError
from workbench.core.storage import hashing
from workbench.core.storage.local_backend import LocalBackend
from workbench.core.storage.maintenance import fsck
from workbench.core.storage.store import ObjectStore


@settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)  # fsync latency varies on a shared disk
@given(data=st.binary(max_size=20_000))
def test_any_bytes_round_trip(tmp_path, data):
    store = ObjectStore(LocalBackend(tmp_path / "objects"))
    oid, _ = store.put_bytes(data)
    assert oid == hashing.hash_bytes(data)
    assert store.read_verified(oid) == data
    out = tmp_path / "out.bin"
    out.unlink(missing_ok=True)
    store.copy_verified(oid, out)
    assert out.read_bytes() == data
    assert not list(store.backend.tmp_dir.iterdir())


def test_objects_are_read_only_and_addressed_by_algorithm(tmp_path):
    store = ObjectStore(LocalBackend(tmp_path / "objects"))
    oid, created = store.put_bytes(b"hello")
    path = store.backend.path(oid)
    assert created
    assert path.relative_to(tmp_path / "objects").parts == ("blake3", oid[:2], oid[2:])
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_same_content_is_stored_once(tmp_path):
    store = ObjectStore(LocalBackend(tmp_path / "objects"))
    first = store.put_bytes(b"same")
    second = store.put_bytes(b"same")
    assert first[0] == second[0] and first[1] and not second[1]
    assert list(store.oids()) == [first[0]]


def _flip_byte(path: Path, offset: int) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    os.chmod(path, 0o444)  # keep the mode bits of a healthy object: fsck must not trust them


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.binary(min_size=1, max_size=5_000), where=st.floats(0, 1, exclude_max=True))
def test_a_flipped_byte_is_caught(ws, data, where):
    oid, _ = ws.store.put_bytes(data)
    _flip_byte(ws.objects.path(oid), int(where * len(data)))
    report = fsck(ws)
    assert not report.ok and oid in report.corrupt
    with pytest.raises(IntegrityError):
        ws.store.read_verified(oid)
    out = ws.root / "out.bin"
    with pytest.raises(IntegrityError):
        ws.store.copy_verified(oid, out)
    assert not out.exists()
    ws.objects.path(oid).unlink()  # the next example starts clean


def _put_same(root: str, payload: bytes, barrier) -> str:
    barrier.wait()
    return ObjectStore(LocalBackend(Path(root))).put_bytes(payload)[0]


def test_concurrent_writers_of_the_same_content_leave_one_intact_object(tmp_path):
    payload = os.urandom(3 * 1024 * 1024)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(4)
        with ctx.Pool(4) as pool:
            oids = pool.starmap(_put_same, [(str(tmp_path / "objects"), payload, barrier)] * 4)
    store = ObjectStore(LocalBackend(tmp_path / "objects"))
    assert len(set(oids)) == 1
    assert list(store.oids()) == [oids[0]]
    assert store.verify(oids[0])
    assert not list(store.backend.tmp_dir.iterdir())


def test_copy_never_overwrites_with_unverified_bytes(tmp_path):
    store = ObjectStore(LocalBackend(tmp_path / "objects"))
    oid, _ = store.put_bytes(b"good bytes")
    dest = tmp_path / "existing.csv"
    dest.write_bytes(b"the user's file")
    _flip_byte(store.backend.path(oid), 0)
    with pytest.raises(IntegrityError):
        store.copy_verified(oid, dest)
    assert dest.read_bytes() == b"the user's file"
