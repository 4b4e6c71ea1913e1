"""The runs table as daily ML work needs it (issue 16, §1-3): columns from the metrics and
params the runs logged, a column chooser kept per experiment, state shown by colour and
symbol, an empty result, h/l, the text search, a running run's live output, un-acknowledging.
Checked by what the user sees."""

from __future__ import annotations

import json
import os
import time

import pytest
from textual.widgets import Input, OptionList, Static

from tests.conftest import DROPS
from tests.tui.test_areas import _click_header, _column, _headers, _names, _press, _static, _table
from workbench.core.data import datasets
from workbench.core.experiments import runs
from workbench.core.monitoring import alerts
from workbench.core.storage.db import transaction
from workbench.tui import views
from workbench.tui.app import WbApp
from workbench.tui.modals import ColumnsScreen


def _run(ws, name: str, status: str, metrics: dict, params: dict, experiment: str = "ablation") -> str:
    run_id = runs.create(
        ws, experiment=experiment, kind="script", command=["train.py"], cwd=ws.root, name=name,
        capture_environment=False,
    )  # fmt: skip
    with transaction(ws.conn) as conn:
        runs.write_params(conn, run_id, params)
        runs.write_latest_metrics(conn, run_id, {k: (0, v) for k, v in metrics.items()})
        if status != "running":
            runs.finish(conn, run_id, status, store=ws.store)
    return run_id


@pytest.fixture
def logged(ws):
    """Runs that log their own names (no rmse anywhere): val_loss in all, m0 in most, a
    param lr; one failed, one killed."""
    for i in range(5):
        _run(ws, f"r{i}", "finished", {"val_loss": 1 - i / 10, **({"m0": i} if i else {})}, {"lr": 0.1 * i})
    _run(ws, "broke", "failed", {"val_loss": 9.0}, {"lr": 1})
    _run(ws, "stopped", "killed", {}, {})
    return ws


async def test_the_columns_are_the_metrics_and_params_the_runs_logged(logged):
    app = WbApp(logged.root)
    async with app.run_test(size=(200, 40)) as pilot:
        await _press(app, pilot, "2")
        headers = _headers(app)
        # The most common metric first, then the rest; start time and duration too.
        assert headers[1:6] == ["id", "name", "status", "val_loss", "m0"]
        assert {"lr", "started ▼", "duration"} <= set(headers)  # newest first: by start time
        assert _column(app, "metrics.val_loss")[:2] == ["", "9"]  # newest first: stopped, broke
        await _click_header(app, pilot, "metrics.val_loss")
        assert "val_loss ▲" in _headers(app)
        assert _names(app)[:3] == ["r4", "r3", "r2"]  # the lowest loss first
        assert _names(app)[-1] == "stopped"  # no value: last


async def test_a_narrow_table_keeps_what_fits_and_h_l_scroll_sideways(logged):
    app = WbApp(logged.root)
    async with app.run_test(size=(60, 24)) as pilot:
        await _press(app, pilot, "2")
        table = _table(app)
        assert _headers(app)[1:4] == ["id", "name", "status"] and "lr" not in _headers(app)
        width = sum(c.get_render_width(table) for c in table.ordered_columns)
        assert width <= table.size.width  # the default fits: nothing to scroll to yet
        await _press(app, pilot, "C")  # the chooser: add every column
        assert isinstance(app.screen, ColumnsScreen)
        options = app.screen.query_one(OptionList)
        for at in range(options.option_count):
            options.highlighted = at
            if str(options.get_option_at_index(at).prompt).startswith("[ ]"):
                await _press(app, pilot, "space")
        await _press(app, pilot, "enter")
        assert "lr" in _headers(app) and "experiment" in _headers(app)
        assert table.fixed_columns == 2  # the mark and the id stay in view
        await _press(app, pilot, "l", "l", "l")
        assert table.scroll_x > 0
        await _press(app, pilot, "h", "h", "h")
        assert table.scroll_x == 0


async def test_the_chosen_columns_are_kept_for_the_experiment(logged):
    app = WbApp(logged.root)
    async with app.run_test(size=(200, 40)) as pilot:
        await _press(app, pilot, "2")
        await _press(app, pilot, "C")
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts[:4] == ["[x] id", "[x] name", "[x] status", "[x] metrics.val_loss"]
        options.highlighted = 3
        await _press(app, pilot, "K", "K")  # val_loss moves up, before the name
        options.highlighted = prompts.index("[x] metrics.m0")
        await _press(app, pilot, "space", "enter")  # m0 hidden
        assert _headers(app)[1:5] == ["id", "val_loss", "name", "status"] and "m0" not in _headers(app)
    kept = json.loads((logged.root / ".wb" / "tui.json").read_text())
    assert kept["run_columns"]["ablation"][:3] == ["id", "metrics.val_loss", "name"]

    app = WbApp(logged.root)  # a new session: the same columns
    async with app.run_test(size=(200, 40)) as pilot:
        await _press(app, pilot, "2")
        assert _headers(app)[1:5] == ["id", "val_loss", "name", "status"] and "m0" not in _headers(app)
        await _press(app, pilot, "C", "escape")  # escape changes nothing
        assert "m0" not in _headers(app)
        await _press(app, pilot, "C", "d")  # d: the default again, forgotten in the file
        assert _headers(app)[1:6] == ["id", "name", "status", "val_loss", "m0"]
    assert "ablation" not in json.loads((logged.root / ".wb" / "tui.json").read_text())["run_columns"]


