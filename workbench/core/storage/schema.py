"""The SQLite schema as an ordered list of migrations; `PRAGMA user_version` counts those applied.

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the audit log, datasets and their versions.
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT,
        message TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX events_kind ON events(kind);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

    CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE dataset_versions (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id),
        version INTEGER NOT NULL,
        hash_algo TEXT NOT NULL,
        hash TEXT NOT NULL,
        format TEXT NOT NULL,
        size INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        columns INTEGER NOT NULL,
        schema TEXT NOT NULL,
        profile TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        source_path TEXT,
        valid INTEGER,
        created_at TEXT NOT NULL,
        UNIQUE (dataset_id, version)
    );
    CREATE INDEX dataset_versions_hash ON dataset_versions(hash);
    """,
    # 2: experiments and runs: params, tags, metrics (history and latest), inputs, artifacts.
    """
    CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        experiment_id INTEGER NOT NULL REFERENCES experiments(id),
        status TEXT NOT NULL
            CHECK (status IN ('queued', 'running', 'finished', 'failed', 'killed', 'lost')),
        kind TEXT NOT NULL,
        model TEXT,
        data TEXT,
        command TEXT NOT NULL DEFAULT '[]',
        cwd TEXT,
        host TEXT,
        pid INTEGER,
        seed INTEGER,
        spec TEXT,
        environment TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        exit_code INTEGER,
        created_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        duration_s REAL,
        heartbeat_at REAL
    );
    CREATE INDEX runs_experiment ON runs(experiment_id);
    CREATE INDEX runs_status ON runs(status);
    CREATE INDEX runs_created ON runs(created_at);
    CREATE TABLE params (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        num REAL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX params_key_num ON params(key, num);
    CREATE TABLE tags (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE metrics (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        step INTEGER NOT NULL,
        value REAL,
        timestamp REAL NOT NULL
    );
    CREATE INDEX metrics_run_key_step ON metrics(run_id, key, step);
    CREATE TABLE latest_metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        step INTEGER NOT NULL,
        value REAL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX latest_metrics_key_value ON latest_metrics(key, value);
    CREATE TABLE run_inputs (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        dataset TEXT NOT NULL,
        version INTEGER NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (run_id, dataset, version)
    ) WITHOUT ROWID;
    CREATE TABLE artifacts (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        meta TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, path)
    ) WITHOUT ROWID;
    CREATE INDEX artifacts_hash ON artifacts(hash);
    """,
    # 3: data contracts, drift reports and alerts.
    """
    CREATE TABLE contracts (
        dataset TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        set_at TEXT NOT NULL
    );
    CREATE TABLE drift_reports (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        reference TEXT NOT NULL,
        current TEXT NOT NULL,
        dataset_drift INTEGER NOT NULL,
        drift_share REAL NOT NULL,
        drifted TEXT NOT NULL DEFAULT '[]',
        hash TEXT NOT NULL
    );
    CREATE INDEX drift_reports_created ON drift_reports(created_at);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT,
        message TEXT NOT NULL,
        acked_at TEXT
    );
    CREATE INDEX alerts_open ON alerts(acked_at);
    """,
    # 4: the drop watcher: which files it has taken in, and whether it is running.
    """
    CREATE TABLE watch_files (
        dataset TEXT NOT NULL,
        hash TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        processed_at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        PRIMARY KEY (dataset, hash)
    ) WITHOUT ROWID;
    CREATE TABLE watchers (
        id INTEGER PRIMARY KEY,
        dir TEXT NOT NULL,
        dataset TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        heartbeat_at REAL NOT NULL,
        stopped_at TEXT
    );
    """,
    # 5: the model registry: models, versions, aliases and every move of an alias.
    """
    CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE model_versions (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES models(id),
        version INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        artifact_hash TEXT NOT NULL,
        artifact_meta TEXT NOT NULL,
        dataset TEXT,
        dataset_hash TEXT,
        schema TEXT NOT NULL,
        metrics TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (model_id, version)
    );
    CREATE INDEX model_versions_run ON model_versions(run_id);
    CREATE TABLE aliases (
        model_id INTEGER NOT NULL REFERENCES models(id),
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (model_id, alias)
    ) WITHOUT ROWID;
    CREATE TABLE alias_events (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES models(id),
        alias TEXT NOT NULL,
        from_version INTEGER,
        to_version INTEGER NOT NULL,
        action TEXT NOT NULL,
        user TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        forced INTEGER NOT NULL DEFAULT 0,
        gates TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
    );
    CREATE INDEX alias_events_model ON alias_events(model_id, alias, id);
    """,
    # 6: the workspace's identity, also written beside the database (.wb/workspace-id), so a
    # database that is lost, emptied or swapped for another workspace's is never taken for new.
    """
    CREATE TABLE workspace_identity (
        id TEXT NOT NULL
    );
    """,
    # 7: which watcher took a drop: a drop taken but not yet checked (outcome 'taking') by a
    # watcher that died is checked by the next one, and one a live watcher holds is left alone.
    """
    ALTER TABLE watch_files ADD COLUMN watcher_id INTEGER;
    """,
    # 8: dataset aliases (`wb data tag sales@1 reference` makes sales@reference); every move is
    # also an event in the audit log.
    """
    CREATE TABLE dataset_aliases (
        dataset_id INTEGER NOT NULL REFERENCES datasets(id),
        alias TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (dataset_id, alias)
    ) WITHOUT ROWID;
    """,
    # 9: a metric that is NaN is kept as NaN, as MLflow keeps it (SQLite stores NaN as NULL,
    # so the flag says which NULLs were NaN).
    """
    ALTER TABLE metrics ADD COLUMN is_nan INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE latest_metrics ADD COLUMN is_nan INTEGER NOT NULL DEFAULT 0;
    """,
    # 10: the audit log names who did each thing: the OS user (NULL for events from before).
    """
    ALTER TABLE events ADD COLUMN user TEXT;
    """,
    # 11: a model version's description (`wb model register --description`), as MLflow's.
    """
    ALTER TABLE model_versions ADD COLUMN description TEXT NOT NULL DEFAULT '';
    """,
    # 12: an alert's severity and link back (JSON: report, dataset, model, run, rollout) for
    # whoever receives it, and how its delivery to `[alerts]` command and file went (NULL: it
    # had nowhere to go; 'pending', 'delivered', 'failed').
    """
    ALTER TABLE alerts ADD COLUMN severity TEXT NOT NULL DEFAULT 'warning';
    ALTER TABLE alerts ADD COLUMN link TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE alerts ADD COLUMN delivery TEXT;
    CREATE INDEX alerts_delivery ON alerts(delivery);
    """,
    # 13: the index over records kept as objects (storage/records.py): a dataset version's key
    # is `name@hash`, a contract's its dataset; indexed_at says when this workspace first had it.
    """
    CREATE TABLE records (
        oid TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        indexed_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX records_kind ON records(kind, key);
    """,
    # 14: rollouts (models/rollouts.py): a plan putting a challenger on some segments (stores)
    # beside the champion, at most one active per model; each batch it scored (its predictions
    # a parquet object in the store) and each set of outcomes joined to them (likewise).
    """
    CREATE TABLE rollouts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        model_id INTEGER NOT NULL REFERENCES models(id),
        champion INTEGER NOT NULL,
        challenger INTEGER NOT NULL,
        segment TEXT NOT NULL,
        share REAL,
        segments TEXT NOT NULL DEFAULT '[]',
        shadow INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE UNIQUE INDEX rollouts_active ON rollouts(model_id) WHERE state = 'active';
    CREATE TABLE rollout_batches (
        id INTEGER PRIMARY KEY,
        rollout_id INTEGER NOT NULL REFERENCES rollouts(id),
        kind TEXT NOT NULL,
        oid TEXT NOT NULL,
        source TEXT NOT NULL,
        input_hash TEXT NOT NULL,
        champion_rows INTEGER NOT NULL,
        challenger_rows INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX rollout_batches_rollout ON rollout_batches(rollout_id, kind, id);
    """,
    # 15: the objects a record points at besides itself (a run's metric history and artifacts, a
    # drift report's JSON): what gc keeps and push sends for it, rebuilt from the records.
    """
    CREATE TABLE record_parts (
        oid TEXT NOT NULL,
        part TEXT NOT NULL,
        PRIMARY KEY (oid, part)
    ) WITHOUT ROWID;
    CREATE INDEX record_parts_part ON record_parts(part);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
