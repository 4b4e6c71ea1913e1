"""`wb watch --retrain`: drops judge the pending challenger and train the next one."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from tests.conftest import DROPS
from workbench.core import events
from workbench.core.data import datasets
from workbench.core.experiments import runs, training
from workbench.core.models import registry
from workbench.core.monitoring import alerts
from workbench.core.monitoring.watcher import Watcher


@pytest.fixture
def champion(ws):
    datasets.add(ws, DROPS / "reference.csv", "sales")
    run_id = training.train(
        ws, training.TrainSpec(data="sales@1", target="units_sold", model="linear", split="time:date")
    )
    registry.register(ws, run_id, "demand")
    registry.promote(ws, "demand@1", "production")
    return ws


def _drop(ws, tmp_path, week: str):
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    shutil.copy(DROPS / f"{week}.csv", folder / f"{week}.csv")
    return Watcher(ws, folder, "sales", "sales@1", retrain=True).process(folder / f"{week}.csv")


def _versions(ws) -> list[int]:
    return [v.version for v in registry.versions(ws, "demand")]


def test_a_quiet_drop_retrains_nothing(champion, tmp_path):
    outcome = _drop(champion, tmp_path, "week_01")
    assert outcome.status == "added" and not outcome.dataset_drift
    assert _versions(champion) == [1] and "retrained" not in outcome.detail


def test_a_drifted_drop_trains_a_challenger_like_production_and_the_next_drop_judges_it(champion, tmp_path):
    outcome = _drop(champion, tmp_path, "week_05")
    assert outcome.dataset_drift and "retrained demand on sales@2 as demand@2" in outcome.detail
    challenger = registry.resolve(champion, "demand@2")
    assert challenger.dataset == "sales@2" and "production" not in challenger.aliases
    info = runs.get(champion, challenger.run_id)
    production = runs.get(champion, registry.resolve(champion, "demand@1").run_id)
    assert {k: v for k, v in info.spec.items() if k != "data"} == {
        k: v for k, v in production.spec.items() if k != "data"
    }  # the same recipe
    assert info.tags["retrained_from"] == "demand@1"

    outcome = _drop(champion, tmp_path, "week_06")  # unseen by both: the judge
    production = registry.resolve(champion, "demand@production").version
    if production == 2:
        assert "demand@2 beat demand@1 on sales@3: promoted" in outcome.detail
    else:
        assert "demand@2 did not beat demand@1 on sales@3" in outcome.detail
        assert any(e.kind == "model.challenge" for e in events.recent(champion.conn, 20))
    assert _versions(champion) == [1, 2, 3]  # and week 6 drifted too: the next challenger


def test_a_drop_without_labels_is_taken_but_neither_judges_nor_retrains(champion, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    unlabeled = folder / "week_05_unlabeled.csv"
    pl.read_csv(DROPS / "week_05.csv").drop("units_sold").write_csv(unlabeled)
    outcome = Watcher(champion, folder, "sales", "sales@1", retrain=True).process(unlabeled)
    assert outcome.status == "added" and outcome.dataset_drift
    assert "has no 'units_sold' column: demand is neither judged nor retrained" in outcome.detail
    assert not [a for a in alerts.list_alerts(champion) if a.kind == "retrain"]
    assert _versions(champion) == [1]


def test_retrain_says_so_when_there_is_no_model_to_keep_up(ws, tmp_path):
    datasets.add(ws, DROPS / "reference.csv", "sales")
    outcome = _drop(ws, tmp_path, "week_05")
    assert "no production model of sales was trained by `wb train`" in outcome.detail


def test_a_retraining_that_fails_raises_an_alert_and_the_drop_is_still_taken(champion, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    constant = folder / "week_05_constant.csv"  # labels there, but all one value: refused
    pl.read_csv(DROPS / "week_05.csv").with_columns(units_sold=pl.lit(3)).head(5).write_csv(constant)
    outcome = Watcher(champion, folder, "sales", "sales@1", retrain=True).process(constant)
    assert outcome.status == "added"
    assert "retraining demand failed" in outcome.detail
    assert [a.kind for a in alerts.list_alerts(champion, open_only=True) if a.kind == "retrain"] == [
        "retrain"
    ]
    assert _versions(champion) == [1]


def test_a_drop_that_breaks_its_contract_neither_judges_nor_trains(champion, tmp_path):
    """A file of predictions, or a broken export, dropped into the folder is versioned and
    alerted on, and nothing is judged or trained on it."""
    from workbench.core.data import contracts, validation

    reference = datasets.resolve(champion, "sales@1")
    contracts.set_contract(champion, "sales", validation.infer(champion, reference), "test")
    outcome = _drop(champion, tmp_path, "week_05")  # a new category, missing temperatures
    assert outcome.status == "added" and outcome.dataset_drift
    assert "sales@2 breaks its contract: no model is judged or retrained on it" in outcome.detail
    assert _versions(champion) == [1]


def test_the_retraining_window_trains_on_the_versions_it_names(champion, tmp_path):
    champion.config_path.write_text('[retrain]\nwindow = "all"\n')
    del champion.config  # read again, as the next command would
    outcome = _drop(champion, tmp_path, "week_05")
    assert "retrained demand on sales@2 as demand@2" in outcome.detail
    info = runs.get(champion, registry.resolve(champion, "demand@2").run_id)
    assert [(i.dataset, i.version) for i in info.inputs] == [("sales", 1), ("sales", 2)]
    assert info.spec["window"] == 0
    assert registry.resolve(champion, "demand@2").dataset == "sales@2"  # the newest it saw
