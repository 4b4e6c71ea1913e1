"""`wb train --cluster`: a sweep's runs as tasks on a real Dask cluster (a LocalCluster of two
worker processes), recorded by the workstation alone: the same metrics as `-j 2`, a worker
killed mid-task, Ctrl-C, an unreachable cluster, and Dask not installed."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.e2e.conftest import DROPS, new_workspace, popen_wb, run_wb
from tests.e2e.test_progress import on_terminal
from workbench.cli.main import app
from workbench.core.experiments import dask_executor

TRAIN = ("train", "--data", "sales@1", "--target", "units_sold", "--param", "n_estimators=40")
SWEEP = (*TRAIN, "--sweep", "num_leaves=7,15,31")
# Fits of a few seconds on one thread, so that a test can act while one is under way.
SLOW = (*TRAIN[:-1], "n_estimators=1500", "--param", "learning_rate=0.01", "--sweep")


def statuses(root: Path) -> dict[str, str]:
    with sqlite3.connect(root / ".wb" / "wb.db") as conn:
        return dict(conn.execute("SELECT id, status FROM runs"))


def started(client) -> threading.Event:
    """Set (with `.key`) once a task of wb's has said that it starts training."""
    event = threading.Event()

    def heard(message) -> None:
        if not event.is_set():
            event.key = message[1]
            event.set()

    client.subscribe_topic(dask_executor.TOPIC, heard)
    return event


def await_start(event: threading.Event, proc) -> str:
    """The key of the task that started first, once it has (failing if wb ended before)."""
    while not event.wait(0.05):
        assert proc.poll() is None, proc.communicate()
    return event.key


def worker_pid(client, key: str) -> int:
    """The pid of the worker process running the task."""
    (address,) = [w for w, keys in client.processing().items() if key in keys]
    return client.run(os.getpid, workers=[address])[address]


def test_a_sweep_on_the_cluster_lands_the_same_runs_as_two_local_jobs(tmp_path, cluster):
    root = new_workspace(tmp_path, sales=True)
    on_cluster = run_wb(*SWEEP, "--json", "--cluster", cluster.scheduler_address, cwd=root).json()["runs"]
    local = run_wb(*SWEEP, "--json", "-j", "2", cwd=root).json()["runs"]

    def by_leaves(found: list[dict]) -> dict[int, dict]:
        return {r["params"]["num_leaves"]: r["metrics"] for r in found}

    assert [r["status"] for r in on_cluster] == ["finished"] * 3
    assert by_leaves(on_cluster) == by_leaves(local)
    with sqlite3.connect(root / ".wb" / "wb.db") as conn:
        ids = tuple(r["id"] for r in on_cluster)
        # The workstation made and recorded every run: one process, not the workers.
        assert conn.execute(f"SELECT COUNT(DISTINCT pid) FROM runs WHERE id IN {ids}").fetchone() == (1,)
        curves = conn.execute(
            f"SELECT COUNT(*) FROM metrics WHERE key = 'val_mse' AND run_id IN {ids}"
        ).fetchone()
        assert curves == (3 * 40,)  # the learning curve of each, every round
    shown = run_wb("runs", "show", on_cluster[0]["id"], "--json", cwd=root).json()
    assert [a["kind"] for a in shown["artifacts"] if a["path"] == "model"] == ["model"]
    assert run_wb("fsck", "--json", cwd=root).json()["ok"] is True


def test_on_a_terminal_the_sweep_shows_runs_done_running_failed_and_the_best(tmp_path, cluster):
    root = new_workspace(tmp_path, sales=True)
    screen = on_terminal(*SLOW, "num_leaves=7,15", "--cluster", cluster.scheduler_address, cwd=root)
    assert screen.returncode == 0, screen.stderr
    # The runs whose tasks have started count as running (two threads: two at most).
    assert re.search(r"runs 0/2 · [12] running · 0 failed", screen.drawn), screen.drawn
    assert re.search(r"runs 2/2 · 0 running · 0 failed · best rmse \d+\.\d+", screen.drawn), screen.drawn


