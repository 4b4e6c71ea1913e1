"""Records as objects: each committed record (a dataset version, a contract, a model version, an
alias move, an ended run, a drift report) is also a canonical JSON object in the
content-addressed store, and the `records` table is the index over them.

A record's bytes are `{"_record": FORMAT, "created_at", "data": {...}, "key", "kind"}` with
sorted keys, no spaces, UTF-8: the same record is the same object everywhere, and `_record`
sorting first lets a record be told from a data file by its first bytes. A record that points at
other objects (a run's columnar metric history and artifacts, a drift report's JSON) lists them
as `parts`, indexed in `record_parts`: gc keeps them, push sends them before the record. Push
and pull move these objects and then index them; what each kind means is its owner's (datasets,
contracts, the model registry, runs, drift reports), not this module's.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput
from ..timeutil import now_iso
from . import hashing
from .store import ObjectStore

FORMAT = 1  # the record format this wb writes and reads; a higher one is from a newer wb
MAGIC = b'{"_record":'
DATASET_VERSION = "dataset_version"
CONTRACT = "contract"
MODEL_VERSION = "model_version"
ALIAS_EVENT = "alias_event"
RUN = "run"
RUN_REMOVED = "run_removed"  # `wb runs rm`: the run is not to come back from a store or a remote
DRIFT_REPORT = "drift_report"
# The kinds this wb reads.
KINDS = (DATASET_VERSION, CONTRACT, MODEL_VERSION, ALIAS_EVENT, RUN, RUN_REMOVED, DRIFT_REPORT)


@dataclass(frozen=True)
class Record:
    """One committed record, as it is kept in the store."""

    kind: str  # what it records: one of KINDS
    key: str  # what it is about, for the index: `name@hash` of a version, a contract's dataset
    data: dict[str, Any]  # the record itself, as its owner writes it
    created_at: str  # when the thing it records was committed
    parts: tuple[str, ...] = ()  # the other objects it points at (kept while it is)

    def encode(self) -> bytes:
        envelope: dict[str, Any] = {
            "_record": FORMAT,
            "kind": self.kind,
            "key": self.key,
            "created_at": self.created_at,
            "data": self.data,
        }
        if self.parts:  # absent when none: the records made before parts keep their ids
            envelope["parts"] = sorted(self.parts)
        return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @property
    def oid(self) -> str:
        return hashing.hash_bytes(self.encode())


def decode(data: bytes) -> Record | None:
    """The record these bytes hold, or None when they are not a record (a data file). A record
    from a newer wb is refused in one sentence."""
    if not data.startswith(MAGIC):
        return None
    try:
        envelope = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("_record"), int):
        return None
    if envelope["_record"] > FORMAT:
        raise InvalidInput(
            f"a record in format {envelope['_record']} comes from a newer wb (this one reads "
            f"format {FORMAT}); upgrade wb to use it"
        )
    kind, key, body, created_at = (envelope.get(k) for k in ("kind", "key", "data", "created_at"))
    parts = envelope.get("parts", [])
    if not (isinstance(kind, str) and isinstance(key, str) and isinstance(body, dict)):
        return None
    if not (isinstance(parts, list) and all(isinstance(p, str) for p in parts)):
        return None
    return Record(kind, key, body, str(created_at), tuple(parts))


def is_record(head: bytes) -> bool:
    """Whether an object whose first bytes are `head` may be a record."""
    return head.startswith(MAGIC)


def write(store: ObjectStore, conn: sqlite3.Connection, record: Record) -> str:
    """Store the record's object and index it in the caller's transaction; returns its id. The
    object goes first: a transaction that rolls back leaves only an unreferenced object for gc."""
    oid, _ = store.put_bytes(record.encode())
    index(conn, [(oid, record)])
    return oid


def index(conn: sqlite3.Connection, found: Iterable[tuple[str, Record]]) -> None:
    """Index records whose objects are stored, in the caller's transaction (again: a no-op)."""
    now = now_iso()
    found = list(found)
    conn.executemany(
        "INSERT OR IGNORE INTO records (oid, kind, key, created_at, indexed_at) VALUES (?, ?, ?, ?, ?)",
        [(oid, r.kind, r.key, r.created_at, now) for oid, r in found],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO record_parts (oid, part) VALUES (?, ?)",
        [(oid, part) for oid, r in found for part in r.parts],
    )


def named_since(conn: sqlite3.Connection, at: str) -> set[str]:
    """The records this workspace indexed after `at`, and the objects they name: their parts,
    and the bytes a dataset or model version's key names (`name@hash`)."""
    rows = conn.execute(
        "SELECT oid FROM records WHERE indexed_at > ?1 "
        "UNION SELECT p.part FROM record_parts p JOIN records r ON r.oid = p.oid WHERE r.indexed_at > ?1 "
        "UNION SELECT substr(key, instr(key, '@') + 1) FROM records "
        "WHERE indexed_at > ?1 AND kind IN (?2, ?3)",
        (at, DATASET_VERSION, MODEL_VERSION),
    )
    return {row[0] for row in rows}


def keys(conn: sqlite3.Connection, kind: str) -> set[str]:
    """The keys of the records of `kind` this workspace indexes."""
    return {row[0] for row in conn.execute("SELECT key FROM records WHERE kind = ?", (kind,))}


def forget(conn: sqlite3.Connection, kind: str, key: str) -> None:
    """Stop indexing the records of `kind` about `key`, in the caller's transaction: their
    objects (and parts) are then gc's to sweep."""
    about = "SELECT oid FROM records WHERE kind = ? AND key = ?"
    conn.execute(f"DELETE FROM record_parts WHERE oid IN ({about})", (kind, key))
    conn.execute("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))


def indexed(conn: sqlite3.Connection) -> set[str]:
    """The ids of every record this workspace indexes."""
    return {row[0] for row in conn.execute("SELECT oid FROM records")}


@dataclass(frozen=True)
class Indexed:
    """A record as the index holds it."""

    oid: str
    key: str
    created_at: str  # when the thing it records was committed (on whichever side)
    indexed_at: str  # when this workspace first had it


def of_kind(conn: sqlite3.Connection, kind: str) -> list[Indexed]:
    """Every indexed record of `kind`, oldest first."""
    rows = conn.execute(
        "SELECT oid, key, created_at, indexed_at FROM records WHERE kind = ? ORDER BY created_at, oid",
        (kind,),
    )
    return [Indexed(*row) for row in rows]


def indexed_at(conn: sqlite3.Connection, oid: str) -> str | None:
    """When this workspace first had the record `oid`; None when it has not."""
    row = conn.execute("SELECT indexed_at FROM records WHERE oid = ?", (oid,)).fetchone()
    return None if row is None else str(row[0])
