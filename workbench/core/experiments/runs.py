"""Runs: what produced every number. Creating and ending them, reading and searching them.

This module owns the run tables (experiments, runs, params, tags, metrics, latest_metrics,
run_inputs, artifacts): every other module reads and writes their rows through the `insert_*`,
`write_*` and `get_*` functions here, which take the caller's connection (and so its
transaction). Only the query engine (`query.py`) compiles its own SQL over them.

Statuses: queued, running, finished, failed, killed, lost. A run is `lost` when its process
died without saying so: its heartbeat stopped, or its pid on this host is gone.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import events
from ..errors import Ambiguous, InvalidInput, NotFound
from ..names import bounded, check_name
from ..storage import records
from ..storage.db import id_for_name, snapshot, transaction
from ..storage.store import ObjectStore
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from .query import compile_sort, compile_where, value_sort
from .records import RunArtifact, RunInput, RunRecord, RunSummary
from .run_names import run_name

if TYPE_CHECKING:
    from ..data.datasets import DatasetVersion

HEARTBEAT_INTERVAL_S = 5.0
LOST_AFTER_S = 60.0
DEFAULT_EXPERIMENT = "default"
STATUSES = ("queued", "running", "finished", "failed", "killed", "lost")
ENDED = ("finished", "failed", "killed", "lost")
MIN_ID_PREFIX = 4


# -- creating and ending ----------------------------------------------------------------------
def experiment_id(conn: sqlite3.Connection, name: str) -> int:
    """The id of experiment `name`, made if new, in the caller's transaction."""
    check_name(name, "experiment")
    return id_for_name(conn, "experiments", name, now_iso())


def insert_run(
    conn: sqlite3.Connection,
    run_id: str,
    *,
    name: str,
    experiment: str,
    status: str,
    kind: str,
    command: list[str],
    cwd: str | None,
    host: str | None,
    pid: int | None,
    created_at: str,
    started_at: str | None,
    model: str | None = None,
    seed: int | None = None,
    spec: dict[str, Any] | None = None,
    environment: dict[str, Any] | None = None,
    heartbeat_at: float | None = None,
    ended_at: str | None = None,
    duration_s: float | None = None,
    error: str | None = None,
    exit_code: int | None = None,
) -> None:
    """The run's own row (its experiment made if new), in the caller's transaction: a run
    starting here, or one that ended elsewhere and arrives whole (an imported bundle)."""
    conn.execute(
        "INSERT INTO runs (id, name, experiment_id, status, kind, model, command, cwd, host, pid, "
        "seed, spec, environment, error, exit_code, created_at, started_at, ended_at, duration_s, "
        "heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run_id,
            name,
            experiment_id(conn, experiment),
            status,
            kind,
            model,
            json.dumps(command),
            cwd,
            host,
            pid,
            seed,
            json.dumps(spec) if spec else None,
            json.dumps(environment or {}),
            error,
            exit_code,
            created_at,
            started_at,
            ended_at,
            duration_s,
            heartbeat_at,
        ),
    )


def exists(conn: sqlite3.Connection, run_id: str) -> bool:
    return conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is not None


