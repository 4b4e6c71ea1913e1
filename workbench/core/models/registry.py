"""The model registry: named models, their versions, and aliases that point at versions.

A version points at the run that trained it, the model artifact's hash, the dataset version it
was trained on, its input schema and its validation metrics. Aliases (`production`, `staging`,
any name) move by promotion and rollback; every move is kept in alias_events with who, when,
why and the gates it passed. References: `name@4`, `name@production`, `name` (the latest).
"""

from __future__ import annotations

import difflib
import json
import sqlite3
import warnings
from dataclasses import dataclass, field
from typing import Any

from .. import events, metrics
from ..errors import Caution, InvalidInput, NotFound, WbError
from ..experiments import runs
from ..names import check_name, did_you_mean, split_ref, version_number
from ..storage.db import id_for_name, next_version, transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import model_io, scoring

PRODUCTION = "production"
STAGING = "staging"
REMOVE = "remove"  # the alias_events action of `wb model alias rm` (to_version 0: none)


class AliasMoved(InvalidInput):
    """A move of an alias that another wb moved while this one judged it: nothing was
    changed."""


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: int
    run_id: str
    artifact_hash: str
    artifact_meta: dict[str, Any]
    dataset: str | None
    dataset_hash: str | None
    schema: list[dict[str, str]]
    metrics: dict[str, float | None]
    created_at: str
    aliases: list[str] = field(default_factory=list)
    description: str = ""

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def task(self) -> str:
        return self.artifact_meta.get("task", "regression")

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
            "target": self.artifact_meta.get("target"),
            "schema": self.schema,
            "description": self.description,
        }


_SELECT = """
SELECT m.id AS model_id, m.name, v.version, v.run_id, v.artifact_hash, v.artifact_meta,
       v.dataset, v.dataset_hash, v.schema, v.metrics, v.created_at, v.description
FROM model_versions v JOIN models m ON m.id = v.model_id
"""


def _from_row(conn: sqlite3.Connection, row: sqlite3.Row) -> ModelVersion:
    aliases = [
        r[0]
        for r in conn.execute(
            "SELECT alias FROM aliases WHERE model_id = ? AND version = ? ORDER BY alias",
            (row["model_id"], row["version"]),
        )
    ]
    return ModelVersion(
        row["name"],
        row["version"],
        row["run_id"],
        row["artifact_hash"],
        json.loads(row["artifact_meta"]),
        row["dataset"],
        row["dataset_hash"],
        json.loads(row["schema"]),
        json.loads(row["metrics"]),
        row["created_at"],
        aliases,
        row["description"],
    )


# -- registering ------------------------------------------------------------------------------
def register(ws: Workspace, run_ref: str, name: str, description: str = "") -> ModelVersion:
    """A new version of model `name` from the model a run logged, with what a person says
    it is (`description`, shown by `wb model show`)."""
    check_name(name, "model")
    description = check_description(description)
    run_id = runs.resolve(ws, run_ref)
    info = runs.get(ws, run_id)
    if info.status != "finished":
        raise InvalidInput(f"run {info.name} is {info.status}; only finished runs register")
    artifact = scoring.model_artifact(ws, run_id)
    if artifact is None:
        runs.resolve(ws, run_id)  # NotFound when `wb runs rm` removed it meanwhile
        raise InvalidInput(f"run {info.name} logged no model")
    meta = json.loads(artifact["meta"])
    problem = scoring.why_unscorable(meta)  # a user's artifact, but no model to serve
    if problem:
        raise InvalidInput(f"run {info.name}'s model cannot score data: {problem}")
    if not meta.get("dataset") and len(info.inputs) == 1:
        # A script's model (`run.log_model`): the one dataset its run read is what it learned
        # from, as `wb runs show` lists it.
        used = info.inputs[0]
        meta = {**meta, "dataset": used.ref, "dataset_hash": used.hash}
    schema = meta.get("features", {}).get("inputs", [])
    with transaction(ws.conn) as conn:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            # `wb runs rm` won the race: a version must not outlive the run it came from.
            raise NotFound(f"run {info.name} was removed meanwhile; nothing was registered")
        number = insert_version(conn, name, run_id, artifact["hash"], meta, schema, info.metrics, description)
        events.record(
            conn,
            "model.register",
            f"registered {name}@{number} from run {info.name}",
            subject=f"{name}@{number}",
            data={"run": run_id},
        )
    return resolve(ws, f"{name}@{number}")


