"""Alerts: things a person should look at (a drifted drop, a bad file), open until acked."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from .. import events
from ..errors import NotFound
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso


def raise_alert(conn: sqlite3.Connection, kind: str, message: str, subject: str | None = None) -> int:
    """Record an alert (and its event) inside the caller's transaction; returns its id."""
    cursor = conn.execute(
        "INSERT INTO alerts (created_at, kind, subject, message) VALUES (?, ?, ?, ?)",
        (now_iso(), kind, subject, message),
    )
    alert_id = cursor.lastrowid
    assert alert_id is not None  # an INSERT always sets it
    events.record(conn, f"alert.{kind}", message, subject=subject, data={"alert": alert_id})
    return alert_id


@dataclass(frozen=True)
class Alert:
    """Something a person should look at, open until acknowledged."""

    id: int
    kind: str  # drift, performance, retrain, or what the watcher met (bad_file, ...)
    subject: str | None  # what it is about: a report id, a dataset version, a model
    message: str
    created_at: str
    acked: bool

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb alerts list --json` item."""
        return {
            "id": self.id,
            "kind": self.kind,
            "message": self.message,
            "created_at": self.created_at,
            "acked": self.acked,
        }


_SELECT = "SELECT id, kind, subject, message, created_at, acked_at FROM alerts"


def list_alerts(ws: Workspace, open_only: bool = False) -> list[Alert]:
    """Alerts, newest first."""
    rows = ws.conn.execute(
        _SELECT + (" WHERE acked_at IS NULL" if open_only else "") + " ORDER BY id DESC"
    ).fetchall()
    return [_alert(r) for r in rows]


def get(ws: Workspace, alert_id: int) -> Alert | None:
    row = ws.conn.execute(_SELECT + " WHERE id = ?", (alert_id,)).fetchone()
    return None if row is None else _alert(row)


def _alert(r: sqlite3.Row) -> Alert:
    return Alert(r["id"], r["kind"], r["subject"], r["message"], r["created_at"], r["acked_at"] is not None)


def ack(ws: Workspace, alert_id: int) -> bool:
    """Acknowledge an alert; False if it already was."""
    with transaction(ws.conn) as conn:
        row = conn.execute("SELECT acked_at FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if row is None:
            raise NotFound(f"no alert {alert_id}; `wb alerts list` shows them")
        if row["acked_at"] is not None:
            return False
        conn.execute("UPDATE alerts SET acked_at = ? WHERE id = ?", (now_iso(), alert_id))
        events.record(conn, "alert.ack", f"acknowledged alert {alert_id}", subject=str(alert_id))
    return True


def open_count(ws: Workspace) -> int:
    return ws.conn.execute("SELECT COUNT(*) FROM alerts WHERE acked_at IS NULL").fetchone()[0]
