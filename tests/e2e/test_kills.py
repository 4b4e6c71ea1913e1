"""kill -9 at a seeded random moment of every operation that writes, through the real processes.

For each operation (a large `wb data add`, `wb train`, metric logging from a script through the
Python API, `wb model promote`, `wb import`, `wb gc`, and a schema migration done by the first
command on an older database) the operation is first run once to measure how long it takes
here, then started again and again and SIGKILLed (its whole process group, as a power cut would
stop it) after a delay drawn with `random.Random` from a fixed seed, anywhere in that duration.
After every kill:

- `wb fsck --json` is ok (a killed writer may leave a temp file in .wb/objects/tmp: that is
  counted, not a fault);
- every row that was committed when the kill landed is still there, read from a second
  connection just before the kill: dataset versions, runs, metrics, events, alias history...;
- the database's tables are exactly those of its `user_version` (a migration is never half done);
- the operation, run again, succeeds. Repeatable operations are killed in a chain on one
  workspace, each attempt being the retry of the one before, with a last attempt left to finish;
  one-shot operations (import, gc, migration) get a fresh copy for every kill and a retry each.

`WB_KILL_TRIALS` (default 4) sets the kills per operation and `WB_KILL_SEED` the seed; the
trials run in two lanes at once. `pytest -s` prints "kills survived / kills tried" per operation.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workbench.core.data import datasets
from workbench.core.storage.local_backend import LocalBackend
from workbench.core.storage.schema import MIGRATIONS, SCHEMA_VERSION
from workbench.core.storage.store import ObjectStore
from workbench.core.storage.workspace import Workspace

from .conftest import DROPS, TIMEOUT_S, Runner, WbResult, run_wb, wb_env

SEED = int(os.environ.get("WB_KILL_SEED", "10"))
TRIALS = int(os.environ.get("WB_KILL_TRIALS", "4"))
LANES = 2
WEEK1, WEEK2 = sorted(DROPS.glob("week_*.csv"))[:2]
BIG_BYTES = 48 * 1024 * 1024
OLD_SCHEMA = 3  # before the watcher, the registry and identities: three migrations to make
GARBAGE_OBJECTS = 1500
LOG_SCRIPT = """\
import time
import workbench as wb

with wb.start_run(experiment="logging", params={"lr": 0.1}) as run:
    for step in range(60_000):
        run.log_metric("loss", 1 / (step + 1), step=step)
        if step % 2_000 == 0:
            time.sleep(0.02)  # a training step's worth of work between bursts of logging
"""

# Columns that may change after they are written (a run's status, where an alias points): only
# the row's key must survive. Every other table, including any added later, is kept whole.
MUTABLE_TABLES = {
    "runs": "id, name, experiment_id, created_at",
    "latest_metrics": "run_id, key",
    "tags": "run_id, key",
    "aliases": "model_id, alias",
    "alerts": "id",
    "dataset_versions": "dataset_id, version, hash, size, rows",
    "contracts": "dataset",
    "watchers": "id",
}


# -- the workspaces the operations start from ----------------------------------------------
@dataclass(frozen=True)
class Kit:
    templates: dict[str, Path]
    durations: dict[str, float]  # of the operations the templates' making has measured
    big: tuple[Path, Path]
    bundle: Path
    script: Path


TRAIN = (
    "train",
    "--data",
    "sales@1",
    "--target",
    "units_sold",
    "--model",
    "baseline",
    "--register",
    "demand",
)


def wb_argv(*args: str | os.PathLike) -> list[str]:
    return [sys.executable, "-m", "workbench", *(str(a) for a in args)]


def _filled(root: Path, wb: Runner) -> dict[str, float]:
    """sales@1, a baseline run registered twice (demand@1, demand@2), production moved to @1 and
    then through the gates to @2 (judged on sales@2, which neither has seen). Returns how long
    the train and the gated promote took, so that those two (the slow ones) need not be run
    once more to be measured."""
    root.mkdir(parents=True)
    wb("init", cwd=root).ok()
    wb("data", "add", WEEK1, "--name", "sales", cwd=root).ok()
    start = time.monotonic()
    run = wb(*TRAIN, "--json", cwd=root).json()["runs"][0]["id"]
    durations = {"train": time.monotonic() - start}
    wb("model", "register", run, "--name", "demand", cwd=root).ok()
    wb("model", "promote", "demand@1", "--to", "production", cwd=root).ok()
    wb("data", "add", WEEK2, "--name", "sales", cwd=root).ok()  # unseen: what the gate judges on
    start = time.monotonic()
    wb("model", "promote", "demand@2", "--to", "production", cwd=root).ok()
    durations["promote"] = time.monotonic() - start
    return durations


def _with_garbage(root: Path) -> None:
    """Objects nothing refers to, older than gc's grace period, for gc to delete."""
    store = ObjectStore(LocalBackend(root / ".wb" / "objects"))
    old = time.time() - 7 * 24 * 3600
    for i in range(GARBAGE_OBJECTS):
        oid, _ = store.put_bytes(f"garbage {i}\n".encode())
        os.utime(store.backend.path(oid), (old, old))


