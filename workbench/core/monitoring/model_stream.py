"""The drift checks that take a model, on a current drop too big to read whole: the model
scores each batch of the pass that profiles the drop (`streaming.read_in_batches`), and only
what the checks need stays: the profile of its predictions, counted in the reference
predictions' bins as a whole read counts them; the sum behind the label-free estimate; and,
for the rows with a label, the sums behind a regressor's scores (exact) or a classifier's
labels and probabilities (ROC AUC needs every one of them: 1 + the classes' floats a row).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import metrics
from ..config import DriftSettings
from ..errors import InvalidInput
from ..storage.workspace import Workspace
from . import model_checks, statistics
from .records import DriftTest, Performance, PerformanceEstimate

if TYPE_CHECKING:
    import polars as pl

    from ..models import scoring


class ScoredPass:
    """A sink of the pass (streaming.Sink): each batch scored by the model."""

    def __init__(
        self,
        ws: Workspace,
        model: scoring.LoadedModel,
        ref_outputs: dict[str, Any],
        target: str | None,
        label: str,
    ):
        self.model = model
        self.ref_outputs = ref_outputs
        self.target = target
        self.label = label
        self.nanny = None if model.task == "classification" else model_checks.error_model_of(ws, model)
        self.reset()

    def reset(self) -> None:
        from ..data import streaming

        self.outputs = streaming.Profiler(statistics.count_in_edges(self.ref_outputs))
        self.rows = 0
        self.estimate_total: float | None = 0.0
        self.regression = metrics.RegressionTotals()
        self.labelled: list[tuple[Any, Any, Any]] = []  # a classifier's (labels, predictions, probabilities)

    def update(self, batch: pl.DataFrame) -> None:
        if self.target is not None and self.target not in batch.columns:
            raise InvalidInput(f"the current data has no column {self.target!r}")
        if self.target is not None and batch.get_column(self.target).null_count() < batch.height:
            self.model.check_target(batch.schema[self.target], self.target, "the current data")
        predicted, proba = self.model.predict(batch, self.label)
        self.outputs.update(model_checks.output_frame(self.model, predicted))
        self.rows += batch.height
        total = model_checks.estimate_sum(self.model, self.nanny, batch, predicted, proba)
        if total is None or self.estimate_total is None:
            self.estimate_total = None
        else:
            self.estimate_total += total
        if self.target is not None:
            has = batch.get_column(self.target).is_not_null().to_numpy()
            y = batch.get_column(self.target).to_numpy()[has]
            if self.model.task == "regression":
                self.regression.update(y.astype(float), predicted[has].astype(float))
            elif has.any():
                self.labelled.append((y, predicted[has], None if proba is None else proba[has]))

    def prediction_drift(self, settings: DriftSettings) -> tuple[DriftTest, bool]:
        """The predictions' drift, and whether its score came from their quantile sketch."""
        from ..data import profile

        current = self.outputs.result(profile.BINS, profile.TOP)
        test = model_checks.headline(statistics.compare_profiles(self.ref_outputs, current, settings))
        sketched = "sketch" in current["columns"][0].get("approximate", ())
        return test, sketched and test.test == "wasserstein"

    def estimate(self, ws: Workspace, settings: DriftSettings) -> PerformanceEstimate:
        return model_checks.estimate_of(ws, self.model, self.estimate_total, self.rows, settings)

    def performance(self, ws: Workspace, settings: DriftSettings) -> Performance:
        """As `model_checks.performance` on the whole drop."""
        import numpy as np

        if self.model.task == "regression":
            rows = self.regression.n
            current = self.regression.scores() if rows else {}
        else:
            rows = sum(len(y) for y, _, _ in self.labelled)
            if rows:
                y, predicted, proba = zip(*self.labelled, strict=True)
                current = metrics.classification(
                    np.concatenate(y),
                    np.concatenate(predicted),
                    None if proba[0] is None else np.concatenate(proba),
                    self.model.classes,
                )
        if not rows:
            raise InvalidInput(f"the data has no {self.target!r} values to score against")
        return model_checks.performance_of(ws, self.model, current, rows, settings)
