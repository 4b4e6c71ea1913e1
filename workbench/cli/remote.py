"""`wb remote add | list | remove`: the buckets and folders this workspace shares through, and
`wb push` / `wb pull`: what travels through them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..core.names import plural
from ..core.remotes import settings
from ..core.remotes.settings import Remote
from ..formatting import fmt_bytes
from . import output
from .context import JSON_OPTION, workspace

if TYPE_CHECKING:  # push, pull and clone import what moves objects when they run
    from ..core.remotes.clone import Cloned
    from ..core.remotes.sync import SyncResult

app = typer.Typer(
    help="Remotes to push to and pull from: an S3-compatible bucket or a folder.", no_args_is_help=True
)


def _described(remote: Remote) -> str:
    server = f" at {remote.endpoint_url}" if remote.endpoint_url else ""
    return f"{remote.name}: {remote.url}{server}{' (default)' if remote.default else ''}"


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="What to call the remote (`origin`, `usb`)."),
    url: str = typer.Argument(
        ..., help="s3://BUCKET/PREFIX, or a folder (a path or file:///PATH), e.g. a USB drive."
    ),
    endpoint_url: str | None = typer.Option(
        None,
        "--endpoint-url",
        metavar="URL",
        help="The S3 server, when it is not AWS (MinIO, Ceph, rclone: http://HOST:PORT).",
    ),
    default: bool = typer.Option(False, "--default", help="Push and pull here when no remote is named."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a remote. Credentials are not stored: S3 takes them from AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws (AWS_PROFILE)."""
    output.emit(
        settings.add(workspace(ctx), name, url, endpoint_url, default),
        as_json,
        lambda remote: output.line(f"added remote {_described(remote)}"),
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """The remotes of this workspace."""
    output.emit(settings.list_remotes(workspace(ctx)), as_json, _table)


def _table(remotes: list[Remote]) -> None:
    if not remotes:
        output.line("no remotes; add one with `wb remote add NAME URL`")
        return
    output.table(
        ["remote", "url", "endpoint", "default"],
        [(r.name, r.url, r.endpoint_url or "", "yes" if r.default else "") for r in remotes],
    )


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The remote to forget."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Forget a remote; what it holds (its bucket or folder) is left as it is."""
    output.emit(
        settings.remove(workspace(ctx), name),
        as_json,
        lambda remote: output.line(
            f"removed remote {remote.name} ({remote.url}); its contents are untouched"
        ),
    )


REMOTE_ARGUMENT = typer.Argument(None, help="The remote (default: the default remote, or the only one).")
DRY_RUN_OPTION = typer.Option(False, "--dry-run", help="Say what would travel; copy and write nothing.")


def push(
    ctx: typer.Context,
    remote: str | None = REMOTE_ARGUMENT,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Upload to a remote what it lacks: objects, and the records of dataset versions, contracts,
    runs, drift reports, model versions and alias moves."""
    from ..core.remotes import sync

    with output.progress_bar("pushing", None) as progress:
        result = sync.push(workspace(ctx), remote, dry_run=dry_run, progress=progress)
    output.emit(result, as_json, lambda r: _said(r, "push", "to", "already there"))


def pull(
    ctx: typer.Context,
    remote: str | None = REMOTE_ARGUMENT,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Download from a remote what this workspace lacks, verified: the dataset versions, contracts,
    runs, drift reports, model versions and alias moves it brings (a version whose bytes are
    here already is not added again)."""
    from ..core.remotes import sync

    with output.progress_bar("pulling", None) as progress:
        result = sync.pull(workspace(ctx), remote, dry_run=dry_run, progress=progress)
    output.emit(result, as_json, lambda r: _said(r, "pull", "from", "already here"))
    if result.conflicts:
        raise typer.Exit(1)


def _said(result: SyncResult, verb: str, direction: str, had: str) -> None:
    would = f"would {verb}" if result.dry_run else f"{verb}ed"
    output.line(
        f"{would} {plural(result.objects, 'object')} ({fmt_bytes(result.bytes)}) {direction} "
        f"{result.remote}: {plural(result.records, 'record')}; {result.skipped} {had}"
    )
    if result.added:
        output.line(f"added {', '.join(result.added)}")
    for c in result.conflicts:
        output.line(
            f"conflict: the {c.kind} of {c.name} here ({c.local}) and on {result.remote} ({c.remote}) "
            f"were both changed; kept this one ({c.settle})",
            style="yellow",
        )


def clone(
    url: str = typer.Argument(..., help="The remote: s3://BUCKET/PREFIX, or a folder."),
    path: Path | None = typer.Argument(
        None, help="A new or empty folder for the workspace (default: the remote's last part, here)."
    ),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", metavar="URL", help="The S3 server, when it is not AWS (http://HOST:PORT)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """A new workspace from a remote, with it as the default remote (`origin`)."""
    from ..core.remotes.clone import clone_into

    with output.progress_bar("cloning", None) as progress:
        result = clone_into(path, url, endpoint_url, progress=progress)
    output.emit(result, as_json, _cloned)


def _cloned(result: Cloned) -> None:
    _said(result.pulled, "pull", "from", "already here")
    output.line(f"cloned {result.remote.url} into {result.path} (remote {result.remote.name}, the default)")