def _schema_names(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    return set(conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


def schema_at(version: int) -> set[tuple[str, str]]:
    """The tables, indexes and triggers a database at `user_version` = `version` has."""
    conn = sqlite3.connect(":memory:")
    for script in MIGRATIONS[:version]:
        conn.executescript(script)
    return _schema_names(conn)


def _at_old_schema(root: Path, version: int) -> None:
    """Rebuild the workspace's database as a wb of schema `version` would have kept it: its
    tables, holding the rows they hold now; no identity (that came with schema 6)."""
    db = root / ".wb" / "wb.db"
    old = db.with_name("old.db")
    conn = sqlite3.connect(old, isolation_level=None)
    for script in MIGRATIONS[:version]:
        conn.executescript(script)
    conn.execute("ATTACH ? AS new", (str(db),))
    conn.execute("BEGIN")
    for (table,) in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'").fetchall():
        columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM new.{table}")
    conn.execute("COMMIT")
    conn.execute("DETACH new")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    for path in (db.with_name("wb.db-wal"), db.with_name("wb.db-shm"), root / ".wb" / "workspace-id"):
        path.unlink(missing_ok=True)
    old.replace(db)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory, wb: Runner) -> Kit:
    base = tmp_path_factory.mktemp("kills")
    filled = base / "filled"
    durations = _filled(filled, wb)
    bundle = base / "demand.wbb"
    wb("model", "export", "demand@2", "-o", bundle, "--with-data", cwd=filled).ok()

    garbage = base / "garbage"
    shutil.copytree(filled, garbage)
    _with_garbage(garbage)
    old_schema = base / "old-schema"
    shutil.copytree(filled, old_schema)
    _at_old_schema(old_schema, OLD_SCHEMA)
    target, _ = Workspace.init(base / "import-target")
    datasets.add(target, WEEK1, "sales")
    target.close()

    big = (base / "big_a.csv", base / "big_b.csv")
    block = "".join(f"{i},{i * 0.25},item{i % 97},2026-01-{i % 28 + 1:02d}\n" for i in range(50_000)).encode()
    for n, path in enumerate(big):
        with open(path, "wb") as f:
            f.write(f"id,price,item,date\n-{n},0,first,2026-01-01\n".encode())
            for _ in range(BIG_BYTES // len(block)):
                f.write(block)
    script = base / "log_metrics.py"
    script.write_text(LOG_SCRIPT, encoding="utf-8")
    return Kit(
        {"filled": filled, "garbage": garbage, "old schema": old_schema, "import target": target.root},
        durations,
        big,
        bundle,
        script,
    )


# -- the operations -------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    template: str
    command: Callable[[Kit, Path, int], list[str]]  # (kit, workspace, attempt) -> argv
    one_shot: bool = False  # done once per workspace: every kill gets a fresh copy and a retry


def _other_than_production(root: Path) -> int:
    with _reader(root) as conn:
        row = conn.execute("SELECT version FROM aliases WHERE alias = 'production'").fetchone()
    return 1 if row and row[0] == 2 else 2


OPERATIONS: dict[str, Operation] = {
    # Two files by turns, so that every attempt makes a new version rather than "unchanged".
    "data add": Operation(
        "filled", lambda kit, root, n: wb_argv("data", "add", kit.big[n % 2], "--name", "big")
    ),
    "train": Operation("filled", lambda kit, root, n: wb_argv(*TRAIN)),
    "logging": Operation("filled", lambda kit, root, n: [sys.executable, str(kit.script)]),
    # Production moves back and forth between @1 and @2, through the gates each time.
    "promote": Operation(
        "filled",
        lambda kit, root, n: wb_argv(
            "model", "promote", f"demand@{_other_than_production(root)}", "--to", "production"
        ),
    ),
    "import": Operation("import target", lambda kit, root, n: wb_argv("import", kit.bundle), one_shot=True),
    "gc": Operation("garbage", lambda kit, root, n: wb_argv("gc"), one_shot=True),
    "migration": Operation(
        "old schema", lambda kit, root, n: wb_argv("data", "add", WEEK2, "--name", "sales"), one_shot=True
    ),
}


# -- what must hold after a kill ------------------------------------------------------------
class _reader:
    """A second connection to the workspace's database, reading one consistent snapshot."""

    def __init__(self, root: Path):
        db = root / ".wb" / "wb.db"
        self.conn = sqlite3.connect(f"file:{db}?mode=rw", uri=True, timeout=30, isolation_level=None)

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN")
        return self.conn

    def __exit__(self, *exc) -> None:
        self.conn.close()


def committed_rows(root: Path) -> dict[tuple[str, str], set[tuple]]:
    """Each table's rows, keyed by table and the columns read (a migration may add columns:
    a row is kept if the same columns still hold the same values)."""
    with _reader(root) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            (t, columns): set(conn.execute(f"SELECT {columns} FROM {t}"))
            for t in tables
            for columns in [MUTABLE_TABLES.get(t) or _columns(conn, t)]
        }


def _columns(conn: sqlite3.Connection, table: str) -> str:
    return ", ".join(r[1] for r in conn.execute(f"PRAGMA table_info({table})"))


def assert_schema_whole(root: Path) -> int:
    """The database is at a `user_version` and has exactly that version's schema."""
    with _reader(root) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = _schema_names(conn)
    assert names == schema_at(version), f"schema at user_version {version} is half-migrated"
    return version


def assert_nothing_lost(root: Path, before: dict[tuple[str, str], set[tuple]]) -> None:
    with _reader(root) as conn:
        for (table, columns), rows in before.items():
            lost = rows - set(conn.execute(f"SELECT {columns} FROM {table}"))
            assert not lost, f"{len(lost)} committed rows of {table} are gone, e.g. {sorted(lost)[:2]}"


def assert_fsck_ok(root: Path) -> None:
    report = run_wb("fsck", "--json", cwd=root).json()
    assert report["ok"] is True, report
    assert report["missing"] == [] and report["corrupt"] == [], report


# -- running and killing ----------------------------------------------------------------------
def _spawn(argv: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    """The operation in its own process group, so one SIGKILL stops it and any child at once."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=wb_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def run_to_end(argv: list[str], cwd: Path) -> float:
    """Run the operation to its end: it must succeed and leave the database at this wb's
    schema. Returns how long it took."""
    start = time.monotonic()
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env=wb_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    elapsed = time.monotonic() - start
    WbResult(tuple(argv), proc.returncode, proc.stdout, proc.stderr).ok()
    assert assert_schema_whole(cwd) == SCHEMA_VERSION
    return elapsed


@dataclass
class Tally:
    tried: int = 0
    survived: int = 0
    ended_first: int = 0  # attempts that had finished before their kill came: retries, in effect
    failures: list[str] = field(default_factory=list)
    schema_versions: list[int] = field(default_factory=list)  # where each kill left the schema
    durations: list[float] = field(default_factory=list)  # the operation's, as measured

    def add(self, other: Tally) -> None:
        self.tried += other.tried
        self.survived += other.survived
        self.ended_first += other.ended_first
        self.failures += other.failures
        self.schema_versions += other.schema_versions
        self.durations += other.durations


def kill_once(argv: list[str], root: Path, delay: float, log: Path, tally: Tally) -> None:
    proc = _spawn(argv, root, log)
    time.sleep(delay)  # the seeded moment to kill at, not a wait for something to happen
    before = committed_rows(root)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=TIMEOUT_S)
    if proc.returncode != -signal.SIGKILL:  # it had ended by itself: then it must have succeeded
        tally.ended_first += 1
        assert proc.returncode == 0, f"exit {proc.returncode}\n{log.read_text(errors='replace')}"
        return
    tally.tried += 1
    tally.schema_versions.append(assert_schema_whole(root))
    assert_fsck_ok(root)
    assert_nothing_lost(root, before)
    tally.survived += 1


def run_lane(kit: Kit, name: str, trials: list[int], lane: Path) -> Tally:
    """Measure the operation, then kill it at each trial's moment (see the module's doc)."""
    op, tally = OPERATIONS[name], Tally()
    template = kit.templates[op.template]

    def fresh(label: str) -> Path:
        root = lane / label
        shutil.copytree(template, root)
        return root

    root = fresh("first")
    duration = kit.durations.get(name) or run_to_end(op.command(kit, root, 0), root)
    tally.durations.append(duration)
    for attempt, trial in enumerate(trials, 1):
        if op.one_shot:
            root = fresh(f"trial-{trial}")
        delay = random.Random(f"{SEED}/{name}/{trial}").uniform(0, duration)
        argv = op.command(kit, root, attempt)
        try:
            kill_once(argv, root, delay, lane / f"trial-{trial}.log", tally)
            if op.one_shot:
                run_to_end(op.command(kit, root, attempt + 1), root)
        except AssertionError as exc:
            tally.failures.append(
                f"trial {trial} (killed after {delay:.2f} s of {' '.join(argv[2:])}): {exc}"
            )
    if not op.one_shot:
        try:
            run_to_end(op.command(kit, root, len(trials) + 1), root)
        except AssertionError as exc:
            tally.failures.append(f"the retry after the last kill failed: {exc}")
    return tally


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_kill_9_loses_nothing_committed(kit: Kit, tmp_path: Path, name: str):
    lanes = [list(range(TRIALS))[i::LANES] for i in range(LANES)]
    with ThreadPoolExecutor(LANES) as pool:
        results = list(pool.map(lambda i: run_lane(kit, name, lanes[i], tmp_path / f"lane{i}"), range(LANES)))
    tally = Tally()
    for result in results:
        tally.add(result)
    where = (
        f", schema left at user_version {sorted(tally.schema_versions)}"
        if OPERATIONS[name].template == "old schema"
        else ""
    )
    print(
        f"\nkill -9 during {name}: {tally.survived} survived of {tally.tried} kills tried "
        f"(seed {SEED}; it takes {max(tally.durations):.1f} s here; {tally.ended_first} "
        f"attempts had ended before their kill{where})"
    )
    assert not tally.failures, "\n".join(tally.failures)
    assert tally.tried > 0, f"every attempt at {name} had ended before its kill"
