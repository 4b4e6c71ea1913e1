"""The Executor seam, as a caller sees it through the Protocol, with LocalExecutor behind it:
a command run's outcome, and a batch of trainings at most N at once, each outcome told."""

from __future__ import annotations

import os
import sys

import pytest

from workbench.core.experiments import command_runs, runs
from workbench.core.experiments.executor import Executor, TrialOutcome
from workbench.core.experiments.local_executor import LocalExecutor
from workbench.core.experiments.training import TrainSpec
from workbench.core.storage.db import transaction

CSV = "x,y\n" + "".join(f"{i},{2 * i + i % 3}\n" for i in range(60))


@pytest.fixture
def executor() -> Executor:
    return LocalExecutor()


@pytest.fixture
def data(ws, tmp_path) -> str:
    from workbench.core.data import datasets

    path = tmp_path / "d.csv"
    path.write_text(CSV)
    return datasets.add(ws, path, "d").version.ref


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs record the current folder's git state


@pytest.mark.parametrize("code, status", [(0, "finished"), (3, "failed")])
def test_a_foreground_command_ends_with_its_status_and_exit_code(ws, executor, code, status):
    command = [sys.executable, "-c", f"import sys; print('hello'); sys.exit({code})"]
    run_id = command_runs.create_command_run(ws, command, experiment=None, data=[])
    outcome = executor.execute(ws, run_id, command)
    assert (outcome.run_id, outcome.status, outcome.exit_code) == (run_id, status, code)
    assert ws.conn.execute("SELECT status, exit_code FROM runs WHERE id = ?", (run_id,)).fetchone()[:] == (
        status,
        code,
    )


def test_a_batch_of_three_at_most_two_at_once_tells_every_outcome(ws, executor, data):
    specs = [TrainSpec(data=data, target="y", model="linear", seed=seed) for seed in range(3)]
    told: list[TrialOutcome] = []
    outcomes = executor.train_batch(
        ws, specs, jobs=2, experiment="batch", tags={"k": "v"}, on_done=told.append
    )
    assert told == outcomes
    assert sorted(o.spec.seed for o in outcomes) == [0, 1, 2]
    assert [o.error for o in outcomes] == [None] * 3
    found = runs.list_runs(ws, experiment="batch", limit=None)
    assert {r.id for r in found} == {o.run_id for o in outcomes}
    assert {r.status for r in found} == {"finished"}
    assert len(runs.list_runs(ws, where="tags.k = v", limit=None)) == 3
    # Each run is made by the worker that trains it: two workers at most.
    pids = {row[0] for row in ws.conn.execute("SELECT pid FROM runs")}
    assert len(pids) <= 2 and os.getpid() not in pids


def test_a_job_that_fails_reports_its_run_and_why(ws, executor, data):
    # A failure in the middle of the run, in the worker: storing the fitted model is refused.
    with transaction(ws.conn) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON artifacts WHEN NEW.kind = 'model' "
            "BEGIN SELECT RAISE(ABORT, 'no room for models'); END"
        )
    specs = [TrainSpec(data=data, target="y", model="linear", seed=seed) for seed in range(2)]
    outcomes = executor.train_batch(ws, specs, jobs=2, experiment=None, tags={})
    assert len(outcomes) == 2
    for outcome in outcomes:
        assert outcome.run_id is not None
        assert outcome.error == "IntegrityError: no room for models"
        row = ws.conn.execute("SELECT status, error FROM runs WHERE id = ?", (outcome.run_id,)).fetchone()
        assert (row["status"], row["error"]) == ("failed", outcome.error)


def test_ctrl_c_in_a_batch_run_here_names_the_run_it_killed(ws, data, monkeypatch):
    from workbench.core.experiments import sweeps, training
    from workbench.core.experiments.executor import BatchInterrupted

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "_fit_and_log", interrupted)
    with pytest.raises(BatchInterrupted) as info:
        sweeps.run_grid(
            ws,
            TrainSpec(data=data, target="y", model="linear"),
            {"fit_intercept": [True, False]},
            experiment=None,
        )
    (killed,) = info.value.run_ids
    assert str(info.value) == (f"interrupted; 1 run marked killed ({killed[:12]}), and no more were started")
    assert info.value.exit_code == 130
    assert [tuple(r) for r in ws.conn.execute("SELECT id, status FROM runs")] == [(killed, "killed")]
