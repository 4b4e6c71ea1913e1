"""The append-only audit log: every change of state is also an event."""

from __future__ import annotations

import getpass
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from .names import bounded
from .timeutil import now_iso


@dataclass(frozen=True)
class Event:
    id: int
    created_at: str
    kind: str
    subject: str | None
    message: str
    data: dict[str, Any]
    user: str | None  # the OS user whose wb did it (None for events older than schema 10)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
            "data": self.data,
            "user": self.user,
        }


def record(
    conn: sqlite3.Connection,
    kind: str,
    message: str,
    *,
    subject: str | None = None,
    data: dict[str, Any] | None = None,
    at: str | None = None,
    user: str | None = None,
) -> None:
    """Append an event. Call inside the transaction that makes the change it records; `at` and
    `user` are for an event restored from a record (`wb fsck --rebuild`): now and this user
    when not given."""
    conn.execute(
        "INSERT INTO events (created_at, kind, subject, message, data, user) VALUES (?, ?, ?, ?, ?, ?)",
        (at or now_iso(), kind, subject, message, json.dumps(data or {}, sort_keys=True), user or os_user()),
    )


def os_user() -> str:
    """Who is doing this, as the operating system says (for the audit log and alias moves)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid with no name (a container), no USER variable
        return "unknown"


def recent(conn: sqlite3.Connection, limit: int = 50, offset: int = 0) -> list[Event]:
    """The newest `limit` events after skipping `offset`, newest first."""
    rows = conn.execute(
        _SELECT + " ORDER BY id DESC LIMIT ? OFFSET ?", (bounded(limit), bounded(offset))
    ).fetchall()
    return [_event(r) for r in rows]


def by_id(conn: sqlite3.Connection, event_id: int) -> Event | None:
    row = conn.execute(_SELECT + " WHERE id = ?", (event_id,)).fetchone()
    return None if row is None else _event(row)


_SELECT = "SELECT id, created_at, kind, subject, message, data, user FROM events"


def _event(r: sqlite3.Row) -> Event:
    return Event(
        r["id"], r["created_at"], r["kind"], r["subject"], r["message"], json.loads(r["data"]), r["user"]
    )


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM events").fetchone()[0]
