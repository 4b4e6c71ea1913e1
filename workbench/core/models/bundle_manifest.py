"""The shape of a bundle's manifest, checked before `wb import` reads a byte past it.

A manifest is input from another machine, so nothing in it is used until it has the shape wb
writes: every field the import reads is present with the JSON type it must have, every name
passes the checks a name typed at the CLI passes, every record points only at objects the
bundle carries (or this workspace holds), and every object carried is one a record points at.
Anything else is a malformed bundle: one InvalidInput sentence, before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..data.contracts import DTYPES
from ..data.tabular import FORMAT_NAMES
from ..errors import InvalidInput
from ..experiments import runs
from ..names import MAX_INT, check_name, split_ref

HASH_RE = re.compile(r"[0-9a-f]{64}")
RUN_ID_RE = re.compile(r"[0-9a-f]{32}")


# -- a small language of shapes ---------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """A value that `ok` accepts; `words` say what it must be."""

    words: str
    ok: Callable[[Any], bool]


@dataclass(frozen=True)
class Each:
    """A list whose every item has the shape `item`."""

    item: Shape


@dataclass(frozen=True)
class Values:
    """A JSON object whose every value has the shape `value`."""

    value: Shape


@dataclass(frozen=True)
class Maybe:
    """`shape`, or null (or, as a field, absent)."""

    shape: Shape


# A dict is a record with at least these fields; a tuple is a fixed-length list.
Shape = Rule | Each | Values | Maybe | dict | tuple


def _whole(v: Any) -> bool:  # bool is an int to Python, not to JSON; SQLite stops at 2**63
    return type(v) is int and -MAX_INT <= v <= MAX_INT


def _iso_time(v: Any) -> bool:
    try:
        datetime.fromisoformat(v)
    except (TypeError, ValueError):
        return False
    return True


ANY = Rule("any JSON value", lambda v: True)
TEXT = Rule("text", lambda v: type(v) is str)
WHOLE = Rule("a whole number", _whole)
SIZE = Rule("a size in bytes", lambda v: _whole(v) and v >= 0)
NUMBER = Rule("a number", lambda v: _whole(v) or type(v) is float)
HASH = Rule("a hash (64 hex digits)", lambda v: type(v) is str and bool(HASH_RE.fullmatch(v)))
TIME = Rule("a timestamp", _iso_time)
DTYPE = Rule("a column type", lambda v: type(v) is str and v.partition("(")[0] in DTYPES)
SCHEMA = Each({"name": TEXT, "dtype": DTYPE})
FEATURES = {"inputs": SCHEMA, "dates": Each(TEXT), "categorical": Each(TEXT), "numeric": Each(TEXT)}

MODEL = {
    "name": TEXT,
    "version": WHOLE,
    "run_id": TEXT,
    "artifact_hash": HASH,
    "schema": SCHEMA,
    "metrics": Values(Maybe(NUMBER)),
    "description": Maybe(TEXT),
    "artifact_meta": {"format": TEXT, "dataset": Maybe(TEXT), "dataset_hash": Maybe(HASH)},
}
RUN = {
    "id": Rule("a run id (32 hex digits)", lambda v: type(v) is str and bool(RUN_ID_RE.fullmatch(v))),
    "name": TEXT,
    "experiment": TEXT,
    "status": Rule('"finished" (only finished runs register)', lambda v: v == "finished"),
    "kind": TEXT,
    "model": Maybe(TEXT),
    "command": Each(TEXT),
    "cwd": Maybe(TEXT),
    "host": Maybe(TEXT),
    "pid": Maybe(WHOLE),
    "seed": Maybe(WHOLE),
    "spec": Maybe(Values(ANY)),
    "environment": Values(ANY),
    "error": Maybe(TEXT),
    "exit_code": Maybe(WHOLE),
    "created_at": TIME,
    "started_at": Maybe(TIME),
    "ended_at": Maybe(TIME),
    "duration_s": Maybe(NUMBER),
    "params": Values(ANY),
    "tags": Values(TEXT),
    "metrics": Values(Maybe(NUMBER)),
    "metric_history": Each((TEXT, WHOLE, Maybe(NUMBER), NUMBER)),
    "inputs": Each({"dataset": TEXT, "version": WHOLE, "hash": HASH}),
    "artifacts": Each({"path": TEXT, "kind": TEXT, "hash": HASH, "size": SIZE, "meta": Values(ANY)}),
}
# Only what identifies the data: its schema, profile and counts are computed again here, from
# the verified bytes, as `wb data add` computes them.
DATASET = {
    "name": TEXT,
    "version": WHOLE,
    "hash": HASH,
    "format": Rule("one of " + ", ".join(FORMAT_NAMES), lambda v: v in FORMAT_NAMES),
}
MANIFEST = {
    "model": MODEL,
    "run": RUN,
    "dataset": Maybe(DATASET),
    "contract": Maybe({"dataset": TEXT, "text": TEXT}),
    "objects": Each({"hash": HASH, "size": SIZE, "role": TEXT}),
}


class Malformed(Exception):
    """Where a manifest departs from its shape; `check` words it for the user."""


def _check(value: Any, shape: Shape, where: str) -> None:
    if isinstance(shape, Maybe):
        if value is not None:
            _check(value, shape.shape, where)
    elif isinstance(shape, Rule):
        if not shape.ok(value):
            raise Malformed(f"{where} must be {shape.words}")
    elif isinstance(shape, dict):
        if type(value) is not dict:
            raise Malformed(f"{where} must be an object")
        for field, sub in shape.items():
            if field not in value and not isinstance(sub, Maybe):
                raise Malformed(f"{where}.{field} is missing")
            _check(value.get(field), sub, f"{where}.{field}")
    elif isinstance(shape, tuple):
        if type(value) is not list or len(value) != len(shape):
            raise Malformed(f"{where} must be a list of {len(shape)}")
        for i, (item, sub) in enumerate(zip(value, shape, strict=True)):
            _check(item, sub, f"{where}[{i}]")
    elif isinstance(shape, Each):
        if type(value) is not list:
            raise Malformed(f"{where} must be a list")
        for i, item in enumerate(value):
            _check(item, shape.item, f"{where}[{i}]")
    else:  # Values
        if type(value) is not dict:
            raise Malformed(f"{where} must be an object")
        for key, item in value.items():
            _check(item, shape.value, f"{where}[{key!r}]")


# -- reading and checking ---------------------------------------------------------------------
def parse(data: bytes, path: Path) -> dict[str, Any]:
    """The manifest's JSON: an object, with no key given twice (two readers could disagree on
    which one counts)."""
    try:
        manifest = json.loads(data, object_pairs_hook=_unique_keys)
    except (ValueError, Malformed) as exc:
        raise InvalidInput(f"{path}: its manifest is unreadable ({exc})") from None
    if type(manifest) is not dict:
        raise InvalidInput(f"{path}: its manifest is unreadable (not a JSON object)")
    return manifest


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise Malformed(f"the key {twice!r} appears twice")
    return dict(pairs)


def check(manifest: dict[str, Any], path: Path) -> None:
    """Refuse a manifest that is not in the shape wb writes, or whose records do not hold
    together; names are checked as the CLI checks them."""
    try:
        _check(manifest, MANIFEST, "manifest")
        _consistent(manifest)
    except Malformed as exc:
        raise InvalidInput(f"{path}: its manifest is malformed ({exc})") from None
    _check_names(manifest)


def _consistent(manifest: dict[str, Any]) -> None:
    model, run = manifest["model"], manifest["run"]
    if "features" in model["artifact_meta"]:  # what scoring rebuilds the model's inputs from
        features = model["artifact_meta"]["features"]
        _check(features, FEATURES, "manifest.model.artifact_meta.features")
        if set(features) != set(FEATURES):
            raise Malformed("manifest.model.artifact_meta.features has fields a recipe has not")
    if model["run_id"] != run["id"]:
        raise Malformed("the model names a run the bundle does not carry")
    _unique([a["path"] for a in run["artifacts"]], "run artifact path")
    _unique([(i["dataset"], i["version"]) for i in run["inputs"]], "run input")
    _unique([o["hash"] for o in manifest["objects"]], "object")
    models = {a["hash"] for a in run["artifacts"] if a["kind"] == "model"}
    if model["artifact_hash"] not in models:
        raise Malformed("the model's artifact is not among its run's model artifacts")
    sizes = {o["hash"]: o["size"] for o in manifest["objects"]}
    for a in run["artifacts"]:
        if a["hash"] in sizes and sizes[a["hash"]] != a["size"]:
            raise Malformed(f"run artifact {a['path']!r} and its object differ in size")
    contract = manifest["contract"]
    if contract and contract["dataset"] != dataset_name(model):
        raise Malformed("the contract is not for the model's dataset")


def _unique(items: list, what: str) -> None:
    seen = set()
    for item in items:
        if item in seen:
            raise Malformed(f"the {what} {item!r} appears twice")
        seen.add(item)


def dataset_name(model: dict[str, Any]) -> str | None:
    """The name of the dataset the model was trained on, if it records one."""
    ref = model["artifact_meta"].get("dataset")
    return split_ref(ref)[0] if ref else None


def _check_names(manifest: dict[str, Any]) -> None:
    model, run, dataset = manifest["model"], manifest["run"], manifest["dataset"]
    check_name(model["name"], "model")
    check_name(run["experiment"], "experiment")
    check_run_name(run["name"])
    trained_on = dataset_name(model)
    if trained_on:
        check_name(trained_on, "dataset")
    if dataset:
        check_name(dataset["name"], "dataset")
    if manifest["contract"]:
        check_name(manifest["contract"]["dataset"], "dataset")
    for used in run["inputs"]:
        check_name(used["dataset"], "dataset")
    for artifact in run["artifacts"]:
        runs.check_artifact_name(artifact["path"])  # the rule `log_artifact` applies


def check_run_name(name: str) -> None:
    """A run's name is free text to `wb run --name`, but never a path or a terminal escape."""
    if (
        not name
        or len(name) > 100
        or not name.isprintable()
        or "/" in name
        or "\\" in name
        or name in (".", "..")
    ):
        raise InvalidInput(
            f"run name {name!r} is not allowed: use printable text without "
            f"'/' or '\\', at most 100 characters"
        )


def referenced(manifest: dict[str, Any]) -> set[str]:
    """Every object the bundle's records point at: each must be carried or already here."""
    oids = {manifest["model"]["artifact_hash"]}
    oids.update(a["hash"] for a in manifest["run"]["artifacts"])
    if manifest["dataset"]:
        oids.add(manifest["dataset"]["hash"])
    return oids
