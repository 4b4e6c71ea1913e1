"""A stored drift report as a record object: what travels to a remote and what `wb fsck
--rebuild` lists again. The record holds what `wb drift list` shows; the report's own JSON
object (what `wb drift show` reads) is its part."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..storage import records


def insert(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """A `drift_reports` row (id, created_at, reference, current, dataset_drift, drift_share,
    drifted, hash), in the caller's transaction."""
    conn.execute(
        "INSERT INTO drift_reports (id, created_at, reference, current, dataset_drift, "
        "drift_share, drifted, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row["id"],
            row["created_at"],
            row["reference"],
            row["current"],
            row["dataset_drift"],
            row["drift_share"],
            json.dumps(row["drifted"]),
            row["hash"],
        ),
    )


def record_of(row: dict[str, Any]) -> records.Record:
    """The report's row as a record, its JSON object as its part."""
    return records.Record(records.DRIFT_REPORT, row["id"], row, row["created_at"], (row["hash"],))


def unrecorded(conn: sqlite3.Connection) -> list[records.Record]:
    """Records for the reports no record stands for (stored before records), oldest first."""
    rows = conn.execute(
        "SELECT id, created_at, reference, current, dataset_drift, drift_share, drifted, hash "
        "FROM drift_reports WHERE id NOT IN (SELECT key FROM records WHERE kind = ?) ORDER BY created_at",
        (records.DRIFT_REPORT,),
    ).fetchall()
    return [
        record_of({**dict(r), "dataset_drift": bool(r["dataset_drift"]), "drifted": json.loads(r["drifted"])})
        for r in rows
    ]


def exists(conn: sqlite3.Connection, report_id: str) -> bool:
    return conn.execute("SELECT 1 FROM drift_reports WHERE id = ?", (report_id,)).fetchone() is not None
