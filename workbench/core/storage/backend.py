"""The seam under the object store: where its bytes live (`StoreBackend`).

`ObjectStore` keeps the policy (the gc lock, grace periods, verified reads, the sentences users
see); a backend keeps only the bytes, named by their hash, and the temp files of writes not yet
in place. The local folder (`local_backend.LocalBackend`) is the one implementation; a remote
(a bucket or a folder) is another, as dvc-objects puts `ObjectDB` over a file system.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

Progress = Callable[[int], None]  # called with the number of bytes just copied


class Readable(Protocol):
    """Bytes a copy pulls into its own buffer: a file opened "rb", an `io.BytesIO`, a tar
    member. (`typing.BinaryIO` promises no `readinto`.)"""

    def readinto(self, buffer: bytearray, /) -> int | None:
        """Fill `buffer` and return how many bytes were read: 0 at the end."""
        ...


class ObjectStream(Readable, Protocol):
    """An object opened for reading: a local file, or an fsspec file on a remote (which is
    no `io.BufferedReader`, though it reads, seeks and closes like one)."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> ObjectStream: ...
    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None, /
    ) -> None: ...


class Cancelled(Exception):
    """Raised inside a copy when its cancel event is set."""


@dataclass(frozen=True)
class Entry:
    """An object (`name` is its id) or a temp file (`name` is the backend's name for it), as a
    listing sees it: enough for gc to weigh its size and spare it while it is young."""

    name: str
    size: int
    mtime: float  # seconds since the epoch


@dataclass(frozen=True)
class Written:
    """Bytes copied into a temp file, and what they hash to: not yet under any object id."""

    temp: str  # the backend's name for the temp file, as `temps()` lists it
    oid: str
    size: int


class StoreBackend(Protocol):
    """Immutable objects named by the hash of their bytes, and the temps that become them."""

    def has(self, oid: str) -> bool:
        """True when the object is stored whole (a write under way does not count)."""
        ...

    def open(self, oid: str) -> ObjectStream:
        """The object's bytes, as a buffered stream the caller closes. Raises FileNotFoundError
        when it is absent. Nothing is verified here: that is the store's to do."""
        ...

    def stage(
        self, source: Readable, *, progress: Progress | None = None, cancel: threading.Event | None = None
    ) -> Written:
        """Copy `source` into a new temp file while hashing it, and make the copy durable.
        On any failure (or `Cancelled`) the temp file is gone before the error propagates, and
        errors of the ground under it (a full disk, a read-only folder) are `WbError`s."""
        ...

    def commit(self, written: Written) -> bool:
        """Move a staged temp under its object id, atomically: readers see the whole object
        or none. Returns False when the object was already stored: the existing one is kept
        and touched (see `touch`), the temp removed. The temp is gone on failure too."""
        ...

    def put(self, oid: str, data: bytes, absent: bool = False) -> bool:
        """Store `data`, which the caller has checked hashes to `oid`, whole or not at all: how
        a transfer writes a small object it holds in memory (on S3 one PUT, with no temp key
        to copy from). Returns False, and touches the object, when it was already stored.
        `absent`: the caller has just listed it as missing, so a remote need not ask again."""
        ...

    def discard(self, temp: str) -> None:
        """Remove a temp file; one already gone is not an error."""
        ...

    def touch(self, oid: str) -> None:
        """Make a stored object young again, so gc's grace period spares it now that something
        is about to refer to it. Raises FileNotFoundError when it is absent."""
        ...

    def list(self, prefix: str = "") -> Iterator[Entry]:
        """Every stored object whose id starts with `prefix`, in no particular order; temps
        are never listed here. An object deleted meanwhile may or may not appear."""
        ...

    def temps(self) -> Iterator[Entry]:
        """Temp files of writes in progress, or left behind by writes that were killed."""
        ...

    def delete(self, oid: str) -> None:
        """Remove a stored object. Raises FileNotFoundError when it is absent."""
        ...
