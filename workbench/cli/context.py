"""What every command shares: the global options and the workspace they select."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from ..core.storage.workspace import Workspace

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document on stdout.")
HTML_OPTION = typer.Option(
    None, "--html", metavar="FILE", help="Also write it as one self-contained HTML page (no network)."
)
RUN_ARGUMENT = typer.Argument(..., metavar="RUN", help="A run id (or unique prefix) or name.")
TAG_OPTION = typer.Option([], "--tag", metavar="KEY=VALUE", help="Tag the run (repeatable).")


@dataclass
class Options:
    workspace: Path | None = None
    debug: bool = False


def workspace(ctx: typer.Context) -> Workspace:
    """The workspace for this command (`-w`, then WB_WORKSPACE, then upward from here)."""
    options: Options = ctx.find_root().obj or Options()
    return Workspace.find(options.workspace)
