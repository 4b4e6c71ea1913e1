"""Text laid out to fit the width it is shown in: cells cut with an ellipsis (never wrapped
onto the next line, where a value would land under the wrong column), and things compared
side by side as columns when they fit, one per line when they do not."""

from __future__ import annotations

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


def _as_rows(names: Sequence[str], sections: Sequence[Section], width: int) -> list[str]:
    name = min(max(len(n) for n in names), max(8, width // 2 - 4))
    lines = ["compared: " + ", ".join(names)]  # the order every row below keeps
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
