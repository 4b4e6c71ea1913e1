"""`wb runs compare` and `wb runs reproduce`: what differs between runs, and doing one again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..metrics import BOOKKEEPING, higher_is_better
from ..storage.workspace import Workspace
from . import runs


def compare(ws: Workspace, refs: list[str]) -> dict[str, Any]:
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
        values = [i.metrics.get(key) for i in infos]
        present = [v for v in values if v is not None]
        best = (
            None
            if not present or key in BOOKKEEPING
            else (max(present) if higher_is_better(key) else min(present))
        )
        metric_rows[key] = {"values": values, "best": [v is not None and v == best for v in values]}
    curves = {
        key: {i.id: runs.metric_history(ws, i.id, key) for i in infos}
        for key in metric_keys
        if any(i.metric_steps.get(key, 0) > 1 for i in infos)
    }
    return {
        "runs": [
            {
                "id": i.id,
                "name": i.name,
                "status": i.status,
                "model": i.model,
                "data": [d.ref for d in i.inputs],
            }
            for i in infos
        ],
        "params_differ": differing,
        "params_same": same,
        "metrics": metric_rows,
        "curves": curves,
    }


@dataclass
class Reproduction:
    original: str
    new_run: str
    deltas: dict[str, float | None]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "run": self.new_run,
            "metric_deltas": self.deltas,
            "identical": all(d == 0 for d in self.deltas.values() if d is not None),
            "notes": self.notes,
        }


def reproduce(ws: Workspace, ref: str) -> Reproduction:
    """Run again with the same data bytes, parameters, code and seed; report metric deltas."""
    info = runs.get(ws, ref)
    notes = []
    if info.kind == "train":
        from . import training

        spec = training.TrainSpec(**info.spec)
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
    deltas = {
        k: (new.metrics.get(k) - v if v is not None and new.metrics.get(k) is not None else None)
        for k, v in info.metrics.items()
    }
    return Reproduction(info.id, new_id, deltas, notes)
