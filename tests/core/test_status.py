"""`wb status`: production models and running watchers, as SPEC lists them."""

from __future__ import annotations

from workbench.core import status
from workbench.core.monitoring.watcher import Watcher


def test_status_names_production_models_and_running_watchers(ws, small_csv, tmp_path):
    from workbench.core.data import datasets
    from workbench.core.experiments import training
    from workbench.core.models import registry

    datasets.add(ws, small_csv, "shop")
    run_id = training.train(ws, training.TrainSpec(data="shop@1", target="units", model="baseline"))
    registry.register(ws, run_id, "demand")
    before = status.summary(ws)
    assert before.models == 1 and before.production == {} and before.watchers == ()
    registry.promote(ws, "demand@1", "production")
    folder = tmp_path / "in"
    folder.mkdir()
    watcher = Watcher(ws, folder, "shop")
    watcher._register()  # what a running `wb watch` has done
    try:
        now = status.summary(ws)
        assert now.production == {"demand": 1}
        assert [(w.dir, w.dataset) for w in now.watchers] == [(str(folder.resolve()), "shop")]
    finally:
        watcher._unregister()
    assert status.summary(ws).watchers == ()
