"""The model registry: named models, their versions, and aliases that point at versions.

A version points at the run that trained it, the model artifact's hash, the dataset version it
was trained on, its input schema and its validation metrics. Aliases (`production`, `staging`,
any name) move by promotion (through `gates`) and rollback; every move is kept in alias_events
with who, when, why and the gates it passed. References: `name@4`, `name@production`, `name`
(the latest). What it returns is in `records`. Each version and each alias move is also a record
object in the store (`version_record`, `alias_records`), naming versions by their artifacts'
hashes, so they travel through remotes (remotes.sync merges them).
"""

from __future__ import annotations

import difflib
import json
import sqlite3
import warnings
from typing import Any

from .. import events
from ..errors import Caution, InvalidInput, NotFound
from ..experiments import runs
from ..experiments.records import RunInput, RunRecord
from ..names import check_name, did_you_mean, short_id, split_ref, version_number
from ..storage import records
from ..storage.db import id_for_name, next_version, transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import gates, scoring
from .gates import Gate
from .records import (
    AliasEvent,
    AliasRemoval,
    Lineage,
    ModelDetail,
    ModelSummary,
    ModelVersion,
    Promotion,
    PromotionPreview,
    Rollback,
)

PRODUCTION = "production"
STAGING = "staging"
REMOVE = "remove"  # the alias_events action of `wb model alias rm` (to_version 0: none)


class AliasMoved(InvalidInput):
    """A move of an alias that another wb moved while this one judged it: nothing was
    changed."""


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
    artifact = runs.model_artifact(ws.conn, run_id)
    if artifact is None:
        runs.resolve(ws, run_id)  # NotFound when `wb runs rm` removed it meanwhile
        raise InvalidInput(f"run {info.name} logged no model")
    meta = artifact.meta
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
        if not runs.exists(conn, run_id):
            # `wb runs rm` won the race: a version must not outlive the run it came from.
            raise NotFound(f"run {info.name} was removed meanwhile; nothing was registered")
        number = insert_version(conn, name, run_id, artifact.hash, meta, schema, info.metrics, description)
        version = _from_row(
            conn, conn.execute(_SELECT + " WHERE m.name = ? AND v.version = ?", (name, number)).fetchone()
        )
        records.write(ws.store, conn, version_record(version, _lineage(info)))
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
    created_at: str | None = None,
) -> int:
    """Add the next version of model `name` (made if new) in the caller's transaction;
    `created_at` is when it was registered at its origin, for one pulled from a remote."""
    now = created_at or now_iso()
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


def list_models(ws: Workspace) -> list[ModelSummary]:
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
        out.append(ModelSummary(m["name"], m["versions"], m["latest"], aliases))
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


def alias_history(ws: Workspace, name: str) -> list[AliasEvent]:
    """Every move of the model's aliases, oldest first; a removal (`wb model alias rm`)
    is action "remove" from the version it pointed at, to_version None."""
    rows = ws.conn.execute(
        "SELECT e.alias, e.from_version, e.to_version, e.action, e.user, e.reason, e.forced, "
        "e.gates, e.created_at FROM alias_events e JOIN models m ON m.id = e.model_id "
        "WHERE m.name = ? ORDER BY e.id",
        (name,),
    ).fetchall()
    return [
        AliasEvent(
            alias=r["alias"],
            from_version=r["from_version"],
            to_version=None if r["action"] == REMOVE else r["to_version"],
            action=r["action"],
            user=r["user"],
            reason=r["reason"],
            forced=bool(r["forced"]),
            gates=tuple(Gate.from_dict(g) for g in json.loads(r["gates"])),
            created_at=r["created_at"],
        )
        for r in rows
    ]


def show(ws: Workspace, ref: str) -> ModelDetail:
    """A version with its lineage; for a bare name, the latest plus the alias history."""
    mv = resolve(ws, ref)
    lineage = (
        _lineage(runs.get(ws, mv.run_id)) if runs.exists(ws.conn, mv.run_id) else _recorded_lineage(ws, mv)
    )
    history = tuple(alias_history(ws, mv.name)) if split_ref(ref)[1] is None else None
    return ModelDetail(mv, lineage, history)


