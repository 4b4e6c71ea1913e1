"""`wb run -- COMMAND` and `wb runs ...`: tracked runs."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..core.errors import InvalidInput
from ..core.experiments import command_runs
from ..core.experiments import runs as runs_core
from ..core.experiments.local_executor import LocalExecutor
from ..core.experiments.records import RunRecord, RunSummary
from ..core.metrics import BOOKKEEPING, PREFERRED
from ..core.names import parse_tags, short_id
from ..formatting import fmt_num, short_time, visible
from ..presenters import runs as run_words
from . import output
from .context import JSON_OPTION, RUN_ARGUMENT, TAG_OPTION, workspace

if TYPE_CHECKING:  # comparison is imported when a command needs it
    from ..core.experiments.comparison import Comparison, History, Reproduction

app = typer.Typer(
    help="Tracked runs: list, show, tag, artifacts, compare, reproduce, kill, rm.", no_args_is_help=True
)


def run(
    ctx: typer.Context,
    command: list[str] = typer.Argument(None, help="The program and its arguments, after --."),
    experiment: str | None = typer.Option(
        None, "--experiment", "-e", help="Experiment to file the run under."
    ),
    data: list[str] = typer.Option(
        [], "--data", "-d", help="A dataset version the program reads (repeatable)."
    ),
    name: str | None = typer.Option(None, "--name", help="A name for the run."),
    tag: list[str] = TAG_OPTION,
    detach: bool = typer.Option(False, "--detach", help="Run in the background; print the id."),
    adopt: str | None = typer.Option(None, "--adopt", hidden=True),
) -> None:
    """Run any program as a tracked run: `wb run -e demand -d sales@3 -- python train.py`.

    The program sees WB_RUN_ID, so `wb.start_run()` inside it logs to this run. wb exits with
    the program's exit code."""
    ws = workspace(ctx)
    command = command or []
    executor = LocalExecutor()
    if adopt:
        run_id = adopt
    else:
        run_id = command_runs.create_command_run(
            ws, command, experiment=experiment, data=data, name=name, queued=detach, tags=parse_tags(tag)
        )
    if detach:
        executor.detach(ws, run_id, command)
        typer.echo(run_id)
        return
    if not adopt:
        output.note(f"wb: run {run_id[:12]} started")
    outcome = executor.execute(ws, run_id, command)
    output.note(f"wb: run {run_id[:12]} {outcome.status} (exit code {outcome.exit_code})")
    if outcome.exit_code:
        raise typer.Exit(130 if outcome.status == "killed" else outcome.exit_code)


