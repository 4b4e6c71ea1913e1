"""Opening the workspace database: WAL, busy timeout, foreign keys, migrations under a lock."""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from ..errors import WbError
from . import failures
from .locks import file_lock
from .schema import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 30_000
SQLITE_HEADER = b"SQLite format 3\x00"


class Connection(sqlite3.Connection):
    """A connection that knows whether its workspace may be written, so a write is refused with
    a sentence before it starts instead of failing inside SQLite."""

    read_only = False
    where: Path | None = None
    write_refusal: WbError | None = None  # why writes are refused, when they are
    file_id: tuple[int, int] | None = None  # the database file's (device, inode)

    def close(self) -> None:
        _LIVE.discard(self)
        super().close()


# This process's open connections. SQLite's locks are POSIX locks, which the OS drops for the
# whole process when any descriptor of the file is closed; so while one is open, the file is
# never opened by hand (SQLite's "How To Corrupt" 2.2: another process then takes itself for
# the last connection, checkpoints and deletes the WAL under a live writer).
_LIVE: weakref.WeakSet[Connection] = weakref.WeakSet()


def _file_id(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _opened(conn: Connection, db_path: Path) -> Connection:
    conn.file_id = _file_id(db_path)
    _LIVE.add(conn)
    return conn


def file_problem(db_path: Path) -> str | None:
    """What is wrong with the database file on sight (missing, empty, not SQLite), or None.
    A file this process has a connection to is fine, and must not be opened (see _LIVE)."""
    try:
        if _file_id(db_path) in {c.file_id for c in _LIVE}:
            return None
        with open(db_path, "rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not header:
        return "is empty"
    if header != SQLITE_HEADER:
        return "is not a SQLite database"
    return None


def connect(db_path: Path, lock_path: Path, *, read_only: bool = False) -> Connection:
    """Open the database, migrating it first if this wb knows a newer schema."""
    try:
        conn = _open_read_only(db_path) if read_only else _open_for_writing(db_path)
        conn.where = db_path
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            if read_only:
                raise WbError(
                    f"the workspace at {db_path.parent.parent} needs its database "
                    f"upgraded by this wb, which cannot be done while it is read-only"
                )
            with file_lock(lock_path):
                migrate(conn)
    except sqlite3.Error as exc:
        raise failures.translate(exc, db_path) or exc from None
    return conn


def _open_for_writing(db_path: Path) -> Connection:
    """Read-write; on a full disk (SQLite cannot make its WAL files) read-only, so that reads
    still work and writes are refused saying why."""
    try:
        return _open(db_path)
    except sqlite3.Error as exc:
        full = failures.translate(exc, db_path)
        if not isinstance(full, failures.NoSpace):
            raise
    conn = _open_read_only(db_path)
    conn.write_refusal = full
    return conn


def _open(db_path: Path) -> Connection:
    # mode=rw: never create the file; a missing database is the caller's to judge.
    conn = sqlite3.connect(
        f"file:{quote(str(db_path))}?mode=rw",
        uri=True,
        factory=Connection,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return _opened(conn, db_path)


def _open_read_only(db_path: Path) -> Connection:
    """A WAL database on a read-only medium: mode=ro works while its -shm can be used; without
    one, SQLite can read it only as immutable, which would ignore a WAL file's newer pages."""
    uri = f"file:{quote(str(db_path))}"
    try:
        conn = sqlite3.connect(
            f"{uri}?mode=ro", uri=True, factory=Connection, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.OperationalError:
        wal = db_path.with_name(db_path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise WbError(
                f"the read-only workspace database {db_path} has unsaved changes in "
                f"{wal.name} that SQLite cannot read here; open it once where it can "
                f"be written"
            ) from None
        conn = sqlite3.connect(
            f"{uri}?immutable=1", uri=True, factory=Connection, isolation_level=None, check_same_thread=False
        )
    conn.row_factory = sqlite3.Row
    conn.read_only = True
    conn.write_refusal = failures.read_only(db_path.parent.parent)
    return _opened(conn, db_path)


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
    """A short write transaction taken eagerly (BEGIN IMMEDIATE) so writers queue, not deadlock.
    SQLite's failures (a full disk, a read-only file) come out as one WbError sentence."""
    where = getattr(conn, "where", None)
    refusal = getattr(conn, "write_refusal", None)
    if refusal is not None:
        raise refusal
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise failures.translate(exc, where) or exc from None


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Several reads that see one state of the database (a deferred read transaction in WAL
    mode), so a writer between them (`wb runs rm`) cannot leave them half-answered. Inside a
    transaction already, that one is the snapshot."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


# -- the two statements every "named thing with numbered versions" table needs ---------------
# Table and column names here are wb's own constants, never user input.
def id_for_name(conn: sqlite3.Connection, table: str, name: str, created_at: str) -> int:
    """The id of the row of `table` (datasets, models, experiments) named `name`, made if new,
    inside the caller's transaction."""
    conn.execute(f"INSERT OR IGNORE INTO {table} (name, created_at) VALUES (?, ?)", (name, created_at))
    return conn.execute(f"SELECT id FROM {table} WHERE name = ?", (name,)).fetchone()[0]


def next_version(conn: sqlite3.Connection, table: str, owner: str, owner_id: int) -> int:
    """The number the next version in `table` of the thing `owner` = `owner_id` gets (1 for
    the first); read inside the transaction that inserts it, so two writers cannot share one."""
    return conn.execute(
        f"SELECT COALESCE(MAX(version), 0) + 1 FROM {table} WHERE {owner} = ?", (owner_id,)
    ).fetchone()[0]
