"""Opening the workspace database: WAL, busy timeout, foreign keys, migrations under a lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import WbError
from .locks import file_lock
from .schema import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 30_000


def connect(db_path: Path, lock_path: Path) -> sqlite3.Connection:
    """Open the database, migrating it first if this wb knows a newer schema."""
    conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    if _user_version(conn) != SCHEMA_VERSION:
        with file_lock(lock_path):
            migrate(conn)
    return conn


def _user_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations this database lacks, each in its own transaction."""
    current = _user_version(conn)
    if current > SCHEMA_VERSION:
        raise WbError(
            f"this workspace was written by a newer wb (schema {current}, this wb knows "
            f"{SCHEMA_VERSION}); upgrade wb to use it"
        )
    for number in range(current, SCHEMA_VERSION):
        # executescript commits any open transaction first, so wrap the script in our own.
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;"
        )


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A short write transaction taken eagerly (BEGIN IMMEDIATE) so writers queue, not deadlock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
