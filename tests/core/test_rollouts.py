"""Rollouts by segment: the split, scoring by arm, outcomes joined, the verdict, the end."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from tests.conftest import DROPS
from workbench.core import events
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput, NotFound
from workbench.core.experiments import training
from workbench.core.models import prediction, registry, rollout_outcomes, rollouts
from workbench.core.monitoring import alerts
from workbench.core.monitoring.watcher import Watcher
from workbench.core.storage.workspace import Workspace


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """sales@1; demand@1 a linear model in production, demand@2 a LightGBM (the better one)."""
    root = tmp_path_factory.mktemp("rollouts") / "ws"
    ws, _ = Workspace.init(root)
    ws.config_path.write_text("[rollout]\nmin_labelled = 100\n")
    datasets.add(ws, DROPS / "reference.csv", "sales")
    for model in ("linear", "lightgbm"):
        spec = training.TrainSpec(data="sales@1", target="units_sold", model=model, split="time:date")
        registry.register(ws, training.train(ws, spec), "demand")
    registry.promote(ws, "demand@1", "production")
    ws.close()
    return root


@pytest.fixture
def ws(trained, tmp_path):
    """A fresh copy of the trained workspace for each test (rollouts change it)."""
    shutil.copytree(trained, tmp_path / "ws")
    workspace = Workspace.find(tmp_path / "ws")
    yield workspace
    workspace.close()


def _score(ws, name, tmp_path, week="week_01"):
    return prediction.predict(
        ws, f"rollout:{name}", DROPS / f"{week}.csv", tmp_path / f"{name}-{week}.parquet"
    )


def test_segments_split_by_share_and_each_store_always_lands_in_one_arm(ws, tmp_path):
    rollout = rollouts.start(ws, "demand@2", "store_id", share=50)
    assert (rollout.champion, rollout.challenger, rollout.state) == (1, 2, "active")
    result = _score(ws, rollout.name, tmp_path)
    out = pl.read_parquet(result.output)
    week = pl.read_csv(DROPS / "week_01.csv")
    assert (
        out.height == week.height
        and out.get_column("item_id").to_list() == week.get_column("item_id").to_list()
    )
    arms = out.group_by("store_id").agg(pl.col("arm").n_unique().alias("arms"), pl.col("arm").first())
    assert arms.get_column("arms").max() == 1  # a store is in one arm
    on_challenger = set(arms.filter(pl.col("arm") == "challenger").get_column("store_id"))
    assert 0 < len(on_challenger) < 10  # about half of ten stores
    assert on_challenger == {s for s in arms.get_column("store_id") if rollouts.on_challenger(rollout, s)}
    assert set(out.filter(pl.col("arm") == "challenger").get_column("model_version")) == {2}
    assert result.arms["challenger"] == out.filter(pl.col("arm") == "challenger").height
    # Each model scored only its own rows: the champion's predictions are its alone.
    alone = prediction.predict(ws, "demand@1", DROPS / "week_01.csv", tmp_path / "plain.parquet")
    plain = pl.read_parquet(alone.output).get_column("prediction")
    mine = out.get_column("arm") == "champion"
    assert out.filter(mine).get_column("prediction").to_list() == pytest.approx(plain.filter(mine).to_list())
    kinds = [e.kind for e in events.recent(ws.conn, 10)]
    assert "rollout.start" in kinds and "rollout.predict" in kinds


def test_outcomes_join_the_predictions_and_the_policy_promotes_a_winner(ws, tmp_path):
    # Stores of typical size on each side: the arms compare different stores.
    rollout = rollouts.start(ws, "demand@2", "store_id", segments=["S03", "S06", "S08"])
    _score(ws, rollout.name, tmp_path)
    before = rollout_outcomes.status(ws, rollout.name)
    assert before.verdict == "collecting" and before.arms[0].rows + before.arms[1].rows == 2800
    joined = rollout_outcomes.add_outcomes(ws, rollout.name, DROPS / "week_01.csv", "units_sold")
    assert joined.joined == {"champion": 1960, "challenger": 840} and joined.unmatched == 0
    again = rollout_outcomes.add_outcomes(ws, rollout.name, DROPS / "week_01.csv", "units_sold")
    assert again.already == 2800 and again.joined == {"champion": 0, "challenger": 0}
    status = rollout_outcomes.status(ws, rollout.name)
    doc = status.to_dict()
    assert [a["arm"] for a in doc["arms"]] == ["champion", "challenger"]
    assert [a["segments"] for a in doc["arms"]] == [7, 3] and doc["arms"][1]["labelled"] == 840
    assert doc["arms"][0]["metric"] == "rmse"
    d = doc["difference"]
    assert d["low"] <= d["value"] <= d["high"] < 0  # LightGBM beats the linear model, clearly
    assert doc["verdict"] == "promote", status.why
    (alert,) = [a for a in alerts.list_alerts(ws) if a.kind == "rollout"]
    assert alert.link.rollout == rollout.name and "--promote" in alert.message
    datasets.add(ws, DROPS / "week_02.csv", "sales")  # the gates judge it on data neither has seen
    ended = rollouts.stop(ws, rollout.name, promote=True)
    assert ended.production == "demand@2" and ended.state == "promoted"
    assert registry.resolve(ws, "demand@production").version == 2
    assert "rollout.promote" in [e.kind for e in events.recent(ws.conn, 10)]
    with pytest.raises(InvalidInput, match="ended"):
        _score(ws, rollout.name, tmp_path, "week_02")


def test_a_challenger_past_the_guardrail_is_rolled_back(ws, tmp_path):
    rollout = rollouts.start(
        ws, "demand@1", "store_id", segments=["S02", "S05", "S08"], against="demand@2", name="worse"
    )
    _score(ws, "worse", tmp_path)
    rollout_outcomes.add_outcomes(
        ws, "worse", DROPS / "week_01.csv", "units_sold", ["date", "store_id", "item_id"]
    )
    status = rollout_outcomes.status(ws, "worse")
    assert status.verdict == "rollback", status.why
    (alert,) = [a for a in alerts.list_alerts(ws) if a.kind == "rollout"]
    assert alert.severity == "critical"
    ended = rollouts.stop(ws, "worse", promote=False)
    assert ended.state == "rolled_back" and rollouts.get(ws, "worse").ended_at
    assert registry.resolve(ws, "demand@production").version == 1  # untouched
    assert rollout.model == "demand" and "rollout.rollback" in [e.kind for e in events.recent(ws.conn, 5)]


def test_shadow_publishes_only_the_champion(ws, tmp_path):
    rollouts.start(ws, "demand@2", "store_id", share=100, shadow=True, name="shadow")
    result = _score(ws, "shadow", tmp_path)
    out = pl.read_parquet(result.output)
    assert set(out.get_column("arm")) == {"champion"} and set(out.get_column("model_version")) == {1}
    assert result.arms == {"champion": 2800, "challenger": 2800}  # both scored every row
    rollout_outcomes.add_outcomes(ws, "shadow", DROPS / "week_01.csv", "units_sold")
    assert [a.labelled for a in rollout_outcomes.status(ws, "shadow").arms] == [2800, 2800]


def _changes(ws) -> tuple:
    return (
        ws.conn.execute("SELECT COUNT(*) FROM rollouts").fetchone()[0],
        ws.conn.execute("SELECT COUNT(*) FROM rollout_batches").fetchone()[0],
        ws.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0],
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"segment": "shop", "share": 20}, "'shop' is no column of demand@2's data"),
        ({"segment": "store_id", "share": 120}, "above 0 and at most 100"),
        ({"segment": "store_id", "share": 0}, "above 0 and at most 100"),
        ({"segment": "store_id"}, "--share PCT or --segments"),
        ({"segment": "store_id", "share": 10, "against": "demand@2"}, "is the champion already"),
    ],
)
def test_bad_starts_are_one_sentence_and_write_nothing(ws, kwargs, message):
    before = _changes(ws)
    with pytest.raises(InvalidInput, match=message) as caught:
        rollouts.start(ws, "demand@2", **kwargs)
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)
    assert _changes(ws) == before


def test_one_rollout_per_model_and_outcomes_that_join_nothing(ws, tmp_path):
    rollouts.start(ws, "demand@2", "store_id", share=30, name="first")
    before = _changes(ws)
    with pytest.raises(InvalidInput, match="has a rollout in progress already"):
        rollouts.start(ws, "demand@2", "store_id", share=30, name="second")
    with pytest.raises(InvalidInput, match="has scored nothing yet"):
        rollout_outcomes.add_outcomes(ws, "first", DROPS / "week_01.csv", "units_sold")
    _score(ws, "first", tmp_path)
    before = _changes(ws)
    with pytest.raises(InvalidInput, match="joins a prediction"):
        rollout_outcomes.add_outcomes(ws, "first", DROPS / "week_02.csv", "units_sold")
    with pytest.raises(NotFound, match=r"no rollout named .firts.*did you mean first"):
        rollout_outcomes.status(ws, "firts")
    assert _changes(ws) == before


def test_the_watcher_joins_a_labelled_drop_to_the_rollout_in_progress(ws, tmp_path):
    rollouts.start(ws, "demand@2", "store_id", share=50, name="watched")
    _score(ws, "watched", tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DROPS / "week_01.csv", folder / "week_01.csv")
    outcome = Watcher(ws, folder, "sales", "sales@1").process(folder / "week_01.csv")
    assert "joined 2,800 outcomes to rollout watched" in outcome.detail
    assert sum(a.labelled for a in rollout_outcomes.status(ws, "watched").arms) == 2800


def test_retrain_mode_rollout_rolls_the_challenger_out_instead_of_judging_it(ws, tmp_path):
    ws.config_path.write_text('[retrain]\nmode = "rollout"\n[rollout]\nshare = 50\n')
    fresh = Workspace.find(ws.root)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DROPS / "week_05.csv", folder / "week_05.csv")
    outcome = Watcher(fresh, folder, "sales", "sales@1", retrain=True).process(folder / "week_05.csv")
    assert "as demand@3, rolled out on 50% of store_id by hash" in outcome.detail, outcome.detail
    (rollout,) = rollouts.list_rollouts(fresh)
    assert (rollout.challenger, rollout.champion, rollout.state) == (3, 1, "active")
    assert registry.resolve(fresh, "demand@production").version == 1  # nothing promoted
    shutil.copy(DROPS / "week_06.csv", folder / "week_06.csv")
    outcome = Watcher(fresh, folder, "sales", "sales@1", retrain=True).process(folder / "week_06.csv")
    assert f"rollout {rollout.name} of demand is in progress: its outcomes decide" in outcome.detail
    assert [v.version for v in registry.versions(fresh, "demand")] == [1, 2, 3]
    fresh.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[retrain]\nmode = "auto"\n', 'retrain.mode must be "promote" or "rollout", not "auto"'),
        ("[rollout]\nshare = 0\n", "rollout.share must be a number above 0 and at most 100"),
        ("[rollout]\nmin_labelled = 0.5\n", "rollout.min_labelled must be a whole number"),
    ],
)
def test_a_bad_rollout_or_retrain_setting_names_itself(tmp_path, text, message):
    from workbench.core import config

    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=message):
        config.load(path)
