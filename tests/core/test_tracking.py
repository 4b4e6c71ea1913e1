"""The Python tracking API (`import workbench as wb; wb.start_run(...)`): what a training script
logs is what `wb runs show` and the database hold afterwards, even with several processes
logging at once or a process dying mid-run."""

from __future__ import annotations

import math
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

import workbench as wb
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput, WbError
from workbench.core.experiments import runs
from workbench.core.experiments.executor import ENV_RUN_ID
from workbench.core.experiments.records import RunInput
from workbench.core.storage.workspace import ENV_VAR

DEADLINE_S = 60.0


@pytest.fixture(autouse=True)
def _not_under_wb_run(monkeypatch):
    """These tests start their own runs; an ambient WB_RUN_ID would attach them elsewhere."""
    monkeypatch.delenv(ENV_RUN_ID, raising=False)


def _metric_rows(ws, run_id: str, key: str | None = None) -> int:
    if key is None:
        return ws.conn.execute("SELECT COUNT(*) FROM metrics WHERE run_id = ?", (run_id,)).fetchone()[0]
    return ws.conn.execute(
        "SELECT COUNT(*) FROM metrics WHERE run_id = ? AND key = ?", (run_id, key)
    ).fetchone()[0]


def test_params_of_every_type_round_trip(ws, monkeypatch):
    sub = ws.root / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)  # the workspace is found by walking up, like git
    params = {
        "lr": 0.1,
        "depth": 3,
        "early": True,
        "verbose": False,
        "opt": "adam",
        "big": 10**12,
        "neg": -2.5,
        "none": None,
        "items": [1, 2],
        "nested": {"a": 1},
    }
    with wb.start_run(experiment="demand", params=params, name="my-run") as run:
        run.log_param("extra", "x")
        run.log_params({"depth": 4})  # a later value replaces an earlier one
    info = runs.get(ws, run.id)
    assert info.params == {**params, "extra": "x", "depth": 4}
    assert type(info.params["depth"]) is int and type(info.params["lr"]) is float
    assert info.params["early"] is True and info.params["verbose"] is False
    assert (info.name, info.experiment, info.status, info.kind) == ("my-run", "demand", "finished", "script")
    assert info.ended_at and info.duration_s >= 0


def test_metrics_with_explicit_and_automatic_steps(ws):
    with wb.start_run(workspace=ws.root) as run:
        for value in (3.0, 2.0, 1.5):
            run.log_metric("loss", value)  # steps 0, 1, 2
        run.log_metric("acc", 0.5, step=10)
        run.log_metric("acc", 0.7, step=5)  # logged later, but an earlier step
        run.log_metrics({"mae": 1.2, "r2": 0.8})
        run.log_metrics({"mae": 1.0, "r2": 0.9})
        run.log_metric("jump", 1.0, step=7)
        run.log_metric("jump", 2.0)  # automatic steps continue after the last explicit one
        run.log_metric("odd", float("nan"))
    assert runs.metric_history(ws, run.id, "loss") == [(0, 3.0), (1, 2.0), (2, 1.5)]
    assert runs.metric_history(ws, run.id, "acc") == [(5, 0.7), (10, 0.5)]
    assert runs.metric_history(ws, run.id, "mae") == [(0, 1.2), (1, 1.0)]
    assert runs.metric_history(ws, run.id, "jump") == [(7, 1.0), (8, 2.0)]
    info = runs.get(ws, run.id)
    # The latest value is the one at the highest step; NaN stays NaN (MLflow keeps it too).
    odd = info.metrics.pop("odd")
    assert math.isnan(odd) and math.isnan(runs.metric_history(ws, run.id, "odd")[0][1])
    assert info.metrics == {"loss": 1.5, "acc": 0.5, "mae": 1.0, "r2": 0.9, "jump": 2.0}
    assert runs.list_runs(ws, where="metrics.odd < 1") == []  # NaN compares false
    assert info.metric_steps == {"loss": 3, "acc": 2, "mae": 2, "r2": 2, "jump": 2, "odd": 1}