MAX_DESCRIPTION = 2000


def check_description(text: str) -> str:
    """A description as stored: trimmed, one line of printable text (a terminal shows it)."""
    text = text.strip()
    if len(text) > MAX_DESCRIPTION or not text.isprintable():
        raise InvalidInput(
            f"a model description is one line of printable text of at most {MAX_DESCRIPTION:,} characters"
        )
    return text


def insert_version(
    conn: sqlite3.Connection,
    name: str,
    run_id: str,
    artifact_hash: str,
    meta: dict[str, Any],
    schema: list,
    metrics_: dict,
    description: str = "",
) -> int:
    """Add the next version of model `name` (made if new) in the caller's transaction."""
    now = now_iso()
    model_id = id_for_name(conn, "models", name, now)
    number = next_version(conn, "model_versions", "model_id", model_id)
    conn.execute(
        "INSERT INTO model_versions (model_id, version, run_id, artifact_hash, artifact_meta, "
        "dataset, dataset_hash, schema, metrics, created_at, description) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            model_id,
            number,
            run_id,
            artifact_hash,
            json.dumps(meta),
            meta.get("dataset"),
            meta.get("dataset_hash"),
            json.dumps(schema),
            json.dumps(metrics_),
            now,
            description,
        ),
    )
    return number


# -- reading --------------------------------------------------------------------------------
def resolve(ws: Workspace, ref: str) -> ModelVersion:
    name, selector = split_ref(ref)
    conn = ws.conn
    model = conn.execute("SELECT id FROM models WHERE name = ?", (name,)).fetchone()
    if model is None:
        known = [r[0] for r in conn.execute("SELECT name FROM models ORDER BY name")]
        raise NotFound(
            f"no model named {name!r}{did_you_mean(name, known, ' (', ')')}; `wb model list` shows the models"
        )
    if selector is None or selector == "latest":
        row = conn.execute(_SELECT + " WHERE m.name = ? ORDER BY v.version DESC LIMIT 1", (name,)).fetchone()
    elif (number := version_number(selector)) is not None:
        row = conn.execute(_SELECT + " WHERE m.name = ? AND v.version = ?", (name, number)).fetchone()
        if row is None:
            raise NotFound(f"model {name!r} has no version {selector}")
    else:
        row = conn.execute(
            _SELECT + " JOIN aliases a ON a.model_id = m.id AND "
            "a.version = v.version WHERE m.name = ? AND a.alias = ?",
            (name, selector.lower()),
        ).fetchone()
        if row is None:
            raise NotFound(_no_alias(ws, name, selector))
    if row is None:
        raise NotFound(f"model {name!r} has no versions")
    return _from_row(conn, row)


def aliases_of(ws: Workspace, name: str) -> list[str]:
    """A model's aliases, sorted."""
    return [
        r[0]
        for r in ws.conn.execute(
            "SELECT a.alias FROM aliases a JOIN models m ON m.id = a.model_id WHERE m.name = ? "
            "ORDER BY a.alias",
            (name,),
        )
    ]


def _no_alias(ws: Workspace, name: str, alias: str, doing: str = "") -> str:
    """`demand has no alias 'prod'; its aliases are production, staging (did you mean
    production?)`, or how to make one when it has none."""
    known = aliases_of(ws, name)
    if not known:
        return (
            f"{name} has no alias {alias!r}{doing}; it has no aliases yet "
            f"(`wb model promote {name}@VERSION --to ALIAS` makes one)"
        )
    return f"{name} has no alias {alias!r}{doing}; its aliases are {', '.join(known)}" + did_you_mean(
        alias, known, " (", ")"
    )


