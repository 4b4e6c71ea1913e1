"""Alerts: things a person should look at (a drifted drop, a bad file), open until acked."""

from __future__ import annotations

import sqlite3
from typing import Any

from .. import events
from ..errors import NotFound
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso


def raise_alert(conn: sqlite3.Connection, kind: str, message: str,
                subject: str | None = None) -> int:
    """Record an alert (and its event) inside the caller's transaction; returns its id."""
    cursor = conn.execute("INSERT INTO alerts (created_at, kind, subject, message) "
                          "VALUES (?, ?, ?, ?)", (now_iso(), kind, subject, message))
    events.record(conn, f"alert.{kind}", message, subject=subject,
                  data={"alert": cursor.lastrowid})
    return cursor.lastrowid


_SELECT = "SELECT id, kind, subject, message, created_at, acked_at FROM alerts"


def list_alerts(ws: Workspace, open_only: bool = False) -> list[dict[str, Any]]:
    rows = ws.conn.execute(_SELECT + (" WHERE acked_at IS NULL" if open_only else "")
                           + " ORDER BY id DESC").fetchall()
    return [_alert(r) for r in rows]


def get(ws: Workspace, alert_id: int) -> dict[str, Any] | None:
    row = ws.conn.execute(_SELECT + " WHERE id = ?", (alert_id,)).fetchone()
    return None if row is None else _alert(row)


def _alert(r: Any) -> dict[str, Any]:
    return {"id": r["id"], "kind": r["kind"], "subject": r["subject"], "message": r["message"],
            "created_at": r["created_at"], "acked": r["acked_at"] is not None}


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
