"""`wb drift check --model` of a drop too big for `[data] memory_budget_mb`: the model scores
it batch by batch in the pass that profiles it, and the report's performance, label-free
estimate and prediction drift are the ones a whole read gives (but for a Wasserstein score
from the predictions' sketch, which the report names)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tests.core.test_streaming_add import _with_budget
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput
from workbench.core.experiments import training
from workbench.core.monitoring import drift
from workbench.core.monitoring.drift import list_reports
from workbench.presenters import drift as drift_words

WHOLE, TINY = 1024, 1  # MB: the 1.5 MB drop is read whole with the first, in batches with the second


def _frame(rng: np.random.Generator, n: int, shift: float = 0.0) -> pl.DataFrame:
    x = rng.normal(shift, 1.0, n)
    return pl.DataFrame(
        {
            "x": x,
            "kind": rng.choice(["a", "b", "c"], n),
            "y": 3 * x + rng.normal(0, 1.0, n),
            "label": np.where(x + rng.normal(0, 0.5, n) > shift, "yes", "no"),
        }
    )


@pytest.fixture
def drop(ws, tmp_path):
    """d@1 and a regressor and a classifier trained on it; a shifted 25,000-row drop."""
    rng = np.random.default_rng(0)
    ref = tmp_path / "ref.csv"
    _frame(rng, 3000).write_csv(ref)
    datasets.add(ws, ref, "d")
    regressor = training.train(ws, training.TrainSpec(data="d@1", target="y", model="linear"))
    classifier = training.train(ws, training.TrainSpec(data="d@1", target="label", model="linear"))
    cur = tmp_path / "cur.csv"
    _frame(rng, 25_000, shift=0.3).write_csv(cur)
    return ws, cur, regressor, classifier


def _both(ws, cur, model: str, target: str):
    _with_budget(ws, WHOLE)
    whole = drift.check(ws, "d@1", str(cur), model=model, target=target)
    _with_budget(ws, TINY)
    streamed = drift.check(ws, "d@1", str(cur), model=model, target=target)
    return whole, streamed


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_a_streamed_drop_scores_as_a_whole_read_does(drop, task):
    ws, cur, regressor, classifier = drop
    model, target = (regressor, "y") if task == "regression" else (classifier, "label")
    whole, streamed = _both(ws, cur, model, target)
    assert whole.estimated is None and streamed.estimated is not None
    assert streamed.performance.rows == whole.performance.rows == 25_000
    assert streamed.performance.metrics == pytest.approx(whole.performance.metrics, rel=1e-9)
    assert streamed.performance.degraded == whole.performance.degraded
    est_s, est_w = streamed.performance_estimate, whole.performance_estimate
    assert (est_s.metric, est_s.method) == (est_w.metric, est_w.method)
    assert est_s.estimated == pytest.approx(est_w.estimated, rel=1e-9)
    assert est_s.concept.concept_drift == est_w.concept.concept_drift
    p_s, p_w = streamed.prediction_drift, whole.prediction_drift
    assert (p_s.test, p_s.drifted) == (p_w.test, p_w.drifted) and p_w.drifted  # the drop moved
    if "prediction" in streamed.estimated:  # a regressor's outputs: many numbers, sketched
        assert p_s.test == "wasserstein"
        assert p_s.score == pytest.approx(p_w.score, abs=drift_words.WASSERSTEIN_SKETCH_ERROR)
    else:
        assert p_s.score == pytest.approx(p_w.score, rel=1e-9)
    assert ("prediction" in streamed.estimated) == (task == "regression")


def test_a_streamed_drop_without_the_target_or_a_model_input_stores_no_report(drop, tmp_path):
    ws, cur, regressor, _ = drop
    _with_budget(ws, TINY)
    df = pl.read_csv(cur)
    before = len(list_reports(ws))
    unlabelled = tmp_path / "unlabelled.csv"
    df.drop("y").write_csv(unlabelled)
    with pytest.raises(InvalidInput, match="the current data has no column 'y'"):
        drift.check(ws, "d@1", str(unlabelled), model=regressor, target="y")
    unscorable = tmp_path / "unscorable.csv"
    df.drop("x").write_csv(unscorable)
    with pytest.raises(InvalidInput, match="x is missing"):
        drift.check(ws, "d@1", str(unscorable), model=regressor)
    assert len(list_reports(ws)) == before


@pytest.mark.parametrize("budget", [WHOLE, TINY])
def test_a_text_target_for_a_regressor_is_one_sentence_read_whole_or_in_batches(drop, tmp_path, budget):
    ws, cur, regressor, _ = drop
    _with_budget(ws, budget)
    worded = tmp_path / "worded.csv"
    pl.read_csv(cur).with_columns(pl.col("y").round(1).cast(pl.String) + "u").write_csv(worded)
    with pytest.raises(
        InvalidInput, match=r"y in the current data is String: .* is a regressor, scored against numbers"
    ):
        drift.check(ws, "d@1", str(worded), model=regressor, target="y")
