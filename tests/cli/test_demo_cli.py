"""`wb demo`: the demo workspace tells the sample data's story; an occupied PATH is refused with
nothing written; the drops come from the package's generator, and the repository's script
still reproduces the committed copies."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import DROPS
from workbench.cli import output
from workbench.cli.main import app
from workbench.core import demo as demo_core
from workbench.core.errors import WbError

GENERATE = DROPS.parent / "generate.py"


class StatusLine:
    """What the progress line would show on a terminal, shown or not: (text, done, total)."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, float | None, float | None]] = []

    def show(self, description: str, done: float | None = None, total: float | None = None) -> None:
        self.shown.append((description, done, total))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One demo build for the module (it trains four models): (its root, the CLI's result,
    what its progress line showed)."""
    base = tmp_path_factory.mktemp("demo")
    line = StatusLine()

    @contextmanager
    def status_line(description, enabled=True):
        yield line if enabled else None

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(base)
        mp.delenv("WB_WORKSPACE", raising=False)
        mp.delenv("WB_RUN_ID", raising=False)
        mp.setattr(output, "status_line", status_line)
        result = CliRunner().invoke(app, ["demo", "wb-demo", "--no-ui"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return base / "wb-demo", result, line.shown


def as_json(result):
    return json.loads(result.stdout)


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- the story -------------------------------------------------------------------------------
def test_demo_prints_progress_and_what_to_try(built):
    _, result, _ = built
    progress = result.stderr
    assert "added sales@1" in progress and "promoted it to production" in progress
    assert "sales@2 (week_01): no dataset drift" in progress
    assert "sales@7 (week_06): DATASET DRIFT" in progress
    assert "registered as demand@2, not promoted" in progress
    out = result.stdout
    assert "demo workspace ready in wb-demo" in out and "weeks 5 and 6 drift" in out
    for command in (
        "cd wb-demo && wb",
        "wb runs list",
        "wb drift list",
        "wb alerts list",
        "wb model promote demand@2 --to production",
    ):
        assert command in out


def test_demo_workspace_holds_the_story(built, wb):
    root, _, _ = built

    def query(*args):
        return as_json(wb("-w", root, *args, "--json"))

    versions = query("data", "log", "sales")
    assert [v["version"] for v in versions] == list(range(1, 8))
    assert [v["valid"] for v in versions][:4] == [True] * 4 and versions[-1]["valid"] is False
    assert "columns" in query("data", "contract", "show", "sales")
    assert query("model", "list") == [{"name": "demand", "versions": 2, "aliases": {"production": 1}}]
    assert query("model", "show", "demand@2")["dataset"] == "sales@6"
    reports = {r["current"]: r for r in query("drift", "list")}
    assert set(reports) == {f"sales@{n}" for n in range(2, 8)}
    assert reports["sales@6"]["dataset_drift"] or reports["sales@7"]["dataset_drift"]
    assert not any(reports[f"sales@{n}"]["dataset_drift"] for n in (2, 3))
    kinds = {a["kind"] for a in query("alerts", "list")}
    assert {"drift", "performance"} <= kinds
    found = query("runs", "list")
    assert len(found) == 4 and {r["status"] for r in found} == {"finished"}
    assert (root / "sales.toml").is_file()
    # The drops come from the package's generator: the committed bytes, without sample_data/.
    assert files_under(root / "drops") == files_under(DROPS)


def test_the_models_history_tells_the_story(built, wb):
    """Fine to week 3, degraded from week 4, the challenger better on the newest week."""
    root, _, _ = built
    points = as_json(wb("-w", root, "model", "history", "demand", "--json"))
    champion = {p["drop"]: p for p in points if p["version"] == 1}
    assert list(champion) == [f"sales@{n}" for n in range(2, 8)]
    assert [champion[f"sales@{n}"]["degraded"] for n in range(2, 8)] == [False] * 3 + [True] * 3
    (challenger,) = [p for p in points if p["version"] == 2]
    assert challenger["drop"] == "sales@7" and challenger["value"] < champion["sales@7"]["value"]
    out = wb("-w", root, "model", "history", "demand").stdout.replace("\n", " ")
    assert "fine to sales@4, degraded from sales@5" in out and "in production: " in out


def test_the_challenger_passes_the_gates(built, wb):
    """What the user does next in the TUI: demand@2 goes to production through the gates."""
    root, _, _ = built
    promoted = as_json(wb("-w", root, "model", "promote", "demand@2", "--to", "production", "--json"))
    assert promoted["promoted"] is True and all(g["passed"] for g in promoted["gates"])
    wb("-w", root, "model", "rollback", "demand")  # leave the demo as it was built


def test_the_progress_line_counts_every_stage_as_it_begins(built):
    _, _, shown = built
    stages = [(text, done) for text, done, total in shown if ": round" not in text]
    assert stages[0] == ("writing the sample drops", 0)
    assert stages[-1] == ("rolling demand@2 out to the east stores", 13)
    dones = [done for _, done in stages]
    assert dones == sorted(dones) and set(dones) == set(range(14)) and {t for *_, t in shown} == {14}
    assert "adding week_06.csv and checking it for drift with demand@production" in dict(stages)
    assert ("training the champion on sales@1: round 300/300", 2, 14) in shown  # its boosting rounds
    assert "training challenger 3 of 3 on sales@6" in dict(stages)


# -- refusals and failures -------------------------------------------------------------------
def test_demo_refuses_a_workspace_and_writes_nothing(wb, tmp_path):
    events = as_json(wb("log", "--json"))
    result = wb("demo", ".", "--no-ui", code=2)
    assert "already a wb workspace" in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [".wb"]
    assert as_json(wb("log", "--json")) == events


def test_demo_refuses_a_non_empty_folder_or_a_file(wb, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("buy milk\n")
    result = wb("demo", folder, "--no-ui", code=2)
    assert "is not empty" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["todo.txt"]
    assert "is a file" in wb("demo", folder / "todo.txt", code=2).stderr
    assert (folder / "todo.txt").read_text() == "buy milk\n"


def test_a_failed_build_leaves_no_folder_behind(wb, tmp_path, monkeypatch):
    def fail(ws, step, on_progress):
        (ws.root / "half-made").write_text("x")
        raise WbError("the sample data could not be read")

    monkeypatch.setattr(demo_core, "_fill", fail)
    result = wb("demo", "new", "--no-ui", code=2)
    assert "could not be read" in result.stderr
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    wb("demo", "empty", "--no-ui", code=2)
    assert list((tmp_path / "empty").iterdir()) == []  # an empty folder given stays, empty


def test_json_is_one_document_and_no_ui_without_a_terminal(wb, tmp_path, monkeypatch):
    summary = demo_core.Summary(
        workspace=str(tmp_path / "d"),
        dataset="sales",
        versions=7,
        contract_violations={},
        model="demand",
        production=1,
        challenger=2,
        champion_run="r1",
        challenger_runs=["r2"],
        reports=[{"week": "week_05", "dataset_drift": True}],
        open_alerts=2,
        seconds=1.0,
    )
    monkeypatch.setattr(demo_core, "build", lambda path, **callbacks: summary)
    import workbench.tui.app

    monkeypatch.setattr(workbench.tui.app, "run", lambda root: pytest.fail("the TUI opened"))
    result = wb("demo", "d", "--json")
    assert as_json(result) == summary.to_dict() and result.stderr == ""
    out = wb("demo", "d").stdout  # stdout is no terminal: no TUI, and what to try instead
    assert "week 5 drift" in out and "try:" in out and "cd d && wb" in out


# -- the generator ---------------------------------------------------------------------------
def test_the_repository_script_still_writes_the_committed_drops(tmp_path):
    subprocess.run(
        [sys.executable, str(GENERATE), "--out", str(tmp_path)], check=True, capture_output=True, cwd=tmp_path
    )
    assert files_under(tmp_path) == files_under(DROPS)


def test_demo_leaves_a_rollout_in_progress_with_a_week_of_outcomes(built, wb):
    root, result, _ = built
    assert "wb rollout status spring" in result.stdout
    doc = json.loads(wb("-w", root, "rollout", "status", "spring", "--json").stdout)
    assert doc["segment"] == "region" and doc["verdict"] == "collecting"
    challenger = doc["arms"][1]
    assert challenger["segments"] == 1 and challenger["labelled"] == challenger["rows"] > 0


def test_the_tui_shows_the_demos_rollout_in_progress(built):
    from workbench.tui import views

    root = built[0]
    table = views.models_table(root)
    arms = {key: row[table.columns.index("rollout")] for key, row in zip(table.keys, table.rows, strict=True)}
    assert arms == {"demand@2": "⇄ challenger", "demand@1": "⇄ champion"}
    assert "rollout spring (in progress since" in views.model_detail(root, "demand@1")