def process_of(conn: sqlite3.Connection, run_id: str) -> sqlite3.Row:
    """The run's name, status and the process on record for it (pid, host)."""
    row = conn.execute("SELECT name, status, pid, host FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"no run {run_id}")
    return row


def name_of(conn: sqlite3.Connection, run_id: str) -> str:
    """The run's name (NotFound when no run has this id)."""
    row = conn.execute("SELECT name FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"no run has the id {run_id}")
    return row[0]


def create(
    ws: Workspace,
    *,
    experiment: str | None,
    kind: str,
    command: list[str],
    cwd: Path,
    name: str | None = None,
    model: str | None = None,
    spec: dict[str, Any] | None = None,
    seed: int | None = None,
    status: str = "running",
    capture_environment: bool = True,
    tags: dict[str, str] | None = None,
) -> str:
    """Make a run (running, by this process, unless told otherwise) and return its id."""
    from . import environment

    env = environment.capture(cwd) if capture_environment else None
    run_id = uuid.uuid4().hex
    name = name or run_name()
    now = now_iso()
    # The environment's files go into the store first, then the run and its rows in one
    # transaction: a run never exists without them.
    files = []
    if env is not None:
        for path, text in (
            ("environment/packages.txt", env.packages),
            ("environment/git.diff", env.git_diff),
        ):
            if text:
                data = text.encode()
                files.append((path, ws.store.put_bytes(data)[0], len(data)))
    with transaction(ws.conn) as conn:
        insert_run(
            conn,
            run_id,
            name=name,
            experiment=experiment or DEFAULT_EXPERIMENT,
            status=status,
            kind=kind,
            model=model,
            command=command,
            cwd=str(cwd),
            host=socket.gethostname(),
            pid=os.getpid(),
            seed=seed,
            spec=spec,
            environment=env.summary() if env else {},
            created_at=now,
            started_at=now if status == "running" else None,
            heartbeat_at=time.time(),
        )
        for path, oid, size in files:
            insert_artifact(conn, run_id, RunArtifact(path, "environment", oid, size, {}))
        write_tags(conn, run_id, tags or {})
        events.record(
            conn,
            "run.start",
            f"started run {name} ({kind})",
            subject=run_id,
            data={"experiment": experiment or DEFAULT_EXPERIMENT},
        )
    return run_id


def mark_running(conn: sqlite3.Connection, run_id: str, pid: int) -> bool:
    """Move a queued (or just created) run to running under `pid`; False if it was killed or
    otherwise ended meanwhile, and so must not start."""
    cursor = conn.execute(
        "UPDATE runs SET status = 'running', pid = ?, started_at = ?, heartbeat_at = ? "
        "WHERE id = ? AND status IN ('queued', 'running')",
        (pid, now_iso(), time.time(), run_id),
    )
    return cursor.rowcount == 1


def heartbeat(conn: sqlite3.Connection, run_id: str) -> None:
    conn.execute(
        "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'", (time.time(), run_id)
    )


def finish(
    conn: sqlite3.Connection,
    run_id: str,
    status: str,
    *,
    store: ObjectStore,
    error: str | None = None,
    exit_code: int | None = None,
) -> None:
    """End a run, with its record in `store`; a run that has already ended keeps its first
    ending."""
    from . import run_records  # it reads the run through this module

    assert status in ENDED
    row = conn.execute("SELECT name, status, started_at FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None or row["status"] in ENDED:
        return
    ended = now_iso()
    duration = None
    if row["started_at"]:
        from datetime import datetime

        duration = (datetime.fromisoformat(ended) - datetime.fromisoformat(row["started_at"])).total_seconds()
    conn.execute(
        "UPDATE runs SET status = ?, error = ?, exit_code = ?, ended_at = ?, duration_s = ? WHERE id = ?",
        (status, error, exit_code, ended, duration, run_id),
    )
    run_records.write(store, conn, run_id)
    message = f"run {row['name']} {status}" + (f": {error}" if error else "")
    events.record(conn, f"run.{status}", message, subject=run_id)


def write_params(conn: sqlite3.Connection, run_id: str, params: dict[str, Any]) -> None:
    conn.executemany(
        "INSERT INTO params (run_id, key, value, num) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, num = excluded.num",
        [(run_id, k, json.dumps(v, default=str), _as_number(v)) for k, v in params.items()],
    )


def write_tags(conn: sqlite3.Connection, run_id: str, tags: dict[str, str]) -> None:
    conn.executemany(
        "INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
        [(run_id, check_key(k), str(v)) for k, v in tags.items()],
    )


def get_param(conn: sqlite3.Connection, run_id: str, key: str) -> Any:
    """A param's value as it was logged (None when the run has no such param)."""
    row = conn.execute("SELECT value FROM params WHERE run_id = ? AND key = ?", (run_id, key)).fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0])
    except (TypeError, ValueError):
        return row[0]


def insert_metrics(
    conn: sqlite3.Connection, rows: Iterable[tuple[str, str, int, float | None, float]]
) -> None:
    """Append metric values to their runs' histories: (run id, key, step, value, unix time)."""
    conn.executemany(
        "INSERT INTO metrics (run_id, key, step, value, is_nan, timestamp) VALUES (?, ?, ?, ?, ?, ?)",
        [(r, k, s, *stored_metric(v), t) for r, k, s, v, t in rows],
    )


def write_latest_metrics(
    conn: sqlite3.Connection, run_id: str, latest: Mapping[str, tuple[int, float | None]]
) -> None:
    """Each key's latest value (step, value); a value of an earlier step than the one held
    does not replace it."""
    conn.executemany(
        """INSERT INTO latest_metrics (run_id, key, step, value, is_nan)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step,
           value = excluded.value, is_nan = excluded.is_nan
           WHERE excluded.step >= latest_metrics.step""",
        [(run_id, k, s, *stored_metric(v)) for k, (s, v) in latest.items()],
    )


def check_key(key: Any) -> str:
    """A param, metric or tag key: 1 to 250 characters, as MLflow allows."""
    key = str(key)
    if not key or len(key) > 250:
        raise InvalidInput(f"key {key[:40]!r} must have 1 to 250 characters")
    return key


def tag(ws: Workspace, ref: str, tags: dict[str, str]) -> str:
    """Set tags on a run (any status: a note on a finished run is the point); its id."""
    run_id = resolve(ws, ref)
    for key in tags:
        check_key(key)
    from . import run_records

    with transaction(ws.conn) as conn:
        write_tags(conn, run_id, tags)
        if conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0] in ENDED:
            run_records.write(ws.store, conn, run_id, at=now_iso())  # the newest record counts
        events.record(
            conn, "run.tag", "tagged run " + ", ".join(f"{k}={v}" for k, v in tags.items()), subject=run_id
        )
    return run_id


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def add_input(ws: Workspace, run_id: str, version: DatasetVersion) -> None:
    with transaction(ws.conn) as conn:
        insert_inputs(conn, run_id, [RunInput(version.name, version.version, version.hash)])


