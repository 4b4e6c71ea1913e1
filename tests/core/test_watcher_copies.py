"""A drop whose bytes the watcher took before under another name is a copy, and says so."""

from __future__ import annotations

import shutil

from tests.conftest import DROPS
from workbench.core.monitoring.watcher import Watcher


def test_a_copy_under_a_new_name_says_whose_bytes_it_has(ws, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    shutil.copy(DROPS / "week_01.csv", drops / "a.csv")
    assert [o.version for o in Watcher(ws, drops, "sales").run(once=True)] == ["sales@1"]
    shutil.copy(drops / "a.csv", drops / "b.csv")
    outcomes = Watcher(ws, drops, "sales").run(once=True)
    assert [(o.status, o.detail) for o in outcomes] == [
        ("skipped", "these bytes were taken before"),
        ("skipped", "same bytes as sales@1 (taken before from a.csv)"),
    ]


def test_a_copy_of_a_bad_file_says_it_was_not_taken(ws, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    (drops / "a.csv").write_bytes(b"\x00\x01garbage")
    assert [o.status for o in Watcher(ws, drops, "sales").run(once=True)] == ["failed"]
    shutil.copy(drops / "a.csv", drops / "b.csv")
    outcomes = Watcher(ws, drops, "sales").run(once=True)
    assert outcomes[1].detail == "same bytes as a.csv, which was not taken"
