"""The TUI's models area shows a rollout in progress: its arms marked where versions are
listed, the selected model's detail saying what `wb rollout status` says (the same words and
figures), and `o` opening it full width, at 80x24 with nothing wrapped into nonsense."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey
from typer.testing import CliRunner

from tests.conftest import DROPS
from tests.tui.conftest import _settled
from workbench.cli.main import app as cli
from workbench.core.data import datasets
from workbench.core.experiments import training
from workbench.core.models import prediction, registry, rollout_outcomes, rollouts
from workbench.core.storage.workspace import Workspace
from workbench.presenters import rollouts as rollout_words
from workbench.tui import views
from workbench.tui.app import WbApp
from workbench.tui.modals import TextScreen


@pytest.fixture(scope="module")
def rolling(tmp_path_factory):
    """demand@1 (linear) in production, demand@2 (baseline) on stores S03 and S06 in rollout
    `spring`, week 1 scored by the arms and its outcomes joined: enough of them for a verdict
    (the baseline is worse: roll back) and its alert. The tests only look at it."""
    root = tmp_path_factory.mktemp("rolling")
    made, _ = Workspace.init(root / "ws")
    made.config_path.write_text("[rollout]\nmin_labelled = 100\n")
    made.close()
    ws = Workspace.find(root / "ws")  # with that config
    datasets.add(ws, DROPS / "week_01.csv", "sales")
    for model in ("linear", "baseline"):
        spec = training.TrainSpec(data="sales@1", target="units_sold", model=model)
        registry.register(ws, training.train(ws, spec), "demand")
    registry.promote(ws, "demand@1", "production")
    rollouts.start(ws, "demand@2", "store_id", segments=["S03", "S06"], name="spring")
    prediction.predict(ws, "rollout:spring", DROPS / "week_01.csv", root / "scored.parquet")
    rollout_outcomes.add_outcomes(ws, "spring", "sales@1", "units_sold")
    yield ws
    ws.close()


def _flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces (the TUI wraps to its pane,
    the CLI to its terminal)."""
    return " ".join(text.split())


async def _models(app, pilot, ref: str | None = None) -> None:
    await pilot.press("4")
    await _settled(app, pilot)
    if ref is not None:
        app.screen.query_one(DataTable).move_cursor(row=app.screen.keys.index(ref))
        await _settled(app, pilot)


def _arms(app) -> dict[str, str]:
    """Each version's cell in the rollout column."""
    table = app.screen.query_one(DataTable)
    at = table.get_column_index("rollout")
    return {key: str(table.get_row_at(i)[at]) for i, key in enumerate(app.screen.keys)}


def _footer(app) -> list[str]:
    return [key.description for key in app.screen.query(FooterKey)]


async def test_the_arms_are_marked_and_the_detail_says_what_rollout_status_says(rolling, monkeypatch):
    status = rollout_outcomes.status(rolling, "spring")
    monkeypatch.chdir(rolling.root)
    printed = _flat(CliRunner().invoke(cli, ["rollout", "status", "spring"]).stdout)
    app = WbApp(rolling.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await _models(app, pilot, "demand@1")
        assert _arms(app) == {"demand@2": "⇄ challenger", "demand@1": "⇄ champion"}
        assert "rollout" in _footer(app)
        detail = str(app.screen.query_one("#detail", Static).render())
    section = detail[detail.index(rollout_words.MARK) :].split("\n\n")[0].splitlines()
    assert all(len(line) <= 76 for line in section)  # the pane's room at 80 columns: no wrapping
    said = [
        rollout_words.heading(status.rollout),
        rollout_words.verdict(status).text,
        rollout_words.difference(status),
    ]
    for text in said:
        assert text in _flat(detail) and text in printed, text
    assert "since" in said[0] and "S03, S06" in said[0] and "(lower is better)" in said[2]
    for row in rollout_words.arm_rows(status):  # each arm's cells, on one line of the pane
        assert any(all(cell in line for cell in row) for line in section), row


async def test_o_opens_the_rollout_full_width_and_escape_goes_back(rolling):
    status = rollout_outcomes.status(rolling, "spring")
    app = WbApp(rolling.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await _models(app, pilot)
        await pilot.press("o")
        await _settled(app, pilot)
        assert isinstance(app.screen, TextScreen) and app.screen.title == "wb: rollout spring"
        shown = str(app.screen.query_one("#text", Static).render())
        await pilot.press("escape")
        await _settled(app, pilot)
        assert app.screen is app.get_screen("models")
    assert all(len(line) <= 76 for line in shown.splitlines())
    assert (
        "champion served store_id S01, S02, S04" in shown and "challenger served store_id S03, S06" in shown
    )
    assert rollout_words.policy(rolling.config.rollout) in _flat(shown)
    assert rollout_words.next_step(status) in _flat(shown)
    assert "scored week_01.csv: 2,240 by champion, 560 by challenger" in _flat(shown)  # its log
    assert "outcomes of sales@1: 2,240 champion and 560 challenger rows" in _flat(shown)


async def test_without_a_rollout_the_table_and_footer_are_as_before(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await _models(app, pilot)
        headers = [str(c.label) for c in app.screen.query_one(DataTable).ordered_columns]
        assert "rollout" not in headers and "rollout" not in _footer(app)
        assert "rollout" not in str(app.screen.query_one("#detail", Static).render())
        assert any(line.split()[:2] == ["o", "rollout"] for line in app.help_lines())


def test_a_runs_detail_names_the_arm_its_version_serves(rolling):
    run_id = registry.resolve(rolling, "demand@2").run_id
    assert "registered as demand@2 (⇄ challenger of rollout spring)" in views.run_detail(rolling.root, run_id)


def test_a_narrow_pane_leaves_out_columns_but_keeps_the_arm_and_its_metric(rolling):
    """The detail beside the table on a wide screen (41 cells at 110 columns)."""
    detail = views.model_detail(rolling.root, "demand@2", 41)
    section = detail[detail.index(rollout_words.MARK) :].split("\n\n")[0].splitlines()
    assert all(len(line) <= 41 for line in section)
    challenger = next(line for line in section if line.strip().startswith("challenger"))
    assert "rmse" in challenger and "demand@2" not in challenger  # the version column gave way


async def test_enter_on_the_rollouts_alert_opens_the_rollout(rolling):
    app = WbApp(rolling.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await _settled(app, pilot)
        assert app.screen.selected().startswith("alert:")  # open alerts first
        assert "enter: rollout spring" in str(app.screen.query_one("#detail", Static).render())
        await pilot.press("enter")
        await _settled(app, pilot)
        assert isinstance(app.screen, TextScreen) and app.screen.title == "wb: rollout spring"
        assert "verdict: rollback" in str(app.screen.query_one("#text", Static).render())


async def test_promoting_by_hand_says_the_rollout_goes_on(rolling):
    app = WbApp(rolling.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await _models(app, pilot, "demand@2")
        await pilot.press("p")
        await _settled(app, pilot)
        asked = _flat(str(app.screen.query_one("#confirm", Static).render()))
        await pilot.press("n")  # nothing moves
    assert "a promotion here leaves it running; `wb rollout stop spring --promote`" in asked
    assert registry.resolve(rolling, "demand@production").version == 1
