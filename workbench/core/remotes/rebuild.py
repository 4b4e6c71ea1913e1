"""`wb fsck --rebuild`: a lost or damaged `.wb/wb.db` made again from the records in the store,
as git's index can be made again from its objects.

The records are indexed into a new database, as a pull indexes a remote's (`sync.index_found`),
and only then does it take the old one's place; the old one is moved aside, never deleted. What
comes back: dataset versions, contracts, ended runs (params, tags, metrics with their history,
inputs, artifacts), model versions, alias history and drift reports; a run `wb runs rm`
removed stays removed (its tombstone is a record too). What was never a record
does not: running runs, dataset aliases, alerts, the watcher's state and the audit log (which
gets an event for each thing restored, alias moves at their own time and by their own user).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import events
from ..storage import db
from ..storage.db import transaction
from ..storage.failures import read_only
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import sync

_SIDE_FILES = ("", "-wal", "-shm")  # a SQLite database and the files beside it
REBUILT = sync.Origin("the store's records", "rebuilt", "restored", "rebuild", {}, original_times=True)


@dataclass(frozen=True)
class Rebuilt:
    """What `wb fsck --rebuild` restored."""

    records: int  # records indexed
    dataset_versions: int
    contracts: int
    runs: int
    model_versions: int
    alias_moves: int
    drift_reports: int
    damaged: tuple[str, ...]  # record objects whose bytes do not match their id: passed over
    moved_aside: str | None  # where the old database went (None when there was none)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "dataset_versions": self.dataset_versions,
            "contracts": self.contracts,
            "runs": self.runs,
            "model_versions": self.model_versions,
            "alias_moves": self.alias_moves,
            "drift_reports": self.drift_reports,
            "damaged": list(self.damaged),
            "moved_aside": self.moved_aside,
        }


def rebuild(ws: Workspace) -> Rebuilt:
    """Make the database again from the store's records and put it in the old one's place."""
    if ws.read_only:
        raise read_only(ws.root)
    ws.close()
    fresh = ws.wb_dir / "wb.db.rebuild"
    _remove(fresh)  # a rebuild that stopped midway left it: start again
    with ws.writing_objects():  # gc waits: it would see no references in the new database
        oids = set(ws.store.oids())
        fresh.touch()
        conn = db.connect(fresh, ws.wb_dir / "migrate.lock")
        try:
            with transaction(conn):
                conn.execute("INSERT INTO workspace_identity (id) VALUES (?)", (_identity(ws),))
            shadow = Workspace(ws.root, _conn=conn)  # the same store and config, the new database
            damaged: list[str] = []
            found = sync.records_among(shadow, oids, ws.objects, "this workspace", damaged)
            with transaction(conn):
                plan, _ = sync.index_found(shadow, conn, found, oids, REBUILT)
                result = Rebuilt(
                    records=len(plan.new_records),
                    dataset_versions=len(plan.versions),
                    contracts=len(plan.contracts),
                    runs=len(plan.runs),
                    model_versions=len(plan.models),
                    alias_moves=len(plan.moves),
                    drift_reports=len(plan.reports),
                    damaged=tuple(sorted(damaged)),
                    moved_aside=None,
                )
                events.record(
                    conn,
                    "workspace.rebuild",
                    f"rebuilt the database from {len(found)} records in the store"
                    + (f" ({len(damaged)} damaged ones passed over)" if damaged else ""),
                    data={k: v for k, v in result.to_dict().items() if isinstance(v, int)},
                )
        finally:
            conn.close()
        aside = _move_aside(ws.db_path)
        os.replace(fresh, ws.db_path)
    return replace(result, moved_aside=aside)


def _identity(ws: Workspace) -> str:
    """The workspace's id, as kept beside the database (a new one if that is lost too)."""
    if ws.id_path.exists():
        return ws.id_path.read_text(encoding="utf-8").strip()
    made = uuid.uuid4().hex
    ws.id_path.write_text(made + "\n", encoding="utf-8")
    return made


def _move_aside(path: Path) -> str | None:
    """Move the old database (and its WAL) to `wb.db.damaged-TIME`; where it went."""
    if not path.exists():
        _remove(path)
        return None
    stamp = now_iso().replace(":", "").replace("-", "")[:15]
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in _SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, f"{target}{suffix}")
    return str(target)


def _remove(path: Path) -> None:
    for suffix in _SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)
