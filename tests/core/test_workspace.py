from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import DROPS
from workbench.core import config, events
from workbench.core.data import datasets
from workbench.core.errors import NotFound, WbError
from workbench.core.storage.db import transaction
from workbench.core.storage.schema import SCHEMA_VERSION
from workbench.core.storage.workspace import ENV_VAR, Workspace


def test_init_makes_the_layout_and_is_idempotent(tmp_path):
    _, created = Workspace.init(tmp_path)
    assert created
    assert (tmp_path / ".wb" / "wb.db").is_file()
    assert (tmp_path / ".wb" / "objects").is_dir()
    text = (tmp_path / ".wb" / "config.toml").read_text()
    assert "# " in text and "gc_grace_hours = 24" in text
    (tmp_path / ".wb" / "config.toml").write_text("[store]\ngc_grace_hours = 1\n")
    again, created_again = Workspace.init(tmp_path)
    assert not created_again
    assert again.config.store.gc_grace_hours == 1  # the user's edit survives
    assert again.config.data.histogram_bins == 20  # defaults fill the rest


def test_database_is_wal_with_foreign_keys_and_migrated(ws):
    conn = ws.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_find_walks_up_and_honours_explicit_paths(tmp_path, monkeypatch):
    Workspace.init(tmp_path / "proj")
    deep = tmp_path / "proj" / "a" / "b"
    deep.mkdir(parents=True)
    assert Workspace.find(start=deep).root == (tmp_path / "proj").resolve()
    assert Workspace.find(tmp_path / "proj", start=tmp_path).root == (tmp_path / "proj").resolve()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "proj"))
    assert Workspace.find(start=tmp_path).root == (tmp_path / "proj").resolve()


def test_outside_a_workspace_the_error_says_to_init(tmp_path):
    with pytest.raises(NotFound, match="wb init"):
        Workspace.find(start=tmp_path)
    with pytest.raises(NotFound, match="wb init"):
        Workspace.find(tmp_path / "nowhere")


def test_the_audit_log_is_append_only(ws):
    with transaction(ws.conn) as conn:
        events.record(conn, "test.kind", "something happened", subject="x", data={"n": 1})
    newest = events.recent(ws.conn, 1)[0]
    assert (newest.kind, newest.subject, newest.data) == ("test.kind", "x", {"n": 1})
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        ws.conn.execute("UPDATE events SET message = 'rewritten'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        ws.conn.execute("DELETE FROM events")


def test_a_newer_schema_is_refused(ws):
    ws.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    ws.close()
    with pytest.raises(WbError, match="newer wb"):
        Workspace(ws.root).conn  # noqa: B018 (opening the database is the act under test)


def test_bad_config_is_one_clear_error(ws):
    ws.config_path.write_text("[store\n")
    with pytest.raises(WbError, match="not valid TOML"):
        config.load(ws.config_path)


def test_a_second_connection_keeps_the_first_ones_locks(ws):
    """SQLite's locks are POSIX locks, which the OS drops for the whole process when any file
    descriptor of the database is closed. Opening a second connection once read the file's
    header with open()/close(), which dropped the first connection's lock: another process
    closing its connection then took itself for the last one, checkpointed and deleted the WAL
    under a live writer, and a kill -9 test found the database malformed."""
    datasets.add(ws, DROPS / "week_01.csv", "sales")  # the first connection writes: a WAL
    wal = ws.db_path.with_name("wb.db-wal")
    assert wal.exists()
    second = ws.connect()
    try:
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                "c.execute('SELECT count(*) FROM events').fetchall(); c.close()",
                str(ws.db_path),
            ],
            check=True,
        )
        assert wal.exists(), "another process took this one's connections for gone"
        datasets.add(ws, DROPS / "week_02.csv", "sales")
        assert [r[0] for r in second.execute("PRAGMA quick_check")] == ["ok"]
    finally:
        second.close()
