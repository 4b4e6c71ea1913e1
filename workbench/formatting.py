"""Plain-text formatting shared by the CLI and the TUI (no rich, no textual)."""

from __future__ import annotations

from typing import Any


def fmt_num(value: float | int | None, digits: int = 4) -> str:
    """Whole numbers with thousands separators, others to `digits` significant digits."""
    if value is None:
        return ""
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:.{digits}g}"


def short_time(iso: str | None) -> str:
    """`2026-11-26T15:22:03.123+00:00` as `2026-11-26 15:22:03`."""
    return "" if not iso else iso[:19].replace("T", " ")


def stat_text(value: Any) -> str:
    """A profile statistic: numbers through fmt_num, dates and text as they are."""
    return value if isinstance(value, str) else fmt_num(value)


def diff_rows(diff: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """`wb data diff`'s column shifts as (column, statistic, a, b, change) rows."""
    rows = []
    for shift in diff["shifts"]:
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
            rows.append((shift["column"], key.replace("_", " "),
                         "" if a is None else fmt(a), "" if b is None else fmt(b), delta))
    return rows
