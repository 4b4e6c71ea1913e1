"""The workspace's state (`wb status`, the TUI's activity area) in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..formatting import short_time

if TYPE_CHECKING:
    from ..core.status import RunningWatcher


def watching(w: RunningWatcher) -> str:
    """What a running `wb watch` is doing, after the word "watching"."""
    return f"{w.dir} for {w.dataset} (pid {w.pid}, since {short_time(w.started_at)})"