async def test_failed_runs_show_the_error_colour_and_a_symbol_the_empty_result_clears(logged):
    app = WbApp(logged.root)
    async with app.run_test(size=(200, 40)) as pilot:
        await _press(app, pilot, "2")
        table = _table(app)
        at = table.get_column_index("status")
        error = app.get_css_variables()["error"]
        cells = {_names(app)[r]: table.get_cell_at((r, at)) for r in range(table.row_count)}
        assert str(cells["broke"]) == "✗ failed" and str(cells["stopped"]) == "✗ killed"
        assert str(cells["r1"]) == "finished"  # no symbol, no colour
        assert cells["broke"].style == error and not cells["r1"].style
        await _press(app, pilot, "slash")
        app.screen.query_one(Input).insert_text_at_cursor("metrics.val_loss > 100")
        await _press(app, pilot, "enter")
        assert table.row_count == 0 and _static(app, "#detail") == ""
        empty = app.screen.query_one("#empty", Static)
        assert empty.display and str(empty.render()) == "No runs match."
        assert empty.region.y == table.region.bottom  # right under the header, where rows go
        assert not app.screen.query_one("#busy").display  # the filter's busy line is gone


async def test_f_narrows_the_rows_to_those_that_show_the_text(logged):
    app = WbApp(logged.root)
    async with app.run_test(size=(200, 40)) as pilot:
        await _press(app, pilot, "2")
        await _press(app, pilot, "f", *"kill")
        assert _names(app) == ["stopped"]  # its status shows "killed"
        assert "stopped" in _static(app, "#detail")
        assert "1 of the page show 'kill'" in app.screen.sub_title
        await _press(app, pilot, "enter", "j")  # back in the rows, still narrowed
        assert _names(app) == ["stopped"] and app.focused is _table(app)
        await _press(app, pilot, "f", *"zzz")  # the search's text is selected: typing replaces it
        assert _table(app).row_count == 0
        assert str(app.screen.query_one("#empty", Static).render()) == "No rows of this page show 'zzz'."
        await _press(app, pilot, "escape")  # cleared: every row again
        assert len(_names(app)) == 7 and app.screen.sub_title == ""


async def test_slash_finds_in_the_rows_of_an_area_without_a_filter(ws):
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    datasets.add(ws, DROPS / "week_02.csv", "returns")
    app = WbApp(ws.root)
    async with app.run_test(size=(200, 40)) as pilot:
        await _press(app, pilot, "1", "slash", *"returns")
        assert _table(app).row_count == 1
        assert "1 of the page show 'returns'" in app.screen.sub_title


async def test_a_running_runs_output_tails_live_in_its_detail(ws):
    run_id = _run(ws, "busy", "running", {}, {})
    with transaction(ws.conn) as conn:
        runs.mark_running(conn, run_id, os.getpid())  # alive: not reaped as lost
    log = ws.wb_dir / "runs" / run_id / "stdout.log"
    log.parent.mkdir(parents=True)
    log.write_text("epoch 1\n")
    app = WbApp(ws.root)
    async with app.run_test(size=(160, 40)) as pilot:
        await _press(app, pilot, "2")
        assert "epoch 1" in _static(app, "#detail")
        with log.open("a") as f:
            f.write("epoch 2\n")  # printed, not committed: the database does not change
        deadline = time.monotonic() + 10
        while "epoch 2" not in _static(app, "#detail") and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert "epoch 2" in _static(app, "#detail")


async def test_an_acknowledged_alert_can_be_opened_again(ws):
    with transaction(ws.conn) as conn:
        alert_id = alerts.raise_alert(conn, "drift", "sales@2 drifted", severity="warning")
    app = WbApp(ws.root)
    async with app.run_test(size=(160, 40)) as pilot:
        await _press(app, pilot, "3")
        assert _column(app, "")[0] == "! ALERT"
        await _press(app, pilot, "a")
        assert alerts.get(ws, alert_id).acked and _column(app, "")[0] == "acked"
        assert "u: open it again" in _static(app, "#detail")
        await _press(app, pilot, "u")
        assert not alerts.get(ws, alert_id).acked and _column(app, "")[0] == "! ALERT"
        assert [e.kind for e in views.events.recent(ws.conn, 2, 0)] == ["alert.unack", "alert.ack"]