def _lineage(run: RunRecord) -> Lineage:
    return Lineage(
        run_id=run.id,
        run_name=run.name,
        experiment=run.experiment,
        params=run.params,
        inputs=run.inputs,
        git_commit=run.environment.get("git_commit"),
        git_dirty=run.environment.get("git_dirty"),
    )


def _recorded_lineage(ws: Workspace, mv: ModelVersion) -> Lineage:
    """A pulled version's lineage, as its record carried it (its run did not travel)."""
    row = ws.conn.execute(
        "SELECT oid FROM records WHERE kind = ? AND key = ? ORDER BY created_at LIMIT 1",
        (records.MODEL_VERSION, version_key(mv.name, mv.artifact_hash)),
    ).fetchone()
    record = records.decode(ws.store.read_verified(row[0])) if row else None
    held = record.data.get("lineage") if record else None
    if not held:
        return Lineage(mv.run_id, short_id(mv.run_id), "", {}, (), None, None)
    return Lineage(
        run_id=held["run"]["id"],
        run_name=held["run"]["name"],
        experiment=held["run"]["experiment"],
        params=held["params"],
        inputs=tuple(RunInput(**i) for i in held["inputs"]),
        git_commit=held["git_commit"],
        git_dirty=held["git_dirty"],
    )


# -- records (what travels through a remote) --------------------------------------------------
def version_key(name: str, artifact_hash: str) -> str:
    """A version's key in the record index: its model and its artifact's bytes, which decide its
    identity (its number is this workspace's)."""
    return f"{name}@{artifact_hash}"


def version_record(mv: ModelVersion, lineage: Lineage | None) -> records.Record:
    """The version as a record object: what it needs to be scored and shown where its run is not
    (the run id is a plain reference)."""
    data = {
        "name": mv.name,
        "run_id": mv.run_id,
        "artifact_hash": mv.artifact_hash,
        "artifact_meta": mv.artifact_meta,
        "schema": mv.schema,
        "metrics": mv.metrics,
        "description": mv.description,
        "lineage": lineage.to_dict() if lineage else None,
    }
    return records.Record(records.MODEL_VERSION, version_key(mv.name, mv.artifact_hash), data, mv.created_at)


def unrecorded_versions(ws: Workspace) -> list[records.Record]:
    """Records for versions no record stands for (made before records, or imported), oldest
    first: the first version of each model and artifact."""
    known = {r.key for r in records.of_kind(ws.conn, records.MODEL_VERSION)}
    out: dict[str, records.Record] = {}
    for row in ws.conn.execute(_SELECT + " ORDER BY v.created_at, v.id").fetchall():
        key = version_key(row["name"], row["artifact_hash"])
        if key in known or key in out:
            continue
        mv = _from_row(ws.conn, row)
        run = _lineage(runs.get(ws, mv.run_id)) if runs.exists(ws.conn, mv.run_id) else None
        out[key] = version_record(mv, run)
    return list(out.values())


_EVENTS = """
SELECT e.id, m.name, e.alias, e.action, e.user, e.reason, e.forced, e.gates, e.created_at,
       f.artifact_hash AS from_hash, t.artifact_hash AS to_hash
FROM alias_events e JOIN models m ON m.id = e.model_id
LEFT JOIN model_versions f ON f.model_id = e.model_id AND f.version = e.from_version
LEFT JOIN model_versions t ON t.model_id = e.model_id AND t.version = e.to_version
"""


def numbers_by_artifact(conn: sqlite3.Connection, name: str) -> dict[str, int]:
    """Artifact hash -> the first version of model `name` with it here."""
    rows = conn.execute(
        "SELECT v.artifact_hash, MIN(v.version) FROM model_versions v JOIN models m ON m.id = v.model_id "
        "WHERE m.name = ? GROUP BY v.artifact_hash",
        (name,),
    )
    return {row[0]: row[1] for row in rows}


