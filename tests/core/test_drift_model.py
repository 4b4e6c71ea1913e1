"""Drift checks that use a model: prediction drift, performance, and the domain classifier."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from workbench.core.data import datasets
from workbench.core.errors import InvalidInput
from workbench.core.experiments import training
from workbench.core.monitoring import alerts, drift


def _frame(rng, n, shift=0.0, label_scale=1.0):
    x = rng.normal(shift, 1.0, n)
    noise = rng.normal(0, 1.0, n)
    return pl.DataFrame(
        {
            "x": x,
            "z": rng.normal(0, 1.0, n),
            "kind": rng.choice(["a", "b", "c"], n),
            "y": (3 * x + noise) * label_scale,
        }
    )


@pytest.fixture
def trained(ws, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "ref.csv"
    _frame(rng, 3000).write_csv(path)
    datasets.add(ws, path, "d")
    run_id = training.train(ws, training.TrainSpec(data="d@1", target="y", model="linear"))
    return run_id, rng


def _add(ws, tmp_path, df, name):
    path = tmp_path / f"{name}.csv"
    df.write_csv(path)
    return datasets.add(ws, path, "d").version.ref


def test_same_distribution_keeps_predictions_and_performance(ws, tmp_path, trained):
    run_id, rng = trained
    cur = _add(ws, tmp_path, _frame(rng, 2000), "same")
    report = drift.check(ws, "d@1", cur, model=run_id, target="y")
    assert report.prediction_drift.drifted is False
    perf = report.performance
    assert perf.metric == "rmse" and perf.degraded is False
    assert abs(perf.degradation) < 0.1


def test_shifted_inputs_move_predictions_and_new_labels_degrade_performance(ws, tmp_path, trained):
    run_id, rng = trained
    cur = _add(ws, tmp_path, _frame(rng, 2000, shift=1.0, label_scale=1.5), "shifted")
    report = drift.check(ws, "d@1", cur, model=run_id, target="y")
    assert report.prediction_drift.drifted is True
    assert report.performance.degraded is True
    kinds = [a.kind for a in alerts.list_alerts(ws, open_only=True)]
    assert "performance" in kinds


def test_the_classifier_tells_shifted_data_apart_and_names_the_feature(ws, tmp_path, trained):
    _, rng = trained
    same = _add(ws, tmp_path, _frame(rng, 2000), "same")
    calm = drift.check(ws, "d@1", same, classifier=True).multivariate
    assert calm.drifted is False and calm.score < 0.55
    moved = _add(ws, tmp_path, _frame(rng, 2000, shift=0.6), "moved")
    report = drift.check(ws, "d@1", moved, classifier=True).multivariate
    assert report.drifted is True
    assert report.top_features[0].name == "x"


def test_a_target_missing_from_the_current_data_is_a_clear_error(ws, tmp_path, trained):
    run_id, rng = trained
    cur = _add(ws, tmp_path, _frame(rng, 500).drop("y"), "unlabelled")
    with pytest.raises(InvalidInput, match="no column 'y'"):
        drift.check(ws, "d@1", cur, model=run_id, target="y")
    # Without --target the same data still gets prediction drift.
    assert drift.check(ws, "d@1", cur, model=run_id).performance is None


def test_label_free_estimate_misses_concept_drift_and_labels_reveal_it(ws, tmp_path, trained):
    run_id, rng = trained
    # Same inputs, outcomes that now mean something else: the estimate cannot tell...
    cur = _add(ws, tmp_path, _frame(rng, 2000, label_scale=1.5), "concept")
    report = drift.check(ws, "d@1", cur, model=run_id, target="y")
    estimate = report.performance_estimate
    assert estimate.metric == "mae" and estimate.degraded is False
    # ...but once labels arrive, the actual error far above the estimate says so.
    assert report.performance.degraded is True
    assert estimate.concept.concept_drift is True and estimate.concept.gap > 0.1


def test_classifier_estimate_is_mean_confidence(ws, tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.normal(0, 1, n)
    df = pl.DataFrame({"x": x, "label": np.where(x + rng.normal(0, 0.5, n) > 0, "yes", "no")})
    path = tmp_path / "c.csv"
    df.write_csv(path)
    datasets.add(ws, path, "c")
    run_id = training.train(ws, training.TrainSpec(data="c@1", target="label", model="linear"))
    report = drift.check(ws, "c@1", "c@1", model=run_id, target="label")
    estimate = report.performance_estimate
    assert estimate.metric == "accuracy"
    assert estimate.estimated == pytest.approx(report.performance.metrics["accuracy"], abs=0.05)
    assert estimate.concept.concept_drift is False


def test_the_model_is_named_by_a_model_ref_or_by_its_run(ws, tmp_path, trained):
    from workbench.core.errors import NotFound
    from workbench.core.models import registry

    run_id, rng = trained
    registry.register(ws, run_id, "demand")
    registry.promote(ws, "demand@1", "production")
    current = _add(ws, tmp_path, _frame(rng, 2000), "cur")
    by_ref = drift.check(ws, "d@1", current, model="demand@production", target="y")
    by_run = drift.check(ws, "d@1", current, model=run_id[:8], target="y")
    assert by_ref.performance.current == by_run.performance.current
    with pytest.raises(NotFound, match="neither a run"):
        drift.check(ws, "d@1", current, model="nosuch")