def insert_inputs(conn: sqlite3.Connection, run_id: str, inputs: Iterable[RunInput]) -> None:
    """Record dataset versions the run read (one already recorded stays as it is)."""
    conn.executemany(
        "INSERT OR IGNORE INTO run_inputs (run_id, dataset, version, hash) VALUES (?, ?, ?, ?)",
        [(run_id, i.dataset, i.version, i.hash) for i in inputs],
    )


def get_inputs(conn: sqlite3.Connection, run_id: str) -> tuple[RunInput, ...]:
    """The dataset versions the run read, by dataset, then version."""
    return tuple(
        RunInput(*r)
        for r in conn.execute(
            "SELECT dataset, version, hash FROM run_inputs WHERE run_id = ? ORDER BY dataset, version",
            (run_id,),
        )
    )


def input_hashes(ws: Workspace, run_id: str) -> set[str]:
    """The hashes of the data versions a run read."""
    return {r[0] for r in ws.conn.execute("SELECT hash FROM run_inputs WHERE run_id = ?", (run_id,))}


def add_artifact(
    ws: Workspace, run_id: str, path: Path, name: str, kind: str, meta: dict[str, Any] | None = None
) -> str:
    """Copy a file into the store as one of the run's artifacts; returns its hash."""
    check_artifact_name(name)
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    oid, _ = ws.store.put_file(path)
    _record_artifact(ws, run_id, name, kind, oid, path.stat().st_size, meta)
    return oid


def add_artifact_bytes(
    ws: Workspace, run_id: str, data: bytes, name: str, kind: str, meta: dict[str, Any] | None = None
) -> str:
    check_artifact_name(name)
    oid, _ = ws.store.put_bytes(data)
    _record_artifact(ws, run_id, name, kind, oid, len(data), meta)
    return oid


def _record_artifact(
    ws: Workspace, run_id: str, name: str, kind: str, oid: str, size: int, meta: dict[str, Any] | None
) -> None:
    with transaction(ws.conn) as conn:
        insert_artifact(conn, run_id, RunArtifact(name, kind, oid, size, meta or {}))


def insert_artifact(conn: sqlite3.Connection, run_id: str, artifact: RunArtifact) -> None:
    """Record a stored object as the run's artifact at `artifact.path` (replacing one there)."""
    conn.execute(
        "INSERT INTO artifacts (run_id, path, kind, hash, size, meta) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (run_id, path) DO UPDATE SET kind = excluded.kind, hash = excluded.hash, "
        "size = excluded.size, meta = excluded.meta",
        (run_id, artifact.path, artifact.kind, artifact.hash, artifact.size, json.dumps(artifact.meta)),
    )


