"""Rendering for every command: JSON for scripts, rich tables for people, errors on stderr.

Text that comes from data (names, values, messages) goes into rich as `Text`, never as markup,
and through `visible`, so that no character of it drives the terminal (an ESC in a CSV value
shows as `\\x1b`). Every human path below does both; `print_json` keeps the exact text.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..core.errors import InvalidInput
from ..formatting import fitting, visible
from ..formatting import fmt_bytes as fmt_bytes  # re-exported: the commands call output.fmt_bytes


class _Stdout(Console):
    def on_broken_pipe(self) -> None:
        # rich exits 1 here, which wb means as "a check failed": let the CLI's one handling
        # of a reader that went away (`wb log | head`) decide instead.
        self.quiet = True
        raise BrokenPipeError


# Piped output is read by scripts and pagers: no wrapping at rich's default 80 columns there.
stdout = _Stdout(highlight=False, width=None if sys.stdout.isatty() else 200)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """One JSON document; NaN and infinities (which JSON lacks) become null."""
    sys.stdout.write(json.dumps(_finite(data), indent=2, default=str, allow_nan=False) + "\n")


class Result(Protocol):
    """What a core function returns across the boundary: a typed record whose `to_dict()` is
    the SPEC's JSON for it."""

    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound="Result | Sequence[Result]")


def emit(result: R, as_json: bool, human: Callable[[R], None]) -> None:
    """The one --json path of every command: the record's own `to_dict()` (a list of them for
    a listing) for scripts, `human(result)` for people. The JSON shape is decided in core,
    beside the record, never here."""
    if not as_json:
        human(result)
    elif isinstance(result, Sequence):
        print_json([r.to_dict() for r in result])
    else:
        print_json(result.to_dict())


class Summarised(Protocol):
    """A record with a short form for listings (`summary()`, decided in core beside it)."""

    def summary(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=Summarised)


def emit_summaries(items: Sequence[S], as_json: bool, human: Callable[[Sequence[S]], None]) -> None:
    """`emit` for a listing whose entries show in their short form (`wb data log`, `wb runs
    artifacts`): each record's own `summary()` for scripts."""
    if as_json:
        print_json([item.summary() for item in items])
    else:
        human(items)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# How loud each presenters.Note level is on a terminal.
NOTE_STYLES = {"info": None, "good": "green", "warning": "yellow", "alarm": "red"}


def line(*parts: Any, style: str | None = None) -> None:
    """Print literal text (no markup is interpreted), unwrapped."""
    stdout.print(Text(visible(" ".join(str(p) for p in parts)), style=style or ""), soft_wrap=True)


def note(message: str, style: str | None = "dim") -> None:
    """A line on stderr about how a command goes (a run started, a step done): literal text."""
    stderr.print(Text(visible(message), style=style or ""))


def error(message: str) -> None:
    stderr.print(Text(f"error: {visible(message)}", style="red"))


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    title: str | None = None,
    justify_right: Sequence[str] = (),
    drop_first: Sequence[str] = (),
) -> None:
    """A table that fits the terminal: columns that do not fit are left out, those in
    `drop_first` first, then from the right (never the first), and a line under the table
    names them; the last column left gives way (cut with an ellipsis)."""
    cells = [[Text("" if v is None else visible(v)) for v in row] for row in rows]
    # Headers are data too: run names in `runs compare`, a CSV column in `model evaluate --by`.
    labels = [Text(visible(col)) for col in columns]  # a str header would be read as markup
    widths = [max([label.cell_len, *(row[i].cell_len for row in cells)]) for i, label in enumerate(labels)]
    keep = fitting(columns, widths, stdout.width, drop_first)
    # What is left for the last column once the others and the separators (3 a column) fit.
    room = max(10, stdout.width - sum(widths[i] for i in keep[:-1]) - 3 * (len(keep) - 1))
    t = Table(
        title=title and Text(visible(title)),
        header_style="bold",
        show_edge=False,
        pad_edge=False,
        show_header=any(columns),
    )
    for i in keep:
        last = i == keep[-1]
        t.add_column(
            labels[i],
            justify="right" if columns[i] in justify_right else "left",
            no_wrap=True,
            overflow="ellipsis",
            min_width=None if last else widths[i],
            max_width=room if last else None,
        )
    for row in cells:
        t.add_row(*(row[i] for i in keep))
    stdout.print(t)
    left_out = [columns[i] for i in range(len(columns)) if i not in keep]
    if left_out:
        line(f"(left out to fit {stdout.width} columns: {', '.join(left_out)})", style="dim")


def listing(rows: Sequence[tuple[str, str]], indent: int = 2) -> None:
    """Terms and what each is, as `--help` lists options: the text wraps within the terminal,
    under its own column."""
    import textwrap

    terms = max((len(term) for term, _ in rows), default=0)
    room = max(20, stdout.width - indent - terms - 2)
    for term, text in rows:
        lines = textwrap.wrap(text, room, break_long_words=False) or [""]
        line(" " * indent + term.ljust(terms) + "  " + lines[0])
        for more in lines[1:]:
            line(" " * (indent + terms + 2) + more)


def pairs(rows: Sequence[tuple[str, Any]]) -> None:
    """A key-value table, with no header row."""
    table(["", ""], rows)


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None] | None]:
    """A progress callback taking increments, drawn on stderr only when stdout is a terminal."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


class Status:
    """The one line `status_line` draws: `show` says what is happening now, with a bar of
    `done` of `total` when there is a count (a pulsing one when not)."""

    def __init__(self, bar: Any, task: Any) -> None:
        self._bar, self._task = bar, task

    def show(self, description: str, done: float | None = None, total: float | None = None) -> None:
        """Counts in between are drawn by the bar's own ten redraws a second (a boosting round
        can take microseconds); a new stage, and a count reaching its total, at once."""
        self._bar.update(self._task, description=visible(description), completed=done or 0, total=total)
        if total is None:  # rich's update keeps the old total for None
            next(t for t in self._bar.tasks if t.id == self._task).total = None
        if done is None or done == total:
            self._bar.refresh()


@contextmanager
def status_line(description: str, enabled: bool = True) -> Iterator[Status | None]:
    """A transient line on stderr for a long command: a spinner, what it is doing, a bar and
    the time so far. Only when stdout and stderr are terminals (and `enabled`: not for
    --json); else None, and nothing extra is written anywhere. It is gone when the block
    ends, however it ends (an error or Ctrl-C then says its one sentence alone)."""
    if not (enabled and sys.stdout.isatty() and stderr.is_terminal):
        yield None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        status = Status(bar, bar.add_task(visible(description), total=None))
        yield status


def write_page(path: Path, page: str) -> None:
    """Write a page (`--html FILE`) whole or not at all, and say so on stderr; a folder that
    does not exist is refused."""
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder: give the HTML file to write")
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.wb-tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    note(f"wrote {path}")
