"""The end of a run's output: live from `.wb/runs/<id>/` while `wb run` tees it there, then
from the `logs/*.log` artifacts it stores when the run ends."""

from __future__ import annotations

import os

from ..storage.backend import ObjectStream
from ..storage.workspace import Workspace
from . import runs

STREAMS = ("stdout", "stderr")
TAIL_BYTES = 16_384  # enough for the last lines of any log, however long the log is


def tail(ws: Workspace, run_id: str, lines: int = 10) -> dict[str, list[str]]:
    """The last `lines` lines of each stream that has output."""
    found: dict[str, list[str]] = {}
    stored = {
        a.path: a.hash for a in runs.get_artifacts(ws.conn, run_id, paths=[f"logs/{s}.log" for s in STREAMS])
    }
    for stream in STREAMS:
        live = ws.wb_dir / "runs" / run_id / f"{stream}.log"
        try:
            with open(live, "rb") as f:
                text = _last_bytes(f)
        except FileNotFoundError:
            oid = stored.get(f"logs/{stream}.log")
            if oid is None:
                continue
            with ws.store.open(oid) as f:
                text = _last_bytes(f)
        if kept := text.decode("utf-8", "replace").splitlines()[-lines:]:
            found[stream] = kept
    return found


def _last_bytes(f: ObjectStream) -> bytes:
    size = f.seek(0, os.SEEK_END)
    f.seek(max(0, size - TAIL_BYTES))
    return f.read()
