"""Wrapping functions in timers for a breakdown round (not a benchmark itself).

    with Timers() as t:
        t.wrap(environment, "capture", "environment.capture")
        ...                     # the code to break down
    t.rows(total, per=n_runs)   # (label, calls, ms per unit, share of total)

The wrappers are removed on leaving the block, so only the breakdown round pays for them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any


class Timers:
    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = {}
        self._patches: list[tuple[Any, str, Callable]] = []

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        original = getattr(owner, attr)
        spent = self.spent.setdefault(label, [])

        @functools.wraps(original)
        def timed(*a, **kw):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return original(*a, **kw)
            finally:
                spent.append(time.perf_counter() - start)

        self._patches.append((owner, attr, original))
        setattr(owner, attr, timed)

    def restore(self) -> None:
        for owner, attr, original in reversed(self._patches):
            setattr(owner, attr, original)
        self._patches.clear()

    def __enter__(self) -> Timers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def rows(self, total: float, per: int = 1) -> list[tuple[str, int, str, str]]:
        """(label, calls, milliseconds per unit, share of total) in the order wrapped."""
        return [
            (label, len(v), f"{sum(v) / per * 1000:.2f}", f"{sum(v) / total:.0%}")
            for label, v in self.spent.items()
        ]