def list_models(ws: Workspace) -> list[dict[str, Any]]:
    conn = ws.conn
    out = []
    for m in conn.execute(
        "SELECT m.id, m.name, COUNT(v.id) AS versions, MAX(v.version) AS latest "
        "FROM models m LEFT JOIN model_versions v ON v.model_id = m.id "
        "GROUP BY m.id ORDER BY m.name"
    ):
        aliases = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT alias, version FROM aliases WHERE model_id = ? ORDER BY alias", (m["id"],)
            )
        }
        out.append({"name": m["name"], "versions": m["versions"], "latest": m["latest"], "aliases": aliases})
    return out


def versions(ws: Workspace, name: str) -> list[ModelVersion]:
    resolve(ws, name)  # a clear error for an unknown model
    return [
        _from_row(ws.conn, r)
        for r in ws.conn.execute(_SELECT + " WHERE m.name = ? ORDER BY v.version", (name,))
    ]


def refs_of_run(ws: Workspace, run_id: str) -> list[str]:
    """The model versions registered from a run (its lineage downstream)."""
    return [
        f"{r[0]}@{r[1]}"
        for r in ws.conn.execute(
            "SELECT m.name, v.version FROM model_versions v JOIN models m ON m.id = v.model_id "
            "WHERE v.run_id = ? ORDER BY m.name, v.version",
            (run_id,),
        )
    ]


def alias_history(ws: Workspace, name: str) -> list[dict[str, Any]]:
    """Every move of the model's aliases, oldest first; a removal (`wb model alias rm`)
    is action "remove" from the version it pointed at, to_version None."""
    rows = ws.conn.execute(
        "SELECT e.alias, e.from_version, e.to_version, e.action, e.user, e.reason, e.forced, "
        "e.gates, e.created_at FROM alias_events e JOIN models m ON m.id = e.model_id "
        "WHERE m.name = ? ORDER BY e.id",
        (name,),
    ).fetchall()
    return [
        {
            **dict(r),
            "forced": bool(r["forced"]),
            "gates": json.loads(r["gates"]),
            "to_version": None if r["action"] == REMOVE else r["to_version"],
        }
        for r in rows
    ]


def show(ws: Workspace, ref: str) -> dict[str, Any]:
    """A version with its lineage; for a bare name, the latest plus the alias history."""
    mv = resolve(ws, ref)
    info = mv.to_dict()
    run = runs.get(ws, mv.run_id)
    info["lineage"] = {
        "run": {"id": run.id, "name": run.name, "experiment": run.experiment},
        "params": run.params,
        "inputs": [i.to_dict() for i in run.inputs],
        "git_commit": run.environment.get("git_commit"),
        "git_dirty": run.environment.get("git_dirty"),
    }
    if split_ref(ref)[1] is None:
        info["alias_history"] = alias_history(ws, mv.name)
    return info


def load(ws: Workspace, mv: ModelVersion) -> scoring.LoadedModel:
    return scoring.load(ws, mv.run_id, mv.artifact_hash, mv.artifact_meta, mv.ref)


