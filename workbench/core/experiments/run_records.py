"""An ended run as a record object: what travels to a remote and what `wb fsck --rebuild`
makes the run from again.

The record holds the run's identity, state, times, command, environment, params, tags, latest
metrics, inputs and artifacts; its metric history is one columnar object (Parquet: key, step,
value, timestamp, in the order logged), a part of the record, not a row each. A run's record is
written once, in the transaction that ends it, and again when a tag is set on it afterwards (the
newest record of a run is the one that counts). A running run has none: it is still moving.
"""

from __future__ import annotations

import io
import json
import sqlite3
from typing import Any

from ..storage import hashing, records
from ..storage.store import ObjectStore
from . import runs
from .records import RunArtifact, RunInput

_HISTORY_COLUMNS = ("key", "step", "value", "timestamp")


def write(store: ObjectStore, conn: sqlite3.Connection, run_id: str, at: str | None = None) -> str:
    """Store the ended run's record (and its history object) and index it, in the caller's
    transaction; `at` is when (the run's end when not given). Returns the record's id."""
    return records.write(store, conn, record_of(store, conn, run_id, at))


def record_of(
    store: ObjectStore,
    conn: sqlite3.Connection,
    run_id: str,
    at: str | None = None,
    unstored: dict[str, bytes] | None = None,
) -> records.Record:
    """The run as a record; its metric history is stored on the way, as the record's part
    (given `unstored`, it is kept there by its id instead: a dry run writes nothing)."""
    row = conn.execute(
        "SELECT runs.*, experiments.name AS experiment FROM runs "
        "JOIN experiments ON experiments.id = runs.experiment_id WHERE runs.id = ?",
        (run_id,),
    ).fetchone()
    metric_rows = runs.get_metric_rows(conn, run_id)
    history = _part(store, _history_bytes(metric_rows), unstored) if metric_rows else None
    artifacts = runs.get_artifacts(conn, run_id)
    latest = {
        r[0]: [r[1], runs.read_metric(r[2], r[3])]
        for r in conn.execute(
            "SELECT key, step, value, is_nan FROM latest_metrics WHERE run_id = ? ORDER BY key", (run_id,)
        )
    }
    data = {
        "id": run_id,
        "name": row["name"],
        "experiment": row["experiment"],
        "status": row["status"],
        "kind": row["kind"],
        "model": row["model"],
        "command": json.loads(row["command"]),
        "cwd": row["cwd"],
        "host": row["host"],
        "seed": row["seed"],
        "spec": json.loads(row["spec"]) if row["spec"] else None,
        "environment": json.loads(row["environment"]),
        "error": row["error"],
        "exit_code": row["exit_code"],
        "created_at": row["created_at"],
        "started_at": row["started_at"],
        "ended_at": row["ended_at"],
        "duration_s": row["duration_s"],
        "params": {
            r[0]: json.loads(r[1])
            for r in conn.execute("SELECT key, value FROM params WHERE run_id = ? ORDER BY key", (run_id,))
        },
        "tags": {
            r[0]: r[1]
            for r in conn.execute("SELECT key, value FROM tags WHERE run_id = ? ORDER BY key", (run_id,))
        },
        "metrics": latest,
        "inputs": [i.to_dict() for i in runs.get_inputs(conn, run_id)],
        "artifacts": [a.to_dict() for a in artifacts],
        "history": history,
    }
    parts = {a.hash for a in artifacts} | ({history} if history else set())
    return records.Record(records.RUN, run_id, data, at or row["ended_at"], tuple(sorted(parts)))


def unrecorded(
    store: ObjectStore, conn: sqlite3.Connection, unstored: dict[str, bytes] | None = None
) -> list[records.Record]:
    """Records for the ended runs no record stands for (ended before records, or imported);
    `unstored` as for `record_of`."""
    rows = conn.execute(
        f"SELECT id FROM runs WHERE status IN ({','.join('?' * len(runs.ENDED))}) "
        "AND id NOT IN (SELECT key FROM records WHERE kind = ?) ORDER BY created_at, rowid",
        (*runs.ENDED, records.RUN),
    ).fetchall()
    return [record_of(store, conn, row[0], unstored=unstored) for row in rows]


def _part(store: ObjectStore, data: bytes, unstored: dict[str, bytes] | None) -> str:
    if unstored is None:
        return store.put_bytes(data)[0]
    oid = hashing.hash_bytes(data)
    unstored[oid] = data
    return oid


def insert(store: ObjectStore, conn: sqlite3.Connection, record: records.Record) -> str:
    """Make the run a record stands for, in the caller's transaction (its objects are stored
    here). An input names its version by hash: numbered as this workspace numbers those bytes.
    Returns the run's name."""
    d = record.data
    run_id = d["id"]
    runs.insert_run(
        conn,
        run_id,
        name=d["name"],
        experiment=d["experiment"],
        status=d["status"],
        kind=d["kind"],
        model=d["model"],
        command=d["command"],
        cwd=d["cwd"],
        host=d["host"],
        pid=None,
        seed=d["seed"],
        spec=d["spec"],
        environment=d["environment"],
        created_at=d["created_at"],
        started_at=d["started_at"],
        ended_at=d["ended_at"],
        duration_s=d["duration_s"],
        error=d["error"],
        exit_code=d["exit_code"],
    )
    runs.write_params(conn, run_id, d["params"])
    runs.write_tags(conn, run_id, d["tags"])
    runs.insert_inputs(conn, run_id, [_local_input(conn, RunInput(**i)) for i in d["inputs"]])
    for a in d["artifacts"]:
        runs.insert_artifact(conn, run_id, RunArtifact(**a))
    if d["history"]:
        runs.insert_metrics(conn, [(run_id, *row) for row in _history_rows(store, d["history"])])
    runs.write_latest_metrics(conn, run_id, {k: (step, value) for k, (step, value) in d["metrics"].items()})
    return str(d["name"])


def _local_input(conn: sqlite3.Connection, used: RunInput) -> RunInput:
    from ..data import datasets

    here = datasets.holding(conn, used.dataset, used.hash)
    return used if here is None else RunInput(used.dataset, here.version, used.hash)


def _history_bytes(rows: list[tuple[str, int, float | None, float]]) -> bytes:
    import polars as pl

    columns: dict[str, Any] = dict(zip(_HISTORY_COLUMNS, zip(*rows, strict=True), strict=True))
    frame = pl.DataFrame(
        columns, schema={"key": pl.Utf8, "step": pl.Int64, "value": pl.Float64, "timestamp": pl.Float64}
    )
    out = io.BytesIO()
    # No statistics, one row group: the same history is the same bytes, so the same object.
    frame.write_parquet(out, statistics=False, compression="zstd")
    return out.getvalue()


def _history_rows(store: ObjectStore, oid: str) -> list[tuple[str, int, float | None, float]]:
    import polars as pl

    frame = pl.read_parquet(io.BytesIO(store.read_verified(oid)))
    return list(frame.select(_HISTORY_COLUMNS).iter_rows())
