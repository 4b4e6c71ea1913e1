"""Text laid out to fit the width it is shown in: cells cut with an ellipsis (never wrapped
onto the next line, where a value would land under the wrong column, and never a number),
things compared side by side as columns when they fit and one per line when they do not, a
table's columns sharing its room, the title's parts giving way by importance, and long lines
wrapped with a hanging indent."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

ELLIPSIS = "…"
WIDEST_LABEL, WIDEST_CELL = 24, 32  # a row's label and its values cut to these, when need be
GAP = 2  # between columns


def cut(text: str, width: int) -> str:
    """`text` in `width` cells at most, an ellipsis marking where it was cut."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + ELLIPSIS if width > 0 else ""


# A sub-title's parts by what gives way last: the counts (never), the marks, the filter, the
# sort, the remote's state (first).
PAGE, MARKS, WHERE, SORT, REMOTE = range(5)
SEPARATOR = "   "


def fit(parts: Sequence[tuple[int, str]], room: int) -> str:
    """Parts (priority, text) joined in their order in `room` cells: the least important
    dropped first, the last one dropped back in, cut with an ellipsis, if room is left."""

    def joined(chosen: Sequence[tuple[int, str]]) -> str:
        return SEPARATOR.join(text for _, text in chosen)

    kept, dropped = list(parts), None
    while len(joined(kept)) > room:
        dropped = max((p for p in kept if p[0] != PAGE), key=lambda p: p[0], default=None)
        if dropped is None:
            break
        kept.remove(dropped)
    left = room - len(joined(kept)) - len(SEPARATOR)
    if dropped is not None and left >= 12:
        shortened = (dropped[0], cut(dropped[1], left))
        kept = [shortened if p == dropped else p for p in parts if p in kept or p == dropped]
    return cut(joined(kept), room)


Row = tuple[str, Sequence[str]]  # a label and one cell per compared thing
Section = tuple[str, Sequence[Row]]  # a heading ("" for none) and its rows


def side_by_side(names: Sequence[str], sections: Sequence[Section], width: int) -> list[str]:
    """Rows of values of several things (runs) in `width` cells: the things as columns, each
    value under its name, when they fit; otherwise each row's values one per line, the
    thing's name before each (as rows), so that nothing wraps or shifts whatever the width."""
    rows = [row for _, found in sections for row in found]
    # Whole when that fits (a wide screen gives long text the room), else cut to the caps.
    for label_cap, cell_cap in ((width, width), (WIDEST_LABEL, WIDEST_CELL)):
        label = min(label_cap, max([4, *(len(k) for k, _ in rows)]))
        columns = [
            min(cell_cap, max([len(name), *(len(cells[i]) for _, cells in rows)]))
            for i, name in enumerate(names)
        ]
        if GAP + label + sum(GAP + w for w in columns) <= width:
            return _as_columns(names, sections, label, columns)
    return _as_rows(names, sections, width)


def _as_columns(
    names: Sequence[str], sections: Sequence[Section], label: int, columns: list[int]
) -> list[str]:
    def line(head: str, cells: Sequence[str]) -> str:
        return (
            " " * GAP
            + cut(head, label).ljust(label)
            + "".join(" " * GAP + cut(c, w).ljust(w) for c, w in zip(cells, columns, strict=True))
        ).rstrip()

    lines = [line("", names)]
    for heading, found in sections:
        lines += ["", heading] if heading else []
        lines += [line(k, cells) for k, cells in found] or ["  (none)"]
    return lines


def wrapped(head: str, items: Sequence[str], width: int) -> list[str]:
    """`head` then the items, comma-separated, on as many lines as they need, the lines after
    the first indented under the first item (a hanging indent)."""
    lines, line = [], head
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(line) > len(head) and len(line) + len(piece) > width:
            lines.append(line.rstrip())
            line = " " * len(head)
        line += cut(piece, width - len(head)) + " "
    return [*lines, line.rstrip()]


def _as_rows(names: Sequence[str], sections: Sequence[Section], width: int) -> list[str]:
    name = min(max(len(n) for n in names), max(8, width // 2 - 4))
    lines = wrapped("compared: ", names, width)  # the order every row below keeps
    for heading, found in sections:
        lines += ["", heading] if heading else [""]
        for k, cells in found:
            lines.append("  " + cut(k, width - 2))
            lines += [
                "    " + cut(n, name).ljust(name) + "  " + cut(c, width - name - 6)
                for n, c in zip(names, cells, strict=True)
            ]
        lines += [] if found else ["  (none)"]
    return lines


WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row: text, not a number with its unit
NARROWEST = 8  # a text column is not cut narrower than this (nor than its header)
PADDING = 2  # a table cell's, one each side


def is_number(cell: str) -> bool:
    """A number, a time or a duration (`1,234`, `0.25 *`, `1e-05`, `12-03 09:15`, `4m 05s`):
    a cell that an ellipsis would turn into another value."""
    return not WORD.search(cell)


def column_widths(labels: Sequence[str], columns: Sequence[Sequence[str]], room: int) -> list[int]:
    """Each column's width in a table of `room` cells: as wide as its widest cell when they
    all fit (a wide screen gives long text the room), else the widest text columns cut down
    alike (the cells end in an ellipsis) until they fit. Never cut: the first column (what
    names a row) and a column of numbers."""
    natural = [
        max([len(label), *(len(c) for c in cells)]) for label, cells in zip(labels, columns, strict=True)
    ]
    fixed = [i == 0 or all(is_number(c) for c in cells) for i, cells in enumerate(columns)]
    floors = [
        w if keep else min(w, max(NARROWEST, len(label)))
        for w, keep, label in zip(natural, fixed, labels, strict=True)
    ]

    def widths(cap: int) -> list[int]:
        return [
            w if keep else max(floor, min(w, cap))
            for w, keep, floor in zip(natural, fixed, floors, strict=True)
        ]

    def used(cap: int) -> int:
        return sum(w + PADDING for w in widths(cap))

    cap = max(natural, default=0)
    if used(cap) <= room:
        return natural
    # The widest cap that fits, by bisection between the floor and the widest cell.
    low, high = 0, cap
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if used(middle) <= room else (low, middle - 1)
    return widths(low)


def hang(text: str, width: int) -> str:
    """Each line of `text` wrapped at a word to `width` cells, its continuations indented
    two past the line's own indent (a hanging indent: `command wb train --data ...` then
    `  --model ...` under it). A width too small to wrap in leaves the text as it is."""
    if width < 20:
        return text
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        lead = " " * (len(line) - len(line.lstrip(" ")) + 2)
        # A word longer than the width stays whole (the pane folds it): an id, a path.
        wrapped = textwrap.wrap(
            line, width, subsequent_indent=lead, break_long_words=False, break_on_hyphens=False
        )
        out += wrapped or [""]
    return "\n".join(out)
