"""`wb alerts ...`: what drift checks and the watcher say needs a look, and `wb alerts test`,
which sends a sample through the `[alerts]` command and file."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ..core.errors import EXIT_CHECK_FAILED
from ..core.monitoring import alerts
from ..formatting import short_time
from . import output
from .context import JSON_OPTION, workspace

if TYPE_CHECKING:
    from ..core.monitoring.alert_delivery import SampleDelivery

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
        # The delivery column only where some alert had somewhere to go ([alerts] in the config).
        sent = any(a.delivery for a in found)
        output.table(
            ["id", "time", "kind", "acked", *(["delivery"] if sent else []), "message"],
            [
                (
                    a.id,
                    short_time(a.created_at),
                    a.kind,
                    "yes" if a.acked else "",
                    *([a.delivery or ""] if sent else []),
                    a.message,
                )
                for a in found
            ],
        )
        if any(a.delivery == alerts.FAILED for a in found):
            output.line("Some alerts could not be delivered: `wb log` says why.", style="yellow")

    output.emit(alerts.list_alerts(workspace(ctx), open_only), as_json, human)


@app.command("ack")
def ack(
    ctx: typer.Context,
    alert_id: int = typer.Argument(..., metavar="ID", help="The alert's id (`wb alerts list`)."),
) -> None:
    """Acknowledge an alert."""
    changed = alerts.ack(workspace(ctx), alert_id)
    output.line(f"acknowledged alert {alert_id}" if changed else f"alert {alert_id} was already acknowledged")


@app.command("test")
def test(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Send a sample alert (marked as a test, stored nowhere) through [alerts] command and file."""
    from ..core.monitoring import alert_delivery  # processes and locks: only for this command

    result = alert_delivery.send_sample(workspace(ctx))

    def human(sample: SampleDelivery) -> None:
        if not sample.configured:
            output.line(
                'No alert channel is configured: set command = ["PROGRAM", "ARG", ...] (each alert '
                'as JSON on its stdin) or file = "alerts.jsonl" under [alerts] in .wb/config.toml.'
            )
        for d in sample.deliveries:
            output.line(d.describe(), style=None if d.delivered else "red")

    output.emit(result, as_json, human)
    if result.failed:
        raise typer.Exit(EXIT_CHECK_FAILED)
