"""The drop watcher, driven through real files in a temporary folder."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from tests.conftest import DROPS
from workbench.core.data import datasets
from workbench.core.errors import InvalidInput
from workbench.core.monitoring import alerts
from workbench.core.monitoring.watcher import Watcher

DEADLINE_S = 20


def _await(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def watching(ws, drops, seen: list) -> tuple[Watcher, threading.Thread]:
    """A live watcher of `drops` on its own thread, once it holds the folder; its outcomes go
    to `seen`."""
    watcher = Watcher(ws, drops, "sales", on_outcome=seen.append)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    _await(
        lambda: ws.conn.execute("SELECT COUNT(*) FROM watchers WHERE stopped_at IS NULL").fetchone()[0] == 1,
        "the watcher to start",
    )
    return watcher, thread


@pytest.fixture
def drops(tmp_path):
    folder = tmp_path / "drops"
    folder.mkdir()
    return folder


def test_once_takes_what_is_there_in_order_and_nothing_twice(ws, drops):
    shutil.copy(DROPS / "reference.csv", drops / "a_reference.csv")
    shutil.copy(DROPS / "week_05.csv", drops / "b_week_05.csv")
    (drops / ".hidden.csv").write_text("x\n1\n")
    (drops / "partial.csv.part").write_text("x\n1\n")
    outcomes = Watcher(ws, drops, "sales").run(once=True)
    assert [(o.status, o.version) for o in outcomes] == [("added", "sales@1"), ("added", "sales@2")]
    assert outcomes[1].dataset_drift is True  # week 5 moved from the reference
    again = Watcher(ws, drops, "sales").run(once=True)
    assert [o.status for o in again] == ["skipped", "skipped"]
    assert [v.version for v in datasets.log(ws, "sales")] == [1, 2]


def test_a_bad_file_raises_an_alert_and_the_rest_still_goes_in(ws, drops):
    (drops / "a_bad.csv").write_bytes(b"\x00\x01garbage")
    shutil.copy(DROPS / "week_01.csv", drops / "b_good.csv")
    outcomes = Watcher(ws, drops, "sales").run(once=True)
    assert [o.status for o in outcomes] == ["failed", "added"]
    open_alerts = alerts.list_alerts(ws, open_only=True)
    assert [a.kind for a in open_alerts] == ["bad_file"]
    assert "a_bad.csv" in open_alerts[0].message
    again = Watcher(ws, drops, "sales").run(once=True)  # not retried, and it says so
    assert [o.status for o in again] == ["skipped", "skipped"]
    assert again[0].detail.startswith("refused before, with the same bytes")
    assert again[1].detail == "these bytes were taken before"


def test_live_drops_are_taken_once_complete_and_stop_is_clean(ws, drops):
    seen = []
    watcher, thread = watching(ws, drops, seen)

    # Renamed into place: complete at once.
    tmp = drops / ".incoming.tmp"
    shutil.copy(DROPS / "reference.csv", tmp)
    os.replace(tmp, drops / "week_00.csv")
    _await(lambda: len(seen) == 1, "the first drop")

    # Written in two parts: taken only once it has held still, whole.
    data = (DROPS / "week_01.csv").read_bytes()
    with open(drops / "week_01.csv", "wb") as f:
        f.write(data[: len(data) // 2])
        f.flush()
        time.sleep(0.2)  # the writer pausing mid-file, as a slow copy does
        f.write(data[len(data) // 2 :])
    _await(lambda: len(seen) == 2, "the second drop")
    assert [o.version for o in seen] == ["sales@1", "sales@2"]
    assert datasets.resolve(ws, "sales@2").rows == 2800

    watcher.stop()
    thread.join(timeout=DEADLINE_S)
    assert not thread.is_alive()
    assert ws.conn.execute("SELECT COUNT(*) FROM watchers WHERE stopped_at IS NULL").fetchone()[0] == 0


def test_bad_arguments_are_refused_up_front(ws, drops, tmp_path):
    with pytest.raises(InvalidInput, match="not a folder"):
        Watcher(ws, tmp_path / "nowhere", "sales")
    with pytest.raises(InvalidInput, match="not allowed"):
        Watcher(ws, drops, "bad name")
