"""The workspace's state (`wb status`, the TUI's activity area) in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..formatting import short_time

if TYPE_CHECKING:
    from ..core.remotes.state import SyncState
    from ..core.status import RunningWatcher


def watching(w: RunningWatcher) -> str:
    """What a running `wb watch` is doing, after the word "watching"."""
    return f"{w.dir} for {w.dataset} (pid {w.pid}, since {short_time(w.started_at)})"


def remote(state: SyncState) -> str:
    """Where the workspace stands against its default remote, as of the last push or pull."""
    if state.to_push or state.to_pull:
        counts = [f"{state.to_push:,} to push"] * bool(state.to_push) + [f"{state.to_pull:,} to pull"] * bool(
            state.to_pull
        )
        where = f"{state.remote}: {', '.join(counts)}"
    else:
        where = f"{state.remote}: up to date"
    return f"{where} (as of {short_time(state.at)})"
