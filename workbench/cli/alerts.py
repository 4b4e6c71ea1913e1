"""`wb alerts ...`: what drift checks and the watcher say needs a look."""

from __future__ import annotations

import typer

from ..core.monitoring import alerts
from ..formatting import short_time
from . import output
from .context import JSON_OPTION, workspace

app = typer.Typer(help="Alerts raised by drift checks and the watcher.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only unacknowledged."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Alerts, newest first."""

    def human(found: list[alerts.Alert]) -> None:
        if not found:
            output.line("No alerts." if not open_only else "No open alerts.")
            return
        output.table(
            ["id", "time", "kind", "acked", "message"],
            [(a.id, short_time(a.created_at), a.kind, "yes" if a.acked else "", a.message) for a in found],
        )

    output.emit(alerts.list_alerts(workspace(ctx), open_only), as_json, human)


@app.command("ack")
def ack(
    ctx: typer.Context,
    alert_id: int = typer.Argument(..., metavar="ID", help="The alert's id (`wb alerts list`)."),
) -> None:
    """Acknowledge an alert."""
    changed = alerts.ack(workspace(ctx), alert_id)
    output.line(f"acknowledged alert {alert_id}" if changed else f"alert {alert_id} was already acknowledged")
