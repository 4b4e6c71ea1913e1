"""Keeping the store honest: `fsck` re-hashes every object and checks every reference; `gc`
deletes what nothing refers to (mark and sweep, under the gc lock, sparing young objects)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from .. import events
from ..errors import WbError
from ..names import plural
from .db import transaction
from .failures import read_only
from .locks import file_lock
from .workspace import Workspace

# Every place the database names an object: SQL giving (object id, what refers to it).
# A table that stores object ids must add its query here, or gc will delete its objects.
REFERENCE_QUERIES: list[str] = [
    """SELECT v.hash, d.name || '@' || v.version
       FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id""",
    """SELECT a.hash, 'run ' || r.name || ': ' || a.path
       FROM artifacts a JOIN runs r ON r.id = a.run_id""",
    "SELECT hash, 'drift report ' || id FROM drift_reports",
    """SELECT v.artifact_hash, 'model ' || m.name || '@' || v.version
       FROM model_versions v JOIN models m ON m.id = v.model_id""",
    "SELECT oid, kind || ' record ' || key FROM records",
    """SELECT b.oid, 'rollout ' || r.name || ' ' || b.kind || ' ' || b.id
       FROM rollout_batches b JOIN rollouts r ON r.id = b.rollout_id""",
    """SELECT p.part, r.kind || ' record ' || r.key
       FROM record_parts p JOIN records r ON r.oid = p.oid""",
]


def references(ws: Workspace) -> dict[str, list[str]]:
    """Object id -> the things that refer to it."""
    refs: dict[str, list[str]] = {}
    for query in REFERENCE_QUERIES:
        for oid, owner in ws.conn.execute(query):
            refs.setdefault(oid, []).append(owner)
    return refs


@dataclass
class FsckReport:
    objects: int = 0
    missing: list[dict[str, Any]] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    database_errors: list[str] = field(default_factory=list)
    temp_files: int = 0
    stale_temp_files: list[str] = field(default_factory=list)
    unreferenced: int | None = None  # None when the database could not say

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt or self.database_errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "objects": self.objects,
            "missing": self.missing,
            "corrupt": self.corrupt,
            "database_errors": self.database_errors,
            "temp_files": self.temp_files,
            "stale_temp_files": self.stale_temp_files,
            "unreferenced": self.unreferenced,
        }


def _check_database(ws: Workspace) -> tuple[list[str], dict[str, list[str]] | None]:
    """(what is wrong with the database, the references it holds or None if it cannot say).
    A damaged database is fsck's to report, never to crash on."""
    try:
        check = [r[0] for r in ws.conn.execute("PRAGMA quick_check")]
        if check != ["ok"]:
            return check, None
        return [], references(ws)
    except WbError as exc:
        return [str(exc)], None
    except sqlite3.DatabaseError as exc:
        return [f"{ws.db_path}: {exc}"], None


def fsck(ws: Workspace, progress: Callable[[int, int], None] | None = None) -> FsckReport:
    """Re-hash every object (mode bits prove nothing) and look for every referenced one."""
    report = FsckReport()
    report.database_errors, refs = _check_database(ws)
    oids = list(ws.store.oids())
    report.objects = len(oids)
    for i, oid in enumerate(oids, 1):
        if not ws.store.verify(oid):
            report.corrupt.append(oid)
        if progress:
            progress(i, len(oids))
    present = set(oids)
    if refs is not None:
        for oid, owners in sorted(refs.items()):
            if oid not in present:
                report.missing.append({"hash": oid, "referenced_by": owners})
        report.unreferenced = len(present - refs.keys())
    report.temp_files = len(ws.store.temp_files())
    # A local temp's name is its path: shown from the workspace's root, as a user would look.
    report.stale_temp_files = sorted(os.path.relpath(t.name, ws.root) for t in ws.store.stale_temp_files())
    return report


@dataclass
class GcReport:
    dry_run: bool
    deleted: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    spared_young: int = 0
    temp_files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "deleted": self.deleted,
            "bytes": self.bytes_freed,
            "spared_young": self.spared_young,
            "temp_files": self.temp_files,
        }


def gc(ws: Workspace, dry_run: bool = False, grace_hours: float | None = None) -> GcReport:
    """Delete unreferenced objects older than the grace period, and orphaned temp files."""
    if grace_hours is None:
        grace_hours = ws.config.store.gc_grace_hours
    cutoff = time.time() - grace_hours * 3600
    report = GcReport(dry_run=dry_run)
    if not dry_run and ws.read_only:
        raise read_only(ws.root)
    # Writers hold this lock shared from their first staged byte to their commit, so while we
    # hold it every temp file is an orphan and the references cannot gain a new object.
    # A read-only workspace has no writers to wait for (and no lock file to take).
    with nullcontext() if ws.read_only else file_lock(ws.gc_lock_path):
        live = references(ws)
        for entry in ws.store.backend.list():
            if entry.name in live:
                continue
            if entry.mtime > cutoff:
                report.spared_young += 1
                continue
            report.deleted.append(entry.name)
            report.bytes_freed += entry.size
            if not dry_run:
                ws.store.delete(entry.name)
        orphans = ws.store.temp_files()
        report.temp_files = len(orphans)
        if not dry_run:
            for tmp in orphans:
                ws.store.backend.discard(tmp.name)
            if report.deleted or orphans:
                with transaction(ws.conn) as conn:
                    events.record(
                        conn,
                        "store.gc",
                        f"gc deleted {plural(len(report.deleted), 'object')} ({report.bytes_freed} bytes)",
                        data={"deleted": len(report.deleted), "bytes": report.bytes_freed},
                    )
    return report
