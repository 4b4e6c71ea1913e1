"""The gates a move of an alias passes: the artifact's hash always; for production also the
input schema against the data's contract, a safe load, and performance against the current
production version on data the candidate has not seen.

A gate is a `Gate` (its name, whether it passed, and why, in words); a refused promotion shows
them all. `unseen_data` and `caution` say which data judges a version fairly, for the
performance gate and for `evaluation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import metrics
from ..errors import WbError
from ..experiments import runs
from ..storage.workspace import Workspace
from . import model_io, scoring

if TYPE_CHECKING:
    from ..data.datasets import DatasetVersion
    from ..storage.store import ObjectStore
    from .records import ModelVersion

LOADS_SAFELY = "loads_safely"


@dataclass(frozen=True)
class Gate:
    """One check of a promotion."""

    name: str  # artifact_hash, schema, loads_safely or performance
    passed: bool
    detail: str  # what was checked against what, and the finding

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Gate:
        """A gate as the alias history keeps it (its `to_dict()`)."""
        return cls(data["name"], bool(data["passed"]), data["detail"])


def gates_for(
    ws: Workspace, mv: ModelVersion, champion: ModelVersion | None, data: str | None, *, production: bool
) -> tuple[Gate, ...]:
    """The gates a move of an alias to `mv` must pass: all of them for `production`, where
    `champion` is the version there now (None: the alias is new) and `data` the dataset
    version to compare them on (None: `unseen_data`)."""
    hash_ = _hash(ws, mv)
    if not production:
        return (hash_,)
    schema = _schema(ws, mv)
    loads = loads_safely(ws.store, mv.artifact_hash, mv.artifact_meta)
    performance = (
        _performance(ws, mv, champion, data)
        if loads.passed
        else Gate("performance", False, "not measured: the model does not load safely, so it is not scored")
    )
    return (hash_, schema, loads, performance)


def _hash(ws: Workspace, mv: ModelVersion) -> Gate:
    if not ws.store.exists(mv.artifact_hash):
        return Gate(
            "artifact_hash", False, f"the model artifact {mv.artifact_hash[:12]} is missing from the store"
        )
    ok = ws.store.verify(mv.artifact_hash)
    return Gate(
        "artifact_hash", ok, f"{mv.artifact_hash[:12]} " + ("verified" if ok else "does NOT match its bytes")
    )


def _schema(ws: Workspace, mv: ModelVersion) -> Gate:
    """The model's inputs against what production data looks like: the dataset's contract
    when it has one, else its latest version's schema."""
    from ..data import contracts, datasets

    dataset = (mv.dataset or "").partition("@")[0]
    if not dataset:
        return Gate("schema", False, "the model does not record its training dataset")
    text = contracts.get_text(ws, dataset)
    if text is not None:
        expected = {
            n: c.get("dtype")
            for n, c in contracts.parse(text, f"the contract of {dataset}")["columns"].items()
        }
        source = f"the contract of {dataset}"
    else:
        latest = datasets.resolve(ws, dataset)
        expected = {c["name"]: c["dtype"] for c in latest.schema}
        source = f"{latest.ref} (no contract)"
    if not mv.schema:  # a gate with nothing to check is no gate
        return Gate(
            "schema",
            False,
            f"{mv.ref} records no inputs to check against {source} "
            f"(log it with run.log_model(model, input_example=df))",
        )
    problems = []
    for col in mv.schema:
        have = expected.get(col["name"], "missing")
        if have == "missing":
            problems.append(f"{col['name']} is missing")
        elif have and not contracts.compatible(col["dtype"], have):
            problems.append(f"{col['name']} is {have}, the model takes {col['dtype']}")
    if problems:
        return Gate("schema", False, f"against {source}: " + "; ".join(problems[:5]))
    inputs = "the 1 input matches" if len(mv.schema) == 1 else f"all {len(mv.schema)} inputs match"
    return Gate("schema", True, f"{inputs} {source}")