def test_a_metric_that_is_not_a_number_is_refused(ws):
    with wb.start_run(workspace=ws.root) as run:
        with pytest.raises(InvalidInput, match="must be a number"):
            run.log_metric("loss", "low")
        with pytest.raises(InvalidInput, match="1 to 250 characters"):
            run.log_metric("", 1.0)
    assert runs.get(ws, run.id).status == "finished"


def test_tags_artifacts_and_inputs(ws, small_csv, tmp_path):
    version = datasets.add(ws, small_csv, "sales").version
    plot = tmp_path / "plot.png"
    plot.write_bytes(bytes(range(256)) * 40)
    with wb.start_run(workspace=ws.root, tags={"team": "forecast", "n": 3}) as run:
        run.set_tag("stage", "dev")
        run.set_tag("team", "ml")  # overrides
        df = run.use_dataset("sales@1")
        oid = run.log_artifact(plot)
        run.log_artifact(plot, name="figures/again.png")
    assert isinstance(df, pl.DataFrame) and df.shape == (4, 4)
    assert df.columns == ["day", "store", "price", "units"]
    info = runs.get(ws, run.id)
    assert info.tags == {"team": "ml", "n": "3", "stage": "dev"}
    assert info.inputs == (RunInput("sales", 1, version.hash),)
    artifacts = {a.path: a for a in info.artifacts}
    assert {"plot.png", "figures/again.png", "environment/packages.txt"} <= set(artifacts)
    assert artifacts["plot.png"].hash == oid
    assert artifacts["plot.png"].size == plot.stat().st_size
    assert ws.store.read_verified(oid) == plot.read_bytes()
    # Finding the run by its input dataset works through the query language.
    assert [r.id for r in runs.list_runs(ws, where="data = 'sales@1'")] == [run.id]


@pytest.mark.parametrize("name", ["../escape.txt", "/abs.txt", "a//b", "a/./b"])
def test_artifact_names_must_be_plain_relative_paths(ws, small_csv, name):
    with wb.start_run(workspace=ws.root) as run, pytest.raises(InvalidInput, match="plain relative"):
        run.log_artifact(small_csv, name=name)


def test_log_artifact_of_a_missing_file_is_refused(ws, tmp_path):
    with wb.start_run(workspace=ws.root) as run, pytest.raises(InvalidInput, match="not a file"):
        run.log_artifact(tmp_path / "nope.png")


def test_an_exception_inside_with_fails_the_run_with_the_error(ws):
    with pytest.raises(ValueError, match="boom"), wb.start_run(workspace=ws.root) as run:
        run.log_metric("loss", 1.0)
        raise ValueError("boom")
    info = runs.get(ws, run.id)
    assert info.status == "failed"
    assert "ValueError" in info.error and "boom" in info.error
    assert info.metrics == {"loss": 1.0}  # what was logged before the error is kept


def test_ctrl_c_inside_with_marks_the_run_killed(ws):
    with pytest.raises(KeyboardInterrupt), wb.start_run(workspace=ws.root) as run:
        raise KeyboardInterrupt
    assert runs.get(ws, run.id).status == "killed"


