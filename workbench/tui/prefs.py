"""What the TUI remembers between sessions, in the workspace's `.wb/tui.json`: the runs
table's columns as the chooser left them, per experiment; the runs' sort order; the theme.

A file of its own rather than `.wb/config.toml`: that one is the user's, commented, and read
by every command; this one the TUI writes whole (atomically) whenever a choice changes, and a
missing or unreadable file only means the defaults."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

FILE = "tui.json"
MIXED = ""  # the key of the choice for a list of runs from several experiments
# Choices are kept from worker threads (a theme and a sort at once): one read-change-write at a time.
_WRITING = threading.Lock()


def _path(root: Path) -> Path:
    from ..core.storage.workspace import WB_DIR

    return root / WB_DIR / FILE


def _read(root: Path) -> dict[str, Any]:
    try:
        found = json.loads(_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def run_columns(root: Path, experiment: str) -> list[str] | None:
    """The columns chosen for the runs of `experiment` (MIXED: of several); None: the default."""
    chosen = _read(root).get("run_columns", {})
    columns = chosen.get(experiment) if isinstance(chosen, dict) else None
    if isinstance(columns, list) and columns and all(isinstance(c, str) for c in columns):
        return columns
    return None


def set_run_columns(root: Path, experiment: str, columns: list[str] | None) -> None:
    """Keep a choice of columns for `experiment`'s runs; None forgets it (the default again)."""
    with _WRITING:
        found = _read(root)
        chosen = found.get("run_columns")
        chosen = chosen if isinstance(chosen, dict) else {}
        if columns:
            chosen[experiment] = columns
        else:
            chosen.pop(experiment, None)
        found["run_columns"] = chosen
        _write(root, found)


def runs_sort(root: Path) -> str:
    """The runs' sort as last chosen (a `--sort` key); "" (newest first) when none or no
    longer one (a file edited by hand)."""
    from ..core.errors import WbError
    from ..core.experiments.query import compile_sort

    sort = _read(root).get("runs_sort")
    if not isinstance(sort, str) or not sort:
        return ""
    try:
        compile_sort(sort)
    except WbError:
        return ""
    return sort


def set_runs_sort(root: Path, sort: str) -> None:
    _set(root, "runs_sort", sort)


def theme(root: Path) -> str | None:
    """The theme last chosen (the command palette's "Theme"); None: Textual's default."""
    found = _read(root).get("theme")
    return found if isinstance(found, str) and found else None


def set_theme(root: Path, name: str) -> None:
    _set(root, "theme", name)


def _set(root: Path, key: str, value: Any) -> None:
    with _WRITING:
        found = _read(root)
        found[key] = value
        _write(root, found)


def _write(root: Path, found: dict[str, Any]) -> None:
    target = _path(root)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)  # a reader sees the old choice or the new, never half of one