def loads_safely(store: ObjectStore, oid: str, meta: dict[str, Any]) -> Gate:
    """The artifact's verified bytes load with wb's trusted types, so nothing behind
    production needs a type a person never vetted."""
    try:
        model = model_io.load(store.read_verified(oid), meta)
    except WbError as exc:
        return Gate(LOADS_SAFELY, False, str(exc))
    return Gate(LOADS_SAFELY, True, f"loads as {type(model).__name__} with wb's trusted types only")


def _performance(ws: Workspace, mv: ModelVersion, champion: ModelVersion | None, data: str | None) -> Gate:
    from ..data import datasets

    if champion is None:
        return Gate("performance", True, "no production model yet to compare with")
    version = datasets.resolve(ws, data) if data is not None else unseen_data(ws, mv)
    if version is None:
        return Gate("performance", False, f"not measured: {_no_unseen_data(mv)}")
    df = datasets.load(ws, version)
    name = metrics.primary(mv.task)
    try:
        candidate_score = _score(ws, mv, df, mv.target, version.ref)[name]
        champion_score = _score(ws, champion, df, mv.target, version.ref)[name]
    except scoring.Unscorable as exc:  # a refused gate, said as one: the data is the problem
        return Gate("performance", False, f"not measured: {exc}")
    margin = ws.config.registry.promotion_margin
    worse = metrics.worse_by(name, candidate_score, champion_score)
    return Gate(
        "performance",
        worse <= margin,
        f"{name} on {version.ref}: {candidate_score:.4g} vs {champion_score:.4g} for "
        f"{champion.ref} ({abs(worse):.1%} {'worse' if worse > 0 else 'better'}; "
        f"up to {margin:.0%} worse passes)",
    )


def _score(ws: Workspace, mv: ModelVersion, df: Any, target: str | None, data: str) -> dict[str, float]:
    """`mv`'s metrics on `df` (scoring refuses a model with no target on record)."""
    loaded = scoring.load(ws, mv.run_id, mv.artifact_hash, mv.artifact_meta, mv.ref)
    return loaded.score(df, target or "", data)[0]


def unseen_data(ws: Workspace, mv: ModelVersion) -> DatasetVersion | None:
    """The newest version of the model's dataset that is newer than every version it was
    trained on: data the candidate has not seen, the default a gate or an evaluation scores
    on. None when there is none."""
    from ..data import datasets

    name = (mv.dataset or "").partition("@")[0]
    if not name:
        return None
    seen = _seen(ws, mv)
    try:
        versions = datasets.log(ws, name)
    except WbError:
        return None
    last_seen = max((v.version for v in versions if v.hash in seen), default=0)
    fresh = [v for v in versions if v.version > last_seen and v.hash not in seen]
    return fresh[-1] if fresh else None


def caution(ws: Workspace, mv: ModelVersion, data: str | None) -> str:
    """A warning when `data`, chosen by the user, is data the version was trained on: its
    figures there flatter it. (The default data is never such: see `unseen_data`.)"""
    from ..data import datasets

    if data is None or not mv.dataset_hash:
        return ""
    try:
        used = datasets.resolve(ws, data)
    except WbError:
        return ""
    if used.hash not in _seen(ws, mv):
        return ""
    return (
        f"{mv.ref} was trained on {used.ref}, the data it is scored on here: its figures "
        f"there are optimistic (a version it has not seen is a fair test)"
    )


def _seen(ws: Workspace, mv: ModelVersion) -> set[str]:
    """The hashes of every data version the version's run trained on."""
    return {h for h in (mv.dataset_hash,) if h} | runs.input_hashes(ws, mv.run_id)


def _no_unseen_data(mv: ModelVersion) -> str:
    if not mv.dataset:
        return f"{mv.ref} records no training dataset; pass --data with data it has not seen"
    return (
        f"{mv.ref} was trained on {mv.dataset}, and no newer version of "
        f"{mv.dataset.partition('@')[0]} exists to judge it on; pass --data with data it "
        f"has not seen"
    )
