"""What the TUI looks like, as SVG screenshots compared with the committed ones in snapshots/:
a small terminal (80x24) and a wide one (200x50). A change that alters the picture fails here;
look at the `.actual.svg` written next to the snapshot (any browser shows it) and, if the new
picture is right, accept it with `WB_SNAPSHOT_UPDATE=1 python -m pytest tests/tui/test_snapshots.py`.

Times are pinned (the screens show when things were added) so the pictures are stable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import DROPS
from workbench.core.data import datasets
from workbench.tui import views
from workbench.tui.app import WbApp

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture(autouse=True)
def _pinned_times(monkeypatch):
    monkeypatch.setattr(views, "short_time", lambda iso: "2026-03-02 09:00:00" if iso else "")


@pytest.fixture
def two_versions(ws):
    datasets.add(ws, DROPS / "reference.csv", "sales", "reference period")
    datasets.add(ws, DROPS / "week_05.csv", "sales", "week 5")
    return ws


async def _screenshot(root: Path, size: tuple[int, int], keys: tuple[str, ...] = ()) -> str:
    app = WbApp(root)
    async with app.run_test(size=size) as pilot:
        for key in ("", *keys):
            if key:
                await pilot.press(key)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
        return app.export_screenshot()


def _matches(name: str, svg: str) -> None:
    expected = SNAPSHOTS / f"{name}.svg"
    actual = SNAPSHOTS / f"{name}.actual.svg"
    if os.environ.get("WB_SNAPSHOT_UPDATE") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        expected.write_text(svg, encoding="utf-8")
        actual.unlink(missing_ok=True)
        return
    assert expected.exists(), f"no snapshot {expected.name}; make it with WB_SNAPSHOT_UPDATE=1"
    if expected.read_text(encoding="utf-8") != svg:
        actual.write_text(svg, encoding="utf-8")
        pytest.fail(f"the screen differs from {expected.name}: see {actual}")
    actual.unlink(missing_ok=True)


async def test_snapshot_empty_workspace_80x24(ws):
    _matches("empty_80x24", await _screenshot(ws.root, (80, 24)))


async def test_snapshot_datasets_80x24(two_versions):
    _matches("datasets_80x24", await _screenshot(two_versions.root, (80, 24)))


async def test_snapshot_datasets_200x50(two_versions):
    _matches("datasets_200x50", await _screenshot(two_versions.root, (200, 50)))


async def test_snapshot_help_80x24(ws):
    _matches("help_80x24", await _screenshot(ws.root, (80, 24), ("question_mark",)))


async def test_snapshot_compare_of_three_runs_80x24(three_runs):
    _matches(
        "compare_80x24",
        await _screenshot(three_runs.root, (80, 24), ("2", "space", "j", "space", "j", "space", "c")),
    )