def get_artifacts(
    conn: sqlite3.Connection, run_id: str, *, kind: str | None = None, paths: Iterable[str] | None = None
) -> list[RunArtifact]:
    """The run's artifacts by path: all of them, or those of one kind, or at these paths."""
    query = "SELECT path, kind, hash, size, meta FROM artifacts WHERE run_id = ?"
    args: list[Any] = [run_id]
    if kind is not None:
        query += " AND kind = ?"
        args.append(kind)
    if paths is not None:
        wanted = list(paths)
        query += f" AND path IN ({','.join('?' * len(wanted))})"
        args += wanted
    return [
        RunArtifact(r["path"], r["kind"], r["hash"], r["size"], json.loads(r["meta"]))
        for r in conn.execute(query + " ORDER BY path", args)
    ]


def model_artifact(conn: sqlite3.Connection, run_id: str) -> RunArtifact | None:
    """The model the run logged (the first by path, should it have logged more than one)."""
    found = get_artifacts(conn, run_id, kind="model")
    return found[0] if found else None


def check_artifact_name(name: str) -> None:
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\0" in name
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise InvalidInput(f"artifact name {name!r} is not a plain relative path")


# -- reading --------------------------------------------------------------------------------
# Runs made in the same millisecond keep their insertion order, so pages never overlap.
NEWEST_FIRST = "runs.created_at DESC, runs.rowid DESC"
OLDEST_FIRST = "runs.created_at ASC, runs.rowid ASC"
_TIMES = ("started_at", "created_at", "+started_at", "+created_at")
_LIST_SELECT = """
SELECT runs.id, runs.name, experiments.name AS experiment, runs.status, runs.kind, runs.model,
       runs.started_at, runs.ended_at, runs.duration_s
FROM runs JOIN experiments ON experiments.id = runs.experiment_id
"""


def _filters(experiment: str | None, where: str | None) -> tuple[list[str], list]:
    clauses, args = [], []
    if experiment:
        clauses.append("experiments.name = ?")
        args.append(experiment)
    if where is not None:
        sql, where_args = compile_where(where)
        clauses.append(sql)
        args += where_args
    return clauses, args


def _page(limit: int | None, offset: int) -> str:
    return (f" LIMIT {bounded(int(limit))}" if limit else " LIMIT -1" if offset else "") + (
        f" OFFSET {int(offset)}" if offset else ""
    )


