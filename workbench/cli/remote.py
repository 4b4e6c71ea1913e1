"""`wb remote add | list | remove`: the buckets and folders this workspace shares through."""

from __future__ import annotations

import typer

from ..core.remotes import settings
from ..core.remotes.settings import Remote
from . import output
from .context import JSON_OPTION, workspace

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
