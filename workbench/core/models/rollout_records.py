"""What the rollout commands return: frozen records whose `to_dict()` is their `--json`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHAMPION, CHALLENGER = "champion", "challenger"
ARMS = (CHAMPION, CHALLENGER)
ACTIVE, PROMOTED, ROLLED_BACK = "active", "promoted", "rolled_back"
# The verdicts of `wb rollout status` (rollout_outcomes.verdict says when each is given).
COLLECTING, PROMOTE, ROLLBACK, HOLD = "collecting", "promote", "rollback", "hold"


@dataclass(frozen=True)
class Rollout:
    """A plan: the challenger on some segments of the data, the champion on the rest."""

    name: str
    model: str
    champion: int  # the versions of `model` in each arm
    challenger: int
    segment: str  # the column whose values are the segments (stores)
    share: float | None  # percent of segments on the challenger by hash; None: `segments` lists them
    segments: tuple[str, ...]  # the challenger's segments when listed (`--segments`), else ()
    shadow: bool  # the challenger scores its rows too, but the champion's predictions are published
    state: str  # ACTIVE, PROMOTED or ROLLED_BACK
    created_at: str
    ended_at: str | None

    def version(self, arm: str) -> int:
        return self.champion if arm == CHAMPION else self.challenger

    def ref(self, arm: str) -> str:
        return f"{self.model}@{self.version(arm)}"

    @property
    def split(self) -> str:
        """How segments are assigned, in words: `20% of store_id by hash` or `store_id in S01, S07`."""
        if self.segments:
            return f"{self.segment} in {', '.join(self.segments)}"
        return f"{self.share:g}% of {self.segment} by hash"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "champion": self.champion,
            "challenger": self.challenger,
            "segment": self.segment,
            "share": self.share,
            "segments": list(self.segments),
            "shadow": self.shadow,
            "state": self.state,
            "created_at": self.created_at,
            "ended_at": self.ended_at,
        }


@dataclass(frozen=True)
class RolloutPrediction:
    """`wb predict rollout:NAME --json`: a batch scored by the arms."""

    rollout: str
    rows: int
    arms: dict[str, int]  # rows each arm scored (shadow: the challenger's rows are unpublished)
    output: Path
    input: str  # the dataset version's reference, or the input file as given
    batch: int  # the batch's id in the rollout's log

    @property
    def model(self) -> str:
        """What scored it, as `wb predict` says it."""
        return f"rollout {self.rollout}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rollout": self.rollout,
            "rows": self.rows,
            "arms": self.arms,
            "output": str(self.output),
            "input": self.input,
            "batch": self.batch,
        }


@dataclass(frozen=True)
class Outcomes:
    """`wb rollout outcomes --json`: labels joined to what each arm predicted."""

    rollout: str
    file: str
    key: tuple[str, ...]  # the columns rows were joined on
    joined: dict[str, int]  # newly labelled rows per arm
    unmatched: int  # rows of the file that joined no prediction
    already: int  # rows that were labelled before (kept as first labelled)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rollout": self.rollout,
            "file": self.file,
            "key": list(self.key),
            "joined": self.joined,
            "unmatched": self.unmatched,
            "already": self.already,
        }


@dataclass(frozen=True)
class RolloutBatch:
    """One step of a rollout's log: a batch scored by the arms, or outcomes joined to them."""

    kind: str  # "predictions" or "outcomes"
    source: str  # the dataset version or file
    rows: dict[str, int]  # per arm: rows scored, or newly labelled
    created_at: str


@dataclass(frozen=True)
class ArmStatus:
    arm: str  # CHAMPION or CHALLENGER
    version: int
    segments: int  # segments it scored rows of
    rows: int  # rows it scored
    labelled: int  # of them, rows with an outcome
    metric: str  # rmse for regressors, roc_auc (accuracy beyond two classes) for classifiers
    value: float | None  # the metric on its labelled rows; None before any
    served: tuple[str, ...] = ()  # the segments it scored rows of, sorted (the JSON counts them)

    def to_dict(self) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "version": self.version,
            "segments": self.segments,
            "rows": self.rows,
            "labelled": self.labelled,
            "metric": self.metric,
            "value": self.value,
        }


@dataclass(frozen=True)
class Difference:
    """Challenger minus champion in the metric's units, with a 95% bootstrap interval."""

    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class RolloutStatus:
    """`wb rollout status --json` (SPEC.md's fields, plus state and why)."""

    rollout: Rollout
    arms: tuple[ArmStatus, ...]
    difference: Difference
    verdict: str  # COLLECTING, PROMOTE, ROLLBACK or HOLD
    why: str  # the verdict's reason, in words

    def to_dict(self) -> dict[str, Any]:
        r = self.rollout
        return {
            "name": r.name,
            "model": r.model,
            "segment": r.segment,
            "share": r.share,
            "shadow": r.shadow,
            "state": r.state,
            "arms": [a.to_dict() for a in self.arms],
            "difference": self.difference.to_dict(),
            "verdict": self.verdict,
            "why": self.why,
        }


@dataclass(frozen=True)
class RolloutEnd:
    """`wb rollout stop --json`: how a rollout ended."""

    rollout: str
    state: str  # PROMOTED or ROLLED_BACK
    production: str  # the version in production after it, NAME@N
    gates: tuple[dict[str, Any], ...]  # a promotion's gates (empty for a rollback)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rollout": self.rollout,
            "state": self.state,
            "production": self.production,
            "gates": list(self.gates),
        }