def list_runs(
    ws: Workspace,
    *,
    experiment: str | None = None,
    where: str | None = None,
    sort: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> list[RunSummary]:
    """Runs matching the filters, newest first unless sorted otherwise; `offset` pages. A read
    only: a run whose process died shows as running until `reap_lost` marks it."""
    clauses, args = _filters(experiment, where)
    by_value = value_sort(sort) if sort else None
    if by_value is not None:
        rows = _list_by_value(ws.conn, by_value, clauses, args, limit, offset)
    else:
        order, order_args = compile_sort(sort) if sort else (NEWEST_FIRST, [])
        # Oldest first breaks its ties oldest first too; everything else newest first.
        ties = OLDEST_FIRST if sort in _TIMES else NEWEST_FIRST
        # Newest first walks the created_at index and stops at the page's last row; any other
        # order sorts every match, so the matches are found the fast way first when there is one.
        filtered = _matching(clauses) if sort and _by_id(clauses) else " AND ".join(clauses)
        query = _LIST_SELECT + (f" WHERE {filtered}" if clauses else "")
        query += f" ORDER BY {order}, {ties}" + _page(limit, offset)
        rows = ws.conn.execute(query, args + order_args).fetchall()
    return _with_values(ws.conn, rows)


def count_runs(ws: Workspace, *, experiment: str | None = None, where: str | None = None) -> int:
    """How many runs list_runs would page through."""
    clauses, args = _filters(experiment, where)
    filtered = " WHERE " + " AND ".join(clauses) if clauses else ""
    query = "SELECT count(*) FROM runs" + _joined(clauses) + filtered
    return ws.conn.execute(query, args).fetchone()[0]


SAMPLE = 1_000  # runs an estimate tests the filter on
EXACT_UP_TO = 20_000  # runs a filter is counted over exactly, fast enough (tens of ms)


def estimate_runs(ws: Workspace, where: str) -> tuple[int, bool]:
    """About how many runs the filter matches, and whether that is the exact count: over many
    runs the filter is tested on a fixed sample of them, 1,000 rows instead of every one (a
    count of 100,000 takes a few hundred ms; the estimate is off by about 1% of all runs)."""
    everything = count_runs(ws)
    if everything <= EXACT_UP_TO:
        return count_runs(ws, where=where), True
    [test], args = _filters(None, where)
    top = ws.conn.execute("SELECT max(rowid) FROM runs").fetchone()[0]
    # The same sample each time, so that paging shows the same estimate.
    picks = random.Random(0).sample(range(1, top + 1), min(SAMPLE, top))
    sampled, matched = ws.conn.execute(
        f"SELECT count(*), total(CASE WHEN {test} THEN 1 ELSE 0 END) FROM runs"
        f"{_joined([test])} WHERE runs.rowid IN (SELECT value FROM json_each(?))",
        [*args, json.dumps(picks)],
    ).fetchone()
    if not sampled:  # rowids with big gaps (many runs removed): no estimate to make
        return count_runs(ws, where=where), True
    return round(matched / sampled * everything), False


def _joined(clauses: list[str]) -> str:
    """The join to experiments, when a clause needs it (`experiment = NAME`): without it a
    filter on params and metrics reads only the runs' id index, not their rows."""
    needed = any("experiments." in c for c in clauses)
    return " JOIN experiments ON experiments.id = runs.experiment_id" if needed else ""


def _by_id(clauses: list[str]) -> bool:
    """Whether the filters test a run only by lookups keyed by its id (its params, metrics,
    tags, inputs), reading none of its other columns."""
    sql = " ".join(clauses)
    return "EXISTS" in sql and not re.search(r"\bruns\.(?!id\b)|\bexperiments\.", sql)


def _matching(clauses: list[str]) -> str:
    """The filters (`_by_id`) as a set of run ids. SQLite finds it walking the runs' id index,
    so that the lookups in params and latest_metrics (keyed by run id) go in order: over
    100,000 runs three times faster than testing the runs in their table's order."""
    return f"runs.id IN (SELECT runs.id FROM runs WHERE {' AND '.join(clauses)})"


def _list_by_value(
    conn: sqlite3.Connection, by_value: tuple, clauses: list[str], args: list, limit: int | None, offset: int
) -> list[sqlite3.Row]:
    """Sorted by a metric or param: walk its (key, value) index in order, so the first
    `limit` runs are found without visiting the rest; then the runs that lack the value."""
    table, column, key, desc = by_value
    direction = "DESC" if desc else "ASC"
    where = "".join(f" AND {c}" for c in clauses)
    valued = (
        _LIST_SELECT.replace("FROM runs", f"FROM {table} s CROSS JOIN runs ON runs.id = s.run_id")
        + f" WHERE s.key = ? AND s.{column} IS NOT NULL{where}"
    )
    with_value = conn.execute(
        valued + f" ORDER BY s.{column} {direction}, {NEWEST_FIRST}" + _page(limit, offset), [key, *args]
    ).fetchall()
    if limit and len(with_value) >= limit:
        return with_value
    # The page runs past the valued runs: how far past decides where the rest starts.
    valued_total = (
        conn.execute(f"SELECT count(*) FROM ({valued})", [key, *args]).fetchone()[0]
        if offset
        else len(with_value)
    )
    rest_offset = max(0, offset - valued_total)
    rest_limit = limit - len(with_value) if limit else None
    without = conn.execute(
        _LIST_SELECT + f" WHERE NOT EXISTS (SELECT 1 FROM {table} s WHERE s.run_id = runs.id "
        f"AND s.key = ? AND s.{column} IS NOT NULL){where} ORDER BY {NEWEST_FIRST}"
        + _page(rest_limit, rest_offset),
        [key, *args],
    ).fetchall()
    return with_value + without


def best(found: list[RunSummary]) -> RunSummary | None:
    """The finished run with the best primary metric (rmse, or roc_auc for classifiers)."""
    from ..metrics import higher_is_better, primary

    scored = [
        (r, r.metrics.get(primary(r.params.get("task", "regression"))))
        for r in found
        if r.status == "finished"
    ]
    valued = [(r, v) for r, v in scored if v is not None]
    if not valued:
        return None
    key = primary(valued[0][0].params.get("task", "regression"))
    pick = max if higher_is_better(key) else min
    return pick(valued, key=lambda rv: rv[1])[0]


def by_ids(ws: Workspace, ids: list[str]) -> list[RunSummary]:
    """The runs with these ids, in that order (missing ones left out)."""
    found: dict[str, sqlite3.Row] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        marks = ",".join("?" * len(chunk))
        for row in ws.conn.execute(_LIST_SELECT + f" WHERE runs.id IN ({marks})", chunk):
            found[row["id"]] = row
    return _with_values(ws.conn, [found[i] for i in ids if i in found])


def _with_values(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[RunSummary]:
    ids = [r["id"] for r in rows]
    params: dict[str, dict] = {i: {} for i in ids}
    metrics: dict[str, dict] = {i: {} for i in ids}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(
            f"SELECT run_id, key, value FROM params WHERE run_id IN ({marks}) ORDER BY key", chunk
        ):
            params[r[0]][r[1]] = json.loads(r[2])
        for r in conn.execute(
            f"SELECT run_id, key, value, is_nan FROM latest_metrics WHERE run_id IN ({marks}) ORDER BY key",
            chunk,
        ):
            metrics[r[0]][r[1]] = read_metric(r[2], r[3])
    return [
        RunSummary(
            id=r["id"],
            name=r["name"],
            experiment=r["experiment"],
            status=r["status"],
            kind=r["kind"],
            model=r["model"],
            started_at=r["started_at"],
            ended_at=r["ended_at"],
            duration_s=r["duration_s"],
            params=params[r["id"]],
            metrics=metrics[r["id"]],
        )
        for r in rows
    ]


def resolve(ws: Workspace, ref: str) -> str:
    """The id of the run a unique id prefix or a run name names."""
    ref = ref.strip()
    conn = ws.conn
    ids: list[str] = []
    if len(ref) >= MIN_ID_PREFIX and all(c in "0123456789abcdef" for c in ref.lower()):
        prefix = ref.lower()
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM runs WHERE id >= ? AND id < ? LIMIT 2", (prefix, prefix + "g")
            )
        ]
    if not ids:
        ids = [r[0] for r in conn.execute("SELECT id FROM runs WHERE name = ? LIMIT 2", (ref,))]
    if not ids:
        short = 0 < len(ref) < MIN_ID_PREFIX and all(c in "0123456789abcdef" for c in ref.lower())
        raise NotFound(
            f"no run matches {ref!r}; "
            + (
                f"an id prefix needs {MIN_ID_PREFIX} characters or more"
                if short
                else "`wb runs list` shows the runs"
            )
        )
    if len(ids) > 1:
        raise Ambiguous(f"{ref!r} matches more than one run; give more of the id")
    return ids[0]


