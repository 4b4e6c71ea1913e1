"""Plain-text formatting shared by the CLI and the TUI (no rich, no textual)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

# Characters that drive a terminal instead of showing as themselves: C0 (ESC starts every
# escape sequence; BEL ends an OSC title; backspace and CR overwrite what was shown), DEL, C1
# (0x9b is a one-byte CSI), and the bidi embeddings, overrides and isolates that reorder
# what follows them ("Trojan Source", CVE-2021-42574). Lone surrogates too (a file name that is
# not UTF-8): they could not be written out at all.
_DRIVING = [
    *range(0x20),
    *range(0x7F, 0xA0),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    *range(0xD800, 0xE000),
]
_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
_ONE_LINE = {c: _NAMED.get(c, f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _DRIVING}
_IN_LINES = {c: e for c, e in _ONE_LINE.items() if c != 0x09}  # a tab only moves to a stop
_NEWLINE = re.compile(r"\r?\n")


def visible(text: Any, *, lines: bool = False) -> str:
    """`text` safe to show on a terminal: every character that would drive it becomes a
    visible escape (ESC as `\\x1b`, a newline as `\\n`), the rest stays as it is. With `lines`,
    newlines (and CRLF) and tabs are kept, for text shown as lines in a pane. Backslashes are
    left alone, so escaping twice changes nothing and Windows paths stay readable."""
    text = str(text)
    if not lines:
        return text.translate(_ONE_LINE)
    return "\n".join(part.translate(_IN_LINES) for part in _NEWLINE.split(text))


def fmt_num(value: float | int | None, digits: int = 4) -> str:
    """Whole numbers with thousands separators, others to `digits` significant digits."""
    if value is None:
        return ""
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:.{digits}g}"


def fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


# A version's last contract check, in `wb data log` and the TUI's datasets.
VALID_TEXT = {None: "not checked", True: "yes", False: "NO"}


def short_time(iso: str | None) -> str:
    """`2026-11-26T15:22:03.123+00:00` as `2026-11-26 15:22:03`."""
    return "" if not iso else iso[:19].replace("T", " ")


def stat_text(value: Any) -> str:
    """A profile statistic: numbers through fmt_num, dates and text as they are."""
    return value if isinstance(value, str) else fmt_num(value)


def fitting(
    columns: Sequence[str], widths: Sequence[int], room: int, drop_first: Sequence[str] = ()
) -> list[int]:
    """The indexes of the columns of a table (3 cells between columns) to show in `room`
    cells: all that fit, the last one at 10 or more cells. Those in `drop_first` go first,
    then from the right; never the first column."""
    keep = list(range(len(columns)))

    def needed() -> int:
        *others, last = keep
        return sum(widths[i] for i in others) + 3 * (len(keep) - 1) + min(widths[last], 10)

    order = [columns.index(c) for c in drop_first if c in columns]
    order += [i for i in reversed(range(1, len(columns))) if i not in order]
    for i in order:
        if needed() <= room or len(keep) <= 2:
            break
        keep.remove(i)
    return keep
