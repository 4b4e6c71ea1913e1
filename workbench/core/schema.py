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
]

SCHEMA_VERSION = len(MIGRATIONS)
