"""The content-addressed object store: `.wb/objects/<algorithm>/<2 hex>/<rest>`.

One read-only file per object. A write hashes while copying into `objects/tmp/`, fsyncs the
file, renames it into place and fsyncs the folder, so a crash leaves either the whole object or
nothing under its name (at worst a stray temp file, which `gc` sweeps). Reads that hand bytes
to a deserializer re-verify the hash first.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import IntegrityError, NotFound
from . import failures, hashing
from .locks import file_lock

Progress = Callable[[int], None]  # called with the number of bytes just copied
TMP_SUFFIX = ".tmp"

# Temp files this process is writing or holds staged. Removed at interpreter exit, so that an
# interrupt landing anywhere (polars can raise KeyboardInterrupt twice, pola-rs/polars#23988,
# skipping an except block) still leaves no temp file behind. kill -9 leaves them to `wb gc`.
_pending: set[Path] = set()


@atexit.register
def _remove_pending() -> None:
    for path in list(_pending):
        with contextlib.suppress(OSError):  # a read-only or vanished folder has nothing to clear
            path.unlink(missing_ok=True)


class Cancelled(Exception):
    """Raised inside a copy when its cancel event is set."""


@dataclass(frozen=True)
class StagedObject:
    """Bytes hashed into a temp file, not yet in the store: `commit()` or `discard()` it."""

    store: ObjectStore
    tmp_path: Path
    oid: str
    size: int

    def commit(self) -> bool:
        """Move into place; returns False when the object was already stored (dedup)."""
        return self.store._commit_tmp(self.tmp_path, self.oid)

    def discard(self) -> None:
        self.tmp_path.unlink(missing_ok=True)
        _pending.discard(self.tmp_path)


class ObjectStore:
    """A local folder of immutable objects named by their BLAKE3 hash."""

    def __init__(self, root: Path, temp_grace_s: float = 24 * 3600):
        self.root = root
        self.algo = hashing.ALGORITHM
        self.tmp_dir = root / "tmp"
        self.temp_grace_s = temp_grace_s
        self._swept = False

    # -- addressing -------------------------------------------------------------------------
    def path(self, oid: str) -> Path:
        return self.root / self.algo / oid[:2] / oid[2:]

    def exists(self, oid: str) -> bool:
        return self.path(oid).is_file()

    def has_objects(self) -> bool:
        return next(self.oids(), None) is not None

    def oids(self) -> Iterator[str]:
        """Every stored object id, in no particular order."""
        base = self.root / self.algo
        if not base.is_dir():
            return
        for fan in os.scandir(base):
            if fan.is_dir() and len(fan.name) == 2:
                for entry in os.scandir(fan.path):
                    if not entry.name.endswith(TMP_SUFFIX):
                        yield fan.name + entry.name

    # -- writing ----------------------------------------------------------------------------
    def stage_stream(self, source: BinaryIO, *, progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> StagedObject:
        """Copy `source` into a durable temp file while hashing it."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        if not self._swept:  # the first write of a process clears what killed writers left
            self._swept = True
            for stale in self.stale_temp_files():
                stale.unlink(missing_ok=True)
        tmp = self.tmp_dir / f"{secrets.token_hex(8)}{TMP_SUFFIX}"
        _pending.add(tmp)
        h = hashing.hasher()
        size = 0
        buf = bytearray(hashing.CHUNK)
        view = memoryview(buf)
        try:
            with open(tmp, "xb") as out:
                while n := source.readinto(buf):
                    if cancel is not None and cancel.is_set():
                        raise Cancelled
                    chunk = view[:n]
                    h.update(chunk)
                    out.write(chunk)
                    size += n
                    if progress is not None:
                        progress(n)
                out.flush()
                os.fsync(out.fileno())
        except BaseException as exc:
            _pending.discard(tmp)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise (failures.translate(exc, self.root) or exc) from None
        return StagedObject(self, tmp, h.hexdigest(), size)

    def stage_file(self, path: Path, **kwargs) -> StagedObject:
        with open(path, "rb") as source:
            return self.stage_stream(source, **kwargs)

    @contextlib.contextmanager
    def _gc_waits(self) -> Iterator[None]:
        """gc's lock (`.wb/gc.lock`, the workspace's), shared while a put writes: gc sweeps
        every temp file it finds, so it must not find one being written (a run's artifact)."""
        with contextlib.ExitStack() as held:
            with contextlib.suppress(OSError):  # a read-only store: the write will say so
                held.enter_context(file_lock(self.root.parent / "gc.lock", shared=True))
            yield

    def put_file(self, path: Path, **kwargs) -> tuple[str, bool]:
        """Store a file's bytes; returns (oid, created)."""
        with self._gc_waits():
            staged = self.stage_file(path, **kwargs)
            return staged.oid, staged.commit()

    def put_bytes(self, data: bytes) -> tuple[str, bool]:
        oid = hashing.hash_bytes(data)
        with self._gc_waits():
            if self.exists(oid):  # already stored: no temp file, no fsync
                os.utime(self.path(oid))  # fresh for gc's grace period, as in _commit_tmp
                return oid, False
            staged = self.stage_stream(io.BytesIO(data))
            return staged.oid, staged.commit()

    def _commit_tmp(self, tmp: Path, oid: str) -> bool:
        dest = self.path(oid)
        try:
            if dest.is_file():
                # Already stored: keep the existing object; freshen its mtime so a concurrent
                # gc's grace period spares it now that something is about to refer to it.
                os.utime(dest)
                tmp.unlink(missing_ok=True)
                return False
            new_fan = not dest.parent.is_dir()
            dest.parent.mkdir(parents=True, exist_ok=True)
            # Read-only, within the umask the temp file was made under (0400 under 077), as git.
            os.chmod(tmp, stat.S_IMODE(os.stat(tmp).st_mode) & 0o444)
            os.replace(tmp, dest)  # atomic; a racing writer of the same bytes is harmless
            _fsync_dir(dest.parent)
            if new_fan:
                _fsync_dir(dest.parent.parent)
            return True
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            _pending.discard(tmp)

    # -- reading ----------------------------------------------------------------------------
    def open(self, oid: str) -> BinaryIO:
        try:
            return open(self.path(oid), "rb")
        except FileNotFoundError:
            raise NotFound(f"object {oid[:12]} is missing from the store; run `wb fsck`") from None

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
                    f"object {oid[:12]} is corrupt (its bytes no longer match its hash); "
                    f"nothing was written"
                )
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # -- maintenance ------------------------------------------------------------------------
    def mtime(self, oid: str) -> float:
        return self.path(oid).stat().st_mtime

    def size(self, oid: str) -> int:
        return self.path(oid).stat().st_size

    def delete(self, oid: str) -> None:
        self.path(oid).unlink()

    def temp_files(self) -> list[Path]:
        """Temp files of writes in progress, or left behind by writes that were killed."""
        return list(self.tmp_dir.iterdir()) if self.tmp_dir.is_dir() else []

    def stale_temp_files(self) -> list[Path]:
        """Temp files untouched for the grace period: no live write is that slow, so a killed
        writer left them."""
        cutoff = time.time() - self.temp_grace_s
        stale = []
        for path in self.temp_files():
            try:
                if path.stat().st_mtime < cutoff:
                    stale.append(path)
            except FileNotFoundError:  # its writer finished or gave up meanwhile
                continue
        return stale


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
