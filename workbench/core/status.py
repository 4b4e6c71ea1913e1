"""`wb status`: what the workspace holds, at a glance. Cheap queries only: it must stay fast."""

from __future__ import annotations

import socket
import time
from typing import Any

from .storage.workspace import Workspace


def summary(ws: Workspace) -> dict[str, Any]:
    conn = ws.conn
    count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    last = conn.execute("SELECT created_at, message FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return {
        "workspace": str(ws.root),
        "datasets": count("SELECT COUNT(*) FROM datasets"),
        "dataset_versions": count("SELECT COUNT(*) FROM dataset_versions"),
        "experiments": count("SELECT COUNT(*) FROM experiments"),
        "runs": count("SELECT COUNT(*) FROM runs"),
        "runs_running": count("SELECT COUNT(*) FROM runs WHERE status = 'running'"),
        "drift_reports": count("SELECT COUNT(*) FROM drift_reports"),
        "open_alerts": count("SELECT COUNT(*) FROM alerts WHERE acked_at IS NULL"),
        "events": count("SELECT COUNT(*) FROM events"),
        "last_event": dict(last) if last else None,
        "models": count("SELECT COUNT(*) FROM models"),
        "production": dict(
            conn.execute(
                "SELECT m.name, a.version FROM aliases a JOIN models m ON m.id = a.model_id "
                "WHERE a.alias = 'production' ORDER BY m.name"
            ).fetchall()
        ),
        "watchers": watchers(ws),
    }


def watchers(ws: Workspace, stale_after_s: float = 30.0) -> list[dict]:
    """`wb watch` processes running now (heartbeat fresh, not stopped)."""
    from .experiments.runs import pid_alive

    rows = ws.conn.execute(
        "SELECT dir, dataset, host, pid, started_at FROM watchers WHERE "
        "stopped_at IS NULL AND heartbeat_at > ?",
        (time.time() - stale_after_s,),
    ).fetchall()
    here = socket.gethostname()
    # A watcher killed with -9 leaves a fresh heartbeat for up to `stale_after_s`: on this
    # machine its pid tells at once.
    return [
        {k: r[k] for k in ("dir", "dataset", "pid", "started_at")}
        for r in rows
        if r["host"] != here or pid_alive(r["pid"])
    ]


class ChangeCounter:
    """Tells whether any other connection has committed since the last look, by SQLite's
    `PRAGMA data_version`: a cheap poll for live views, instead of re-querying everything."""

    def __init__(self, ws: Workspace):
        self._conn = ws.conn  # this connection's counter only moves for other connections
        self._last: int | None = None  # the first look reports a change: load once

    def _version(self) -> int:
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        now = self._version()
        moved, self._last = now != self._last, now
        return moved
