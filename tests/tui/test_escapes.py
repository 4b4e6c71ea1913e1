"""The TUI shows hostile text from data as visible escapes: every area's table and detail, a
drift report's features with their charts, and runs compared side by side (the last two are
ANSI text from plotext, where a raw ESC in the data would be taken for colours)."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.e2e.test_escapes import (
    COLUMN,
    FILE,
    HOSTILE,
    MESSAGE,
    PARAM,
    PARAM_VALUE,
    REASON,
    RUN_NAMES,
    SHOWN,
    TAG,
    TAG_VALUE,
    VALUE,
    _drop,
    _no_control,
)
from tests.tui.conftest import _cells, _settled
from workbench.core.data import datasets
from workbench.core.experiments import tracking, training
from workbench.core.models import registry
from workbench.core.monitoring import drift
from workbench.core.storage.workspace import Workspace
from workbench.tui.app import WbApp


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    ws, _ = Workspace.init(tmp_path_factory.mktemp("hostile") / "ws")
    _drop(ws.root / FILE, [VALUE, "plain"], 0)
    _drop(ws.root / "later.csv", [f"new{HOSTILE}", "other"], 100)
    datasets.add(ws, ws.root / FILE, "hostile", MESSAGE)
    datasets.add(ws, ws.root / "later.csv", "hostile", MESSAGE)
    run_id = training.train(ws, training.TrainSpec(data="hostile@1", target="units", model="baseline"))
    for i, name in enumerate(RUN_NAMES):  # after the training: the newest, shown first
        with tracking.start_run(
            name=name, params={PARAM: PARAM_VALUE + str(i)}, tags={TAG: TAG_VALUE}, workspace=ws.root
        ) as run:
            for step in range(3):
                run.log_metric(f"metric{HOSTILE}", step * (i + 1), step=step)
    registry.register(ws, run_id, "demand")
    registry.promote(ws, "demand@1", "staging", reason=REASON)
    drift.check(ws, "hostile@1", "hostile@2")
    yield ws
    ws.close()


async def _down_to(app, pilot, wanted) -> None:
    """j until the selected row's key is `wanted`."""
    for _ in range(20):
        if wanted(app.screen.selected()):
            return
        await pilot.press("j")
        await _settled(app, pilot)
    raise AssertionError(f"no such row; the last was {app.screen.selected()}")


async def _to_report(app, pilot) -> None:
    """From the drift area, down to the report (the open alerts come first), in, and down to
    the hostile column (the most shifted come first)."""
    await pilot.press("3")
    await _settled(app, pilot)
    await _down_to(app, pilot, lambda key: key.startswith("report:"))
    await pilot.press("enter")
    await _settled(app, pilot)
    await _down_to(app, pilot, lambda key: key.endswith(COLUMN))


def _pressing(*keys: str):
    async def press(app, pilot) -> None:
        await pilot.press(*keys)
        await _settled(app, pilot)

    return press


# (area, how to get there, what its table shows, what the pane beside or in it shows)
VIEWS = [
    ("datasets", _pressing(), rf"msg{SHOWN}\nsecond line\tend", [f"col{SHOWN}", f"new{SHOWN}"]),
    ("runs", _pressing("2"), f"run1{SHOWN}\\x00nul", [f"param{SHOWN}", f"metric{SHOWN}"]),
    ("drift", _pressing("3"), r"col\x1b[2J", [f"col{SHOWN}"]),
    ("drift report", _to_report, f"col{SHOWN}", [f"col{SHOWN}", r"new\x1b[2J\x1b]0;pwned"]),
    ("models", _pressing("4"), "demand@1", [f"reason{SHOWN}"]),
    ("activity", _pressing("5"), r"drop\x1b\x07\u202e\x08.csv", [f"col{SHOWN}"]),
]


@pytest.mark.parametrize("area, go, in_table, in_detail", VIEWS, ids=[v[0] for v in VIEWS])
async def test_tables_and_details_show_escapes(hostile, area, go, in_table, in_detail):
    app = WbApp(hostile.root)
    async with app.run_test(size=(160, 50)) as pilot:
        await _settled(app, pilot)
        await go(app, pilot)
        cells = _cells(app)
        detail = str(app.screen.query_one("#detail", Static).render())
        for shown in [*cells, detail]:
            _no_control(shown)
        assert any(in_table in cell for cell in cells), (in_table, cells)
        for text in in_detail:
            assert text in detail, (text, detail)


async def test_runs_compared_show_escapes(hostile):
    app = WbApp(hostile.root)
    # Wide enough for the names whole (narrower cuts them with an ellipsis).
    async with app.run_test(size=(240, 50)) as pilot:
        await _settled(app, pilot)
        await pilot.press("2", "space", "j", "space", "c")
        await _settled(app, pilot)
        text = str(app.screen.query_one("#text", Static).render())
        _no_control(text)
        for shown in (f"run0{SHOWN}", f"run1{SHOWN}", f"param{SHOWN}", f"metric{SHOWN}"):
            assert shown in text, (shown, text)
