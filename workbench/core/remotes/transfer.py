"""Copy the objects one side lacks to the other: what push and pull move.

What the destination has is learnt from listings by prefix, never from one request per object.
Copies run in a bounded thread pool; each object is hashed on its way in and refused, by name,
when its bytes are not the ones its id promises (tampered with, or cut short). An object is
either whole under its id or absent, so a transfer that stops midway is resumed by running it
again: it copies only what is still missing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ..errors import IntegrityError, NotFound
from ..names import short_id
from ..storage import hashing
from ..storage.backend import Cancelled, ObjectStream, Progress, StoreBackend

# Objects up to this size are read whole into memory, verified, and written in one request (on
# S3 one PUT instead of a PUT to a temp key, a copy and a delete); larger ones stream.
SMALL = hashing.CHUNK
WORKERS = 8  # copies in flight: enough to hide a server's latency, few enough to be polite
# Up to this many fans (the first two hex digits) are listed one by one; more, and one listing
# of everything costs fewer requests than that many listings.
FAN_LISTINGS = 16


@dataclass(frozen=True)
class Transfer:
    """What a transfer did."""

    objects: int  # objects copied
    bytes: int  # bytes copied
    skipped: int  # objects the destination already had

    def to_dict(self) -> dict[str, Any]:
        return {"objects": self.objects, "bytes": self.bytes, "skipped": self.skipped}


def present(backend: StoreBackend, oids: set[str]) -> set[str]:
    """Which of `oids` `backend` stores, from listings by prefix."""
    fans = {oid[:2] for oid in oids}
    prefixes = sorted(fans) if len(fans) <= FAN_LISTINGS else [""]
    return {entry.name for prefix in prefixes for entry in backend.list(prefix)} & oids


def copy_missing(
    source: StoreBackend,
    dest: StoreBackend,
    oids: Iterable[str],
    *,
    source_name: str = "the source",
    workers: int = WORKERS,
    progress: Progress | None = None,
    at_dest: set[str] | None = None,
) -> Transfer:
    """Copy to `dest` each of `oids` it lacks, verified against its id. A damaged object is an
    `IntegrityError` naming it (and `source_name`); the objects copied before it stay, whole.
    `progress` is called with byte counts, from the pool's threads. `at_dest` is what `dest`
    holds, when the caller has listed it already."""
    wanted = set(oids)
    missing = sorted(wanted - (present(dest, wanted) if at_dest is None else at_dest))
    cancel = threading.Event()

    def opened(oid: str) -> ObjectStream:
        try:
            return source.open(oid)
        except FileNotFoundError:
            raise NotFound(f"object {short_id(oid)} is missing from {source_name}") from None

    def refuse(oid: str, size: int, actual: str) -> IntegrityError:
        return IntegrityError(
            f"object {short_id(oid)} in {source_name} is damaged (its {size} bytes hash to "
            f"{short_id(actual)}): refused, nothing was written for it"
        )

    def copy(oid: str) -> int:
        with opened(oid) as stream:
            data = stream.read(SMALL + 1)
        if len(data) <= SMALL:  # the whole object, held in memory: one write
            if (actual := hashing.hash_bytes(data)) != oid:
                raise refuse(oid, len(data), actual)
            if cancel.is_set():
                raise Cancelled
            dest.put(oid, data, absent=True)  # `missing` comes from a listing
            if progress is not None:
                progress(len(data))
            return len(data)
        with opened(oid) as stream:  # a large one streams, from the start, through a temp
            written = dest.stage(stream, progress=progress, cancel=cancel)
        if written.oid != oid:
            dest.discard(written.temp)
            raise refuse(oid, written.size, written.oid)
        dest.commit(written)
        return written.size

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="wb-transfer") as pool:
        futures = [pool.submit(copy, oid) for oid in missing]
        wait(futures, return_when=FIRST_EXCEPTION)
        errors = [e for f in futures if f.done() and (e := f.exception()) is not None]
        if errors:
            cancel.set()  # copies under way stop at their next chunk, those not begun never start
            for future in futures:
                future.cancel()
            raise errors[0]
    return Transfer(len(missing), sum(f.result() for f in futures), len(wanted) - len(missing))
