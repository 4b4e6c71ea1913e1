"""`wb init`, `wb status`, `wb log`."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core import events
from ..core import status as status_mod
from ..core.experiments import runs
from ..core.names import plural
from ..core.storage.workspace import Workspace
from ..formatting import short_time
from ..presenters import status as status_words
from . import output
from .context import JSON_OPTION, workspace


def init(path: Path = typer.Argument(Path("."), help="Folder to make the workspace in.")) -> None:
    """Make a workspace (PATH/.wb/) here or in PATH."""
    ws, created = Workspace.init(path)
    if created:
        output.line(f"Initialised empty wb workspace in {ws.wb_dir}")
    else:
        output.line(f"{ws.wb_dir} is already a wb workspace; left as it was")


def status(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """What the workspace holds."""
    ws = workspace(ctx)
    runs.reap_lost(ws)  # a run whose process died is not counted as running
    output.emit(status_mod.summary(ws), as_json, _print_status)


def _print_status(summary: status_mod.StatusSummary) -> None:
    output.line("workspace", summary.workspace)
    output.line(f"datasets   {summary.datasets} ({plural(summary.dataset_versions, 'version')})")
    output.line(
        f"runs       {summary.runs} in {plural(summary.experiments, 'experiment')}"
        + (f", {summary.runs_running} running" if summary.runs_running else "")
    )
    output.line(
        f"drift      {plural(summary.drift_reports, 'report')}, "
        f"{plural(summary.open_alerts, 'open alert')}"
        + (" (`wb alerts list --open`)" if summary.open_alerts else ""),
        style="yellow" if summary.open_alerts else None,
    )
    production = ", ".join(f"{name}@{v}" for name, v in summary.production.items())
    output.line(f"models     {summary.models}" + (f"; in production: {production}" if production else ""))
    for w in summary.watchers:
        output.line(f"watching   {status_words.watching(w)}")
    last = summary.last_event
    if last:
        output.line(f"last event {short_time(last.created_at)}  {last.message}")
    if not summary.datasets:
        output.line("No data yet: add some with `wb data add FILE --name NAME`.", style="dim")


def log(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="How many events."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The audit log, newest first."""
    output.emit(
        events.recent(workspace(ctx).conn, limit),
        as_json,
        lambda found: output.table(
            ["time", "user", "kind", "subject", "message"],
            [(short_time(e.created_at), e.user or "", e.kind, e.subject, e.message) for e in found],
            drop_first=("user",),
        ),
    )
