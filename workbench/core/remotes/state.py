"""Where this workspace stood against a remote at its last push or pull, kept in
`.wb/remotes.json` so that a glance (the TUI's status line) needs no network call.

A push leaves the remote with every record here (nothing to push) and says how many objects the
remote holds that this workspace lacks (to pull); a pull leaves nothing to pull and says how many
records here the remote lacks. Records made here since then count as still to push.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from typing import Any

from ..errors import WbError
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import settings
from .settings import Remote

STATE_FILE = "remotes.json"


@dataclass(frozen=True)
class SyncState:
    """This workspace against a remote, as of its last push or pull."""

    remote: str
    at: str  # when that push or pull ended
    to_push: int  # records here the remote lacks: then, and made since
    to_pull: int  # objects the remote held that this workspace lacked, then

    def to_dict(self) -> dict[str, Any]:
        return {"remote": self.remote, "at": self.at, "to_push": self.to_push, "to_pull": self.to_pull}


def save(
    ws: Workspace, remote: Remote, to_push: int, to_pull: int, identity: str | None, at: str | None = None
) -> None:
    """Keep where this workspace stands against `remote` (whose `FsspecBackend.identity` is
    `identity`) as of `at` (when the push or pull that found it began; now when not given)."""
    path = ws.wb_dir / STATE_FILE
    kept = _read(ws)
    kept[remote.name] = {
        "at": at or now_iso(),
        "url": remote.url,
        "identity": identity,
        "to_push": to_push,
        "to_pull": to_pull,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(kept, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def in_step_since(ws: Workspace, remote: Remote, identity: str | None) -> tuple[str, int] | None:
    """(the time as of which `remote` held every record here, how many objects it held that
    this workspace lacked then), or None when that is not known: never pushed, records left to
    push, or the remote's identity is not the one it had (emptied, or another in its place).
    Push never deletes, so what the remote held then it holds now: only what was indexed here
    since needs looking for there."""
    kept = _read(ws).get(remote.name)
    if (
        not isinstance(kept, dict)
        or kept.get("url") != remote.url
        or kept.get("to_push") != 0
        or identity is None
        or kept.get("identity") != identity
    ):
        return None
    return str(kept["at"]), int(kept["to_pull"])


def of_default(ws: Workspace, conn: sqlite3.Connection) -> SyncState | None:
    """The default remote's state as last kept, with the records made here since; None when
    there is no default remote or it was never pushed to or pulled from. Reads local files only."""
    try:
        remote = settings.get(ws)
    except WbError:
        return None
    kept = _read(ws).get(remote.name)
    if not isinstance(kept, dict):
        return None
    since = conn.execute("SELECT count(*) FROM records WHERE indexed_at > ?", (kept["at"],)).fetchone()[0]
    return SyncState(remote.name, kept["at"], int(kept["to_push"]) + since, int(kept["to_pull"]))


def _read(ws: Workspace) -> dict[str, Any]:
    try:
        found = json.loads((ws.wb_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