def alias_key(name: str, alias: str) -> str:
    return f"{name}@{alias}"


def alias_records(conn: sqlite3.Connection, event_id: int | None = None) -> list[records.Record]:
    """The alias moves here (or one of them) as record objects, oldest first. A move names
    versions by their artifacts' hashes: version numbers differ between workspaces."""
    where, args = ("", ()) if event_id is None else (" WHERE e.id = ?", (event_id,))
    out = []
    for r in conn.execute(_EVENTS + where + " ORDER BY e.id", args).fetchall():
        data = {
            "name": r["name"],
            "alias": r["alias"],
            "action": r["action"],
            "from": r["from_hash"],
            "to": None if r["action"] == REMOVE else r["to_hash"],
            "user": r["user"],
            "reason": r["reason"],
            "forced": bool(r["forced"]),
            "gates": json.loads(r["gates"]),
        }
        out.append(
            records.Record(records.ALIAS_EVENT, alias_key(r["name"], r["alias"]), data, r["created_at"])
        )
    return out


def _record_move(ws: Workspace, conn: sqlite3.Connection, event_id: int | None) -> None:
    assert event_id is not None  # just inserted
    (record,) = alias_records(conn, event_id)
    records.write(ws.store, conn, record)


def insert_pulled_move(conn: sqlite3.Connection, record: records.Record, numbers: dict[str, int]) -> None:
    """Append a move pulled from a remote to the alias history, in the caller's transaction:
    `numbers` maps the model's artifact hashes to its version numbers here. The alias itself is
    then what the latest move in the merged history made it."""
    d = record.data
    model_id = conn.execute("SELECT id FROM models WHERE name = ?", (d["name"],)).fetchone()[0]
    to_version = 0 if d["to"] is None else numbers[d["to"]]
    conn.execute(
        "INSERT INTO alias_events (model_id, alias, from_version, to_version, "
        "action, user, reason, forced, gates, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            model_id,
            d["alias"],
            None if d["from"] is None else numbers.get(d["from"]),
            to_version,
            d["action"],
            d["user"],
            d["reason"],
            d["forced"],
            json.dumps(d["gates"]),
            record.created_at,
        ),
    )
    latest = conn.execute(
        "SELECT action, to_version, created_at FROM alias_events WHERE model_id = ? AND alias = ? "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        (model_id, d["alias"]),
    ).fetchone()
    if latest["action"] == REMOVE:
        conn.execute("DELETE FROM aliases WHERE model_id = ? AND alias = ?", (model_id, d["alias"]))
    else:
        conn.execute(
            "INSERT INTO aliases (model_id, alias, version, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version, "
            "updated_at = excluded.updated_at",
            (model_id, d["alias"], latest["to_version"], latest["created_at"]),
        )


def load(ws: Workspace, mv: ModelVersion) -> scoring.LoadedModel:
    return scoring.load(ws, mv.run_id, mv.artifact_hash, mv.artifact_meta, mv.ref)


# -- moving aliases -------------------------------------------------------------------------
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
    current = alias_target(ws, mv.name, alias)
    if current == mv.version:
        return Promotion(False, mv, alias, (), already=True)
    checks = _gates(ws, mv, alias, current, data)
    passed = all(g.passed for g in checks)
    if force and not checks[0].passed:
        raise InvalidInput(
            f"{mv.ref}'s artifact does not verify against its hash: no force "
            f"puts a model that cannot load behind an alias (`wb fsck`)"
        )
    result = Promotion(
        passed or force,
        mv,
        alias,
        checks,
        forced=force and not passed,
        caution=gates.caution(ws, mv, data) if alias == PRODUCTION and current else "",
    )
    if result.promoted:
        _move(ws, mv.name, alias, current, mv.version, "promote", reason, result.forced, checks)
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