# -- moving aliases -------------------------------------------------------------------------
@dataclass
class Promotion:
    promoted: bool
    version: ModelVersion
    alias: str
    gates: list[dict[str, Any]]
    forced: bool = False
    caution: str = ""  # why a passed performance gate may flatter the version
    already: bool = False  # the alias was already on this version: nothing to do, no gates

    def to_dict(self) -> dict[str, Any]:
        return {
            "promoted": self.promoted,
            "model": self.version.name,
            "version": self.version.version,
            "alias": self.alias,
            "gates": self.gates,
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


def promote(
    ws: Workspace, ref: str, alias: str, *, data: str | None = None, force: bool = False, reason: str = ""
) -> Promotion:
    """Point `alias` at a version: to production only through the gates, or forced with a
    reason. A refusal moves nothing; the result says which gates failed and why. An alias
    already on that version is no error: the result says so (`already`), nothing moves and
    no gate runs, so a repeated command or script is a no-op. (Another wb moving it while
    this one judges is AliasMoved: this one's gates judged a move that did not happen.)"""
    check_name(alias, "alias")
    alias = alias.lower()  # `Production` is production: one alias, one set of gates
    if alias.isdigit() or alias == "latest":
        raise InvalidInput(f"{alias!r} cannot be an alias: it reads as a version")
    if force and not reason.strip():
        raise InvalidInput("--force needs --reason: say why the gates are overridden")
    mv = resolve(ws, ref)
    if data is not None:
        from ..data import datasets

        datasets.resolve(ws, data)  # a bad --data is an error even when nothing compares
    current = _alias_target(ws, mv.name, alias)
    if current == mv.version:
        return Promotion(False, mv, alias, [], already=True)
    gates = gates_for(ws, mv, alias, current, data)
    passed = all(g["passed"] for g in gates)
    if force and not gates[0]["passed"]:
        raise InvalidInput(
            f"{mv.ref}'s artifact does not verify against its hash: no force "
            f"puts a model that cannot load behind an alias (`wb fsck`)"
        )
    result = Promotion(
        passed or force,
        mv,
        alias,
        gates,
        forced=force and not passed,
        caution=caution(ws, mv, data) if alias == PRODUCTION and current else "",
    )
    if result.promoted:
        _move(ws, mv.name, alias, current, mv.version, "promote", reason, result.forced, gates)
        if current is None:
            _warn_if_a_typo(ws, mv.name, alias)
    return result


def _warn_if_a_typo(ws: Workspace, name: str, alias: str) -> None:
    """A Caution when a promotion made a new alias whose name is close to one the model
    has (or to production, staging): `prodution` is a new alias that no gate but the hash
    guards, not production."""
    if alias in (PRODUCTION, STAGING):
        return  # the names everyone means
    others = [a for a in {*aliases_of(ws, name), PRODUCTION, STAGING} if a != alias]
    near = difflib.get_close_matches(alias, sorted(others), n=1, cutoff=0.8)
    if near:
        gated = f" (only {PRODUCTION} is gated on schema and performance)" if near[0] == PRODUCTION else ""
        warnings.warn(
            Caution(
                f"{name}@{alias} is a new alias, close to {near[0]}{gated}: if you meant "
                f"{near[0]}, `wb model alias rm {name} {alias}` removes it"
            ),
            stacklevel=3,
        )


def gates_for(
    ws: Workspace, mv: ModelVersion, alias: str, current: int | None, data: str | None
) -> list[dict[str, Any]]:
    """The gates a move of `alias` to `mv` must pass (all of them for production)."""
    gates = [_gate_hash(ws, mv)]
    if alias == PRODUCTION:
        gates.append(_gate_schema(ws, mv))
        gates.append(model_io.load_gate(ws.store, mv.artifact_hash, mv.artifact_meta))
        gates.append(
            _gate_performance(ws, mv, current, data)
            if gates[-1]["passed"]
            else _gate(
                "performance", False, "not measured: the model does not load safely, so it is not scored"
            )
        )
    return gates


def preview_promotion(ws: Workspace, ref: str, alias: str) -> dict[str, Any]:
    """What `promote` would decide, without moving anything: for a confirmation to show."""
    mv = resolve(ws, ref)
    current = _alias_target(ws, mv.name, alias.lower())
    gates = gates_for(ws, mv, alias.lower(), current, None)
    return {
        "model": mv.ref,
        "alias": alias.lower(),
        "current": current,
        "gates": gates,
        "passed": all(g["passed"] for g in gates),
        "already": current == mv.version,
        "caution": caution(ws, mv, None) if current else "",
    }


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


def _alias_target(ws: Workspace, name: str, alias: str) -> int | None:
    row = ws.conn.execute(
        "SELECT a.version FROM aliases a JOIN models m ON m.id = a.model_id WHERE m.name = ? AND a.alias = ?",
        (name, alias),
    ).fetchone()
    return row[0] if row else None


def _move(
    ws: Workspace,
    name: str,
    alias: str,
    from_version: int | None,
    to_version: int,
    action: str,
    reason: str,
    forced: bool,
    gates: list,
) -> None:
    now = now_iso()
    with transaction(ws.conn) as conn:
        # The gates judged against `from_version`: if another promote or rollback moved the
        # alias since, this move is refused, never stacked on top of the other.
        now_at = _alias_target(ws, name, alias)
        if now_at != from_version:
            already = now_at == to_version
            raise AliasMoved(
                f"{name}@{alias} "
                + (
                    f"is already @{to_version}"
                    if already
                    else f"moved to @{now_at} while this {action} was being judged"
                )
                + " (another wb did it meanwhile); nothing was changed"
            )
        model_id = conn.execute("SELECT id FROM models WHERE name = ?", (name,)).fetchone()[0]
        conn.execute(
            "INSERT INTO aliases (model_id, alias, version, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (model_id, alias) DO UPDATE SET "
            "version = excluded.version, updated_at = excluded.updated_at",
            (model_id, alias, to_version, now),
        )
        conn.execute(
            "INSERT INTO alias_events (model_id, alias, from_version, to_version, "
            "action, user, reason, forced, gates, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                model_id,
                alias,
                from_version,
                to_version,
                action,
                events.os_user(),
                reason,
                forced,
                json.dumps(gates),
                now,
            ),
        )
        was = f" (was @{from_version})" if from_version else ""
        verb = {"promote": "promoted", "rollback": "rolled back"}[action]
        events.record(
            conn,
            f"model.{action}",
            f"{verb} {name}@{alias} to @{to_version}{was}"
            + (" FORCED" if forced else "")
            + (f": {reason}" if reason else ""),
            subject=f"{name}@{to_version}",
            data={"alias": alias, "forced": forced},
        )


