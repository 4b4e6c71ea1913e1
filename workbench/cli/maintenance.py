"""`wb fsck` (and `wb fsck --rebuild`) and `wb gc`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ..core.errors import EXIT_CHECK_FAILED
from ..core.names import plural
from ..core.storage import maintenance
from . import output
from .context import JSON_OPTION, workspace

if TYPE_CHECKING:
    from ..core.remotes.rebuild import Rebuilt


def fsck(
    ctx: typer.Context,
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Rebuild a lost or damaged .wb/wb.db from the records in the store."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-hash every object and check every reference; exit 1 when anything is wrong."""
    if rebuild:
        from ..core.remotes import rebuild as rebuild_mod

        output.emit(rebuild_mod.rebuild(workspace(ctx)), as_json, _print_rebuilt)
        return
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


def _print_rebuilt(done: Rebuilt) -> None:
    output.line(
        f"rebuilt .wb/wb.db from {plural(done.records, 'record')}: "
        f"{plural(done.dataset_versions, 'dataset version')}, {plural(done.contracts, 'contract')}, "
        f"{plural(done.runs, 'run')}, {plural(done.model_versions, 'model version')}, "
        f"{plural(done.alias_moves, 'alias move')}, {plural(done.drift_reports, 'drift report')}"
    )
    for oid in done.damaged:
        output.line(f"damaged record passed over: {oid}", style="red")
    if done.moved_aside:
        output.line(f"the old database is kept at {done.moved_aside}")


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
