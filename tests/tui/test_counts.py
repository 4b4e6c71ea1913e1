"""A filter over many runs: its rows first with an estimated count, the exact count when the
background count is done; a sort with the filter on keeps the count it has."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Input

from tests.tui.conftest import _settled
from workbench.core.experiments import runs
from workbench.tui import views
from workbench.tui.app import WbApp
from workbench.tui.area_screen import PagedTable

WHERE = "params.i >= 200"  # 250 of the 450 runs


@pytest.fixture
def counts(monkeypatch):
    """Over 100 runs a filter is estimated (450 runs act as 100,000 do); every exact count is
    noted, and held until `release` is set."""
    monkeypatch.setattr(runs, "EXACT_UP_TO", 100)
    calls: list[str] = []
    release = threading.Event()
    count = views.runs_count

    def held(root, where):  # type: ignore[no-untyped-def]
        calls.append(where)
        release.wait(30)
        return count(root, where)

    monkeypatch.setattr(views, "runs_count", held)
    return calls, release


async def _until(pilot, condition) -> None:  # type: ignore[no-untyped-def]
    """Pause until the condition holds (bounded): the count's worker is held, so the app
    never settles meanwhile."""
    for _ in range(500):
        if condition():
            return
        await pilot.pause()
    raise AssertionError("the condition never held")


async def _apply(app, pilot, where: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    await _until(pilot, lambda: bool(app.screen.query(Input)))
    app.screen.query_one(Input).insert_text_at_cursor(where)
    await pilot.press("enter")


async def test_a_filters_rows_come_first_then_its_count(many_runs, counts):
    calls, release = counts
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        await _apply(app, pilot, WHERE)
        await _until(pilot, lambda: app.screen.sub_title.startswith(f"where {WHERE}"))
        # The page is there while the count is still held: the estimate says so with a ~.
        assert app.screen.sub_title == f"where {WHERE}   1-200 of ~250 ([ ] pages)"
        assert app.screen.query_one(PagedTable).row_count == 200 and calls == [WHERE]
        release.set()
        await _settled(app, pilot)
        assert app.screen.sub_title == f"where {WHERE}   1-200 of 250 ([ ] pages)"


async def test_paging_and_sorting_with_a_filter_on_keep_its_count(many_runs, counts):
    calls, release = counts
    release.set()
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        await _apply(app, pilot, WHERE)
        await _settled(app, pilot)
        for key in ("right_square_bracket", "s", "o"):
            await pilot.press(key)
            await _settled(app, pilot)
            assert app.screen.sub_title.endswith("of 250 ([ ] pages)"), key
        assert "sorted by" in app.screen.sub_title
        assert calls == [WHERE]  # counted once, when the filter came


async def test_a_key_pressed_while_a_sort_loads_is_not_dropped(many_runs, monkeypatch):
    gate = threading.Event()
    gate.set()
    load = views.runs_table

    def gated(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(30)
        return load(*args, **kwargs)

    monkeypatch.setattr(views, "runs_table", gated)
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        busy = app.screen.query_one("#busy")
        gate.clear()  # the sort's page is held back: it takes a while
        await pilot.press("s")
        await _until(pilot, lambda: busy.display)  # the table says that it loads
        await pilot.press("o")  # meanwhile: the other order
        gate.set()
        await _settled(app, pilot)
        assert app.screen.sub_title.startswith("sorted by ") and " descending" in app.screen.sub_title
        assert not busy.display
