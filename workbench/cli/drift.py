"""`wb drift ...`: has new data moved from its reference."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core.errors import EXIT_CHECK_FAILED, InvalidInput
from ..core.monitoring import drift as drift_core
from ..core.monitoring.records import DriftReport, ReportSummary
from ..formatting import short_time
from ..presenters import drift as drift_words
from . import output
from .context import HTML_OPTION, JSON_OPTION, workspace

app = typer.Typer(help="Drift checks: compare a new drop with a reference.", no_args_is_help=True)


@app.command("check")
def check(
    ctx: typer.Context,
    reference: str = typer.Option(..., "--reference", help="The reference version."),
    current: str = typer.Option(..., "--current", help="A version or a data file."),
    model: str | None = typer.Option(
        None,
        "--model",
        help=("A model: MODELREF (demand@production) or a run that trained one; adds prediction drift."),
    ),
    target: str | None = typer.Option(
        None, "--target", help=("With --model, the label column in the current data: adds performance.")
    ),
    classifier: bool = typer.Option(
        False, "--classifier", help=("Also train a model to tell reference rows from current ones.")
    ),
    fail_on_drift: bool = typer.Option(False, "--fail-on-drift", help="Exit 1 when the dataset drifted."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Compare current data with a reference, feature by feature; store the report."""
    if target and not model:
        raise InvalidInput("--target needs --model: it scores that model on the current data")
    report = drift_core.check(
        workspace(ctx), reference, current, model=model, target=target, classifier=classifier
    )
    output.emit(report, as_json, _print_report)
    if fail_on_drift and report.dataset_drift:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _print_report(report: DriftReport) -> None:
    output.line(drift_words.verdict(report), style="bold red" if report.dataset_drift else "bold green")
    output.table(
        list(drift_words.TEST_COLUMNS),
        drift_words.test_rows(report),
        justify_right=drift_words.NUMBER_COLUMNS,
    )
    if report.label_drift:  # the target, apart from the features
        output.table(
            ["label", *drift_words.TEST_COLUMNS[1:]],
            drift_words.test_rows(report, labels=True),
            justify_right=drift_words.NUMBER_COLUMNS,
        )
    for note in drift_words.notes(report):
        output.line(note.text, style=output.NOTE_STYLES[note.level])
    output.line(f"report {report.report_id[:12]}", style="dim")


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="At most this many reports, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stored drift reports, newest first."""
    output.emit(drift_core.list_reports(workspace(ctx), limit), as_json, _print_list)


def _print_list(found: list[ReportSummary]) -> None:
    if not found:
        output.line("No drift reports yet: `wb drift check --reference REF --current REF|PATH`.")
        return
    output.table(
        ["report", "time", "reference", "current", "drift", "share", "drifted"],
        [
            (
                r.report_id[:12],
                short_time(r.created_at),
                r.reference,
                r.current,
                "YES" if r.dataset_drift else "",
                f"{r.drift_share:.0%}",
                ", ".join(r.drifted),
            )
            for r in found
        ],
    )


@app.command("show")
def show(
    ctx: typer.Context,
    report: str = typer.Argument(..., metavar="REPORT", help="A report id or unique prefix."),
    html: Path | None = HTML_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """One stored drift report (--html FILE: also as a page to pass on)."""
    found = drift_core.show(workspace(ctx), report)
    if html is not None:
        from ..presenters import html_report

        output.write_page(html, html_report.drift_page(found))
    output.emit(found, as_json, _print_report)
