"""The keys a lazygit, k9s or vim user's hands already know (issue 16, §3), checked by what the
user sees: the cursor's row and page, the detail, the clipboard, the exported file, the run's
status."""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from tests.tui.conftest import _settled
from tests.tui.test_areas import _cursor_name, _filter, _press, _static, _table
from workbench.core.experiments import command_runs, runs
from workbench.core.experiments.local_executor import LocalExecutor
from workbench.core.monitoring import alerts, drift
from workbench.core.names import short_id
from workbench.core.storage.db import transaction
from workbench.tui.app import WbApp
from workbench.tui.area_screen import DetailPane
from workbench.tui.modals import ConfirmScreen, ExportScreen, ScrollPane


# -- g/G, home/end, ctrl+d/ctrl+u --------------------------------------------------------------
async def test_g_and_G_go_to_the_first_and_last_row_of_all_pages(many_runs):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _press(app, pilot, "2")
        await _press(app, pilot, "G")  # the last row of the last page, loaded
        assert app.screen.sub_title == "401-450 of 450 ([ ] pages)"
        assert _table(app).cursor_row == 49 and _cursor_name(app) == "run-0"
        assert "run-0" in _static(app, "#detail")
        await _press(app, pilot, "g")  # the first row of the first page
        assert app.screen.sub_title == "1-200 of 450 ([ ] pages)"
        assert _table(app).cursor_row == 0 and _cursor_name(app) == "run-449"
        assert "run-449" in _static(app, "#detail")
        await _press(app, pilot, "end")
        assert _cursor_name(app) == "run-0"
        await _press(app, pilot, "k", "k", "home")  # home: the first row of all, from any page
        assert app.screen.sub_title == "1-200 of 450 ([ ] pages)" and _cursor_name(app) == "run-449"


