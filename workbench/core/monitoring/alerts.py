"""Alerts: things a person should look at (a drifted drop, a bad file), open until acked, and
sent on to `[alerts]` command and file by `alert_delivery` when the config names them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .. import events
from ..errors import NotFound
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso

SEVERITIES = ("info", "warning", "critical")
# A model that predicts worse is what a team must act on now; the rest need a look.
_SEVERITY_OF_KIND = {"performance": "critical", "test": "info"}

# Where an alert's delivery stands (None: it had nowhere to go when raised).
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class AlertLink:
    """What an alert is about, so that a script receiving it can act (`wb drift show REPORT`,
    `wb model show MODEL`, `wb rollout status ROLLOUT`); None where it is about no such thing."""

    report: str | None = None  # a drift report's id
    dataset: str | None = None  # a dataset version's ref, or a dataset's name
    model: str | None = None  # a model's name or ref
    run: str | None = None  # the run of the model that scored a report's data
    rollout: str | None = None  # a rollout's name

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AlertLink:
        return cls(**{f.name: d.get(f.name) for f in fields(cls)})


def severity_of(kind: str) -> str:
    return _SEVERITY_OF_KIND.get(kind, "warning")


def raise_alert(
    conn: sqlite3.Connection,
    kind: str,
    message: str,
    subject: str | None = None,
    *,
    severity: str | None = None,
    link: AlertLink | None = None,
) -> int:
    """Record an alert (and its event) inside the caller's transaction; returns its id. When
    the workspace's config names a command or file, a detached process delivers it once the
    transaction has committed: the caller never waits for a slow or failing receiver."""
    from . import alert_delivery

    root = alert_delivery.workspace_root(conn)
    deliver = root is not None and alert_delivery.settings(root).configured
    cursor = conn.execute(
        "INSERT INTO alerts (created_at, kind, subject, message, severity, link, delivery) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            now_iso(),
            kind,
            subject,
            message,
            severity or severity_of(kind),
            json.dumps((link or AlertLink()).to_dict(), sort_keys=True),
            PENDING if deliver else None,
        ),
    )
    alert_id = cursor.lastrowid
    assert alert_id is not None  # an INSERT always sets it
    events.record(conn, f"alert.{kind}", message, subject=subject, data={"alert": alert_id})
    if deliver and root is not None:
        alert_delivery.start(root, alert_id)
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
    severity: str = "warning"  # one of SEVERITIES
    link: AlertLink = AlertLink()
    delivery: str | None = None  # PENDING, DELIVERED, FAILED; None: nowhere to send it

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb alerts list --json` item, plus subject, severity, link and delivery;
        also what `[alerts]` command and file receive (with `document`'s additions)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "message": self.message,
            "created_at": self.created_at,
            "acked": self.acked,
            "subject": self.subject,
            "severity": self.severity,
            "link": self.link.to_dict(),
            "delivery": self.delivery,
        }

    def document(self, root: Path, test: bool = False) -> dict[str, Any]:
        """The JSON a receiver gets: the alert, the workspace it is in (for `wb -w`), and
        whether it is only `wb alerts test`'s sample."""
        out = self.to_dict()
        del out["delivery"]  # always pending while it is being sent
        return {**out, "workspace": str(root), "test": test}


_SELECT = "SELECT id, kind, subject, message, created_at, acked_at, severity, link, delivery FROM alerts"


def list_alerts(ws: Workspace, open_only: bool = False) -> list[Alert]:
    """Alerts, newest first."""
    rows = ws.conn.execute(
        _SELECT + (" WHERE acked_at IS NULL" if open_only else "") + " ORDER BY id DESC"
    ).fetchall()
    return [_alert(r) for r in rows]


def get(ws: Workspace, alert_id: int) -> Alert | None:
    row = ws.conn.execute(_SELECT + " WHERE id = ?", (alert_id,)).fetchone()
    return None if row is None else _alert(row)


def next_pending(ws: Workspace) -> Alert | None:
    """The oldest alert still waiting to be delivered."""
    row = ws.conn.execute(_SELECT + " WHERE delivery = ? ORDER BY id LIMIT 1", (PENDING,)).fetchone()
    return None if row is None else _alert(row)


def settle(ws: Workspace, alert_id: int, delivered: bool, message: str, data: dict[str, Any]) -> None:
    """Record how an alert's delivery went, with its event (alert.delivered or
    alert.undelivered, whose data says what each channel did)."""
    with transaction(ws.conn) as conn:
        conn.execute(
            "UPDATE alerts SET delivery = ? WHERE id = ?", (DELIVERED if delivered else FAILED, alert_id)
        )
        kind = "alert.delivered" if delivered else "alert.undelivered"
        events.record(conn, kind, message, subject=str(alert_id), data={"alert": alert_id, **data})


def _alert(r: sqlite3.Row) -> Alert:
    return Alert(
        r["id"],
        r["kind"],
        r["subject"],
        r["message"],
        r["created_at"],
        r["acked_at"] is not None,
        r["severity"],
        AlertLink.from_dict(json.loads(r["link"])),
        r["delivery"],
    )


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


def unack(ws: Workspace, alert_id: int) -> bool:
    """Open an acknowledged alert again (acked by mistake, or back to look at); False if it
    was open. The TUI's `u`; SPEC gives the CLI no such command."""
    with transaction(ws.conn) as conn:
        row = conn.execute("SELECT acked_at FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if row is None:
            raise NotFound(f"no alert {alert_id}; `wb alerts list` shows them")
        if row["acked_at"] is None:
            return False
        conn.execute("UPDATE alerts SET acked_at = NULL WHERE id = ?", (alert_id,))
        events.record(conn, "alert.unack", f"opened alert {alert_id} again", subject=str(alert_id))
    return True


def open_count(ws: Workspace) -> int:
    return ws.conn.execute("SELECT COUNT(*) FROM alerts WHERE acked_at IS NULL").fetchone()[0]
