"""Crash safety of `wb data add`, through the real process: killed with SIGKILL or interrupted
with SIGINT (Ctrl-C) while it is copying a large file into the store, and several adds racing.

Whatever happens, the workspace must stay consistent: `wb fsck` ok, no half-made version, and
nothing left behind that `wb gc` cannot sweep.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import DROPS, Runner, popen_wb, store_objects, temp_files

BIG_BYTES = 200 * 1024 * 1024
DEADLINE_S = 30.0


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A ~200 MiB CSV, written in a fraction of a second by repeating one block of rows."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    block = "".join(
        f"{i},{i * 0.25},item{i % 97},2026-01-{i % 28 + 1:02d}\n" for i in range(100_000)
    ).encode()
    with open(path, "wb") as f:
        f.write(b"id,price,item,date\n")
        for _ in range(BIG_BYTES // len(block) + 1):
            f.write(block)
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture
def crash_ws(workspace: Path) -> Iterator[Path]:
    yield workspace
    for leftover in temp_files(workspace):  # don't keep 200 MiB per failed run in pytest's tmp
        leftover.unlink(missing_ok=True)


def _start_add_and_wait_until_copying(root: Path, big: Path, *extra: str) -> subprocess.Popen[str]:
    """Start `wb data add BIG` and return once its temp file in the store is growing."""
    proc = popen_wb("data", "add", big, "--name", "big", *extra, cwd=root)
    deadline = time.monotonic() + DEADLINE_S
    while True:
        if any(p.stat().st_size > 0 for p in temp_files(root) if p.exists()):
            return proc
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(
                f"wb data add ended (exit {proc.returncode}) before it was seen copying\n{out}\n{err}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            proc.communicate()
            pytest.fail(f"no temp file appeared in .wb/objects/tmp within {DEADLINE_S:.0f} s")
        time.sleep(0.005)


def _assert_no_version_of_big(wb: Runner, root: Path) -> None:
    names = [d["name"] for d in wb("data", "list", "--json", cwd=root).json()]
    assert "big" not in names


def _assert_fsck_ok(wb: Runner, root: Path) -> dict:
    report = wb("fsck", "--json", cwd=root).json()
    assert report["ok"] is True, report
    assert report["missing"] == [] and report["corrupt"] == [], report
    return report


def test_ctrl_c_during_add(wb: Runner, crash_ws: Path, big_csv: Path):
    proc = _start_add_and_wait_until_copying(crash_ws, big_csv, "--json")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=DEADLINE_S)
    leftovers = temp_files(crash_ws)  # looked at right away: nothing may sweep them first

    assert proc.returncode == 130, f"exit {proc.returncode}\n{err}"
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert out.strip() == "", "an interrupted add prints no JSON"
    assert store_objects(crash_ws) == set()
    _assert_fsck_ok(wb, crash_ws)
    _assert_no_version_of_big(wb, crash_ws)
    assert leftovers == [], f"Ctrl-C left temp files behind: {[p.name for p in leftovers]}"


def test_kill_9_during_add(wb: Runner, crash_ws: Path, big_csv: Path):
    proc = _start_add_and_wait_until_copying(crash_ws, big_csv)
    proc.kill()
    proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == -signal.SIGKILL

    # A killed writer cannot clean up: its temp file may stay, but the workspace is consistent.
    assert store_objects(crash_ws) == set()
    _assert_fsck_ok(wb, crash_ws)
    _assert_no_version_of_big(wb, crash_ws)

    wb("gc", cwd=crash_ws).ok()
    assert temp_files(crash_ws) == [], "wb gc should sweep the killed add's temp file"
    _assert_fsck_ok(wb, crash_ws)

    # The dead process's lock and half-written state do not block the next add.
    added = wb("data", "add", DROPS / "week_01.csv", "--name", "small", "--json", cwd=crash_ws).json()
    assert added["version"] == 1 and added["unchanged"] is False
    report = _assert_fsck_ok(wb, crash_ws)
    assert report["objects"] == 2  # the file and its version's record
    assert [d["name"] for d in wb("data", "list", "--json", cwd=crash_ws).json()] == ["small"]


def test_concurrent_adds_of_the_same_file(wb: Runner, workspace: Path):
    names = [f"copy{i}" for i in range(4)]
    procs = [
        popen_wb("data", "add", DROPS / "week_02.csv", "--name", name, "--json", cwd=workspace)
        for name in names
    ]
    results = [(p, *p.communicate(timeout=DEADLINE_S * 2)) for p in procs]

    hashes = set()
    for proc, out, err in results:
        assert proc.returncode == 0, f"exit {proc.returncode}\n{err}"
        assert "Traceback" not in err, err
        doc = json.loads(out)
        assert doc["version"] == 1 and doc["unchanged"] is False, doc
        hashes.add(doc["hash"])
    assert len(hashes) == 1, hashes

    (oid,) = hashes
    objects = store_objects(workspace)
    assert f"{oid[:2]}/{oid[2:]}" in objects and len(objects) == 1 + 4, "one object for one content"
    assert temp_files(workspace) == []
    report = _assert_fsck_ok(wb, workspace)
    assert report["objects"] == 1 + 4  # and each version's record
    listed = wb("data", "list", "--json", cwd=workspace).json()
    assert sorted(d["name"] for d in listed) == names
    assert all(d["versions"] == 1 for d in listed)
