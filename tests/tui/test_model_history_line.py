"""The TUI's models area shows the selected model's performance over time (`wb model history`)
as a sparkline per version, in a small terminal too."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.tui.conftest import _settled
from workbench.core.monitoring import drift
from workbench.presenters import models as model_words
from workbench.tui.app import WbApp


async def _detail_of(filled, ref: str) -> str:
    """The models area's detail with `ref` selected, at 80x24."""
    app = WbApp(filled.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await _settled(app, pilot)
        app.screen.query_one(DataTable).move_cursor(row=app.screen.keys.index(ref))
        await _settled(app, pilot)
        return str(app.screen.query_one("#detail", Static).render())


async def test_the_models_detail_shows_the_line_at_80x24(filled):
    drift.check(filled, "sales@1", "sales@2", model="demand@production", target="units_sold")
    detail = await _detail_of(filled, "demand@1")
    assert "rmse per drop, sales@2 .. sales@2" in detail
    spark = next(line.strip() for line in detail.splitlines() if line.strip().startswith("@1 "))
    assert spark[3] in model_words.SPARKS and "on sales@2" in spark


async def test_a_model_no_check_scored_shows_no_line(filled):
    detail = await _detail_of(filled, "demand@1")
    assert "demand@1" in detail and "per drop" not in detail
