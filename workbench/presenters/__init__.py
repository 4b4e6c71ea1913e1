"""What each result says, as lines and cells, for the CLI and the TUI alike: one presenter per
result, so the two interfaces never word the same fact twice. No rich or textual here: each
interface styles what it is given (a Note's `level` says how loud)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Note:
    """One line of a result; its `level` says how loud: `alarm` when something is wrong,
    `warning` when something is odd, `good` for what was added, `info` otherwise."""

    text: str
    level: Literal["info", "good", "warning", "alarm"] = "info"
