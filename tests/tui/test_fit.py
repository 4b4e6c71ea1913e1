"""Screens that fit the terminal: runs compared with each value under its run at any width,
the title's counts and the footer's `? help` / `q quit` kept when room runs out, the footer's
keys following focus, table cells cut with an ellipsis (never a number), detail text with a
hanging indent, drift distributions with the current data's range, and messages in the
TUI's words."""

from __future__ import annotations

import polars as pl
import pytest
from textual.widgets import Static
from textual.widgets._footer import FooterKey
from textual.widgets._header import HeaderTitle

from tests.tui.conftest import NAMES, _settled
from workbench.core.data import datasets
from workbench.core.experiments import runs
from workbench.core.monitoring import drift
from workbench.core.storage.db import transaction
from workbench.tui import views
from workbench.tui.app import WbApp
from workbench.tui.area_screen import PagedTable

# What three_runs (conftest.py) shows for each run in the compare.
RMSE = {"alpha-run": "3.5", "beta-run": "1.5 *", "gamma-run": "2.5"}  # the best marked
LR = {"alpha-run": "0.1", "beta-run": "0.05", "gamma-run": "0.01"}


def _text(app, selector: str = "#text") -> str:
    return str(app.screen.query_one(selector, Static).render())


def _value(text: str, label: str, run: str) -> str:
    """What the compare shows for `run` on the row `label`, read as a person would: under the
    run's name when the runs are columns, on the run's line under the label when they are rows."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[:1] == [label])
    header = lines[0]
    if not header.startswith("compared:"):  # runs as columns: the value starts under the name
        start = header.index(run)
        return lines[at][start:].split("  ")[0].strip()
    below = lines[at + 1 : at + 1 + len(NAMES)]
    return next(line.split(maxsplit=1)[1].strip() for line in below if line.split()[0] == run)


async def _compare(app, pilot, marks: int) -> str:
    await pilot.press("2")
    await _settled(app, pilot)
    for i in range(marks):
        await pilot.press(*(("j",) if i else ()), "space")
    await pilot.press("c")
    await _settled(app, pilot)
    return _text(app)


@pytest.mark.parametrize("size, marks", [((60, 20), 2), ((60, 20), 3), ((80, 24), 3), ((200, 50), 3)])
async def test_compare_puts_each_value_under_its_run_and_nothing_wraps(three_runs, size, marks):
    app = WbApp(three_runs.root)
    async with app.run_test(size=size) as pilot:
        text = await _compare(app, pilot, marks)
        compared = NAMES[::-1][:marks]  # the newest first, as the table lists them
        for run in compared:
            assert _value(text, "rmse", run) == RMSE[run]
            assert _value(text, "lr", run) == LR[run]
        pane = app.screen.query_one("#text", Static)
        assert pane.size.height == len(text.splitlines())  # one screen line per line: no wrapping
        assert max(len(line) for line in text.splitlines()) <= size[0] - 4


async def test_learning_curves_use_a_wide_screen(three_runs):
    app = WbApp(three_runs.root)
    async with app.run_test(size=(200, 50)) as pilot:
        lines = (await _compare(app, pilot, 3)).splitlines()
    chart = lines[next(i for i, line in enumerate(lines) if "┌" in line) :]
    assert len(chart) >= 30  # the height left under the table (14 where there is none)
    assert max(len(line) for line in chart) >= 190  # and the width


@pytest.fixture
def paged_runs(three_runs, monkeypatch):
    monkeypatch.setattr(views, "PAGE", 2)  # three runs make two pages
    return three_runs


async def test_the_title_keeps_the_counts_when_room_runs_out(paged_runs):
    app = WbApp(paged_runs.root)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        await pilot.press("slash", *"params.lr > 0 and name != 'x'", "enter")
        await _settled(app, pilot)
        await pilot.press("s", "space")
        await _settled(app, pilot)
        title = app.screen.query_one(HeaderTitle)
        for width, says in ((60, ""), (80, "where params.lr")):
            await pilot.resize_terminal(width, 20)
            await _settled(app, pilot)
            shown = str(title.render())
            assert "1-2 of 3" in shown and "1 marked" in shown  # the counts, whatever the width
            assert says in shown and len(shown) <= title.size.width
        assert "…" in shown  # the filter gives way, cut


def _footer_keys(app) -> dict[str, FooterKey]:
    return {key.description: key for key in app.screen.query(FooterKey)}


async def test_the_footer_keeps_help_and_quit_at_60_columns(paged_runs):
    app = WbApp(paged_runs.root)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        keys = _footer_keys(app)
        others = [key for key in app.screen.query(FooterKey) if key.action not in ("help", "quit")]
        assert max(key.region.right for key in others) > keys["help"].region.x  # more keys than room
        for description in ("help", "quit"):
            region = keys[description].region
            assert region.width and region.right <= 60 and region.y == 19, description


async def test_the_footer_follows_focus(paged_runs):
    app = WbApp(paged_runs.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        assert {"mark", "filter", "help", "quit"} <= set(_footer_keys(app))
        await pilot.press("slash")  # the filter: its own keys, and none that would type
        await pilot.pause()
        assert set(_footer_keys(app)) == {"apply", "cancel"}
        await pilot.press("escape", "f")  # the find line: escape clears it; letters type
        await pilot.pause()
        await pilot.pause()
        keys = set(_footer_keys(app))
        assert "clear the search" in keys and not keys & {"mark", "filter", "help", "quit"}


LONG_NAME = "a-run-whose-name-goes-on-and-on-and-on-and-on"


@pytest.fixture
def long_names(ws, tmp_path):
    for i in range(3):
        run_id = runs.create(
            ws,
            experiment=None,
            kind="script",
            command=["train.py", *(f"--option-{n} value-{n}" for n in range(12))],
            cwd=tmp_path,
            name=f"{LONG_NAME}-{i}",
            capture_environment=False,
        )
        with transaction(ws.conn) as conn:
            runs.write_latest_metrics(conn, run_id, {"val_loss": (0, 123456.789 + i)})
            runs.finish(conn, run_id, "finished", store=ws.store)
    return ws


def _line(table: PagedTable, y: int) -> str:
    return table.render_line(y).text


async def test_cells_are_cut_with_an_ellipsis_and_numbers_never(long_names):
    app = WbApp(long_names.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        table = app.screen.query_one(PagedTable)
        row = _line(table, 1)  # under the header
        assert "a-run-whose-name-goes" in row and "…" in row and LONG_NAME not in row
        assert "123,457" in row or "1.235e+05" in row  # the number whole
        assert len(row.rstrip()) <= 80


MESSAGE = "the weekly drop of the north, sent on monday"


async def test_a_wide_screen_gives_long_text_the_room(ws):
    pl.DataFrame({"units": list(range(1200))}).write_csv(ws.root / "drop.csv")
    datasets.add(ws, ws.root / "drop.csv", "sales", MESSAGE)
    for width, whole in ((80, False), (200, True)):
        app = WbApp(ws.root)
        async with app.run_test(size=(width, 24)) as pilot:
            await _settled(app, pilot)
            row = _line(app.screen.query_one(PagedTable), 1)
            assert "1,200" in row and (MESSAGE in row) is whole, row
            assert whole or "the weekly…" in row


async def test_detail_text_wraps_with_a_hanging_indent(long_names):
    app = WbApp(long_names.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        lines = _text(app, "#detail").splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("command "))
        assert lines[at + 1].startswith("  ") and lines[at + 1][2] != " "  # it goes on, indented
        width = app.screen.query_one("#detail", Static).size.width
        assert max(len(line) for line in lines) <= width


@pytest.fixture
def shifted(ws):
    """A current drop whose values go past the reference's range (10 .. 20)."""
    for name, values in (("ref.csv", range(10, 21)), ("cur.csv", [*range(15, 21), 30, 31, 32])):
        pl.DataFrame({"x": [float(v) for v in values for _ in range(20)]}).write_csv(ws.root / name)
        datasets.add(ws, ws.root / name, "shift")
    drift.check(ws, "shift@1", "shift@2")
    return ws


