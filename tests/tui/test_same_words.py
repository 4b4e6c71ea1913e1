"""The CLI and the TUI word a result the same way (one presenter per result): what
`wb drift show` prints about a report beyond its features, the TUI's drift detail says too."""

from __future__ import annotations

from typer.testing import CliRunner

from workbench.cli.main import app
from workbench.core.monitoring import drift
from workbench.presenters import drift as drift_words
from workbench.tui import views


def test_a_drift_reports_findings_read_the_same_in_the_cli_and_the_tui(filled, monkeypatch):
    report = drift.check(filled, "sales@1", "sales@2", model="demand@production", target="units_sold")
    found = [n.text for n in drift_words.notes(report)]
    assert any(t.startswith("performance: rmse") for t in found)
    assert any(t.startswith("predictions: ") for t in found)
    monkeypatch.chdir(filled.root)
    printed = CliRunner().invoke(app, ["drift", "show", report.report_id]).stdout
    shown = views.drift_detail(filled.root, f"report:{report.report_id}")
    for text in [drift_words.verdict(report), *found]:
        assert text in printed.replace("\n", " ") or text in printed
        assert text in shown


def test_runs_compared_read_the_same_in_the_cli_and_the_tui(filled, monkeypatch):
    from workbench.core.experiments import comparison, training
    from workbench.presenters import runs as run_words

    other = training.train(filled, training.TrainSpec(data="sales@1", target="units_sold", model="baseline"))
    first = filled.conn.execute("SELECT id FROM runs WHERE id != ?", (other,)).fetchone()[0]
    result = comparison.compare(filled, [first, other])
    cells = [c for row in run_words.compared_metric_rows(result) for c in row]
    assert any(c.endswith(" *") for c in cells)  # the best of each metric is marked
    monkeypatch.chdir(filled.root)
    printed = CliRunner().invoke(app, ["runs", "compare", first, other]).stdout
    shown = views.compare_text(filled.root, [first, other], 120)
    for text in [*run_words.names(result), *cells]:
        assert text in printed and text in shown, text


def test_a_runs_metrics_and_params_read_the_same_in_the_cli_and_the_tui(filled, monkeypatch):
    from workbench.core.experiments import runs
    from workbench.presenters import runs as run_words

    run_id = filled.conn.execute("SELECT id FROM runs").fetchone()[0]
    info = runs.get(filled, run_id)
    monkeypatch.chdir(filled.root)
    printed = CliRunner().invoke(app, ["runs", "show", run_id]).stdout
    shown = views.run_detail(filled.root, run_id)
    for key, value, *_ in [*run_words.metric_rows(info), *run_words.param_rows(info)]:
        assert key in printed and value in printed, (key, value)
        assert f"{key} = {value}" in shown
