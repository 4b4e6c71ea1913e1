"""The append-only audit log: every change of state is also an event."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from .timeutil import now_iso


@dataclass(frozen=True)
class Event:
    id: int
    created_at: str
    kind: str
    subject: str | None
    message: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "created_at": self.created_at, "kind": self.kind,
            "subject": self.subject, "message": self.message, "data": self.data,
        }


def record(conn: sqlite3.Connection, kind: str, message: str, *, subject: str | None = None,
           data: dict[str, Any] | None = None) -> None:
    """Append an event. Call inside the transaction that makes the change it records."""
    conn.execute(
        "INSERT INTO events (created_at, kind, subject, message, data) VALUES (?, ?, ?, ?, ?)",
        (now_iso(), kind, subject, message, json.dumps(data or {}, sort_keys=True)),
    )


def recent(conn: sqlite3.Connection, limit: int = 50) -> list[Event]:
    """The newest `limit` events, newest first."""
    rows = conn.execute(
        "SELECT id, created_at, kind, subject, message, data FROM events ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [Event(r["id"], r["created_at"], r["kind"], r["subject"], r["message"],
                  json.loads(r["data"])) for r in rows]