@app.command("list")
def list_(
    ctx: typer.Context,
    experiment: str | None = typer.Option(
        None, "--experiment", "-e", help="Only the runs of this experiment."
    ),
    where: str | None = typer.Option(
        None,
        "--where",
        help=(
            'Filter, e.g. "params.lr > 0.05 and (metrics.rmse < 3 or status = failed)"; '
            "fields params.X, metrics.X, tags.X, status, model, data, name, experiment."
        ),
    ),
    sort: str | None = typer.Option(
        None,
        "--sort",
        help=("metrics.X, params.X, started_at, duration_s, name ...; prefix - for descending."),
    ),
    limit: int = typer.Option(50, "--limit", "-n", min=0, help="At most this many (0: all)."),
    as_csv: bool = typer.Option(
        False,
        "--csv",
        help=(
            "Print CSV on stdout: a column per field, param (params.X) and metric "
            "(metrics.X), for a spreadsheet or pandas."
        ),
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Runs, newest first (or as sorted)."""
    if as_csv and as_json:
        raise InvalidInput("--csv and --json are two formats: choose one")
    ws = workspace(ctx)
    runs_core.reap_lost(ws)  # a run whose process died is listed as lost, not running
    found = runs_core.list_runs(ws, experiment=experiment, where=where, sort=sort, limit=limit or None)
    if as_csv:
        _print_csv([r.to_dict() for r in found])
        return
    output.emit(found, as_json, lambda found: _print_list(found, filtered=bool(where or experiment)))


def _print_list(found: list[RunSummary], filtered: bool) -> None:
    if not found:
        output.line(
            "No runs match the filter."
            if filtered
            else "No runs yet. Start one with `wb train` or `wb run -- COMMAND`."
        )
        return
    logged = {k for r in found for k in r.metrics} - BOOKKEEPING
    metric_keys = ([k for k in PREFERRED if k in logged] + sorted(logged - set(PREFERRED)))[:6]
    output.table(
        ["id", "name", "experiment", "status", "model", "started", "secs", *metric_keys],
        [
            (
                short_id(r.id),
                r.name,
                r.experiment,
                r.status,
                r.model or "",
                short_time(r.started_at),
                fmt_num(r.duration_s, 3),
                *(fmt_num(r.metrics.get(k)) for k in metric_keys),
            )
            for r in found
        ],
        justify_right=("secs", *metric_keys),
        drop_first=("experiment", "model", "started", "secs"),
    )


def _print_csv(found: list[dict[str, Any]]) -> None:
    """The runs as CSV, exact values (no escaping for the terminal: this is data)."""
    fields = [k for k in (found[0] if found else {}) if k not in ("params", "metrics")]
    params = sorted({k for r in found for k in r["params"]})
    metrics = sorted({k for r in found for k in r["metrics"]})
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([*fields, *(f"params.{k}" for k in params), *(f"metrics.{k}" for k in metrics)])
    for r in found:
        writer.writerow(
            [
                *(r[k] for k in fields),
                *(r["params"].get(k, "") for k in params),
                *(r["metrics"].get(k, "") for k in metrics),
            ]
        )


@app.command("tag")
def tag_(
    ctx: typer.Context,
    run_ref: str = RUN_ARGUMENT,
    tags: list[str] = typer.Argument(
        ..., metavar="KEY=VALUE...", help="Tags to set (an existing key is overwritten)."
    ),
) -> None:
    """Tag a run, finished or not: a note (`reviewed=yes`) that `--where tags.X` finds."""
    found = parse_tags(tags, "a tag")
    run_id = runs_core.tag(workspace(ctx), run_ref, found)
    output.line(f"tagged run {short_id(run_id)}: " + ", ".join(f"{k}={v}" for k, v in found.items()))


@app.command("show")
def show(ctx: typer.Context, run_ref: str = RUN_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Everything a run recorded."""
    ws = workspace(ctx)
    runs_core.reap_lost(ws)  # a run whose process died shows as lost, not running
    output.emit(runs_core.get(ws, run_ref), as_json, _print_show)


def _print_show(info: RunRecord) -> None:
    output.line(run_words.title(info), style="bold")
    output.pairs(run_words.facts(info))
    if info.inputs:
        output.table(["input", "hash"], run_words.input_rows(info))
    if info.params:
        output.table(["param", "value"], run_words.param_rows(info))
    if info.metrics:
        output.table(
            ["metric", "value", "steps"], run_words.metric_rows(info), justify_right=("value", "steps")
        )
    if info.tags:
        output.table(["tag", "value"], run_words.tag_rows(info))
    if info.artifacts:
        output.table(["artifact", "kind", "size", "hash"], run_words.artifact_rows(info))


@app.command("artifacts")
def artifacts(
    ctx: typer.Context,
    run_ref: str = RUN_ARGUMENT,
    get: str | None = typer.Option(
        None, "--get", metavar="PATH", help="Fetch this artifact (needs -o FILE)."
    ),
    out: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Where --get writes the artifact's bytes."
    ),
    force: bool = typer.Option(False, "--force", "-f", help="Let --get overwrite FILE if it exists."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The files a run logged (its models included): list them, or fetch one with
    `--get PATH -o FILE`, its bytes verified against their hash."""
    from ..core.experiments import artifacts as artifacts_core

    ws = workspace(ctx)
    info = runs_core.get(ws, run_ref)
    if get is None:
        if out is not None or force:
            raise InvalidInput("-o and --force go with --get PATH: say which artifact to fetch")
        output.emit_summaries(info.artifacts, as_json, lambda _: _print_artifacts(info))
        return
    if out is None:
        raise InvalidInput(f"--get {get} needs -o FILE: where to write it")
    output.emit(
        artifacts_core.fetch(ws, info, get, out, force),
        as_json,
        lambda done: output.line(
            f"wrote {done.path} of run {info.name} to {done.output} "
            f"({output.fmt_bytes(done.size)}, hash {done.hash[:12]} verified)"
        ),
    )


def _print_artifacts(info: RunRecord) -> None:
    if not info.artifacts:
        output.line(f"run {info.name} logged no artifacts")
        return
    output.table(["path", "kind", "size", "hash"], run_words.artifact_rows(info), justify_right=("size",))


@app.command("kill")
def kill(ctx: typer.Context, run_ref: str = RUN_ARGUMENT) -> None:
    """Stop a running run (SIGTERM, then it is recorded as killed)."""
    run_id = command_runs.kill(workspace(ctx), run_ref)
    output.line(f"killed run {run_id}")


@app.command("rm")
def rm(ctx: typer.Context, run_ref: str = RUN_ARGUMENT) -> None:
    """Delete a run and what it logged (artifact bytes go at the next `wb gc`)."""
    run_id = runs_core.remove(workspace(ctx), run_ref)
    output.line(f"removed run {run_id}")


@app.command("compare")
def compare(
    ctx: typer.Context,
    run_refs: list[str] = typer.Argument(..., metavar="RUN...", help="Two or more runs."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Params that differ, metrics side by side (best marked *), learning curves."""
    from ..core.experiments import comparison

    ws = workspace(ctx)
    runs_core.reap_lost(ws)  # the runs' statuses are shown: a dead run's is lost
    output.emit(comparison.compare(ws, run_refs), as_json, _print_comparison)


def _print_comparison(result: Comparison) -> None:
    names = run_words.names(result)
    if result.params_differ:
        output.table(["param", *names], run_words.differing_param_rows(result))
    else:
        output.line("all params are the same")
    output.table(["metric", *names], run_words.compared_metric_rows(result), justify_right=tuple(names))
    for key, histories in run_words.curves(result):
        _plot_curve(key, histories)


def _plot_curve(key: str, histories: dict[str, History]) -> None:
    from rich.text import Text

    from ..charts import line_chart

    # The chart's colours are ANSI, so the names and key in it are escaped before it is drawn.
    chart = line_chart(
        visible(key), {visible(n): h for n, h in histories.items()}, min(output.stdout.width, 100)
    )
    output.stdout.print(Text.from_ansi(chart))


@app.command("reproduce")
def reproduce(ctx: typer.Context, run_ref: str = RUN_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Run again with the same data bytes, params, code and seed; show the metric deltas."""
    from ..core.experiments import comparison

    output.emit(comparison.reproduce(workspace(ctx), run_ref), as_json, _print_reproduction)


def _print_reproduction(result: Reproduction) -> None:
    output.line(f"reproduced {short_id(result.original)} as {short_id(result.new_run)}")
    output.table(
        ["metric", "delta"],
        [(k, "" if d is None else f"{d:+.6g}") for k, d in result.deltas.items()],
        justify_right=("delta",),
    )
    for note in result.notes:
        output.line(f"note: {note}", style="yellow")
    same = result.identical
    output.line("identical metrics" if same else "metrics differ", style="green" if same else "yellow")
