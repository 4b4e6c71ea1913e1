"""The same bytes added by several programs at once make one version, whoever commits first:
concurrent `wb data add` of one file. (Watchers started together: tests/e2e/test_races.py.)"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import DROPS, Runner, popen_wb

DEADLINE_S = 120


def finished(procs) -> list[tuple[int, str, str]]:
    return [(p.wait(timeout=DEADLINE_S), *p.communicate()) for p in procs]


def test_concurrent_adds_of_the_same_bytes_make_one_version(wb: Runner, workspace: Path):
    procs = [
        popen_wb("data", "add", DROPS / "week_02.csv", "--name", "sales", "--json", cwd=workspace)
        for _ in range(4)
    ]
    docs = []
    for code, out, err in finished(procs):
        assert code == 0 and "Traceback" not in err, err
        docs.append(json.loads(out))
    assert sorted(d["unchanged"] for d in docs) == [False, True, True, True], docs
    assert {d["version"] for d in docs} == {1}
    assert len(wb("data", "log", "sales", "--json", cwd=workspace).json()) == 1