def rollback(ws: Workspace, name: str, alias: str = PRODUCTION, reason: str = "") -> dict:
    """Undo the promotion that put the alias's current version there: the alias goes back to
    the version before it. Rolling back again undoes the promotion before that, never the
    rollback itself."""
    alias = alias.lower()
    current, before = rollback_target(ws, name, alias)
    _move(ws, name, alias, current, before, "rollback", reason or "rollback", False, [])
    return {"model": name, "alias": alias, "from": current, "to": before}


def rollback_target(ws: Workspace, name: str, alias: str = PRODUCTION) -> tuple[int, int]:
    """(the alias's version now, the version a rollback would put it back on)."""
    current = _alias_target(ws, name, alias)
    if current is None:
        resolve(ws, name)  # unknown model: that error first
        raise InvalidInput(_no_alias(ws, name, alias, " to roll back"))
    last = ws.conn.execute(
        "SELECT e.from_version FROM alias_events e JOIN models m ON m.id = e.model_id "
        "WHERE m.name = ? AND e.alias = ? AND e.to_version = ? AND e.action = 'promote' "
        "ORDER BY e.id DESC LIMIT 1",
        (name, alias, current),
    ).fetchone()
    if last is None or last[0] is None:
        raise InvalidInput(f"{name}@{alias} has no earlier version to roll back to")
    return current, last[0]


