"""`wb train` underneath: the built-in trainers, their metrics and model files, sweeps,
comparing and reproducing runs, and bad requests that must leave no run behind."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from workbench.core import metrics, names
from workbench.core.data import datasets
from workbench.core.errors import IntegrityError, InvalidInput
from workbench.core.experiments import comparison, estimators, runs, sweeps, training
from workbench.core.experiments.training import TrainSpec
from workbench.core.models import features, model_io

# Small enough to keep every fit well under a second.
SMALL = {
    "lightgbm": {"n_estimators": 20},
    "random_forest": {"n_estimators": 10},
    "extra_trees": {"n_estimators": 10},
    "hist_gradient_boosting": {"max_iter": 20},
    "linear": {},
    "baseline": {},
}
TARGETS = {"regression": "y", "classification": "label"}
SPEC_METRICS = {"regression": set(metrics.REGRESSION), "classification": set(metrics.CLASSIFICATION)}
# 200 rows over 50 dates: 3 rows on each of the first 40 dates, 8 on each of the newest 10, so a
# time split validates on 80 rows while a random one validates on 40.
N_OLD, N_NEW = 40 * 3, 10 * 8


def synthetic(seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    dates = [dt.date(2026, 1, 1) + dt.timedelta(days=d) for d in range(50) for _ in range(3 if d < 40 else 8)]
    n = len(dates)
    store = rng.choice(["A", "B", "C"], n)
    x1, x2 = rng.normal(size=n), rng.uniform(0, 10, size=n)
    y = (
        3 * x1
        + 0.5 * x2
        + np.select([store == "A", store == "B"], [2.0, -1.0], 0.0)
        + rng.normal(scale=0.3, size=n)
    )
    label = np.where(x1 + rng.normal(scale=0.3, size=n) > 0, "yes", "no")
    return pl.DataFrame(
        {"date": dates, "store": store, "x1": x1.round(4), "x2": x2.round(4), "y": y.round(4), "label": label}
    )


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Runs record the current folder's git state; train from a plain folder."""
    monkeypatch.chdir(tmp_path)


def add_frame(ws, tmp_path: Path, df: pl.DataFrame, name: str = "d") -> str:
    path = tmp_path / f"{name}.csv"
    df.write_csv(path)
    return datasets.add(ws, path, name).version.ref


@pytest.fixture
def data(ws, tmp_path) -> str:
    return add_frame(ws, tmp_path, synthetic())


def run_count(ws) -> int:
    return ws.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def model_artifact(ws, run_id: str) -> tuple[bytes, dict]:
    [artifact] = [a for a in runs.get(ws, run_id).artifacts if a.kind == "model"]
    return ws.store.read_verified(artifact.hash), artifact.meta


@pytest.mark.parametrize("task", ["regression", "classification"])
@pytest.mark.parametrize("model", estimators.MODELS)
def test_every_model_trains_logs_the_metrics_and_loads_back(ws, data, model, task):
    spec = TrainSpec(data=data, target=TARGETS[task], model=model, params=SMALL[model], seed=3)
    run_id = training.train(ws, spec, experiment="all-models")
    info = runs.get(ws, run_id)
    assert (info.status, info.kind, info.model, info.experiment) == ("finished", "train", model, "all-models")
    assert info.params["task"] == task and info.params["model"] == model
    for key, value in SMALL[model].items():
        assert info.params[key] == value
    logged = {k: v for k, v in info.metrics.items() if k in SPEC_METRICS[task]}
    assert set(logged) == SPEC_METRICS[task]
    assert all(v is not None and math.isfinite(v) for v in logged.values()), logged
    assert info.metrics["train_rows"] + info.metrics["val_rows"] == N_OLD + N_NEW
    assert info.inputs[0].dataset == "d" and info.seed == 3

    # The stored model loads without running code and scores the validation rows exactly as
    # it did when it was trained.
    payload, meta = model_artifact(ws, run_id)
    loaded = model_io.load(payload, meta)
    assert (meta["task"], meta["target"], meta["model"]) == (task, TARGETS[task], model)
    prepared = training.prepare(ws, spec)
    feature_spec = features.FeatureSpec.from_dict(meta["features"])
    assert feature_spec == prepared.features
    raw = datasets.load(ws, datasets.resolve(ws, data))
    X_all = features.build(raw, feature_spec)
    assert len(loaded.predict(X_all)) == raw.height
    predicted = loaded.predict(prepared.X_val)
    if task == "regression":
        again = metrics.regression(prepared.y_val.astype(float), predicted.astype(float))
        assert again["rmse"] == pytest.approx(info.metrics["rmse"], rel=1e-9, abs=1e-12)
    else:
        assert set(predicted.tolist()) <= {"yes", "no"}
        again = metrics.classification(
            prepared.y_val, predicted, loaded.predict_proba(prepared.X_val), list(loaded.classes_)
        )
        assert again["accuracy"] == pytest.approx(info.metrics["accuracy"])
        assert again["log_loss"] == pytest.approx(info.metrics["log_loss"], rel=1e-9)


