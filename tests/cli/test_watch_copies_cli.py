from __future__ import annotations

import shutil

from tests.conftest import DROPS


def test_watch_once_names_a_copy_and_stays_quiet_on_what_it_took(wb, tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    shutil.copy(DROPS / "week_01.csv", drops / "a.csv")
    wb("watch", drops, "--dataset", "sales", "--once")
    shutil.copy(drops / "a.csv", drops / "b.csv")
    out = wb("watch", drops, "--dataset", "sales", "--once").stdout
    assert out.splitlines() == [
        "b.csv: skipped; same bytes as sales@1 (taken before from a.csv)",
        "0 new versions from 2 drops (2 taken before)",
    ]
