"""Drift checks in a batch (as `wb demo` checks its weeks): the same reports as one by one,
with the model's work on the same data done once, and nothing kept after the batch."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from tests.core.test_drift_model import _add, _frame
from workbench.core.data import datasets
from workbench.core.experiments import training
from workbench.core.models import registry, scoring
from workbench.core.monitoring import batch, drift

REF_ROWS, WEEK_ROWS = 3000, 2000


@pytest.fixture
def weeks(ws, tmp_path):
    """A registered regressor on `d@1` and two later weeks of the same data, one shifted."""
    rng = np.random.default_rng(0)
    path = tmp_path / "ref.csv"
    _frame(rng, REF_ROWS).write_csv(path)
    datasets.add(ws, path, "d")
    registry.register(ws, training.train(ws, training.TrainSpec(data="d@1", target="y", model="linear")), "m")
    return [_add(ws, tmp_path, _frame(rng, WEEK_ROWS, shift=s), f"week{s}") for s in (0.0, 1.0)]


@pytest.fixture
def work(monkeypatch):
    """How often the model scored a frame of each size, fitted an error model, was loaded."""
    seen: Counter = Counter()

    def counted(original, key):
        def wrapper(*args, **kwargs):
            seen[key(*args)] += 1
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        scoring.LoadedModel, "predict", counted(scoring.LoadedModel.predict, lambda model, df, *_: df.height)
    )
    monkeypatch.setattr(training, "prepare", counted(training.prepare, lambda *_: "error model"))
    monkeypatch.setattr(registry, "load", counted(registry.load, lambda *_: "load"))
    return seen


def check_all(ws, weeks):
    reports = [drift.check(ws, "d@1", week, model="m@1", target="y").to_dict() for week in weeks]
    for report in reports:
        for key in ("report_id", "created_at"):
            report.pop(key)
    return reports


def test_a_batch_gives_the_same_reports_scoring_the_reference_once(ws, weeks, work):
    alone = check_all(ws, weeks)
    assert work[REF_ROWS] == 2 and work["error model"] == 2 and work["load"] == 2
    # A check alone scores its week once: for its prediction drift, its estimate and its
    # performance on its labelled rows (all of them here).
    assert work[WEEK_ROWS] == 2
    work.clear()
    with batch.batch():
        together = check_all(ws, weeks)
    assert together == alone
    assert work[REF_ROWS] == 1 and work["error model"] == 1 and work["load"] == 1
    assert work[WEEK_ROWS] == 2


def test_nothing_is_kept_after_the_batch(ws, weeks, work):
    with batch.batch():
        check_all(ws, weeks[:1])
    work.clear()
    check_all(ws, weeks[:1])
    assert work[REF_ROWS] == 1 and work["error model"] == 1 and work["load"] == 1