def test_outside_a_workspace_start_run_says_to_init(tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    with pytest.raises(WbError, match="wb init"):
        wb.start_run()


def test_attaching_to_a_run_made_elsewhere_does_not_end_it(ws, monkeypatch):
    run_id = runs.create(
        ws, experiment="x", kind="command", command=["python", "t.py"], cwd=ws.root, capture_environment=False
    )
    monkeypatch.setenv(ENV_RUN_ID, run_id)
    monkeypatch.setenv(ENV_VAR, str(ws.root))
    with wb.start_run(experiment="ignored", params={"lr": 0.1}) as run:
        run.log_metric("loss", 0.5)
    assert run.id == run_id
    assert ws.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    info = runs.get(ws, run_id)
    assert (info.status, info.params, info.metrics) == ("running", {"lr": 0.1}, {"loss": 0.5})
    monkeypatch.setenv(ENV_RUN_ID, "f" * 32)
    with pytest.raises(WbError, match="names no run"):
        wb.start_run()


def test_fifty_thousand_metrics_are_buffered_and_all_written(ws):
    n = 50_000
    with wb.start_run(workspace=ws.root) as run:
        started = time.perf_counter()
        for step in range(n):
            run.log_metric("loss", 1.0 / (step + 1))
        logging_s = time.perf_counter() - started
    # Buffered writes: a training loop is not held up by SQLite (a commit per call would take
    # seconds here); generous for a loaded shared machine.
    assert logging_s < 5.0, f"50,000 log_metric calls took {logging_s:.2f} s"
    assert _metric_rows(ws, run.id, "loss") == n
    assert ws.conn.execute(
        "SELECT COUNT(DISTINCT step), MIN(step), MAX(step) FROM metrics WHERE run_id = ?", (run.id,)
    ).fetchone()[:] == (n, 0, n - 1)
    assert runs.get(ws, run.id).metrics == {"loss": 1.0 / n}


def _python(script: str, *args: str, **kwargs) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in (ENV_VAR, ENV_RUN_ID)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def test_several_processes_logging_at_once_lose_no_row(ws):
    script = """
        import sys
        import workbench as wb
        with wb.start_run(workspace=sys.argv[1], experiment="race") as run:
            for step in range(5000):
                run.log_metric("loss", step * 0.001)
                if step % 1000 == 0:
                    run.flush()  # interleave commits with the other processes
        print(run.id)
    """
    procs = [_python(script, str(ws.root)) for _ in range(4)]
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=DEADLINE_S * 2)
        assert proc.returncode == 0, err
        ids.append(out.strip())
    assert len(set(ids)) == 4
    for found in runs.list_runs(ws, experiment="race"):
        assert found.status == "finished"
        assert _metric_rows(ws, found.id) == 5000
        assert found.metrics == {"loss": 4.999}
    assert {r.id for r in runs.list_runs(ws, experiment="race")} == set(ids)


def _read_line(proc: subprocess.Popen[str], deadline: float) -> str:
    """The child's next line of stdout, waiting no later than `deadline`."""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if ready:
            return proc.stdout.readline()
    raise AssertionError("the child printed nothing before the deadline")


def test_a_process_killed_mid_run_leaves_the_run_lost(ws):
    script = """
        import sys, time
        import workbench as wb
        run = wb.start_run(workspace=sys.argv[1])
        for step in range(100):
            run.log_metric("loss", step)
        run.flush()
        print(run.id, flush=True)
        time.sleep(600)
    """
    proc = _python(script, str(ws.root))
    try:
        run_id = _read_line(proc, time.monotonic() + DEADLINE_S).strip()
        assert runs.get(ws, run_id).status == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert runs.reap_lost(ws) == 1  # reading never marks a run: this does
    [found] = runs.list_runs(ws)
    assert (found.id, found.status) == (run_id, "lost")
    assert found.metrics == {"loss": 99.0}  # what was flushed before the kill is kept
    assert "stopped" in runs.get(ws, run_id).error


def test_a_run_never_ended_by_the_script_is_finished_at_exit(ws):
    script = """
        import sys
        import workbench as wb
        run = wb.start_run(workspace=sys.argv[1])
        run.log_metric("loss", 0.25)
        print(run.id)
    """
    proc = _python(script, str(ws.root))
    out, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 0, err
    info = runs.get(ws, out.strip())
    assert (info.status, info.metrics) == ("finished", {"loss": 0.25})


def test_a_script_crashing_outside_with_fails_its_open_run(ws):
    script = """
        import sys
        import workbench as wb
        run = wb.start_run(workspace=sys.argv[1])
        print(run.id, flush=True)
        raise SystemExit(undefined_name)
    """
    proc = _python(script, str(ws.root))
    out, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 1 and "NameError" in err
    assert runs.get(ws, out.strip()).status == "failed"


def test_the_module_api_is_lazy_and_complete():
    import workbench

    assert callable(workbench.start_run)
    assert issubclass(workbench.WbError, Exception)
    with pytest.raises(AttributeError):
        _ = workbench.no_such_thing
    assert Path(workbench.__file__).name == "__init__.py"
