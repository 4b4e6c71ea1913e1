"""`wb drift ...`: has new data moved from its reference."""

from __future__ import annotations

from typing import Any

import typer

from ..core.errors import EXIT_CHECK_FAILED, InvalidInput
from ..core.monitoring import drift as drift_core
from ..core.names import plural
from ..formatting import short_time
from . import output
from .context import JSON_OPTION, workspace

app = typer.Typer(help="Drift checks: compare a new drop with a reference.", no_args_is_help=True)


@app.command("check")
def check(ctx: typer.Context,
          reference: str = typer.Option(..., "--reference", help="The reference version."),
          current: str = typer.Option(..., "--current", help="A version or a data file."),
          model: str | None = typer.Option(None, "--model", help=(
              "A model: MODELREF (demand@production) or a run that trained one; adds prediction drift.")),
          target: str | None = typer.Option(None, "--target", help=(
              "With --model, the label column in the current data: adds performance.")),
          classifier: bool = typer.Option(False, "--classifier", help=(
              "Also train a model to tell reference rows from current ones.")),
          fail_on_drift: bool = typer.Option(False, "--fail-on-drift",
                                             help="Exit 1 when the dataset drifted."),
          as_json: bool = JSON_OPTION) -> None:
    """Compare current data with a reference, feature by feature; store the report."""
    if target and not model:
        raise InvalidInput("--target needs --model: it scores that model on the current data")
    report = drift_core.check(workspace(ctx), reference, current, model=model, target=target,
                              classifier=classifier)
    if as_json:
        output.print_json(report)
    else:
        _print_report(report)
    if fail_on_drift and report["dataset_drift"]:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _tests(feature: dict[str, Any]) -> list[dict[str, Any]]:
    tests = feature.get("tests") or [feature]
    headline = next((t for t in tests if t["test"] == feature["test"]), tests[0])
    return [headline, *(t for t in tests if t is not headline)]


def _print_report(report: dict[str, Any]) -> None:
    verdict = "DATASET DRIFT" if report["dataset_drift"] else "no dataset drift"
    output.line(f"{report['current']} vs {report['reference']}: {verdict} "
                f"({report['drifted_features']} of {plural(report['n_features'], 'feature')} drifted; "
                f"the dataset drifts at {report['threshold_share']:.0%})",
                style="bold red" if report["dataset_drift"] else "bold green")
    # Every test run on a feature, its headline first (reports made before tests were kept
    # have the headline only).
    output.table(["feature", "type", "test", "score", "threshold", "p", "drifted", "detail"],
                 [(f["name"] if i == 0 else "", f["type"] if i == 0 else "", t["test"],
                   f"{t['score']:.3f}", f"{t['threshold']:g}", f"{t['p_value']:.2g}",
                   "YES" if t["drifted"] else "", t["detail"])
                  for f in report["features"] for i, t in enumerate(_tests(f))],
                 justify_right=("score", "threshold", "p"))
    for problem in report["schema_problems"]:
        output.line(f"column {problem['name']}: {problem['problem']}", style="yellow")
    pred = report.get("prediction_drift")
    if pred:
        output.line(f"predictions: {pred['test']} {pred['score']:.3f} (threshold "
                    f"{pred['threshold']:g}) -> {'DRIFTED' if pred['drifted'] else 'stable'}",
                    style="red" if pred["drifted"] else None)
    perf = report.get("performance")
    if perf:
        change = "" if perf["degradation"] is None else f", {perf['degradation']:+.1%} worse"
        output.line(f"performance: {perf['metric']} {perf['current']:.4g} on {perf['rows']:,} "
                    f"labelled rows vs {perf['validation']:.4g} at validation{change} -> "
                    f"{'DEGRADED' if perf['degraded'] else 'ok'}",
                    style="red" if perf["degraded"] else None)
    est = report.get("performance_estimate")
    if est and est["estimated"] is not None:
        line = (f"estimated {est['metric']} without labels: {est['estimated']:.4g} vs "
                f"{est['validation']:.4g} at validation ({est['method']}; blind to concept drift)")
        if est.get("gap") is not None:
            line += (f"; actual {est['actual']:.4g}, {est['gap']:+.1%} off the estimate -> "
                     + ("CONCEPT DRIFT" if est["concept_drift"] else "explained by the inputs"))
        output.line(line, style="red" if est.get("concept_drift") or est["degraded"] else None)
    multi = report.get("multivariate")
    if multi:
        leaders = ", ".join(f"{f['name']} ({f['share']:.0%})" for f in multi["top_features"][:3])
        output.line(f"classifier: tells current from reference with ROC AUC {multi['score']:.3f} "
                    f"(threshold {multi['threshold']:g}) -> "
                    f"{'DRIFTED' if multi['drifted'] else 'indistinguishable'}; led by {leaders}",
                    style="red" if multi["drifted"] else None)
    if report["extra_columns"]:
        output.line(f"columns not in the reference: {', '.join(report['extra_columns'])}",
                    style="yellow")
    output.line(f"report {report['report_id'][:12]}", style="dim")


@app.command("list")
def list_(ctx: typer.Context,
          limit: int = typer.Option(50, "--limit", "-n", min=1,
                                    help="At most this many reports, newest first."),
          as_json: bool = JSON_OPTION) -> None:
    """Stored drift reports, newest first."""
    found = drift_core.list_reports(workspace(ctx), limit)
    if as_json:
        output.print_json(found)
        return
    if not found:
        output.line("No drift reports yet: `wb drift check --reference REF --current REF|PATH`.")
        return
    output.table(["report", "time", "reference", "current", "drift", "share", "drifted"],
                 [(r["report_id"][:12], short_time(r["created_at"]), r["reference"],
                   r["current"], "YES" if r["dataset_drift"] else "", f"{r['drift_share']:.0%}",
                   ", ".join(r["drifted"])) for r in found])


@app.command("show")
def show(ctx: typer.Context, report: str = typer.Argument(..., metavar="REPORT",
                                                         help="A report id or unique prefix."),
         as_json: bool = JSON_OPTION) -> None:
    """One stored drift report."""
    found = drift_core.show(workspace(ctx), report)
    if as_json:
        output.print_json(found)
    else:
        _print_report(found)