def remove_alias(
    ws: Workspace, name: str, alias: str, *, force: bool = False, reason: str = ""
) -> dict[str, Any]:
    """Remove a model's alias (the version stays): kept in the alias history as a "remove"
    by whom, when and why, and in the audit log. `production` is what `wb predict
    NAME@production`, the watcher and retraining serve and judge against; removing it
    leaves them nothing, so it is refused unless forced, and forcing needs a reason, as a
    forced promotion does. Any other alias goes on the word of the user (a reason is
    recorded when given). An unknown alias is an error that lists the known ones."""
    alias = alias.lower()
    if force and not reason.strip():
        raise InvalidInput("--force needs --reason: say why the alias is removed")
    current = _alias_target(ws, name, alias)
    if current is None:
        resolve(ws, name)  # unknown model: that error first
        raise NotFound(_no_alias(ws, name, alias))
    if alias == PRODUCTION and not force:
        raise InvalidInput(
            f"{name}@{PRODUCTION} ({name}@{current}) is what predictions and "
            f"the watcher use, and removing it leaves them no model: pass "
            f"--force --reason TEXT to remove it anyway"
        )
    forced = force and alias == PRODUCTION  # what --force overrode, for the history
    with transaction(ws.conn) as conn:
        if _alias_target(ws, name, alias) != current:
            raise AliasMoved(
                f"{name}@{alias} moved while this removal was being made "
                f"(another wb did it meanwhile); nothing was changed"
            )
        model_id = conn.execute("SELECT id FROM models WHERE name = ?", (name,)).fetchone()[0]
        conn.execute("DELETE FROM aliases WHERE model_id = ? AND alias = ?", (model_id, alias))
        conn.execute(
            "INSERT INTO alias_events (model_id, alias, from_version, to_version, "
            "action, user, reason, forced, gates, created_at) "
            "VALUES (?, ?, ?, 0, ?, ?, ?, ?, '[]', ?)",
            (model_id, alias, current, REMOVE, events.os_user(), reason, forced, now_iso()),
        )
        events.record(
            conn,
            "model.alias_rm",
            f"removed the alias {name}@{alias} (was @{current})"
            + (" FORCED" if forced else "")
            + (f": {reason}" if reason else ""),
            subject=f"{name}@{current}",
            data={"alias": alias, "version": current, "forced": forced},
        )
    return {
        "model": name,
        "alias": alias,
        "version": current,
        "removed": True,
        "forced": forced,
        "reason": reason,
    }


