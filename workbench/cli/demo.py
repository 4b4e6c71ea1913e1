"""`wb demo [PATH]`: build a demo workspace from the sample data, then open the TUI on it."""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import typer

from ..core import demo as demo_core
from ..core.errors import EXIT_INTERRUPTED
from ..core.names import plural
from . import output
from .context import JSON_OPTION


def demo(
    path: Path = typer.Argument(
        demo_core.DEFAULT_PATH, help=("A new or empty folder to build the workspace in.")
    ),
    no_ui: bool = typer.Option(
        False, "--no-ui", help=("Build it and print what to try, without opening the terminal UI.")
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Build a demo workspace from the sample data, then open the TUI on it.

    On a terminal a progress line follows the build, then the TUI opens on the workspace;
    with --no-ui, --json or no terminal (a script, a pipe) it prints what to try instead.
    PATH (default ./wb-demo) must be new or empty. The workspace holds the sample retail data
    as seven versions with a contract, a champion model in production, a drift check of every
    week (weeks 5 and 6 drift and raise alerts) and a retrained challenger to promote."""

    # A SIGTERM stops the build the way Ctrl-C does, so that what it made is removed; once
    # built, the workspace stays and a SIGTERM ends wb (and the TUI) as it always does. The
    # handler only notes it: the build stops at its next step or progress report, a point
    # where raising is safe (raised from the handler itself, the interrupt could land in a
    # finalizer and be lost, or in interpreter shutdown); a second SIGTERM stops it at once.
    stop = _Stop()
    before = signal.signal(signal.SIGTERM, stop.handle)
    try:
        # On a terminal, a line below the steps says which stage runs and how far it is.
        with output.status_line("building the demo workspace", enabled=not as_json) as status:

            def step(message: str) -> None:
                stop.check()
                if not as_json:
                    output.note(message, style=None)  # literal and escaped: it can name the folder

            def progress(*report: Any) -> None:
                stop.check()
                if status is not None:
                    status.show(*report)

            summary = demo_core.build(path, on_step=step, on_progress=progress)
    except KeyboardInterrupt:
        output.error(f"interrupted; the unfinished demo workspace in {path} was removed")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        signal.signal(signal.SIGTERM, before)
    if stop.asked:  # after the last step: the workspace is whole, and stays
        output.error(f"interrupted; the demo workspace in {path} was finished first and is kept")
        raise typer.Exit(EXIT_INTERRUPTED)
    output.emit(summary, as_json, lambda s: _print_summary(s, path))
    if as_json or no_ui or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return
    from ..tui.app import run  # textual: only when the UI opens

    run(Path(summary.workspace))


class _Stop:
    """A SIGTERM noted by the handler, acted on by the build's own thread at a safe point."""

    def __init__(self) -> None:
        self.asked = False

    def handle(self, signum: int, frame: Any) -> None:
        if self.asked:  # asked twice: now
            raise KeyboardInterrupt
        self.asked = True

    def check(self) -> None:
        if self.asked and threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt


def _print_summary(s: demo_core.Summary, path: Path) -> None:
    weeks = [int(r["week"].rpartition("_")[2]) for r in s.reports if r["dataset_drift"]]
    drifted = (
        "weeks " + ", ".join(map(str, weeks[:-1])) + f" and {weeks[-1]}"
        if len(weeks) > 1
        else f"week {weeks[0]}"
        if weeks
        else "no week"
    )
    broken = ", ".join(s.contract_violations)
    name, model = s.dataset, s.model
    output.line(f"demo workspace ready in {path} ({s.seconds:.1f} s)", style="bold green")
    summary = (
        (
            name,
            f"{s.versions} versions: {name}@1 the reference period, @2..@{s.versions} "
            f"weeks 1 to {s.versions - 1}" + (f"; {broken} break its contract" if broken else ""),
        ),
        ("drift", f"{drifted} drift from {name}@1; {plural(s.open_alerts, 'open alert')}"),
        (
            model,
            f"{model}@{s.production} in production; {model}@{s.challenger}, retrained "
            f"on {name}@{s.versions - 1}, waits for promotion (judged on "
            f"{name}@{s.versions})",
        ),
    )
    output.listing(summary)
    output.line("")
    output.line("try:")
    where = shlex.quote(str(path))
    output.listing(
        [
            (f"cd {where} && wb", "the terminal UI: 4 for models, then p to promote"),
            ("wb drift list", "the weekly drift reports"),
            ("wb alerts list --open", "what needs a look"),
            (f"wb runs list -e {demo_core.EXPERIMENT}", "the champion and the challenger sweep"),
            (f"wb rollout status {s.rollout}", "the challenger on the east stores: its outcomes so far"),
            (f"wb model promote {model}@{s.challenger} --to production", "the challenger, through the gates"),
            (f"wb model show {model}", "versions, aliases and every move"),
        ]
    )
