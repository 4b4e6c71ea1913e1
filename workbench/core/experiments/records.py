"""What a run is, as the interfaces see it: frozen records whose `to_dict()` is SPEC.md's JSON.

`RunSummary` is one line of `wb runs list`; `RunRecord` is all of `wb runs show`, with the data
versions it read (`RunInput`) and the files it logged (`RunArtifact`). `runs.py` reads them from
the database; nothing here touches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunInput:
    """A dataset version a run read, pinned by its hash."""

    dataset: str
    version: int
    hash: str

    @property
    def ref(self) -> str:
        return f"{self.dataset}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "version": self.version, "hash": self.hash}


@dataclass(frozen=True)
class RunArtifact:
    """A file a run logged: `path` is its name within the run, `hash` its object in the store."""

    path: str
    kind: str
    hash: str
    size: int
    meta: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """The fields of `wb runs artifacts --json` entries."""
        return {"path": self.path, "kind": self.kind, "size": self.size, "hash": self.hash}

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "hash": self.hash, "size": self.size, "meta": self.meta}


@dataclass(frozen=True)
class RunSummary:
    """A run as a listing shows it: its identity, state, params and latest metrics."""

    id: str
    name: str
    experiment: str
    status: str
    kind: str
    model: str | None
    started_at: str | None
    ended_at: str | None
    duration_s: float | None
    params: dict[str, Any]
    metrics: dict[str, float | None]  # each key's latest value; NaN stays NaN

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb runs list --json` fields, plus kind and model."""
        return {
            "id": self.id,
            "name": self.name,
            "experiment": self.experiment,
            "status": self.status,
            "kind": self.kind,
            "model": self.model,
            "params": self.params,
            "metrics": self.metrics,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
        }


@dataclass(frozen=True)
class RunRecord(RunSummary):
    """Everything recorded about one run: what ran, where, on what, and what it left."""

    tags: dict[str, str]
    inputs: tuple[RunInput, ...]  # by dataset, then version
    artifacts: tuple[RunArtifact, ...]  # by path
    metric_steps: dict[str, int]  # how many values each metric logged
    command: tuple[str, ...]
    cwd: str | None
    host: str | None
    pid: int | None
    seed: int | None
    error: str | None
    exit_code: int | None
    created_at: str
    environment: dict[str, Any]  # python, packages, git commit and dirtiness, as captured
    spec: dict[str, Any] | None  # a `wb train` run's TrainSpec; None for other kinds

    def to_dict(self) -> dict[str, Any]:
        """`wb runs show --json`: the listing's fields, then the rest."""
        return {
            **super().to_dict(),
            "tags": self.tags,
            "inputs": [i.to_dict() for i in self.inputs],
            "artifacts": [a.to_dict() for a in self.artifacts],
            "metric_steps": self.metric_steps,
            "command": list(self.command),
            "cwd": self.cwd,
            "host": self.host,
            "pid": self.pid,
            "seed": self.seed,
            "error": self.error,
            "exit_code": self.exit_code,
            "ended_at": self.ended_at,
            "created_at": self.created_at,
            "environment": self.environment,
            "spec": self.spec,
        }
