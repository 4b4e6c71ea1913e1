"""`wb fsck` and `wb gc`."""

from __future__ import annotations

import typer

from ..core.errors import EXIT_CHECK_FAILED
from ..core.names import plural
from ..core.storage import maintenance
from . import output
from .context import JSON_OPTION, workspace


def register(app: typer.Typer) -> None:
    app.command("fsck")(fsck)
    app.command("gc")(gc)


def fsck(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Re-hash every object and check every reference; exit 1 when anything is wrong."""
    report = maintenance.fsck(workspace(ctx))
    output.emit(report, as_json, _print_fsck)
    if not report.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _print_fsck(report: maintenance.FsckReport) -> None:
    output.line(f"{plural(report.objects, 'object')} checked")
    for oid in report.corrupt:
        output.line(f"corrupt: {oid}", style="red")
    for item in report.missing:
        output.line(
            f"missing: {item['hash']} (referenced by {', '.join(item['referenced_by'])})", style="red"
        )
    for problem in report.database_errors:
        output.line(f"database: {problem}", style="red")
    if report.unreferenced:
        output.line(
            f"{plural(report.unreferenced, 'object')} nothing refers to (`wb gc` removes them "
            f"after the grace period)"
        )
    if report.temp_files:
        output.line(
            f"{plural(report.temp_files, 'temp file')} from unfinished writes, "
            f"{len(report.stale_temp_files)} of them stale (the next write or `wb gc` "
            f"removes those)"
        )
        for path in report.stale_temp_files:
            output.line(f"stale: {path}")
    output.line("ok" if report.ok else "NOT OK", style="green" if report.ok else "bold red")


def gc(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would go."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete objects nothing refers to (sparing those younger than the grace period)."""
    output.emit(maintenance.gc(workspace(ctx), dry_run=dry_run), as_json, _print_gc)


def _print_gc(report: maintenance.GcReport) -> None:
    verb = "would delete" if report.dry_run else "deleted"
    output.line(
        f"{verb} {plural(len(report.deleted), 'object')} "
        f"({output.fmt_bytes(report.bytes_freed)}) and {plural(report.temp_files, 'temp file')}"
    )
    if report.spared_young:
        output.line(
            f"spared {plural(report.spared_young, 'unreferenced object')} younger than the grace period"
        )
