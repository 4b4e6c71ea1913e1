"""A model a user's script logs (`run.log_model`) scores through the same path as `wb train`'s:
what scoring needs is recorded when it is logged (inputs and their types, task, target, output),
`wb model register` refuses what cannot score with the reason, and `workbench.load_model`
hands the verified estimator back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import workbench as wb
from workbench.core.data import datasets
from workbench.core.errors import IntegrityError, InvalidInput
from workbench.core.experiments import runs
from workbench.core.experiments.executor import ENV_RUN_ID
from workbench.core.models import evaluation, prediction, registry, scoring

CATEGORICAL, NUMERIC = ["region"], ["x1", "x2"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_RUN_ID, raising=False)


def frame(n: int = 200, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["east", "north", "south"], n)
    x1, x2 = rng.normal(size=n), rng.integers(0, 10, size=n)
    units = 3 * x1 + 0.5 * x2 + np.where(region == "north", 2.0, 0.0) + rng.normal(0, 0.3, n)
    return pl.DataFrame(
        {
            "date": [dt.date(2026, 1, 1) + dt.timedelta(days=i % 30) for i in range(n)],
            "region": region,
            "x1": x1.round(4),
            "x2": x2,
            "units": units.round(4),
        }
    )


@pytest.fixture
def sales(ws, tmp_path) -> pl.DataFrame:
    df = frame()
    df.write_csv(tmp_path / "sales.csv")
    datasets.add(ws, tmp_path / "sales.csv", "sales")
    return datasets.load(ws, datasets.resolve(ws, "sales"))


def pipeline(classify: bool = False):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    prep = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL), ("num", StandardScaler(), NUMERIC)]
    )
    return Pipeline([("prep", prep), ("model", LogisticRegression() if classify else Ridge())])


def meta_of(ws, run_id: str) -> dict:
    return next(a.meta for a in runs.get(ws, run_id).artifacts if a.kind == "model")


def test_a_pipeline_logged_with_an_input_example_registers_and_predicts_as_itself(ws, sales, tmp_path):
    X = sales.select("region", "x1", "x2")
    with wb.start_run(workspace=ws.root) as run:
        model = pipeline().fit(X, sales["units"])
        run.log_model(model, input_example=X.head(3), target="units")
    meta = meta_of(ws, run.id)
    assert meta["features"]["inputs"] == [
        {"name": "region", "dtype": "String"},
        {"name": "x1", "dtype": "Float64"},
        {"name": "x2", "dtype": "Int64"},
    ]
    assert (meta["task"], meta["target"], meta["inputs_from"]) == ("regression", "units", "input_example")
    mv = registry.register(ws, run.id, "demand")
    assert [c["name"] for c in mv.schema] == ["region", "x1", "x2"]
    # Scored from a file whose columns come in another order, with extra columns.
    scrambled = sales.select("units", "x2", "date", "x1", "region")
    scrambled.write_csv(tmp_path / "in.csv")
    prediction.predict(ws, "demand@1", tmp_path / "in.csv", tmp_path / "out.csv")
    got = pl.read_csv(tmp_path / "out.csv").get_column("prediction").to_numpy()
    assert np.allclose(got, model.predict(X))
    scores = evaluation.evaluate(ws, "demand@1", "sales").overall["demand@1"]
    assert scores["r2"] > 0.9
    assert np.allclose(wb.load_model("demand@1", workspace=ws.root).predict(X), model.predict(X))


def test_the_runs_dataset_and_target_param_are_enough(ws, sales):
    with wb.start_run(workspace=ws.root, params={"target": "units"}) as run:
        df = run.use_dataset("sales@1").drop("date")  # a frame: the model knows its columns
        run.log_model(pipeline().fit(df.drop("units"), df["units"]))
    meta = meta_of(ws, run.id)
    # The names from the model, the types from the dataset the run read.
    assert meta["features"]["inputs"] == [
        {"name": "region", "dtype": "String"},
        {"name": "x1", "dtype": "Float64"},
        {"name": "x2", "dtype": "Int64"},
    ]
    assert meta["target"] == "units"
    assert registry.register(ws, run.id, "demand").dataset == "sales@1"


def test_feature_names_alone_give_the_inputs_with_types_read_off_the_encoders(ws, sales):
    X = sales.select("region", "x1", "x2")
    with wb.start_run(workspace=ws.root) as run:
        run.log_model(pipeline().fit(X, sales["units"]))
    meta = meta_of(ws, run.id)
    assert meta["inputs_from"] == "feature_names_in_"
    assert meta["features"]["inputs"] == [
        {"name": "region", "dtype": "String"},
        {"name": "x1", "dtype": "Float64"},
        {"name": "x2", "dtype": "Float64"},
    ]
    mv = registry.register(ws, run.id, "demand")
    predicted, _ = registry.load(ws, mv).predict(sales)  # x2's whole numbers fit Float64
    assert len(predicted) == sales.height


def test_a_model_without_its_inputs_is_kept_but_refused_at_register(ws, sales):
    from sklearn.linear_model import LinearRegression

    with wb.start_run(workspace=ws.root) as run:  # fitted on an array, no example, no data
        run.log_model(LinearRegression().fit(np.array([[0.0], [1.0]]), [0.0, 1.0]))
    assert meta_of(ws, run.id)["format"] == "skops"  # the user's artifact is stored
    with pytest.raises(InvalidInput) as refused:
        registry.register(ws, run.id, "demand")
    assert str(refused.value) == (
        f"run {run.name}'s model cannot score data: it was logged without its input columns "
        f"and their types (log it with run.log_model(model, input_example=df))"
    )
    assert registry.list_models(ws) == []


def test_an_example_that_is_no_frame_or_lacks_columns_is_refused_when_logged(ws, sales):
    X = sales.select("region", "x1", "x2")
    model = pipeline().fit(X, sales["units"])
    with wb.start_run(workspace=ws.root) as run:
        with pytest.raises(InvalidInput, match="must be a data frame"):
            run.log_model(model, input_example=X.to_numpy())
        with pytest.raises(InvalidInput, match="lacks columns the model takes: x2"):
            run.log_model(model, input_example=X.drop("x2"))
    assert not [a for a in runs.get(ws, run.id).artifacts if a.kind == "model"]


def test_a_classifier_pipeline_predicts_labels_and_probabilities(ws, sales, tmp_path):
    labelled = sales.with_columns(
        big=pl.when(pl.col("units") > 3).then(pl.lit("yes")).otherwise(pl.lit("no"))
    )
    X = labelled.select("region", "x1", "x2")
    with wb.start_run(workspace=ws.root) as run:
        model = pipeline(classify=True).fit(X, labelled["big"])
        run.log_model(model, input_example=X, target="big")
    meta = meta_of(ws, run.id)
    assert meta["task"] == "classification"
    assert meta["output"] == {"name": "prediction", "dtype": "String", "classes": ["no", "yes"]}
    registry.register(ws, run.id, "churn")
    labelled.write_csv(tmp_path / "in.csv")
    prediction.predict(ws, "churn@1", tmp_path / "in.csv", tmp_path / "out.csv")
    out = pl.read_csv(tmp_path / "out.csv")
    assert out["prediction"].to_list() == model.predict(X).tolist()
    assert np.allclose(out["proba_yes"].to_numpy(), model.predict_proba(X)[:, 1])


@pytest.mark.parametrize("objective", ["regression", "binary"])
def test_a_lightgbm_booster_scores(ws, sales, objective):
    import lightgbm as lgb

    X = sales.select("x1", "x2")
    y = (sales["units"] > 3).cast(pl.Int64) if objective == "binary" else sales["units"]
    booster = lgb.train(
        {"objective": objective, "verbose": -1, "num_threads": 1},
        lgb.Dataset(X.to_numpy(), label=y.to_numpy(), feature_name=["x1", "x2"]),
        num_boost_round=5,
    )
    with wb.start_run(workspace=ws.root) as run:
        run.log_model(booster, target="units")
    meta = meta_of(ws, run.id)
    assert meta["task"] == ("classification" if objective == "binary" else "regression")
    assert [c["name"] for c in meta["features"]["inputs"]] == ["x1", "x2"]
    loaded = registry.load(ws, registry.register(ws, run.id, "booster"))
    predicted, proba = loaded.predict(sales.select("x2", "x1", "region"))
    raw = booster.predict(X.to_numpy())
    if objective == "binary":
        assert predicted.tolist() == (raw > 0.5).astype(int).tolist()
        assert np.allclose(proba[:, 1], raw)
    else:
        assert np.allclose(predicted, raw) and proba is None


def test_data_that_does_not_fit_is_named_before_the_model_sees_it(ws, sales):
    X = sales.select("region", "x1", "x2")
    with wb.start_run(workspace=ws.root) as run:
        run.log_model(pipeline().fit(X, sales["units"]), input_example=X, target="units")
    loaded = registry.load(ws, registry.register(ws, run.id, "demand"))
    bad = sales.drop("x2").with_columns(pl.col("x1").cast(pl.String))
    with pytest.raises(scoring.Unscorable, match="x1 is String, the model takes Float64; x2 is missing"):
        loaded.predict(bad, "bad.csv")


def test_load_model_verifies_the_bytes(ws, sales):
    X = sales.select("region", "x1", "x2")
    with wb.start_run(workspace=ws.root) as run:
        run.log_model(pipeline().fit(X, sales["units"]), input_example=X, target="units")
    mv = registry.register(ws, run.id, "demand")
    path = Path(ws.objects.path(mv.artifact_hash))
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-1] + b"x")
    with pytest.raises(IntegrityError):
        wb.load_model("demand@1", workspace=ws.root)