def get(ws: Workspace, ref: str) -> RunRecord:
    """Everything recorded about one run. A read only: it marks no lost run (`reap_lost` does,
    where an interface lists or shows runs)."""
    with snapshot(ws.conn) as conn:
        return _record(conn, resolve(ws, ref))


def _record(conn: sqlite3.Connection, run_id: str) -> RunRecord:
    row = conn.execute(
        "SELECT runs.*, experiments.name AS experiment FROM runs "
        "JOIN experiments ON experiments.id = runs.experiment_id WHERE runs.id = ?",
        (run_id,),
    ).fetchone()
    if row is None:  # removed between resolving the reference and reading it
        raise NotFound(f"run {run_id[:12]} was removed meanwhile")
    listed = _with_values(conn, [row])[0]
    tags = {
        r[0]: r[1]
        for r in conn.execute("SELECT key, value FROM tags WHERE run_id = ? ORDER BY key", (run_id,))
    }
    inputs = get_inputs(conn, run_id)
    artifacts = tuple(get_artifacts(conn, run_id))
    steps = {
        r[0]: r[1]
        for r in conn.execute("SELECT key, COUNT(*) FROM metrics WHERE run_id = ? GROUP BY key", (run_id,))
    }
    return RunRecord(
        **vars(listed),
        tags=tags,
        inputs=inputs,
        artifacts=artifacts,
        metric_steps=steps,
        command=tuple(json.loads(row["command"])),
        cwd=row["cwd"],
        host=row["host"],
        pid=row["pid"],
        seed=row["seed"],
        error=row["error"],
        exit_code=row["exit_code"],
        created_at=row["created_at"],
        environment=json.loads(row["environment"]),
        spec=json.loads(row["spec"]) if row["spec"] else None,
    )