async def test_drift_distributions_show_the_current_range_in_an_overflow_bin(shifted):
    app = WbApp(shifted.root)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("3")
        await _settled(app, pilot)
        while not (app.screen.selected() or "").startswith("report:"):
            await pilot.press("j")
        await pilot.press("enter")
        await _settled(app, pilot)
        detail = _text(app, "#detail")
        assert "current 15 .. 32, the reference's 10 .. 20; 60 above it in the overflow bin >20" in detail
        assert ">20" in detail.splitlines()[-1]  # the chart's last bin, labelled


async def test_messages_speak_tui(ws):
    app = WbApp(ws.root)
    said: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (said.append(message), notify(message, **kw))  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        assert _text(app, "#empty") == "No runs yet. Press n to train one."
        await pilot.press("slash", *"bogus > 1", "enter")
        await _settled(app, pilot)
        assert said and said[-1].startswith("the filter: unknown field 'bogus'")
        assert not any("--" in message for message in said)


async def test_a_dataset_diff_fits_60_columns(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(60, 20)) as pilot:
        await _settled(app, pilot)
        await pilot.press("space", "j", "space", "c")
        await _settled(app, pilot)
        lines = _text(app).splitlines()
        shifts = [line for line in lines[2:] if "->" in line]
        assert shifts and all(": " in line for line in shifts)  # "price mean: 8.2 -> 8.4  +0.2"
        assert max(len(line) for line in lines) <= 56


def test_the_drift_page_shows_the_current_range_too(shifted):
    from workbench.presenters.html_report import drift_page

    page = drift_page(drift.show(shifted, drift.list_reports(shifted, limit=1)[0].report_id))
    assert "60 above it in the overflow bin &gt;20" in page
