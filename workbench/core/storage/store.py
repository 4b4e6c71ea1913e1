"""The content-addressed object store: immutable objects named by their BLAKE3 hash.

The policy over a `StoreBackend` (which keeps the bytes): every write holds gc's lock shared, a
write's first call sweeps the temps killed writers left, reads that hand bytes to a deserializer
re-verify the hash first, and an absent object is one sentence naming `wb fsck`.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import IntegrityError, NotFound
from . import hashing
from .backend import Entry, Progress, Readable, StoreBackend, Written
from .local_backend import TMP_SUFFIX
from .locks import file_lock


@dataclass(frozen=True)
class StagedObject:
    """Bytes hashed into a temp file, not yet in the store: `commit()` or `discard()` it."""

    store: ObjectStore
    written: Written

    @property
    def oid(self) -> str:
        return self.written.oid

    @property
    def size(self) -> int:
        return self.written.size

    def commit(self) -> bool:
        """Move into place; returns False when the object was already stored (dedup)."""
        return self.store.backend.commit(self.written)

    def discard(self) -> None:
        self.store.backend.discard(self.written.temp)


class ObjectStore:
    """Objects on `backend`; writes hold `gc_lock` (the workspace's) shared when one is given."""

    def __init__(
        self, backend: StoreBackend, *, gc_lock: Path | None = None, temp_grace_s: float = 24 * 3600
    ):
        self.backend = backend
        self.algo = hashing.ALGORITHM
        self.gc_lock = gc_lock
        self.temp_grace_s = temp_grace_s
        self._swept = False

    # -- addressing -------------------------------------------------------------------------
    def exists(self, oid: str) -> bool:
        return self.backend.has(oid)

    def has_objects(self) -> bool:
        return next(self.backend.list(), None) is not None

    def oids(self) -> Iterator[str]:
        """Every stored object id, in no particular order."""
        return (entry.name for entry in self.backend.list())

    # -- writing ----------------------------------------------------------------------------
    def stage_stream(
        self, source: Readable, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> StagedObject:
        """Copy `source` into a durable temp file while hashing it."""
        if not self._swept:  # the first write of a process clears what killed writers left
            self._swept = True
            for stale in self.stale_temp_files():
                self.backend.discard(stale.name)
        return StagedObject(self, self.backend.stage(source, progress=progress, cancel=cancel))

    def stage_file(
        self, path: Path, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> StagedObject:
        with open(path, "rb") as source:
            return self.stage_stream(source, progress=progress, cancel=cancel)

    @contextlib.contextmanager
    def _gc_waits(self) -> Iterator[None]:
        """gc's lock, shared while a put writes: gc sweeps every temp file it finds, so it must
        not find one being written (a run's artifact)."""
        with contextlib.ExitStack() as held:
            if self.gc_lock is not None:
                with contextlib.suppress(OSError):  # a read-only store: the write will say so
                    held.enter_context(file_lock(self.gc_lock, shared=True))
            yield

    def put_file(
        self, path: Path, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> tuple[str, bool]:
        """Store a file's bytes; returns (oid, created)."""
        with self._gc_waits():
            staged = self.stage_file(path, progress=progress, cancel=cancel)
            return staged.oid, staged.commit()

    def put_bytes(self, data: bytes) -> tuple[str, bool]:
        oid = hashing.hash_bytes(data)
        with self._gc_waits():
            if self.backend.has(oid):  # already stored: no temp file, no fsync
                self.backend.touch(oid)  # fresh for gc's grace period, as a commit would
                return oid, False
            staged = self.stage_stream(io.BytesIO(data))
            return staged.oid, staged.commit()

    # -- reading ----------------------------------------------------------------------------
    def open(self, oid: str) -> io.BufferedReader:
        try:
            return self.backend.open(oid)
        except FileNotFoundError:
            raise _missing(oid) from None

    def verify(self, oid: str) -> bool:
        """Re-hash the object; never trusts mode bits or sizes."""
        with self.open(oid) as f:
            return hashing.hash_stream(f) == oid

    def read_verified(self, oid: str) -> bytes:
        """The object's bytes, only once they hash to `oid`."""
        with self.open(oid) as f:
            data = f.read()
        if hashing.hash_bytes(data) != oid:
            raise IntegrityError(f"object {oid[:12]} is corrupt (its bytes no longer match its hash)")
        return data

    def copy_verified(self, oid: str, dest: Path) -> None:
        """Write the object to `dest` atomically, and only if its bytes match the hash."""
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
        h = hashing.hasher()
        buf = bytearray(hashing.CHUNK)
        view = memoryview(buf)
        try:
            with self.open(oid) as src, open(tmp, "xb") as out:
                while n := src.readinto(buf):
                    h.update(view[:n])
                    out.write(view[:n])
            if h.hexdigest() != oid:
                raise IntegrityError(
                    f"object {oid[:12]} is corrupt (its bytes no longer match its hash); nothing was written"
                )
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # -- maintenance ------------------------------------------------------------------------
    def size(self, oid: str) -> int:
        for entry in self.backend.list(oid):
            if entry.name == oid:
                return entry.size
        raise _missing(oid)

    def delete(self, oid: str) -> None:
        self.backend.delete(oid)

    def temp_files(self) -> list[Entry]:
        """Temp files of writes in progress, or left behind by writes that were killed."""
        return list(self.backend.temps())

    def stale_temp_files(self) -> list[Entry]:
        """Temp files untouched for the grace period: no live write is that slow, so a killed
        writer left them."""
        cutoff = time.time() - self.temp_grace_s
        return [entry for entry in self.backend.temps() if entry.mtime < cutoff]


def _missing(oid: str) -> NotFound:
    return NotFound(f"object {oid[:12]} is missing from the store; run `wb fsck`")