def metric_history(ws: Workspace, run_id: str, key: str) -> list[tuple[int, float | None]]:
    return [
        (r[0], read_metric(r[1], r[2]))
        for r in ws.conn.execute(
            "SELECT step, value, is_nan FROM metrics WHERE run_id = ? AND key = ? ORDER BY step, id",
            (run_id, key),
        )
    ]


def get_metric_rows(conn: sqlite3.Connection, run_id: str) -> list[tuple[str, int, float | None, float]]:
    """Every metric value the run logged, in the order logged: (key, step, value, unix time)."""
    return [
        (key, step, read_metric(value, is_nan), at)
        for key, step, value, is_nan, at in conn.execute(
            "SELECT key, step, value, is_nan, timestamp FROM metrics WHERE run_id = ? ORDER BY id", (run_id,)
        )
    ]


def stored_metric(value: float | None) -> tuple[float | None, int]:
    """A metric value as its row holds it: SQLite turns NaN into NULL, so NaN is NULL with
    `is_nan` set (a filter such as `metrics.rmse < 3` then never matches it, as NaN would
    not)."""
    nan = value is not None and math.isnan(value)
    return (None if nan else value), int(nan)


def read_metric(value: float | None, is_nan: int) -> float | None:
    return math.nan if is_nan else value


# -- housekeeping ---------------------------------------------------------------------------
def reap_lost(ws: Workspace) -> int:
    """Mark as lost the running runs whose process is gone or whose heartbeat stopped; how
    many. A write, so reads never call it: the interfaces do, before they list or show runs."""
    host = socket.gethostname()
    stale_before = time.time() - LOST_AFTER_S
    lost = []
    for r in ws.conn.execute("SELECT id, host, pid, heartbeat_at FROM runs WHERE status = 'running'"):
        if (r["heartbeat_at"] or 0) < stale_before or (
            r["host"] == host and r["pid"] and not pid_alive(r["pid"])
        ):
            lost.append(r["id"])
    if lost:
        with transaction(ws.conn) as conn:
            for run_id in lost:
                finish(
                    conn, run_id, "lost", store=ws.store, error="its process stopped without ending the run"
                )
    return len(lost)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove(ws: Workspace, ref: str) -> str:
    """Delete a run and what it logged (its artifacts' bytes go at the next `wb gc`)."""
    run_id = resolve(ws, ref)
    with ws.writing_objects(), transaction(ws.conn) as conn:
        row = conn.execute("SELECT name, status FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row["status"] in ("running", "queued"):
            raise InvalidInput(f"run {row['name']} is {row['status']}; `wb runs kill` it first")
        registered = conn.execute(
            "SELECT m.name || '@' || v.version FROM model_versions v JOIN models m "
            "ON m.id = v.model_id WHERE v.run_id = ? LIMIT 1",
            (run_id,),
        ).fetchone()
        if registered:
            raise InvalidInput(
                f"run {row['name']} made the registered model {registered[0]}; its lineage must stay"
            )
        conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        # Its record goes to gc; a tombstone keeps a rebuild or a pull from bringing it back.
        records.forget(conn, records.RUN, run_id)
        tombstone = {"id": run_id, "name": row["name"]}
        records.write(ws.store, conn, records.Record(records.RUN_REMOVED, run_id, tombstone, now_iso()))
        events.record(conn, "run.rm", f"removed run {row['name']}", subject=run_id)
    return run_id