async def test_G_on_a_single_page_goes_to_its_last_row(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        await _press(app, pilot, "G")
        assert _table(app).cursor_row == 1 and _cursor_name(app, "version") == "sales@1"
        await _press(app, pilot, "g")
        assert _table(app).cursor_row == 0 and _cursor_name(app, "version") == "sales@2"


async def test_ctrl_d_and_ctrl_u_move_half_a_screen_and_on_across_pages(many_runs):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _press(app, pilot, "2")
        table = _table(app)
        half = (table.scrollable_content_region.height - table.header_height) // 2
        assert half > 3
        await _press(app, pilot, "ctrl+d")
        assert table.cursor_row == half
        await _press(app, pilot, "ctrl+d", "ctrl+u")
        assert table.cursor_row == half
        await _press(app, pilot, "ctrl+u", "ctrl+u")  # no further than the first row
        assert table.cursor_row == 0 and app.screen.sub_title.startswith("1-200 ")
        await _press(app, pilot, "ctrl+end", "ctrl+d")  # off the page's last row: the next page
        assert app.screen.sub_title.startswith("201-400 ") and _cursor_name(app) == "run-249"


# -- escape clears the filter -------------------------------------------------------------------
async def test_escape_clears_the_filter_and_the_detail_follows(many_runs):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _press(app, pilot, "2")
        await _filter(app, pilot, "name = 'nobody'", typed=False)
        assert _table(app).row_count == 0 and _static(app, "#empty") == "No runs match."
        assert _static(app, "#detail") == ""  # no detail of a run that is not listed
        await _press(app, pilot, "escape")
        assert app.screen.sub_title == "1-200 of 450 ([ ] pages)"
        assert _static(app, "#empty") == "" and _cursor_name(app) == "run-449"
        assert "run-449" in _static(app, "#detail")
        await _press(app, pilot, "escape")  # nothing to clear: nothing happens
        assert app.screen is app.get_screen("runs") and _cursor_name(app) == "run-449"


# -- y copies, ctrl+e exports -------------------------------------------------------------------
def _toasts(app) -> list[str]:
    return [str(t.render()) for t in app.screen.query("Toast")]


async def test_y_copies_the_selected_runs_whole_id_and_says_so(many_runs):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _press(app, pilot, "2", "j", "y")
        [run_id] = [r.id for r in runs.list_runs(many_runs, where="name = 'run-448'")]
        assert app.clipboard == run_id
        assert f"copied the run id {run_id}" in _toasts(app)


async def test_y_copies_a_model_versions_reference(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _press(app, pilot, "4", "y")
        assert app.clipboard == "demand@1"
        assert "copied the model version demand@1" in _toasts(app)


async def _export(app, pilot, path: Path) -> None:
    await _press(app, pilot, "ctrl+e")
    assert isinstance(app.screen, ExportScreen)
    app.screen.query_one(Input).value = str(path)
    await _press(app, pilot, "enter")


async def test_ctrl_e_exports_every_row_the_filter_selects_csv_or_json(many_runs, tmp_path):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _press(app, pilot, "2")
        await _filter(app, pilot, "params.i >= 200", typed=False)
        await _press(app, pilot, "ctrl+e")
        default = app.screen.query_one(Input).value
        assert re.fullmatch(r"wb-runs-\d{8}-\d{6}\.csv", default), default
        await _press(app, pilot, "escape")
        assert app.screen is app.get_screen("runs")
        await _export(app, pilot, tmp_path / "runs.csv")
        with (tmp_path / "runs.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
        # Both pages, not just the one shown, and the whole ids.
        assert [r["name"] for r in rows] == [f"run-{i}" for i in reversed(range(200, 450))]
        ids = {r.id for r in runs.list_runs(many_runs, where="params.i >= 200", limit=1000)}
        assert {r["id"] for r in rows} == ids
        assert rows[0]["status"] == "finished"
        assert f"exported 250 rows to {tmp_path / 'runs.csv'}" in _toasts(app)
        await _export(app, pilot, tmp_path / "runs.json")
        records = json.loads((tmp_path / "runs.json").read_text())
        assert len(records) == 250 and records[-1]["name"] == "run-200"


async def test_ctrl_e_asks_before_it_overwrites_a_file(filled, tmp_path):
    target = tmp_path / "versions.csv"
    target.write_text("mine\n")
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        await _export(app, pilot, target)
        assert isinstance(app.screen, ConfirmScreen)
        assert f"{target} exists. Overwrite it?" in _static(app, "#confirm")
        await _press(app, pilot, "n")
        assert target.read_text() == "mine\n"
        await _export(app, pilot, target)
        await _press(app, pilot, "y")
        assert target.read_text().splitlines()[0].startswith("version,rows,")
        assert [line.split(",")[0] for line in target.read_text().splitlines()[1:]] == ["sales@2", "sales@1"]


# -- x kills a running run ----------------------------------------------------------------------
@pytest.fixture
def sleeper(ws):
    """A run that `wb run --detach` started: its supervisor, then the program, running (and
    killed after the test, whatever it did)."""
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    run_id = command_runs.create_command_run(
        ws, command, experiment=None, data=[], name="sleeper", queued=True
    )
    LocalExecutor().detach(ws, run_id, command)
    deadline = time.monotonic() + 60
    while runs.get(ws, run_id).status != "running":
        assert time.monotonic() < deadline, "the detached run never started"
        time.sleep(0.05)  # polling a condition, with a deadline
    yield run_id
    if runs.get(ws, run_id).status == "running":
        command_runs.kill(ws, run_id)


async def test_x_kills_a_running_run_once_confirmed(ws, sleeper):
    run_id = sleeper
    app = WbApp(ws.root)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _press(app, pilot, "2")
        assert _cursor_name(app, "status") == "running"
        await _press(app, pilot, "x")
        assert isinstance(app.screen, ConfirmScreen)
        assert _static(app, "#confirm").startswith(f"Kill run sleeper ({short_id(run_id)})?")
        await _press(app, pilot, "n")  # not confirmed: it runs on
        assert runs.get(ws, run_id).status == "running"
        await _press(app, pilot, "x", "y")
        assert runs.get(ws, run_id).status == "killed"
        assert "killed run sleeper" in _toasts(app)
        assert _cursor_name(app, "status") == "✗ killed"


async def test_x_on_a_run_that_is_not_running_says_why_not(many_runs):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _press(app, pilot, "2", "x")
        assert app.screen is app.get_screen("runs")  # no question: nothing to kill
        assert "run run-449 is finished: only a running run can be killed" in _toasts(app)


# -- bursts of keys ---------------------------------------------------------------------------
async def _burst(app, pilot, key: str, times: int) -> None:
    """Keys as key repeat or ssh deliver them: all queued before the first is handled (Pilot's
    press waits after each)."""
    for _ in range(times):
        app.post_message(events.Key(key, key if len(key) == 1 else None))
    await _settled(app, pilot)


async def test_a_burst_of_j_scrolls_the_help_as_far_as_the_keys_say(ws):
    app = WbApp(ws.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await _press(app, pilot, "question_mark")
        pane = app.screen.query_one(ScrollPane)
        assert pane.max_scroll_y > 10
        await _burst(app, pilot, "j", 5)
        assert pane.scroll_y == 5
        await _burst(app, pilot, "k", 3)
        assert pane.scroll_y == 2
        await _burst(app, pilot, "ctrl+d", 2)
        assert pane.scroll_y == 2 + 2 * (pane.size.height // 2)


async def test_a_burst_of_j_scrolls_the_detail_pane_too(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(app, pilot)
        await _press(app, pilot, "tab")
        pane = app.screen.query_one(DetailPane)
        assert pane.max_scroll_y >= 4
        await _burst(app, pilot, "j", 4)
        assert pane.scroll_y == 4


# -- enter on an alert ----------------------------------------------------------------------------
async def test_enter_on_an_alert_opens_the_report_it_is_about(filled):
    report_id = drift.list_reports(filled)[0].report_id
    with transaction(filled.conn) as conn:
        about_report = alerts.raise_alert(conn, "drift", "dataset drift: price", subject=report_id)
        about_data = alerts.raise_alert(conn, "bad_file", "wb watch could not take x.csv", subject="sales")
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _press(app, pilot, "3")
        drift_screen = app.screen
        _table(app).move_cursor(row=drift_screen.keys.index(f"alert:{about_report}"))
        await _settled(app, pilot)
        assert "enter: the drift report it is about" in _static(app, "#detail")
        await _press(app, pilot, "enter")
        assert app.screen.title == f"wb: drift report {report_id[:12]}"
        await _press(app, pilot, "escape")
        assert app.screen is drift_screen
        _table(app).move_cursor(row=drift_screen.keys.index(f"alert:{about_data}"))
        await _press(app, pilot, "enter")  # about a dataset, not a report: stays
        assert app.screen is drift_screen
        assert "press a to acknowledge the alert" in _toasts(app)
