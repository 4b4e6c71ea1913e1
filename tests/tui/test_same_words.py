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
