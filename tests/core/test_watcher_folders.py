"""`wb watch` takes a partitioned drop (a folder of Parquet files, as Spark and polars write
them) as one version, once its writer is done: when `_SUCCESS` appears, or when nothing under
it has changed for a while; never half of it."""

from __future__ import annotations

import os
import shutil
import time

import polars as pl
import pytest

from tests.conftest import DROPS
from tests.core.test_watcher import DEADLINE_S, _await, watching
from workbench.core.data import datasets
from workbench.core.monitoring import alerts
from workbench.core.monitoring.watcher import FOLDER_SETTLE_S, SETTLE_S, Watcher

REGIONS = ("east", "north")


@pytest.fixture
def drops(tmp_path):
    folder = tmp_path / "drops"
    folder.mkdir()
    return folder


def _partition(folder, week: str, region: str) -> int:
    """Write one region's rows of a week as `region=R/part-0.parquet`; their count."""
    rows = pl.read_csv(DROPS / f"{week}.csv").filter(pl.col("region") == region).drop("region")
    (folder / f"region={region}").mkdir(parents=True, exist_ok=True)
    rows.write_parquet(folder / f"region={region}" / "part-0.parquet")
    return rows.height


def _long_ago(folder) -> None:
    """As if the folder had been written an hour ago (copied in from elsewhere)."""
    an_hour_ago = time.time() - 3600
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (an_hour_ago, an_hour_ago))


def test_a_folder_is_taken_whole_once_it_holds_success_though_its_writer_paused(ws, drops):
    seen = []
    watcher, thread = watching(ws, drops, seen)
    week = drops / "week_01"
    rows = _partition(week, "week_01", REGIONS[0])
    time.sleep(SETTLE_S * 2)  # the writer pausing between files: longer than a file settles in
    rows += _partition(week, "week_01", REGIONS[1])
    assert seen == []  # no _SUCCESS yet, and written to less than FOLDER_SETTLE_S ago
    (week / "_SUCCESS").touch()
    _await(lambda: len(seen) == 1, "the folder drop")
    watcher.stop()
    thread.join(timeout=DEADLINE_S)
    assert (seen[0].status, seen[0].version) == ("added", "sales@1")
    version = datasets.resolve(ws, "sales@1")
    assert (version.format, version.rows) == ("parquet_dir", rows)
    assert {f["path"] for f in version.profile["files"]} == {f"region={r}/part-0.parquet" for r in REGIONS}
    assert len(datasets.log(ws, "sales")) == 1


def test_once_takes_a_folder_written_long_ago_skips_its_copy_and_fails_a_folder_of_csv(ws, drops):
    for region in REGIONS:
        _partition(drops / "a_week_01", "week_01", region)
    shutil.copytree(drops / "a_week_01", drops / "b_copy")
    (drops / "c_csv").mkdir()
    shutil.copy(DROPS / "week_02.csv", drops / "c_csv" / "part-0.csv")
    for folder in drops.iterdir():
        _long_ago(folder)
    started = time.monotonic()
    outcomes = Watcher(ws, drops, "sales").run(once=True)
    assert time.monotonic() - started < FOLDER_SETTLE_S  # long still: no wait
    assert [(o.status, o.version) for o in outcomes] == [
        ("added", "sales@1"),
        ("skipped", None),
        ("failed", None),
    ]
    assert "same bytes" in outcomes[1].detail
    assert "c_csv holds part-0.csv, not a Parquet file" in outcomes[2].detail
    assert [a.kind for a in alerts.list_alerts(ws, open_only=True)] == ["bad_file"]
