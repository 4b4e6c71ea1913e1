"""`wb status`: what the workspace holds, at a glance. Cheap queries only: it must stay fast."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any

from .storage.workspace import Workspace


@dataclass(frozen=True)
class RunningWatcher:
    """A `wb watch` process running now (named apart from monitoring's `Watcher`, the loop
    such a process runs)."""

    dir: str  # the folder it watches
    dataset: str  # the dataset each drop is added to
    pid: int
    started_at: str

    def to_dict(self) -> dict[str, Any]:
        return {"dir": self.dir, "dataset": self.dataset, "pid": self.pid, "started_at": self.started_at}


@dataclass(frozen=True)
class LastEvent:
    """The newest entry of the audit log, as `wb status` names it."""

    created_at: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"created_at": self.created_at, "message": self.message}


@dataclass(frozen=True)
class StatusSummary:
    """`wb status`: what the workspace holds, by count, and what is going on in it."""

    workspace: str  # its root folder
    datasets: int
    dataset_versions: int
    experiments: int
    runs: int
    runs_running: int
    drift_reports: int
    open_alerts: int  # not yet acknowledged
    events: int
    last_event: LastEvent | None  # None: nothing has happened yet
    models: int
    production: dict[str, int]  # model -> the version its production alias points at
    watchers: tuple[RunningWatcher, ...]

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb status --json`."""
        return {
            "workspace": self.workspace,
            "datasets": self.datasets,
            "dataset_versions": self.dataset_versions,
            "experiments": self.experiments,
            "runs": self.runs,
            "runs_running": self.runs_running,
            "drift_reports": self.drift_reports,
            "open_alerts": self.open_alerts,
            "events": self.events,
            "last_event": self.last_event and self.last_event.to_dict(),
            "models": self.models,
            "production": self.production,
            "watchers": [w.to_dict() for w in self.watchers],
        }


def summary(ws: Workspace) -> StatusSummary:
    conn = ws.conn

    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    last = conn.execute("SELECT created_at, message FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return StatusSummary(
        workspace=str(ws.root),
        datasets=count("SELECT COUNT(*) FROM datasets"),
        dataset_versions=count("SELECT COUNT(*) FROM dataset_versions"),
        experiments=count("SELECT COUNT(*) FROM experiments"),
        runs=count("SELECT COUNT(*) FROM runs"),
        runs_running=count("SELECT COUNT(*) FROM runs WHERE status = 'running'"),
        drift_reports=count("SELECT COUNT(*) FROM drift_reports"),
        open_alerts=count("SELECT COUNT(*) FROM alerts WHERE acked_at IS NULL"),
        events=count("SELECT COUNT(*) FROM events"),
        last_event=LastEvent(last["created_at"], last["message"]) if last else None,
        models=count("SELECT COUNT(*) FROM models"),
        production=dict(
            conn.execute(
                "SELECT m.name, a.version FROM aliases a JOIN models m ON m.id = a.model_id "
                "WHERE a.alias = 'production' ORDER BY m.name"
            ).fetchall()
        ),
        watchers=tuple(watchers(ws)),
    )


def watchers(ws: Workspace, stale_after_s: float = 30.0) -> list[RunningWatcher]:
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
        RunningWatcher(r["dir"], r["dataset"], r["pid"], r["started_at"])
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