@pytest.mark.parametrize("allowed_failures", [0, 1])
def test_a_worker_killed_mid_task_loses_or_retries_its_run_and_the_rest_finish(
    tmp_path, cluster, client, allowed_failures
):
    """Dask gives a dead worker's task to another up to the scheduler's allowed failures: with
    none allowed the run is lost, with one it is trained again and wb says so."""
    root = new_workspace(tmp_path, sales=True)
    before, cluster.scheduler.allowed_failures = cluster.scheduler.allowed_failures, allowed_failures
    try:
        first = started(client)
        proc = popen_wb(*SLOW, "num_leaves=7,15", "--cluster", cluster.scheduler_address, cwd=root)
        os.kill(worker_pid(client, await_start(first, proc)), signal.SIGKILL)
        _, stderr = proc.communicate(timeout=120)
    finally:
        cluster.scheduler.allowed_failures = before
    found = statuses(root)
    assert len(found) == 2
    if allowed_failures == 0:
        assert proc.returncode == 1, stderr
        (lost,) = [run_id for run_id, status in found.items() if status == "lost"]
        assert f"run {lost[:12]} failed: {dask_executor.LOST}" in stderr
        del found[lost]
    else:
        assert proc.returncode == 0, stderr
        assert re.search(r"run [0-9a-f]{12}: its worker died, so Dask trained it again on another", stderr)
    assert set(found.values()) == {"finished"}


def test_ctrl_c_cancels_the_tasks_out_and_marks_their_runs_killed(tmp_path, cluster, client):
    root = new_workspace(tmp_path, sales=True)
    proc = popen_wb(*SLOW, "num_leaves=7,15,31", "--cluster", cluster.scheduler_address, cwd=root)
    # Two threads on the cluster: two runs train, the third task waits for one.
    while list(statuses(root).values()) != ["running"] * 2:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)  # between looks
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    found = statuses(root)
    assert len(found) == 2 and set(found.values()) == {"killed"}  # the third run was never made
    said = re.fullmatch(
        r"error: interrupted; 2 runs marked killed \((\w+), (\w+)\), and no more were started",
        stderr.splitlines()[-1],
    )
    assert said and set(said.groups()) == {run_id[:12] for run_id in found}, stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_cluster_is_one_sentence_exit_2_and_no_runs(tmp_path):
    root = new_workspace(tmp_path, sales=True)
    address = f"tcp://127.0.0.1:{_free_port()}"
    line = run_wb(*SWEEP, "--cluster", address, cwd=root).failed_cleanly(2)
    assert line.startswith(f"error: cannot reach the Dask cluster at {address}: ")
    assert statuses(root) == {}


@pytest.fixture
def wb(tmp_path, monkeypatch):
    """The CLI in this process, in a workspace holding sales@1."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    run("init")
    run("data", "add", str(DROPS / "week_01.csv"), "--name", "sales")
    return run


def test_the_cluster_of_the_workspace_config_is_used(wb, tmp_path, monkeypatch):
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 0.5)
    address = f"tcp://127.0.0.1:{_free_port()}"
    config = tmp_path / ".wb" / "config.toml"
    config.write_text(config.read_text().replace('cluster = ""', f"cluster = {json.dumps(address)}"))
    result = wb(*SWEEP, code=2)
    assert f"cannot reach the Dask cluster at {address}" in result.stderr
    wb(*TRAIN, "--cluster", "")  # "" trains on this machine
    assert len(json.loads(wb("runs", "list", "--json").stdout)) == 1


def test_without_dask_the_cluster_option_says_how_to_install_it(wb, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    result = wb(*SWEEP, "--cluster", "tcp://127.0.0.1:8786", code=2)
    assert 'pip install "wb-workbench[dask]"' in result.stderr
    assert json.loads(wb("runs", "list", "--json").stdout) == []


def test_a_cluster_setting_that_is_not_an_address_string_is_refused(tmp_path):
    from workbench.core import config
    from workbench.core.errors import InvalidInput

    path = tmp_path / "config.toml"
    path.write_text("[compute]\ncluster = 8786\n")
    with pytest.raises(InvalidInput, match=r"compute\.cluster must be a string, not 8786"):
        config.load(path)
    path.write_text('[compute]\ncluster = "tcp://10.0.0.5:8786"\n')
    assert config.load(path).compute.cluster == "tcp://10.0.0.5:8786"
