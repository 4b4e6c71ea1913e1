"""What the TUI tests share: a workspace with something in every area, and ways to wait for
the app and read what its table shows."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable
from textual.worker import WorkerCancelled, WorkerError, WorkerFailed, WorkerState

from tests.conftest import DROPS
from workbench.core.data import datasets
from workbench.core.experiments import runs, tracking, training
from workbench.core.models import registry
from workbench.core.monitoring import drift
from workbench.core.storage.db import transaction

RUNS = 450


@pytest.fixture
def filled(ws, tmp_path):
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    datasets.add(ws, DROPS / "week_05.csv", "sales")
    run_id = training.train(ws, training.TrainSpec(data="sales@1", target="units_sold", model="linear"))
    registry.register(ws, run_id, "demand")
    registry.promote(ws, "demand@1", "production")
    drift.check(ws, "sales@1", "sales@2")
    return ws


NAMES = ("alpha-run", "beta-run", "gamma-run")  # three_runs', oldest first


@pytest.fixture
def three_runs(ws):
    """Three runs with a param lr and an rmse logged over 20 steps (its last: 3.5, 1.5, 2.5)."""
    for name, rmse, lr in zip(NAMES, (3.5, 1.5, 2.5), (0.1, 0.05, 0.01), strict=True):
        with tracking.start_run(name=name, params={"lr": lr}, workspace=ws.root) as run:
            for step in range(20):
                run.log_metric("rmse", rmse + 10 / (step + 1) - 10 / 20, step=step)
    return ws


@pytest.fixture
def many_runs(ws, tmp_path):
    """450 finished runs, run-0 (oldest) to run-449 (newest), each with a param i."""
    for i in range(RUNS):
        run_id = runs.create(
            ws,
            experiment=None,
            kind="script",
            command=["train.py"],
            cwd=tmp_path,
            name=f"run-{i}",
            capture_environment=False,
        )
        with transaction(ws.conn) as conn:
            runs.write_params(conn, run_id, {"i": i})
            runs.finish(conn, run_id, "finished", store=ws.store)
    return ws


_BUSY = (WorkerState.PENDING, WorkerState.RUNNING)


async def _settled(app, pilot):
    """Until no worker is pending or running and the messages they sent are handled. A worker
    that a newer one of its group replaced (exclusive) ends cancelled: that is no failure here,
    so it is not waited for with `wait_for_complete` alone, which raises for it."""
    for _ in range(1000):  # bounded: a few hundred rounds at most in practice
        await pilot.pause()
        busy = [w for w in app.workers if w.state in _BUSY]
        if not busy:
            await pilot.pause()
            if not any(w.state in _BUSY for w in app.workers):
                return
            continue
        try:
            await app.workers.wait_for_complete(busy)
        except WorkerFailed:
            raise
        except (WorkerCancelled, WorkerError):
            pass  # replaced by a newer worker, or not started yet: look again
    raise AssertionError(f"workers still busy: {[w for w in app.workers if w.state in _BUSY]}")


def _cells(app) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
