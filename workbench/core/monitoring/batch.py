"""A batch of drift checks through the same model: what the model computes on the same data is
computed once for the batch.

Checking each week against one reference with one model (`wb demo`'s six weeks) loads the
model, scores the reference's rows and fits the regressor's error model (the label-free
estimate) on the same validation rows again in every check. Inside `batch()`, a model file is
loaded once (told by its hash), a model's predictions on a frame equal, row for row, to one it
already scored are the ones it gave, and its error model is fitted once (a model is told by
its run, whose model does not change once logged).
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
    models: dict[str, Any] = field(default_factory=dict)
    predictions: list[tuple[str, Any, tuple[Any, Any]]] = field(default_factory=list)
    error_models: dict[str, Any] = field(default_factory=dict)


_kept: ContextVar[_Kept | None] = ContextVar("drift_batch", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Reuse what a model computed on the same data across the drift checks in the block (a
    block inside another is part of it)."""
    if _kept.get() is not None:
        yield
        return
    token = _kept.set(_Kept())
    try:
        yield
    finally:
        _kept.reset(token)


def load(ref: str, artifact_hash: str, load: Callable[[], LoadedModel]) -> LoadedModel:
    """The model version `ref`, stored as `artifact_hash`: `load()` once in a batch."""
    return _once("models", f"{ref} {artifact_hash}", load)


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
    return _once("error_models", model.run_id, fit)


def _once(kind: str, key: str, make: Callable[[], T]) -> T:
    kept = _kept.get()
    if kept is None:
        return make()
    made: dict[str, Any] = getattr(kept, kind)
    if key not in made:
        made[key] = make()
    return made[key]