def test_task_follows_the_target_type(ws, tmp_path):
    df = synthetic().with_columns(flag=(pl.col("x1") > 0).cast(pl.Int64), visits=pl.int_range(200))
    ref = add_frame(ws, tmp_path, df)
    for target, task in (
        ("y", "regression"),
        ("label", "classification"),
        ("flag", "classification"),
        ("visits", "regression"),
    ):
        info = runs.get(ws, training.train(ws, TrainSpec(data=ref, target=target, model="linear")))
        assert info.params["task"] == task, target
        assert SPEC_METRICS[task] <= set(info.metrics)


def test_lightgbm_logs_a_learning_curve_and_stops_early(ws, data):
    curve = runs.get(ws, training.train(ws, TrainSpec(data=data, target="y", params={"n_estimators": 15})))
    assert curve.metric_steps["val_mse"] == 15
    history = runs.metric_history(ws, curve.id, "val_mse")
    assert [s for s, _ in history] == list(range(15))
    assert history[-1][1] < history[0][1]  # it learned something

    stopped = runs.get(
        ws,
        training.train(
            ws,
            TrainSpec(
                data=data,
                target="y",
                params={"n_estimators": 500, "learning_rate": 0.3, "early_stopping_rounds": 3},
            ),
        ),
    )
    assert stopped.params["early_stopping_rounds"] == 3
    best = stopped.metrics["best_iteration"]
    assert 1 <= best < 500
    assert stopped.metric_steps["val_mse"] == best + 3 < 500


class NotAModel:
    """A class no model file from wb could ask for."""

    def __init__(self):
        self.payload = "anything"


def test_a_model_file_asking_for_untrusted_types_is_refused():
    import skops.io as sio

    payload = sio.dumps({"model": NotAModel()})
    with pytest.raises(IntegrityError, match="does not trust") as info:
        model_io.load(payload, {"format": "skops"})
    assert "NotAModel" in str(info.value)
    with pytest.raises(IntegrityError, match="not one wb can load"):
        model_io.load(payload, {"format": "pickle"})
    with pytest.raises(IntegrityError):
        model_io.load(payload, {})


def test_the_same_seed_gives_the_same_metrics(ws, data):
    def train(seed: int, model: str = "lightgbm") -> dict:
        spec = TrainSpec(data=data, target="y", model=model, params=SMALL[model], seed=seed)
        return runs.get(ws, training.train(ws, spec)).metrics

    first = train(7)
    assert train(7) == first
    assert train(8)["rmse"] != first["rmse"]  # the seed picks the validation rows
    assert train(7, "hist_gradient_boosting") == train(7, "hist_gradient_boosting")


