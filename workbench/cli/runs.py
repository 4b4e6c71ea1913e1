"""`wb run -- COMMAND` and `wb runs ...`: tracked runs."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import typer

from ..core.errors import InvalidInput
from ..core.experiments import command_runs
from ..core.experiments import runs as runs_core
from ..core.experiments.local_executor import LocalExecutor
from ..core.experiments.records import RunRecord
from ..core.metrics import BOOKKEEPING, PREFERRED
from ..core.names import parse_tags, short_id
from ..formatting import fmt_num, short_time, visible
from . import output
from .context import JSON_OPTION, RUN_ARGUMENT, TAG_OPTION, workspace

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
    if as_json:
        output.print_json([r.to_dict() for r in found])
        return
    if as_csv:
        _print_csv([r.to_dict() for r in found])
        return
    if not found:
        output.line(
            "No runs match the filter."
            if where or experiment
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
    info = runs_core.get(ws, run_ref)
    if as_json:
        output.print_json(info.to_dict())
        return
    _print_show(info)


def _print_show(info: RunRecord) -> None:
    output.line(f"run {info.id}  {info.name}", style="bold")
    env = info.environment
    rows = [
        ("experiment", info.experiment),
        ("status", info.status + (f" ({info.error})" if info.error else "")),
        ("kind", info.kind + (f" / {info.model}" if info.model else "")),
        ("started", short_time(info.started_at)),
        ("duration", f"{info.duration_s:.2f} s" if info.duration_s is not None else ""),
        ("command", " ".join(info.command)),
        ("cwd", info.cwd),
        ("host", f"{info.host} (pid {info.pid})"),
        ("python", env.get("python", "")),
        (
            "git",
            (env.get("git_commit") or "not a git checkout")
            + (" (uncommitted changes)" if env.get("git_dirty") else ""),
        ),
        ("seed", "" if info.seed is None else info.seed),
    ]
    output.pairs(rows)
    if info.inputs:
        output.table(["input", "hash"], [(i.ref, i.hash[:12]) for i in info.inputs])
    if info.params:
        output.table(["param", "value"], sorted(info.params.items()))
    if info.metrics:
        output.table(
            ["metric", "value", "steps"],
            [(k, fmt_num(v, 6), info.metric_steps.get(k, "")) for k, v in info.metrics.items()],
            justify_right=("value", "steps"),
        )
    if info.tags:
        output.table(["tag", "value"], sorted(info.tags.items()))
    if info.artifacts:
        output.table(
            ["artifact", "kind", "size", "hash"],
            [(a.path, a.kind, output.fmt_bytes(a.size), a.hash[:12]) for a in info.artifacts],
        )


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
    from ..core.errors import NotFound

    ws = workspace(ctx)
    info = runs_core.get(ws, run_ref)
    found = info.artifacts
    if get is None:
        if out is not None or force:
            raise InvalidInput("-o and --force go with --get PATH: say which artifact to fetch")
        if as_json:
            output.print_json([a.summary() for a in found])
        elif not found:
            output.line(f"run {info.name} logged no artifacts")
        else:
            output.table(
                ["path", "kind", "size", "hash"],
                [(a.path, a.kind, output.fmt_bytes(a.size), a.hash[:12]) for a in found],
                justify_right=("size",),
            )
        return
    if out is None:
        raise InvalidInput(f"--get {get} needs -o FILE: where to write it")
    artifact = next((a for a in found if a.path == get), None)
    if artifact is None:
        known = ", ".join(a.path for a in found) or "none"
        raise NotFound(f"run {info.name} has no artifact {get!r}; its artifacts: {known}")
    if out.is_dir():
        raise InvalidInput(f"{out} is a folder; give a file path with -o")
    if out.exists() and not force:
        raise InvalidInput(f"{out} already exists; pass --force to overwrite it")
    if not out.parent.is_dir():
        raise InvalidInput(f"folder {out.parent} does not exist")
    ws.store.copy_verified(artifact.hash, out)
    if as_json:
        output.print_json({"path": get, "output": str(out), "size": artifact.size, "hash": artifact.hash})
        return
    output.line(
        f"wrote {get} of run {info.name} to {out} "
        f"({output.fmt_bytes(artifact.size)}, hash {artifact.hash[:12]} verified)"
    )


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
    result = comparison.compare(ws, run_refs)
    if as_json:
        output.print_json(result)
        return
    names = [r["name"] for r in result["runs"]]
    if result["params_differ"]:
        output.table(
            ["param", *names],
            [(k, *("" if v is None else v for v in vs)) for k, vs in result["params_differ"].items()],
        )
    else:
        output.line("all params are the same")
    output.table(
        ["metric", *names],
        [
            (
                k,
                *(
                    fmt_num(v) + (" *" if best else "")
                    for v, best in zip(row["values"], row["best"], strict=True)
                ),
            )
            for k, row in result["metrics"].items()
        ],
        justify_right=tuple(names),
    )
    for key, histories in result["curves"].items():
        _plot_curve(key, {n: histories[r["id"]] for n, r in zip(names, result["runs"], strict=True)})


def _plot_curve(key: str, histories: dict[str, list]) -> None:
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

    result = comparison.reproduce(workspace(ctx), run_ref)
    if as_json:
        output.print_json(result.to_dict())
        return
    output.line(f"reproduced {short_id(result.original)} as {short_id(result.new_run)}")
    output.table(
        ["metric", "delta"],
        [(k, "" if d is None else f"{d:+.6g}") for k, d in result.deltas.items()],
        justify_right=("delta",),
    )
    for note in result.notes:
        output.line(f"note: {note}", style="yellow")
    verdict = result.to_dict()["identical"]
    output.line("identical metrics" if verdict else "metrics differ", style="green" if verdict else "yellow")
