"""The training form (`n` on the runs) and what the TUI keeps between sessions: the form starts
filled in, refuses what `wb train` would refuse under the field it is about, asks before it
trains the same again; q asks while a training launched here runs; theme and sort persist."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static
from typer.testing import CliRunner

from tests.tui.conftest import _settled
from workbench.cli.main import app as cli
from workbench.tui.app import QuitQuestion, WbApp
from workbench.tui.modals import ConfirmScreen
from workbench.tui.train_form import LaunchScreen

SIZE = (80, 24)


async def _open_form(app, pilot) -> LaunchScreen:
    await pilot.press("2")
    await _settled(app, pilot)
    await pilot.press("n")
    await _settled(app, pilot)
    assert isinstance(app.screen, LaunchScreen)
    return app.screen


def _value(app, name: str) -> str:
    return app.screen.query_one(f"#launch_{name}", Input).value


def _error(app, name: str) -> str:
    shown = app.screen.query_one(f"#launch_{name}_error", Static)
    return str(shown.render()) if shown.display else ""


async def _enter(app, pilot, name: str, text: str) -> None:
    """Type `text` into the field `name` in place of what it held, and press enter."""
    field = app.screen.query_one(f"#launch_{name}", Input)
    field.focus()
    field.value = ""
    await pilot.press(*text, "enter")
    await _settled(app, pilot)


def _trainings(app) -> dict:
    return app.get_screen("runs").trainings


async def test_the_form_opens_on_the_newest_version_its_target_and_lightgbm(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=SIZE) as pilot:
        await _open_form(app, pilot)
        assert _value(app, "data") == "sales@2"
        assert _value(app, "target") == "units_sold"
        assert _value(app, "model") == "lightgbm"
        assert _value(app, "experiment") == "default"  # where the dataset's last training went


async def test_an_unknown_dataset_is_refused_by_its_field_in_wb_trains_words(filled, monkeypatch):
    monkeypatch.chdir(filled.root)
    printed = CliRunner().invoke(cli, ["train", "--data", "nope@1", "--target", "units_sold"]).output
    app = WbApp(filled.root)
    async with app.run_test(size=SIZE) as pilot:
        await _open_form(app, pilot)
        await _enter(app, pilot, "data", "nope@1")
        said = _error(app, "data")
        assert "no dataset named 'nope'" in said and said in printed
        assert isinstance(app.screen, LaunchScreen) and app.screen.query_one("#launch_data").has_focus
        assert not _trainings(app)  # nothing launched
        await pilot.press("x")  # an edit clears the error: it was about the old value
        assert _error(app, "data") == ""


async def test_a_bad_target_model_or_number_is_refused_by_its_own_field(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=SIZE) as pilot:
        await _open_form(app, pilot)
        await _enter(app, pilot, "target", "nosuch")
        assert "has no column 'nosuch'" in _error(app, "target")
        app.screen.query_one("#launch_target", Input).value = "units_sold"
        await _enter(app, pilot, "params", "num_leaves=-3")
        assert "num_leaves must be a whole number" in _error(app, "params")
        assert _error(app, "target") == ""
        app.screen.query_one("#launch_params", Input).value = ""
        await _enter(app, pilot, "model", "xgb")
        assert "unknown model 'xgb'" in _error(app, "model")
        assert not _trainings(app) and isinstance(app.screen, LaunchScreen)


async def test_a_launched_run_appears_live_and_the_same_again_is_asked_first(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(200, 40)) as pilot:  # wide enough for the model column
        await _open_form(app, pilot)
        table = app.get_screen("runs").query_one(DataTable)
        before = table.row_count
        app.screen.query_one("#launch_model", Input).value = "baseline"  # the fastest trainer
        await pilot.press("enter")  # not _settled: that would await the training's end

        def finished_baseline() -> bool:
            rows = [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]
            return any("baseline" in row and "finished" in row for row in rows)

        running = []  # what q would name while it runs
        for _ in range(600):  # a background `wb train`: await its finished run (30 s at most)
            await pilot.pause(0.05)
            running += _trainings(app).values()
            if finished_baseline() and not _trainings(app):
                break
        assert finished_baseline() and table.row_count == before + 1
        assert "units_sold from sales@2 with baseline, experiment default" in running
        await pilot.press("n")
        await _settled(app, pilot)
        assert _value(app, "model") == "baseline"  # the last launch's values, to change
        await pilot.press("enter")  # unchanged
        await _settled(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Train it again?" in str(app.screen.query_one("#confirm", Static).render())
        await pilot.press("n")
        await _settled(app, pilot)
        assert isinstance(app.screen, LaunchScreen) and not _trainings(app)


async def test_quitting_while_a_training_launched_here_runs_asks(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=SIZE) as pilot:
        await _settled(app, pilot)
        _trainings(app)[1] = "units_sold from sales@1 with lightgbm"  # as a launch records it
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitQuestion)
        text = str(app.screen.query_one("#confirm", Static).render())
        assert "1 training launched from here still runs" in text and "sales@1" in text
        await pilot.press("q")  # not asked twice
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is app.get_screen("datasets")
        await pilot.press("q", "y")
        await pilot.pause()
    assert app.return_code == 0


async def test_the_theme_and_the_sort_are_kept_for_the_next_session(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        app.theme = "nord"  # as the command palette's theme picker sets it
        await pilot.press("s")
        await _settled(app, pilot)
        sort = app.screen.sort
        assert sort
    again = WbApp(filled.root)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await _settled(again, pilot)
        assert again.theme == "nord"
        assert again.screen.sort == sort and f"sorted by {sort.lstrip('-')}" in again.screen.sub_title
