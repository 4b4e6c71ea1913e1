"""`wb runs compare` and `wb runs reproduce`: what differs between runs, and doing one again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..metrics import BOOKKEEPING, higher_is_better
from ..storage.workspace import Workspace
from . import runs
from .records import RunRecord

# A metric's value at each step it was logged, as `runs.metric_history` reads it.
History = list[tuple[int, float | None]]


@dataclass(frozen=True)
class ComparedRun:
    """Who a compared run is: enough to tell the columns of a comparison apart."""

    id: str
    name: str
    status: str
    model: str | None
    data: tuple[str, ...]  # the dataset versions it read, as NAME@N

    @classmethod
    def of(cls, info: RunRecord) -> ComparedRun:
        return cls(info.id, info.name, info.status, info.model, tuple(d.ref for d in info.inputs))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "model": self.model,
            "data": list(self.data),
        }


@dataclass(frozen=True)
class MetricRow:
    """One metric across the compared runs, in their order: its value in each (None where a
    run did not log it) and whether that value is the best of them."""

    values: tuple[float | None, ...]
    best: tuple[bool, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"values": list(self.values), "best": list(self.best)}


@dataclass(frozen=True)
class Comparison:
    """`wb runs compare`: runs side by side. Every per-run sequence is in the order of `runs`."""

    runs: tuple[ComparedRun, ...]
    params_differ: dict[str, list[Any]]  # param -> its value in each run (None: not set)
    params_same: dict[str, Any]  # the params every run set alike
    metrics: dict[str, MetricRow]  # by metric name, sorted
    curves: dict[str, dict[str, History]]  # metric logged over steps -> run id -> its history

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb runs compare --json`."""
        return {
            "runs": [r.to_dict() for r in self.runs],
            "params_differ": self.params_differ,
            "params_same": self.params_same,
            "metrics": {k: row.to_dict() for k, row in self.metrics.items()},
            "curves": self.curves,
        }


def compare(ws: Workspace, refs: list[str]) -> Comparison:
    """Params that differ (and those all runs share), metrics side by side with the best of
    each, and the step history of every metric logged over more than one step."""
    if len(refs) < 2:
        raise InvalidInput("compare needs at least two runs")
    infos = [runs.get(ws, ref) for ref in refs]
    ids = [i.id for i in infos]
    if len(set(ids)) < len(ids):
        raise InvalidInput("the same run is named twice")
    param_keys = sorted({k for i in infos for k in i.params})
    differing = {
        k: [i.params.get(k) for i in infos]
        for k in param_keys
        if len({repr(i.params.get(k)) for i in infos}) > 1
    }
    same = {k: infos[0].params.get(k) for k in param_keys if k not in differing}
    metric_keys = sorted({k for i in infos for k in i.metrics})
    metric_rows = {}
    for key in metric_keys:
        values = tuple(i.metrics.get(key) for i in infos)
        present = [v for v in values if v is not None]
        best = (
            None
            if not present or key in BOOKKEEPING
            else (max(present) if higher_is_better(key) else min(present))
        )
        metric_rows[key] = MetricRow(values, tuple(v is not None and v == best for v in values))
    curves = {
        key: {i.id: runs.metric_history(ws, i.id, key) for i in infos}
        for key in metric_keys
        if any(i.metric_steps.get(key, 0) > 1 for i in infos)
    }
    return Comparison(tuple(ComparedRun.of(i) for i in infos), differing, same, metric_rows, curves)


@dataclass(frozen=True)
class Reproduction:
    """`wb runs reproduce`: the run made again, and how far its metrics are from the original's."""

    original: str  # the ids of the run reproduced and of the new run
    new_run: str
    deltas: dict[str, float | None]  # metric -> new minus original (None: either is missing)
    notes: list[str]  # why the code may not be what the original ran

    @property
    def identical(self) -> bool:
        return all(d == 0 for d in self.deltas.values() if d is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "run": self.new_run,
            "metric_deltas": self.deltas,
            "identical": self.identical,
            "notes": self.notes,
        }


def reproduce(ws: Workspace, ref: str) -> Reproduction:
    """Run again with the same data bytes, parameters, code and seed; report metric deltas."""
    info = runs.get(ws, ref)
    notes: list[str] = []
    if info.kind == "train":
        from . import training

        spec = training.TrainSpec(**(info.spec or {}))  # a train run always has its spec
        # Pin the exact bytes the original read: the version it named (the newest of its
        # inputs: a window adds the ones before it), checked by hash.
        named = max(info.inputs, key=lambda i: i.version)
        spec.data = named.ref
        new_id = training.train(ws, spec, experiment=info.experiment, tags={"reproduces": info.id})
    elif info.kind == "command":
        from . import command_runs, environment
        from .local_executor import LocalExecutor

        now = environment.capture(Path(info.cwd or "."))
        was = info.environment.get("git_commit")
        if not was:
            notes.append(
                f"the code could not be pinned: {info.cwd or 'the run'} was not in a "
                f"git checkout when the run was made, so what it ran may have changed"
            )
        elif now.git_commit != was:
            notes.append(f"the code is at commit {now.git_commit}, the run was made at {was}")
        if now.git_dirty or info.environment.get("git_dirty"):
            notes.append("uncommitted changes differ from the original run's, or exist now")
        data = [i.ref for i in info.inputs]
        new_id = command_runs.create_command_run(ws, info.command, experiment=info.experiment, data=data)
        LocalExecutor().execute(ws, new_id, info.command)
    else:
        raise InvalidInput(
            f"run {info.name} was logged by a script's own start_run(); run "
            f"that script again under `wb run` to make it reproducible"
        )
    new = runs.get(ws, new_id)
    deltas = {k: _delta(new.metrics.get(k), v) for k, v in info.metrics.items()}
    return Reproduction(info.id, new_id, deltas, notes)


def _delta(new: float | None, old: float | None) -> float | None:
    return None if new is None or old is None else new - old