@pytest.mark.parametrize("model", ["random_forest", "extra_trees"])
def test_forests_give_the_same_metrics_every_time_too(ws, data, model):
    # `wb runs reproduce` calls a run identical only when every metric delta is exactly 0, so a
    # forest must score the same to the last bit on every training with the same seed.
    spec = TrainSpec(data=data, target="y", model=model, params={"n_estimators": 30}, seed=7)
    scores = [runs.get(ws, training.train(ws, spec)).metrics for _ in range(4)]
    assert all(s == scores[0] for s in scores), [s["rmse"] for s in scores]


def test_time_split_validates_on_the_newest_dates(ws, data):
    timed = runs.get(
        ws, training.train(ws, TrainSpec(data=data, target="y", split="time:date", params=SMALL["lightgbm"]))
    )
    assert (timed.metrics["train_rows"], timed.metrics["val_rows"]) == (N_OLD, N_NEW)
    assert timed.params["split"] == "time:date"
    rand = runs.get(ws, training.train(ws, TrainSpec(data=data, target="y", params=SMALL["lightgbm"])))
    assert (rand.metrics["train_rows"], rand.metrics["val_rows"]) == (160, 40)
    prepared = training.prepare(ws, TrainSpec(data=data, target="y", split="time:date"))
    newest_train = prepared.X_train["date_ordinal_day"].max()
    assert prepared.X_val["date_ordinal_day"].min() > newest_train


def _bad_frames() -> dict[str, pl.DataFrame]:
    df = synthetic()
    return {
        "empty_feature": df.with_columns(empty=pl.lit(None, dtype=pl.Float64)),
        "null_target": df.with_columns(y=pl.lit(None, dtype=pl.Float64)),
        "one_date": df.with_columns(date=pl.lit(dt.date(2026, 1, 1))),
    }


@pytest.mark.parametrize(
    "frame, spec, words",
    [
        (None, dict(target="nope"), "no column 'nope'"),
        (None, dict(target="label", task="regression"), "regression needs numbers"),
        (None, dict(target="y", task="clustering"), "unknown task"),
        ("empty_feature", dict(target="y"), "'empty' is entirely empty"),
        ("null_target", dict(target="y"), "fewer than 2 rows"),
        (None, dict(target="y", model="xgboost"), "unknown model 'xgboost'"),
        (None, dict(target="y", params={"no_such_param": 1}), "no parameter 'no_such_param'"),
        (None, dict(target="y", model="random_forest", params={"n_estimators": "many"}), "n_estimators"),
        (None, dict(target="y", params={"num_leaves": "abc"}), "num_leaves"),
        (None, dict(target="y", split="weird"), "unknown split"),
        (None, dict(target="y", split="time:"), "unknown split"),
        (None, dict(target="y", split="time:nosuch"), "'nosuch' is not in the data"),
        (
            None,
            dict(target="y", split="time:store"),
            "split column 'store' is String: a time split needs dates, times or numbers",
        ),
        ("one_date", dict(target="y", split="time:date"), "single value"),
    ],
)
def test_bad_requests_raise_and_leave_no_run(ws, tmp_path, data, frame, spec, words):
    ref = add_frame(ws, tmp_path, _bad_frames()[frame], "bad") if frame else data
    with pytest.raises(InvalidInput, match=words):
        training.train(ws, TrainSpec(data=ref, **spec))
    assert run_count(ws) == 0


def test_an_unknown_dataset_leaves_no_run(ws, data):
    with pytest.raises(Exception, match="no dataset named 'nosuch'"):
        training.train(ws, TrainSpec(data="nosuch", target="y"))
    assert run_count(ws) == 0


