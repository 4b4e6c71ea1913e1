"""`wb watch DIR --dataset NAME`: take in data drops as they land."""

from __future__ import annotations

import signal
from pathlib import Path

import typer

from ..core.monitoring import watcher as watcher_core
from ..core.names import plural
from . import output
from .context import workspace


def watch(
    ctx: typer.Context,
    folder: Path = typer.Argument(..., metavar="DIR", help="The folder drops land in."),
    dataset: str = typer.Option(..., "--dataset", help="The dataset they are versions of."),
    reference: str | None = typer.Option(
        None,
        "--reference",
        help=(
            "Drift-check against this version (default: NAME@reference when that alias exists, "
            "else the version before each drop)."
        ),
    ),
    retrain: bool = typer.Option(
        False,
        "--retrain",
        help=(
            "Keep the production models trained on NAME up: a pending challenger is "
            "promoted if it beats production on the new drop, and a drop that drifted or "
            "degraded production trains the next challenger."
        ),
    ),
    once: bool = typer.Option(False, "--once", help=("Take what is there now and exit (for cron).")),
) -> None:
    """Version, validate and drift-check every file that lands in DIR."""
    ws = workspace(ctx)

    def report(outcome: watcher_core.DropOutcome) -> None:
        if outcome.status == "skipped" and not _news(outcome):
            return  # taken on an earlier run: not news (a copy under a new name is)
        where = f" as {outcome.version}" if outcome.version else ""
        style = {"failed": "red", "skipped": "dim", "unchanged": "dim"}.get(
            outcome.status, "yellow" if outcome.dataset_drift else None
        )
        output.line(
            f"{Path(outcome.path).name}: {outcome.status}{where}"
            + (f"; {outcome.detail}" if outcome.detail else ""),
            style=style,
        )

    w = watcher_core.Watcher(ws, folder, dataset, reference, on_outcome=report, retrain=retrain)
    signal.signal(signal.SIGTERM, lambda signum, frame: w.stop())
    signal.signal(signal.SIGINT, lambda signum, frame: w.stop())

    def started() -> None:
        if not once:
            output.line(f"watching {w.folder} for {dataset} (Ctrl-C stops)", style="dim")

    outcomes = w.run(once=once, on_start=started)
    if w.stop_event.is_set():
        output.line("stopped", style="dim")  # a requested stop is a clean end: exit 0
    if once:
        taken = sum(o.status == "added" for o in outcomes)
        refused = sum(o.detail.startswith(watcher_core.REFUSED_BEFORE) for o in outcomes)
        before = sum(o.status == "skipped" for o in outcomes) - refused
        failed = sum(o.status == "failed" for o in outcomes)
        output.line(
            f"{plural(taken, 'new version')} from {plural(len(outcomes), 'drop')} "
            f"({before} taken before"
            + (f", {refused} refused before" if refused else "")
            + (f", {failed} failed" if failed else "")
            + ")",
            style="dim",
        )


def _news(outcome: watcher_core.DropOutcome) -> bool:
    """A skip worth a line: a copy of a drop under a new name, or a drop refused before."""
    return outcome.detail.startswith((watcher_core.SAME_BYTES, watcher_core.REFUSED_BEFORE))
