"""Run records: `to_dict()` is the JSON `wb runs show --json` and `wb runs list --json` have
always printed, whatever the run's status; and reading a run, even one whose process died,
writes nothing until `reap_lost` is asked to."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

import workbench as wb
from workbench.core.experiments import runs
from workbench.core.experiments.records import RunArtifact, RunInput, RunRecord, RunSummary
from workbench.core.experiments.tracking import ENV_RUN_ID

# SPEC.md: `wb runs list --json` is a list of these (the listing adds kind and model).
SPEC_LIST_FIELDS = {"id", "name", "experiment", "status", "params", "metrics", "started_at", "duration_s"}
LIST_KEYS = [
    "id",
    "name",
    "experiment",
    "status",
    "kind",
    "model",
    "params",
    "metrics",
    "started_at",
    "duration_s",
]
# `wb runs show --json`, key for key and in this order (its bytes are what scripts read).
SHOW_KEYS = [
    *LIST_KEYS,
    "tags",
    "inputs",
    "artifacts",
    "metric_steps",
    "command",
    "cwd",
    "host",
    "pid",
    "seed",
    "error",
    "exit_code",
    "ended_at",
    "created_at",
    "environment",
    "spec",
]


@pytest.fixture(autouse=True)
def _not_under_wb_run(monkeypatch):
    monkeypatch.delenv(ENV_RUN_ID, raising=False)


def _finished(ws, small_csv, tmp_path) -> str:
    from workbench.core.data import datasets

    datasets.add(ws, small_csv, "sales")
    note = tmp_path / "note.txt"
    note.write_text("hello")
    with wb.start_run(
        workspace=ws.root, experiment="demand", params={"lr": 0.1, "depth": 3}, tags={"team": "ml"}
    ) as run:
        run.use_dataset("sales@1")
        run.log_metric("loss", 2.0)
        run.log_metric("loss", 1.0)
        run.log_artifact(note)
    return run.id


def _failed(ws) -> str:
    with pytest.raises(ValueError), wb.start_run(workspace=ws.root) as run:
        run.log_metric("loss", 1.0)
        raise ValueError("boom")
    return run.id


def _running(ws) -> str:
    return runs.create(
        ws,
        experiment=None,
        kind="command",
        command=["python", "t.py"],
        cwd=ws.root,
        capture_environment=False,
    )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("status", ["finished", "failed", "running"])
def test_to_dict_is_the_json_of_runs_show_and_runs_list(ws, small_csv, tmp_path, status):
    run_id = {
        "finished": lambda: _finished(ws, small_csv, tmp_path),
        "failed": lambda: _failed(ws),
        "running": lambda: _running(ws),
    }[status]()
    record = runs.get(ws, run_id)
    assert isinstance(record, RunRecord) and record.status == status
    shown = record.to_dict()
    assert list(shown) == SHOW_KEYS and SPEC_LIST_FIELDS <= set(shown)
    [listed] = runs.list_runs(ws)
    assert isinstance(listed, RunSummary)
    assert list(listed.to_dict()) == LIST_KEYS and SPEC_LIST_FIELDS <= set(listed.to_dict())
    assert listed.to_dict() == {k: shown[k] for k in LIST_KEYS}  # one run, two views
    # JSON's own types, as before: lists, not the record's tuples; nested records as dicts.
    assert json.loads(json.dumps(shown)) == shown
    assert isinstance(shown["command"], list) and isinstance(shown["inputs"], list)
    assert all(list(a) == ["path", "kind", "hash", "size", "meta"] for a in shown["artifacts"])
    assert shown["ended_at"] == record.ended_at and shown["created_at"] == record.created_at
    assert (shown["error"] is None) == (status != "failed")


def test_a_finished_runs_record_holds_what_it_logged(ws, small_csv, tmp_path):
    record = runs.get(ws, _finished(ws, small_csv, tmp_path))
    shown = record.to_dict()
    assert (record.experiment, record.params, record.metrics) == (
        "demand",
        {"lr": 0.1, "depth": 3},
        {"loss": 1.0},
    )
    assert record.metric_steps == {"loss": 2} and record.tags == {"team": "ml"}
    [used] = record.inputs
    assert isinstance(used, RunInput) and used.ref == "sales@1"
    assert shown["inputs"] == [{"dataset": "sales", "version": 1, "hash": used.hash}]
    note = next(a for a in record.artifacts if a.path == "note.txt")
    assert isinstance(note, RunArtifact) and note.size == 5
    assert note.summary() == {
        "path": "note.txt",
        "kind": note.kind,
        "size": 5,
        "hash": note.hash,
    }  # `wb runs artifacts --json`
    assert [a["path"] for a in shown["artifacts"]] == sorted(a.path for a in record.artifacts)


def test_reading_a_lost_run_writes_nothing_until_it_is_reaped(ws):
    run_id = _running(ws)
    ws.conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (_dead_pid(), run_id))
    ws.conn.commit()
    watcher = sqlite3.connect(ws.db_path)  # data_version moves when another connection commits
    try:
        version = lambda: watcher.execute("PRAGMA data_version").fetchone()[0]  # noqa: E731
        before = version()
        assert runs.get(ws, run_id).status == "running"
        assert [r.status for r in runs.list_runs(ws)] == ["running"]
        assert runs.count_runs(ws) == 1 and runs.by_ids(ws, [run_id])[0].status == "running"
        assert version() == before, "a read committed a write"

        assert runs.reap_lost(ws) == 1
        assert version() != before
        lost = runs.get(ws, run_id)
        assert lost.status == "lost" and "stopped" in lost.error
    finally:
        watcher.close()
