"""A batch of drift checks through the same model: what the model computes on the same data is
computed once for the batch.

Checking each week against one reference with one model (`wb demo`'s six weeks) scores the
reference's rows again in every check, and fits the regressor's error model (the label-free
estimate) on the same validation rows again. Inside `batch()`, a model's predictions on a
frame equal, row for row, to one it already scored are the ones it gave, and its error model
is fitted once. The model is told by its run, whose model does not change once logged.
Outside a batch (the TUI, `wb watch`) nothing is kept: the frames held are the batch's alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..models.scoring import LoadedModel

T = TypeVar("T")


@dataclass
class _Kept:
    predictions: list[tuple[str, Any, tuple[Any, Any]]] = field(default_factory=list)
    error_models: dict[str, Any] = field(default_factory=dict)


_kept: ContextVar[_Kept | None] = ContextVar("drift_batch", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Reuse what a model computed on the same data across the drift checks in the block."""
    token = _kept.set(_Kept())
    try:
        yield
    finally:
        _kept.reset(token)


def predict(model: LoadedModel, df: Any) -> tuple[Any, Any]:
    """`model.predict(df)`, the batch's earlier answer when it scored an equal frame."""
    kept = _kept.get()
    if kept is None:
        return model.predict(df)
    for run_id, frame, answer in kept.predictions:
        if run_id == model.run_id and frame.equals(df):
            return answer
    answer = model.predict(df)
    kept.predictions.append((model.run_id, df, answer))
    return answer


def error_model(model: LoadedModel, fit: Callable[[], T]) -> T:
    """The model's error model: `fit()` once in a batch."""
    kept = _kept.get()
    if kept is None:
        return fit()
    if model.run_id not in kept.error_models:
        kept.error_models[model.run_id] = fit()
    return kept.error_models[model.run_id]
