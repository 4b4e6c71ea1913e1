"""Dataset results (`wb data diff`, the TUI's compare of two versions) in words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..formatting import stat_text
from . import Note

if TYPE_CHECKING:
    from ..core.data.datasets import DatasetDiff

SHIFT_COLUMNS = ("column", "statistic", "a", "b", "change")


def diff_lines(diff: DatasetDiff) -> Iterator[Note]:
    """What changed between two versions before the statistics: rows, columns added, removed
    and retyped."""
    rows = diff.rows
    yield Note(f"{diff.a} -> {diff.b}" + ("  (same bytes)" if diff.same_bytes else ""))
    yield Note(f"rows     {rows['a']:,} -> {rows['b']:,} ({rows['delta']:+,})")
    for c in diff.added:
        yield Note(f"added    {c['name']} ({c['dtype']})", "good")
    for c in diff.removed:
        yield Note(f"removed  {c['name']} ({c['dtype']})", "alarm")
    for c in diff.retyped:
        yield Note(f"retyped  {c['name']} {c['from']} -> {c['to']}", "warning")


def shift_rows(diff: DatasetDiff) -> list[tuple[str, str, str, str, str]]:
    """`wb data diff`'s column shifts as SHIFT_COLUMNS rows."""
    rows = []
    for shift in diff.shifts:
        for key, change in shift.items():
            if key == "column":
                continue
            if isinstance(change, list):
                rows.append((shift["column"], key.replace("_", " "), "", ", ".join(change), ""))
                continue
            a, b = change["a"], change["b"]
            delta = ""
            if key == "null_fraction" and a is not None and b is not None:
                delta = f"{(b - a) * 100:+.1f} points"  # in the units of the shares beside it
            elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
                delta = f"{b - a:+.4g}"
                if "std_units" in change:
                    delta += f" ({change['std_units']:+.2f} sd)"
            fmt = (lambda x: f"{x:.1%}") if key == "null_fraction" else stat_text
            rows.append(
                (
                    shift["column"],
                    key.replace("_", " "),
                    "" if a is None else fmt(a),
                    "" if b is None else fmt(b),
                    delta,
                )
            )
    return rows


APPROXIMATE_MARK = "~"


def approximate_note(profile: dict) -> str | None:
    """What `wb data show` says of a profile computed in batches (a file bigger than the memory
    budget): which statistics are estimates; None when every one is exact."""
    if not profile.get("streamed"):
        return None
    estimated = sorted({s for c in profile["columns"] for s in c.get("approximate", [])})
    if not estimated:
        return "profiled in batches (the file exceeds [data] memory_budget_mb); every statistic is exact"
    return (
        f"profiled in batches (the file exceeds [data] memory_budget_mb): {', '.join(estimated)} "
        f"are estimates from sketches where marked {APPROXIMATE_MARK}; counts, nulls, min, max, "
        "mean and std are exact"
    )


def marked(col: dict, statistic: str, text: str) -> str:
    """`text` with APPROXIMATE_MARK in front when the column's `statistic` is an estimate."""
    return APPROXIMATE_MARK + text if statistic in col.get("approximate", []) else text