def test_a_sweep_makes_one_run_per_grid_point(ws, data):
    grid = {"num_leaves": [4, 8], "learning_rate": [0.1, 0.2]}
    outcomes = sweeps.run_grid(
        ws, TrainSpec(data=data, target="y", params={"n_estimators": 10}), grid, experiment="sweep"
    )
    assert [o.error for o in outcomes] == [None] * 4
    found = runs.list_runs(ws, experiment="sweep", limit=None)
    assert {r.status for r in found} == {"finished"}
    assert sorted((r.params["num_leaves"], r.params["learning_rate"]) for r in found) == [
        (4, 0.1),
        (4, 0.2),
        (8, 0.1),
        (8, 0.2),
    ]
    assert all(r.params["n_estimators"] == 10 for r in found)
    assert {r.id for r in found} == {o.run_id for o in outcomes}
    where = runs.list_runs(ws, where="params.num_leaves = 8 and params.learning_rate > 0.15")
    assert [(r.params["num_leaves"], r.params["learning_rate"]) for r in where] == [(8, 0.2)]


@pytest.mark.parametrize(
    "grid, words",
    [
        ({"num_leaves": [4, 8], "no_such_param": [1, 2]}, "no_such_param"),
        ({"learning_rate": [0.1], "num_leaves": [8, "abc"]}, "num_leaves"),
        ({"num_leaves": []}, "no values"),
    ],
)
def test_a_bad_value_anywhere_in_a_sweep_makes_no_runs(ws, data, grid, words):
    with pytest.raises(InvalidInput, match=words):
        sweeps.run_grid(
            ws, TrainSpec(data=data, target="y", params={"n_estimators": 5}), grid, experiment="sweep"
        )
    assert run_count(ws) == 0


def test_parse_value_types_command_line_values():
    assert [sweeps.parse_value(v) for v in ("3", "0.5", "true", "null", "abc", "1e-3", '"7"')] == [
        3,
        0.5,
        True,
        None,
        "abc",
        0.001,
        "7",
    ]
    assert names.parse_assignment("lr=0.1=x", "--param") == ("lr", "0.1=x")
    with pytest.raises(InvalidInput, match="KEY=VALUE"):
        names.parse_assignment("lr", "--param")


def test_reproducing_a_training_run_gives_identical_metrics(ws, data):
    original = training.train(
        ws, TrainSpec(data=data, target="y", params=SMALL["lightgbm"], seed=5), experiment="repro"
    )
    result = comparison.reproduce(ws, original[:8])
    assert result.original == original and result.new_run != original
    assert result.deltas and set(result.deltas.values()) == {0.0}
    assert result.identical and result.to_dict()["identical"] is True
    again = runs.get(ws, result.new_run)
    assert (again.experiment, again.tags["reproduces"]) == ("repro", original)
    assert again.inputs == runs.get(ws, original).inputs


def test_reproduce_uses_the_original_bytes_not_the_latest_version(ws, tmp_path, data):
    original = training.train(ws, TrainSpec(data="d", target="y", params=SMALL["lightgbm"]))
    add_frame(ws, tmp_path, synthetic(seed=1))  # d@2: different data under the same name
    result = comparison.reproduce(ws, original)
    assert result.to_dict()["identical"] is True
    assert runs.get(ws, result.new_run).inputs[0].version == 1


def test_compare_marks_the_best_of_each_metric(ws, data):
    good = training.train(ws, TrainSpec(data=data, target="y", model="linear"))
    bad = training.train(ws, TrainSpec(data=data, target="y", model="baseline"))
    result = comparison.compare(ws, [bad, good])
    assert [r.id for r in result.runs] == [bad, good]
    assert result.params_differ["model"] == ["baseline", "linear"]
    assert result.params_same["target"] == "y"
    rmse, r2 = result.metrics["rmse"], result.metrics["r2"]
    assert rmse.values[1] < rmse.values[0] and rmse.best == (False, True)
    assert r2.values[1] > r2.values[0] and r2.best == (False, True)
    with pytest.raises(InvalidInput, match="at least two"):
        comparison.compare(ws, [good])
    with pytest.raises(InvalidInput, match="named twice"):
        comparison.compare(ws, [good, good[:10]])