def _gates(
    ws: Workspace, mv: ModelVersion, alias: str, current: int | None, data: str | None
) -> tuple[Gate, ...]:
    """The gates a move of `alias` from version `current` to `mv` must pass (all of them for
    production)."""
    production = alias == PRODUCTION
    champion = resolve(ws, f"{mv.name}@{current}") if production and current is not None else None
    return gates.gates_for(ws, mv, champion, data, production=production)


def preview_promotion(ws: Workspace, ref: str, alias: str) -> PromotionPreview:
    """What `promote` would decide, without moving anything: for a confirmation to show."""
    mv = resolve(ws, ref)
    alias = alias.lower()
    current = alias_target(ws, mv.name, alias)
    return PromotionPreview(mv, alias, current, _gates(ws, mv, alias, current, None))


def alias_target(ws: Workspace, name: str, alias: str) -> int | None:
    """The version `alias` points at; None when the model has no such alias."""
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
    checks: tuple[Gate, ...],
) -> None:
    now = now_iso()
    with transaction(ws.conn) as conn:
        # The gates judged against `from_version`: if another promote or rollback moved the
        # alias since, this move is refused, never stacked on top of the other.
        now_at = alias_target(ws, name, alias)
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
        cursor = conn.execute(
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
                json.dumps([g.to_dict() for g in checks]),
                now,
            ),
        )
        _record_move(ws, conn, cursor.lastrowid)
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


def rollback(ws: Workspace, name: str, alias: str = PRODUCTION, reason: str = "") -> Rollback:
    """Undo the promotion that put the alias's current version there: the alias goes back to
    the version before it. Rolling back again undoes the promotion before that, never the
    rollback itself."""
    alias = alias.lower()
    current, before = rollback_target(ws, name, alias)
    _move(ws, name, alias, current, before, "rollback", reason or "rollback", False, ())
    return Rollback(name, alias, current, before)


def rollback_target(ws: Workspace, name: str, alias: str = PRODUCTION) -> tuple[int, int]:
    """(the alias's version now, the version a rollback would put it back on)."""
    current = alias_target(ws, name, alias)
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
) -> AliasRemoval:
    """Remove a model's alias (the version stays): kept in the alias history as a "remove"
    by whom, when and why, and in the audit log. `production` is what `wb predict
    NAME@production`, the watcher and retraining serve and judge against; removing it
    leaves them nothing, so it is refused unless forced, and forcing needs a reason, as a
    forced promotion does. Any other alias goes on the word of the user (a reason is
    recorded when given). An unknown alias is an error that lists the known ones."""
    alias = alias.lower()
    if force and not reason.strip():
        raise InvalidInput("--force needs --reason: say why the alias is removed")
    current = alias_target(ws, name, alias)
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
        if alias_target(ws, name, alias) != current:
            raise AliasMoved(
                f"{name}@{alias} moved while this removal was being made "
                f"(another wb did it meanwhile); nothing was changed"
            )
        model_id = conn.execute("SELECT id FROM models WHERE name = ?", (name,)).fetchone()[0]
        conn.execute("DELETE FROM aliases WHERE model_id = ? AND alias = ?", (model_id, alias))
        cursor = conn.execute(
            "INSERT INTO alias_events (model_id, alias, from_version, to_version, "
            "action, user, reason, forced, gates, created_at) "
            "VALUES (?, ?, ?, 0, ?, ?, ?, ?, '[]', ?)",
            (model_id, alias, current, REMOVE, events.os_user(), reason, forced, now_iso()),
        )
        _record_move(ws, conn, cursor.lastrowid)
        events.record(
            conn,
            "model.alias_rm",
            f"removed the alias {name}@{alias} (was @{current})"
            + (" FORCED" if forced else "")
            + (f": {reason}" if reason else ""),
            subject=f"{name}@{current}",
            data={"alias": alias, "version": current, "forced": forced},
        )
    return AliasRemoval(name, alias, current, forced, reason)
