"""`wb model evaluate` and the TUI's `e`: one or two versions scored on the same data, overall
and per segment of a column, as an `Evaluation`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .. import metrics
from ..errors import InvalidInput
from ..storage.workspace import Workspace
from . import gates, registry

Scores = dict[str, float]  # metric -> value, in the order scoring computes them


@dataclass(frozen=True)
class Segment:
    """The rows of the data with one value of the `by` column, and each model's scores there."""

    value: str  # the column's value, as text
    rows: int
    scores: dict[str, Scores]  # by model ref, in the evaluation's order

    def to_dict(self) -> dict[str, Any]:
        return {"segment": self.value, "rows": self.rows, "metrics": self.scores}


@dataclass(frozen=True)
class Evaluation:
    """Versions scored on one dataset version."""

    data: str  # the dataset version scored on, as NAME@N
    target: str | None
    primary: str  # the metric that decides between them (the first model's task's)
    models: tuple[str, ...]  # the version refs, the evaluated one first
    overall: dict[str, Scores]  # by model ref
    by: str | None  # the column the segments break down by
    segments: tuple[Segment, ...]  # by value (as text); none without `by`
    caution: str = ""  # why the figures flatter the first version (the TUI's only; not JSON)

    @property
    def metric_names(self) -> list[str]:
        """Every metric any of the models has, in scoring's order."""
        return list(dict.fromkeys(k for m in self.models for k in self.overall[m]))

    def to_dict(self) -> dict[str, Any]:
        """`wb model evaluate --json`."""
        return {
            "data": self.data,
            "target": self.target,
            "primary": self.primary,
            "models": list(self.models),
            "overall": self.overall,
            "by": self.by,
            "segments": [s.to_dict() for s in self.segments],
        }


def evaluate(
    ws: Workspace, ref: str, data: str, against: str | None = None, by: str | None = None
) -> Evaluation:
    """Metrics of one or two versions on the same data, overall and per segment of `by`."""
    from ..data import datasets

    version = datasets.resolve(ws, data)
    df = datasets.load(ws, version)
    models = [registry.resolve(ws, ref)] + ([registry.resolve(ws, against)] if against else [])
    target = models[0].target
    if by is not None and by not in df.columns:
        raise InvalidInput(f"{version.ref} has no column {by!r} to break the metrics down by")
    loaded = [registry.load(ws, mv) for mv in models]

    def scores(part: Any) -> dict[str, Scores]:
        # scoring refuses a model with no target on record, in its own words
        return {mv.ref: lm.score(part, target or "")[0] for mv, lm in zip(models, loaded, strict=True)}

    overall = scores(df)
    segments = []
    if by is not None:
        for value in sorted(df.get_column(by).drop_nulls().unique().to_list(), key=str):
            part = df.filter(df.get_column(by) == value)
            segments.append(Segment(str(value), part.height, scores(part)))
    return Evaluation(
        data=version.ref,
        target=target,
        primary=metrics.primary(models[0].task),
        models=tuple(mv.ref for mv in models),
        overall=overall,
        by=by,
        segments=tuple(segments),
    )


def evaluate_against_production(ws: Workspace, ref: str) -> Evaluation:
    """`evaluate` of a version against production (when another version is production), on
    the newest version of its training dataset, with `caution` when that is its own training
    data: the TUI's `e`."""
    mv = registry.resolve(ws, ref)
    if not mv.dataset:
        raise InvalidInput(f"{mv.ref} has no training dataset on record to evaluate it on")
    current = registry.alias_target(ws, mv.name, registry.PRODUCTION)
    against = f"{mv.name}@{current}" if current and current != mv.version else None
    unseen = gates.unseen_data(ws, mv)
    data = unseen.ref if unseen else mv.dataset.partition("@")[0]
    result = evaluate(ws, mv.ref, data, against=against)
    return replace(result, caution="" if unseen else gates.caution(ws, mv, data))
