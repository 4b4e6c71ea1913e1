"""What the registry returns, as the interfaces see it: frozen records whose `to_dict()` is
SPEC.md's JSON.

`ModelVersion` is one registered version; `ModelDetail` is all of `wb model show` (the version,
its `Lineage`, and for a bare name every `AliasEvent`); `ModelSummary` is one line of `wb model
list`. A move of an alias answers with a `Promotion` (or, before it, a `PromotionPreview`), a
`Rollback` or an `AliasRemoval`. `registry.py` reads and writes them; nothing here touches the
database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..experiments.records import RunInput
    from .gates import Gate


@dataclass(frozen=True)
class ModelVersion:
    """A registered version: the run that trained it, its artifact, and what it was trained on."""

    name: str
    version: int
    run_id: str
    artifact_hash: str
    artifact_meta: dict[str, Any]  # the model artifact's metadata: task, target, features, format
    dataset: str | None  # the dataset version it was trained on, as NAME@N
    dataset_hash: str | None
    schema: list[dict[str, str]]  # its input columns: {"name", "dtype"}
    metrics: dict[str, float | None]  # its run's validation metrics
    created_at: str
    aliases: list[str] = field(default_factory=list)  # sorted
    description: str = ""

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def task(self) -> str:
        return str(self.artifact_meta.get("task", "regression"))

    @property
    def target(self) -> str | None:
        """The column it predicts; None for a user's model logged without one."""
        return self.artifact_meta.get("target")

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb model show --json` fields, plus the task and target."""
        return {
            "name": self.name,
            "version": self.version,
            "aliases": self.aliases,
            "run_id": self.run_id,
            "dataset": self.dataset,
            "dataset_hash": self.dataset_hash,
            "artifact_hash": self.artifact_hash,
            "metrics": self.metrics,
            "created_at": self.created_at,
            "task": self.task,
            "target": self.target,
            "schema": self.schema,
            "description": self.description,
        }


@dataclass(frozen=True)
class Lineage:
    """Where a version came from: its run, the params and data versions that run used, and
    the code it ran."""

    run_id: str
    run_name: str
    experiment: str
    params: dict[str, Any]
    inputs: tuple[RunInput, ...]
    git_commit: str | None  # None outside a git checkout
    git_dirty: bool | None  # uncommitted changes at the time

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": {"id": self.run_id, "name": self.run_name, "experiment": self.experiment},
            "params": self.params,
            "inputs": [i.to_dict() for i in self.inputs],
            "git_commit": self.git_commit,
            "git_dirty": self.git_dirty,
        }


@dataclass(frozen=True)
class AliasEvent:
    """One move of an alias: a promotion, a rollback, or a removal (`action` "remove", from
    the version it pointed at, `to_version` None)."""

    alias: str
    from_version: int | None  # None: the alias was new
    to_version: int | None
    action: str  # "promote", "rollback" or "remove"
    user: str
    reason: str
    forced: bool  # failed gates (or production's removal) overridden
    gates: tuple[Gate, ...]  # those the move passed (or was forced past)
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "action": self.action,
            "user": self.user,
            "reason": self.reason,
            "forced": self.forced,
            "gates": [g.to_dict() for g in self.gates],
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class ModelDetail:
    """All of `wb model show`: the version, its lineage, and for a bare name (the latest
    version) the model's alias history, oldest first."""

    version: ModelVersion
    lineage: Lineage
    alias_history: tuple[AliasEvent, ...] | None  # None when a version or alias was named

    def to_dict(self) -> dict[str, Any]:
        """The version's fields, then `lineage`, then `alias_history` when there is one."""
        info = {**self.version.to_dict(), "lineage": self.lineage.to_dict()}
        if self.alias_history is not None:
            info["alias_history"] = [e.to_dict() for e in self.alias_history]
        return info


@dataclass(frozen=True)
class ModelSummary:
    """A model as `wb model list` shows it."""

    name: str
    versions: int
    latest: int | None  # the newest version's number
    aliases: dict[str, int]  # alias -> version, by alias

    def to_dict(self) -> dict[str, Any]:
        """SPEC.md's `wb model list --json` fields."""
        return {"name": self.name, "versions": self.versions, "aliases": self.aliases}


@dataclass(frozen=True)
class Promotion:
    """What `promote` decided: whether the alias moved, and the gates that decided it."""

    promoted: bool
    version: ModelVersion
    alias: str
    gates: tuple[Gate, ...]
    forced: bool = False
    caution: str = ""  # why a passed performance gate may flatter the version
    already: bool = False  # the alias was already on this version: nothing to do, no gates

    def to_dict(self) -> dict[str, Any]:
        return {
            "promoted": self.promoted,
            "model": self.version.name,
            "version": self.version.version,
            "alias": self.alias,
            "gates": [g.to_dict() for g in self.gates],
            "forced": self.forced,
            "caution": self.caution,
            "already": self.already,
        }

    @property
    def message(self) -> str:
        """What happened, in one sentence."""
        v = self.version
        if self.already:
            return f"{v.ref} is already {v.name}@{self.alias}; nothing to do"
        if self.promoted:
            return f"{v.ref} is now {v.name}@{self.alias}" + (" (FORCED)" if self.forced else "")
        return f"refused: {v.ref} did not pass every gate; nothing moved (--force --reason TEXT overrides)"


@dataclass(frozen=True)
class PromotionPreview:
    """What `promote` would decide, for a confirmation to show before anything moves."""

    version: ModelVersion
    alias: str
    current: int | None  # the version the alias is on now
    gates: tuple[Gate, ...]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    @property
    def already(self) -> bool:
        return self.current == self.version.version

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.version.ref,
            "alias": self.alias,
            "current": self.current,
            "gates": [g.to_dict() for g in self.gates],
            "passed": self.passed,
            "already": self.already,
        }


@dataclass(frozen=True)
class Rollback:
    """An alias moved back from `from_version` to `to_version`."""

    model: str
    alias: str
    from_version: int
    to_version: int

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "alias": self.alias, "from": self.from_version, "to": self.to_version}


@dataclass(frozen=True)
class AliasRemoval:
    """An alias removed from `version` (which stays)."""

    model: str
    alias: str
    version: int
    forced: bool  # production removed with --force
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "removed": True,  # for scripts: a removal that did not happen is an error instead
            "forced": self.forced,
            "reason": self.reason,
        }
