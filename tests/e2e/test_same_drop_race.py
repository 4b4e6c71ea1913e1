"""The same bytes added by several programs at once make one version, whoever commits first:
concurrent `wb data add` of one file, and two `wb watch --once` on one folder (the second
refused while the first watches)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import DROPS, Runner, popen_wb

DEADLINE_S = 120


def finished(procs) -> list[tuple[int, str, str]]:
    return [(p.wait(timeout=DEADLINE_S), *p.communicate()) for p in procs]


def test_concurrent_adds_of_the_same_bytes_make_one_version(wb: Runner, workspace: Path):
    procs = [popen_wb("data", "add", DROPS / "week_02.csv", "--name", "sales", "--json",
                      cwd=workspace) for _ in range(4)]
    docs = []
    for code, out, err in finished(procs):
        assert code == 0 and "Traceback" not in err, err
        docs.append(json.loads(out))
    assert sorted(d["unchanged"] for d in docs) == [False, True, True, True], docs
    assert {d["version"] for d in docs} == {1}
    assert len(wb("data", "log", "sales", "--json", cwd=workspace).json()) == 1


def test_two_watchers_take_a_drop_once(wb: Runner, workspace: Path):
    inbox = workspace / "in"
    inbox.mkdir()
    for drop in sorted(DROPS.glob("week_0[12].csv")):
        shutil.copy(drop, inbox / drop.name)
    procs = [popen_wb("watch", inbox, "--dataset", "sales", "--once", cwd=workspace)
             for _ in range(2)]
    # Whoever registers second while the first still runs is refused in one sentence;
    # one that starts after the first has stopped finds nothing new.
    results = finished(procs)
    assert any(code == 0 for code, _, _ in results), results
    for code, _, err in results:
        assert "Traceback" not in err, err
        assert code == 0 or (code == 2 and "is already watched by wb watch" in err), err
    log = wb("data", "log", "sales", "--json", cwd=workspace).json()
    assert len(log) == 2 and len({v["hash"] for v in log}) == 2, log