# -- the gates ------------------------------------------------------------------------------
def _gate(name: str, passed: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": passed, "detail": detail}


def _gate_hash(ws: Workspace, mv: ModelVersion) -> dict[str, Any]:
    if not ws.store.exists(mv.artifact_hash):
        return _gate(
            "artifact_hash", False, f"the model artifact {mv.artifact_hash[:12]} is missing from the store"
        )
    ok = ws.store.verify(mv.artifact_hash)
    return _gate(
        "artifact_hash", ok, f"{mv.artifact_hash[:12]} " + ("verified" if ok else "does NOT match its bytes")
    )


def _gate_schema(ws: Workspace, mv: ModelVersion) -> dict[str, Any]:
    """The model's inputs against what production data looks like: the dataset's contract
    when it has one, else its latest version's schema."""
    from ..data import contracts, datasets

    dataset = (mv.dataset or "").partition("@")[0]
    if not dataset:
        return _gate("schema", False, "the model does not record its training dataset")
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
        return _gate(
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
        return _gate("schema", False, f"against {source}: " + "; ".join(problems[:5]))
    inputs = "the 1 input matches" if len(mv.schema) == 1 else f"all {len(mv.schema)} inputs match"
    return _gate("schema", True, f"{inputs} {source}")


def _gate_performance(
    ws: Workspace, mv: ModelVersion, current: int | None, data: str | None
) -> dict[str, Any]:
    from ..data import datasets

    if current is None:
        return _gate("performance", True, "no production model yet to compare with")
    champion = resolve(ws, f"{mv.name}@{current}")
    version = datasets.resolve(ws, data) if data is not None else unseen_data(ws, mv)
    if version is None:
        return _gate("performance", False, f"not measured: {_no_unseen_data(mv)}")
    df = datasets.load(ws, version)
    target = mv.artifact_meta.get("target")
    name = metrics.primary(mv.task)
    try:
        candidate_score = load(ws, mv).score(df, target, version.ref)[0][name]
        champion_score = load(ws, champion).score(df, target, version.ref)[0][name]
    except scoring.Unscorable as exc:  # a refused gate, said as one: the data is the problem
        return _gate("performance", False, f"not measured: {exc}")
    margin = ws.config.registry.promotion_margin
    worse = metrics.worse_by(name, candidate_score, champion_score)
    passed = worse <= margin
    return _gate(
        "performance",
        passed,
        f"{name} on {version.ref}: {candidate_score:.4g} vs {champion_score:.4g} for "
        f"{champion.ref} ({abs(worse):.1%} {'worse' if worse > 0 else 'better'}; "
        f"up to {margin:.0%} worse passes)",
    )


def unseen_data(ws: Workspace, mv: ModelVersion):
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


def _seen(ws: Workspace, mv: ModelVersion) -> set[str]:
    """The hashes of every data version the version's run trained on."""
    return {mv.dataset_hash} | runs.input_hashes(ws, mv.run_id)


def _no_unseen_data(mv: ModelVersion) -> str:
    if not mv.dataset:
        return f"{mv.ref} records no training dataset; pass --data with data it has not seen"
    return (
        f"{mv.ref} was trained on {mv.dataset}, and no newer version of "
        f"{mv.dataset.partition('@')[0]} exists to judge it on; pass --data with data it "
        f"has not seen"
    )


# -- comparing ------------------------------------------------------------------------------
def evaluate_against_production(ws: Workspace, ref: str) -> dict[str, Any]:
    """`evaluate` of a version against production (when another version is production), on
    the newest version of its training dataset, with `caution` when that is its own training
    data: the TUI's `e`."""
    mv = resolve(ws, ref)
    if not mv.dataset:
        raise InvalidInput(f"{mv.ref} has no training dataset on record to evaluate it on")
    current = _alias_target(ws, mv.name, PRODUCTION)
    against = f"{mv.name}@{current}" if current and current != mv.version else None
    unseen = unseen_data(ws, mv)
    data = unseen.ref if unseen else mv.dataset.partition("@")[0]
    return {**evaluate(ws, mv.ref, data, against=against), "caution": "" if unseen else caution(ws, mv, data)}


def evaluate(
    ws: Workspace, ref: str, data: str, against: str | None = None, by: str | None = None
) -> dict[str, Any]:
    """Metrics of one or two versions on the same data, overall and per segment of `by`."""
    from ..data import datasets

    version = datasets.resolve(ws, data)
    df = datasets.load(ws, version)
    models = [resolve(ws, ref)] + ([resolve(ws, against)] if against else [])
    target = models[0].artifact_meta.get("target")
    if by is not None and by not in df.columns:
        raise InvalidInput(f"{version.ref} has no column {by!r} to break the metrics down by")
    loaded = [load(ws, mv) for mv in models]
    overall = {mv.ref: lm.score(df, target)[0] for mv, lm in zip(models, loaded, strict=True)}
    segments = []
    if by is not None:
        for value in sorted(df.get_column(by).drop_nulls().unique().to_list(), key=str):
            part = df.filter(df.get_column(by) == value)
            segments.append(
                {
                    "segment": str(value),
                    "rows": part.height,
                    "metrics": {
                        mv.ref: lm.score(part, target)[0] for mv, lm in zip(models, loaded, strict=True)
                    },
                }
            )
    return {
        "data": version.ref,
        "target": target,
        "primary": metrics.primary(models[0].task),
        "models": [mv.ref for mv in models],
        "overall": overall,
        "by": by,
        "segments": segments,
    }
