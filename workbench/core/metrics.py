"""Scores for the built-in trainers, and which direction is better for each."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

REGRESSION = ("rmse", "mae", "wape", "r2")
CLASSIFICATION = ("accuracy", "f1", "roc_auc", "log_loss")
# Counts a trainer logs beside its scores: no "best" among them.
BOOKKEEPING = {"train_rows", "val_rows", "best_iteration"}
# The order a table shows scores in, before any others.
PREFERRED = (*REGRESSION, *CLASSIFICATION)
HIGHER_IS_BETTER = {"r2", "accuracy", "f1", "roc_auc", "auc", "precision", "recall"}


def primary(task: str) -> str:
    """The metric that decides between models: rmse for regression, roc_auc for classifiers."""
    return "rmse" if task == "regression" else "roc_auc"


def worse_by(name: str, candidate: float, baseline: float) -> float:
    """How much worse `candidate` is than `baseline`, as a fraction of it (negative: better)."""
    gap = (baseline - candidate) if higher_is_better(name) else (candidate - baseline)
    if not baseline:  # a perfect (zero) baseline: any worse score is infinitely worse
        return math.inf if gap > 0 else 0.0
    return gap / abs(baseline)


def higher_is_better(name: str) -> bool:
    return name.rsplit(".", 1)[-1].removeprefix("val_") in HIGHER_IS_BETTER


def regression(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    import numpy as np
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    total = float(np.abs(y_true).sum())
    return {
        "rmse": math.sqrt(mean_squared_error(y_true, y_pred)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "wape": float(np.abs(y_true - y_pred).sum() / total) if total else math.nan,
        "r2": float(r2_score(y_true, y_pred)) if len(y_true) > 1 else math.nan,
    }


def classification(
    y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None, classes: Any
) -> dict[str, float]:
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score

    binary = len(classes) == 2
    scores = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1": float(
            f1_score(
                y_true, y_pred, average="binary" if binary else "macro", pos_label=classes[1] if binary else 1
            )
        ),
        "roc_auc": math.nan,
        "log_loss": math.nan,
    }
    if proba is not None:
        present = set(np.unique(y_true))
        if len(present) > 1:
            scores["roc_auc"] = float(
                roc_auc_score(y_true, proba[:, 1])
                if binary
                else roc_auc_score(y_true, proba, multi_class="ovr", labels=list(classes))
            )
        scores["log_loss"] = float(log_loss(y_true, proba, labels=list(classes)))
    return scores


class RegressionTotals:
    """`regression`'s scores over rows that arrive in batches: sums that merge exactly, so
    that rows too many to hold score as one array of them would."""

    def __init__(self) -> None:
        from .data.sketches import Moments  # numpy: only a streamed check pays for it

        self.squared = self.absolute = self.total = 0.0
        self.labels = Moments()  # for r2: the labels' sum of squared deviations

    @property
    def n(self) -> int:
        return self.labels.n

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        errors = y_true - y_pred
        self.squared += float((errors * errors).sum())
        self.absolute += float(abs(errors).sum())
        self.total += float(abs(y_true).sum())
        self.labels.update(y_true)

    def scores(self) -> dict[str, float]:
        n, spread = self.n, self.labels.m2
        if spread:
            r2 = 1 - self.squared / spread
        else:  # constant labels: as sklearn's r2_score, perfect or nothing
            r2 = 1.0 if not self.squared else 0.0
        return {
            "rmse": math.sqrt(self.squared / n),
            "mae": self.absolute / n,
            "wape": self.absolute / self.total if self.total else math.nan,
            "r2": r2 if n > 1 else math.nan,
        }
