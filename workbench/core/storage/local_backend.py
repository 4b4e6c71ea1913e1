"""The object store's local folder: `.wb/objects/<algorithm>/<2 hex>/<rest>`, temps in `tmp/`.

One read-only file per object. A write hashes while copying into `tmp/`, fsyncs the file,
renames it into place and fsyncs the folder, so a crash leaves either the whole object or
nothing under its name (at worst a stray temp file, which `gc` sweeps). A temp's name is its
path, so that fsck can show where it is.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import secrets
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from . import failures, hashing
from .backend import Cancelled, Entry, ObjectStream, Progress, Readable, Written

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


class LocalBackend:
    """A `StoreBackend` on a folder of this machine (the workspace's `.wb/objects/`)."""

    def __init__(self, root: Path):
        self.root = root
        self.tmp_dir = root / "tmp"
        self._base = root / hashing.ALGORITHM  # the algorithm in the path: a new one can coexist

    def path(self, oid: str) -> Path:
        return self._base / oid[:2] / oid[2:]

    def has(self, oid: str) -> bool:
        return self.path(oid).is_file()

    def open(self, oid: str) -> ObjectStream:
        return open(self.path(oid), "rb")

    def stage(
        self, source: Readable, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> Written:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
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
        return Written(str(tmp), h.hexdigest(), size)

    def commit(self, written: Written) -> bool:
        tmp, dest = Path(written.temp), self.path(written.oid)
        try:
            if dest.is_file():
                self.touch(written.oid)
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

    def put(self, oid: str, data: bytes, absent: bool = False) -> bool:
        return self.commit(self.stage(io.BytesIO(data)))  # a file is written whole only via a temp

    def discard(self, temp: str) -> None:
        Path(temp).unlink(missing_ok=True)
        _pending.discard(Path(temp))

    def touch(self, oid: str) -> None:
        os.utime(self.path(oid))

    def list(self, prefix: str = "") -> Iterator[Entry]:
        if not self._base.is_dir():
            return
        fans = (
            [prefix[:2]]
            if len(prefix) >= 2
            else sorted(
                fan.name
                for fan in os.scandir(self._base)
                if fan.is_dir() and len(fan.name) == 2 and fan.name.startswith(prefix)
            )
        )
        rest = prefix[2:]
        for fan in fans:
            try:
                entries = list(os.scandir(self._base / fan))
            except (FileNotFoundError, NotADirectoryError):  # no object under this prefix
                continue
            for entry in entries:
                if entry.name.endswith(TMP_SUFFIX) or not entry.name.startswith(rest):
                    continue
                if (found := _entry(entry, fan + entry.name)) is not None:
                    yield found

    def temps(self) -> Iterator[Entry]:
        if not self.tmp_dir.is_dir():
            return
        for entry in os.scandir(self.tmp_dir):
            if (found := _entry(entry, entry.path)) is not None:
                yield found

    def delete(self, oid: str) -> None:
        self.path(oid).unlink()


def _entry(entry: os.DirEntry, name: str) -> Entry | None:
    """The listing's view of a file, or None when it vanished since the folder was read."""
    try:
        st = entry.stat()
    except FileNotFoundError:
        return None
    return Entry(name, st.st_size, st.st_mtime)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
