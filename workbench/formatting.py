"""Plain-text formatting shared by the CLI and the TUI (no rich, no textual)."""

from __future__ import annotations


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
