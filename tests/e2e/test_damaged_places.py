"""A damaged, read-only or full workspace, through the real `wb`: it never passes for a new one,
reads keep working where they can, and writes give one sentence (exit 2) with nothing written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import DROPS, Runner, store_objects, temp_files, wb_env

WEEK1 = sorted(DROPS.glob("*.csv"))[0]
WEEK2 = sorted(DROPS.glob("*.csv"))[1]


@pytest.fixture(scope="module")
def filled_template(tmp_path_factory: pytest.TempPathFactory, wb: Runner) -> Path:
    root = tmp_path_factory.mktemp("template") / "ws"
    root.mkdir()
    wb("init", cwd=root).ok()
    for drop in (WEEK1, WEEK2):
        wb("data", "add", drop, "--name", "sales", cwd=root).ok()
    return root


@pytest.fixture
def filled(filled_template: Path, tmp_path: Path) -> Path:
    """A workspace with two versions of `sales` (a copy: each test damages its own)."""
    root = tmp_path / "ws"
    shutil.copytree(filled_template, root)
    return root


def db_path(root: Path) -> Path:
    return root / ".wb" / "wb.db"


def snapshot(root: Path) -> tuple[bytes, set[str]]:
    """What a refused command must leave as it was: the database's bytes and the objects."""
    return db_path(root).read_bytes(), store_objects(root)


def garble_pages(path: Path) -> None:
    """Keep the SQLite header, scribble over every page after the first."""
    data = bytearray(path.read_bytes())
    for i in range(4096, len(data), 7):
        data[i] = 0xAB
    path.write_bytes(bytes(data))


def other_workspace_db(tmp_path: Path, wb: Runner) -> bytes:
    other = tmp_path / "other"
    other.mkdir()
    wb("init", cwd=other).ok()
    return db_path(other).read_bytes()


