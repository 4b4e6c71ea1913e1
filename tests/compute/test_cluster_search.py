"""A random search with --early-stop on a real Dask cluster: its trials are tasks, asked for as
results arrive, the pruner travels with each and stops the slow learners on the worker, and
the workstation records every run."""

from __future__ import annotations

import pytest

from tests.conftest import DROPS
from workbench.core.data import datasets
from workbench.core.experiments import runs, search, sweeps
from workbench.core.experiments.training import TrainSpec
from workbench.core.storage.workspace import Workspace

SPACE = {"learning_rate": search.Range(0.001, 0.3, "log")}
BASE = TrainSpec(
    data="sales@1", target="units_sold", params={"n_estimators": 60}, seed=11
)  # its 7th trial learns slowly


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs record the folder's git state: a plain folder has none
    workspace, _ = Workspace.init(tmp_path / "ws")
    datasets.add(workspace, DROPS / "week_01.csv", "sales")
    yield workspace
    workspace.close()


def test_a_search_on_the_cluster_prunes_on_the_workers_and_records_here(ws, cluster):
    summary, outcomes = sweeps.run_search(
        ws,
        BASE,
        SPACE,
        kind="random",
        trials=8,
        experiment="on-cluster",
        early_stop=True,
        cluster=cluster.scheduler_address,
    )
    assert [o.error for o in outcomes] == [None] * 8
    found = [runs.get(ws, o.run_id) for o in outcomes]
    assert {r.status for r in found} == {"finished"}
    assert {r.tags["search"] for r in found} == {summary.name}
    assert summary.pruned, "no trial was pruned on the cluster"
    for record in found:
        rounds = len(runs.metric_history(ws, record.id, "val_mse"))
        assert (record.tags.get("pruned") == "true") == (record.id in summary.pruned)
        assert rounds < 60 if record.id in summary.pruned else rounds == 60
    assert len({r.pid for r in found}) == 1  # this process made and recorded them all