DAMAGES = {
    "emptied": lambda p, tmp, wb: p.write_bytes(b""),
    "garbage": lambda p, tmp, wb: p.write_bytes(b"this is not a database\n" * 100),
    "another workspace's": lambda p, tmp, wb: p.write_bytes(other_workspace_db(tmp, wb)),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize(
    "command",
    [("status",), ("data", "list"), ("log",), ("data", "add", str(WEEK1), "--name", "sales"), ("init",)],
)
def test_a_damaged_database_is_refused_and_nothing_is_written(
    filled: Path, wb: Runner, tmp_path: Path, damage: str, command: tuple[str, ...]
):
    DAMAGES[damage](db_path(filled), tmp_path, wb)
    before = snapshot(filled)
    line = wb(*command, cwd=filled).failed_cleanly(2)
    assert "wb.db" in line and ("backup" in line or "fsck" in line), line
    assert snapshot(filled) == before


def test_a_lost_database_is_refused_not_replaced_by_a_parent_or_a_new_one(filled: Path, wb: Runner):
    db_path(filled).unlink()
    for wal in filled.glob(".wb/wb.db-*"):
        wal.unlink()
    sub = filled / "sub"
    sub.mkdir()
    line = wb("data", "add", WEEK1, "--name", "sales", cwd=sub).failed_cleanly(2)
    assert "is missing" in line and "holds data" in line
    assert not db_path(filled).exists()


@pytest.mark.parametrize("damage", ["emptied", "garbled", "garbage"])
def test_fsck_reports_a_damaged_database_and_still_checks_the_objects(filled: Path, wb: Runner, damage: str):
    path = db_path(filled)
    if damage == "emptied":
        path.write_bytes(b"")
    elif damage == "garbled":
        garble_pages(path)
    else:
        path.write_bytes(b"\x00" * 8192)
    result = wb("fsck", "--json", cwd=filled)
    assert result.returncode == 1, str(result)
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["database_errors"], report
    assert report["objects"] == 4  # the two versions' bytes and records are still there, re-hashed
    assert report["corrupt"] == []


def test_fsck_counts_objects_nothing_refers_to_and_lists_stale_temp_files(filled: Path, wb: Runner):
    store = filled / ".wb" / "objects"
    (store / "tmp").mkdir(exist_ok=True)
    stale = store / "tmp" / "deadbeef.tmp"
    stale.write_bytes(b"half a write")
    old = time.time() - 48 * 3600
    os.utime(stale, (old, old))
    young = store / "tmp" / "cafef00d.tmp"
    young.write_bytes(b"a write in progress")
    wb("runs", "list", cwd=filled).ok()
    report = wb("fsck", "--json", cwd=filled).json()
    assert report["ok"] is True and report["unreferenced"] == 0
    assert report["temp_files"] == 2
    assert report["stale_temp_files"] == [".wb/objects/tmp/deadbeef.tmp"]
    human = wb("fsck", cwd=filled).ok().stdout
    assert "stale: .wb/objects/tmp/deadbeef.tmp" in human


def test_the_next_write_sweeps_stale_temp_files_and_spares_young_ones(filled: Path, wb: Runner):
    tmp = filled / ".wb" / "objects" / "tmp"
    tmp.mkdir(exist_ok=True)
    stale, young = tmp / "0000.tmp", tmp / "1111.tmp"
    stale.write_bytes(b"left by a kill -9")
    young.write_bytes(b"another writer's")
    old = time.time() - 48 * 3600
    os.utime(stale, (old, old))
    wb("data", "add", sorted(DROPS.glob("*.csv"))[2], "--name", "sales", cwd=filled).ok()
    assert temp_files(filled) == [young]


def test_objects_honour_the_umask(tmp_path: Path):
    root = tmp_path / "private"
    root.mkdir()
    script = (
        "import os, sys; os.umask(0o077); from workbench.cli.main import main; "
        "sys.argv = ['wb'] + sys.argv[1:]; main()"
    )
    for args in (["init"], ["data", "add", str(WEEK1), "--name", "sales"]):
        subprocess.run(
            [sys.executable, "-c", script, *args], cwd=root, env=wb_env(), check=True, capture_output=True
        )
    modes = {oct(p.stat().st_mode & 0o777) for p in (root / ".wb/objects/blake3").rglob("*") if p.is_file()}
    assert modes == {"0o400"}


def test_huge_and_unicode_numbers_are_bad_references_not_crashes(filled: Path, wb: Runner):
    for ref in ("sales@99999999999999999999", "sales@²", "sales@\u0661", "sales@-1"):
        wb("data", "show", ref, cwd=filled).failed_cleanly(2)
    assert wb("data", "show", "sales@2", "--json", cwd=filled).json()["version"] == 2
    assert len(wb("log", "--limit", "99999999999999999999", "--json", cwd=filled).json()) >= 3
    wb("runs", "list", "--limit", "99999999999999999999", cwd=filled).ok()


# -- read-only --------------------------------------------------------------------------------
def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.fixture
def read_only(filled: Path, tmp_path: Path, wb: Runner) -> Iterator[Path]:
    """The workspace as a read-only bind mount where we may mount (root), else chmod'ed."""
    wb("data", "contract", "infer", "sales@1", "-o", tmp_path / "c.toml", cwd=filled).ok()
    wb("data", "contract", "set", "sales", tmp_path / "c.toml", cwd=filled).ok()
    view = tmp_path / "ro"
    view.mkdir()
    if _can_mount():
        subprocess.run(["mount", "--bind", filled, view], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", view], check=True)
            yield view
        finally:
            subprocess.run(["umount", view], check=True)
    else:
        for path in [filled / ".wb", *(filled / ".wb").rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            yield filled
        finally:
            for path in [filled / ".wb", *(filled / ".wb").rglob("*")]:
                path.chmod(path.stat().st_mode | 0o200)


READS = [
    ("status",),
    ("data", "list"),
    ("data", "log", "sales"),
    ("data", "show", "sales@1"),
    ("data", "diff", "sales@1", "sales@2"),
    ("runs", "list"),
    ("log",),
    ("model", "list"),
    ("drift", "list"),
    ("alerts", "list"),
    ("fsck",),
    ("gc", "--dry-run"),
    ("data", "validate", "sales@1"),
]
WRITES = [
    ("data", "add", str(sorted(DROPS.glob("*.csv"))[3]), "--name", "sales"),
    ("gc",),
    ("run", "--", sys.executable, "-c", "pass"),
]


def test_a_read_only_workspace_reads_and_refuses_writes(read_only: Path, wb: Runner, tmp_path: Path):
    for command in READS:
        result = wb(*command, cwd=read_only)
        assert result.returncode == 0 and "Traceback" not in result.stderr, str(result)
    out = tmp_path / "week1.csv"
    wb("data", "checkout", "sales@1", "-o", out, cwd=read_only).ok()
    assert out.read_bytes() == WEEK1.read_bytes()
    before = snapshot(read_only)
    for command in [*WRITES, ("data", "contract", "set", "sales", str(tmp_path / "c.toml"))]:
        line = wb(*command, cwd=read_only).failed_cleanly(2)
        assert "read-only" in line, line
    assert snapshot(read_only) == before


# -- a full disk ------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path, wb: Runner) -> Iterator[Path]:
    """A workspace on a 3 MiB tmpfs with the two first weeks in it."""
    if not _can_mount():
        pytest.fail("the full-disk tests need root to mount a small tmpfs")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount], check=True)
    try:
        wb("init", cwd=mount).ok()
        for drop in (WEEK1, WEEK2):
            wb("data", "add", drop, "--name", "sales", cwd=mount).ok()
        yield mount
    finally:
        subprocess.run(["umount", "-l", mount], check=True)


def test_a_full_disk_refuses_writes_in_a_sentence_and_keeps_the_workspace(small_disk: Path, wb: Runner):
    ballast = small_disk / "ballast"
    with open(ballast, "wb") as f:  # fill what is left, to the last block
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    line = wb(
        "data", "add", sorted(DROPS.glob("*.csv"))[2], "--name", "sales", cwd=small_disk
    ).failed_cleanly(2)
    assert "no space" in line, line
    assert wb("data", "log", "sales", "--json", cwd=small_disk).json()[-1]["version"] == 2
    ballast.unlink()
    assert wb("fsck", "--json", cwd=small_disk).json()["ok"] is True
    assert temp_files(small_disk) == []


def test_the_python_api_raises_wberror_on_a_full_disk(small_disk: Path, wb: Runner):
    script = """
import sys, workbench as wb
from workbench.core.errors import WbError
with open("ballast", "wb") as f:
    try:
        while True:
            f.write(b"\\0" * 65536); f.flush()
    except OSError:
        pass
try:
    with wb.start_run(experiment="full") as run:
        for step in range(50_000):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.log_params({f"p{i}": "x" * 200 for i in range(2000)})
except WbError as exc:
    print("WbError:", exc)
    sys.exit(3)
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=small_disk,
        env=wb_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "no space" in proc.stdout and "Traceback" not in proc.stderr
    (small_disk / "ballast").unlink()
    assert wb("fsck", "--json", cwd=small_disk).json()["ok"] is True


def test_a_read_only_workspace_scores_exports_and_shows_its_models(tmp_path: Path, wb: Runner):
    demo = tmp_path / "demo"
    wb("demo", demo, "--no-ui", cwd=tmp_path).ok()
    view = tmp_path / "ro"
    view.mkdir()
    if not _can_mount():
        pytest.fail("this test needs root to make a read-only bind mount")
    subprocess.run(["mount", "--bind", demo, view], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", view], check=True)
        before = snapshot(view)
        run_id = wb("runs", "list", "--json", cwd=view).json()[0]["id"]
        for command in (
            ("runs", "show", run_id),
            ("model", "show", "demand@production"),
            ("predict", "demand@production", WEEK2, "-o", tmp_path / "p.csv"),
            ("model", "export", "demand@production", "-o", tmp_path / "b.tar"),
        ):
            wb(*command, cwd=view).ok()
        assert (tmp_path / "p.csv").stat().st_size > 0 and (tmp_path / "b.tar").stat().st_size > 0
        line = wb("model", "promote", "demand@2", "--to", "production", cwd=view).failed_cleanly(2)
        assert "read-only" in line
        assert snapshot(view) == before
    finally:
        subprocess.run(["umount", view], check=True)
