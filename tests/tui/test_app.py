"""The TUI, driven headless with Pilot: every screen opens and shows the workspace's data."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Static

from tests.conftest import DROPS
from tests.tui.conftest import _cells, _settled
from workbench.core import events
from workbench.core.data import contracts, datasets, validation
from workbench.core.experiments import training
from workbench.core.models import registry
from workbench.tui.app import WbApp


async def test_every_screen_shows_its_area(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        assert "sales@2" in _cells(app) and "sales@1" in _cells(app)
        for key, expected in (("2", "finished"), ("3", "DRIFT"), ("4", "production"), ("5", "model.promote")):
            await pilot.press(key)
            await _settled(app, pilot)
            assert any(expected in cell for cell in _cells(app)), (key, _cells(app))


async def test_the_detail_follows_the_cursor(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        await pilot.press("j")
        await _settled(app, pilot)
        detail = str(app.screen.query_one("#detail", Static).render())
        assert "sales@1" in detail and "units_sold" in detail


async def test_runs_filter_with_the_where_language(filled):
    training.train(filled, training.TrainSpec(data="sales@1", target="units_sold", model="baseline"))
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        assert app.screen.query_one(DataTable).row_count == 2
        await pilot.press("slash")
        await pilot.pause()
        for ch in "model = baseline":
            await pilot.press("space" if ch == " " else ch)
        await pilot.press("enter")
        await _settled(app, pilot)
        assert app.screen.query_one(DataTable).row_count == 1


async def test_an_empty_workspace_says_what_to_do(ws):
    app = WbApp(ws.root)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(app, pilot)
        assert "wb data add" in str(app.screen.query_one("#empty", Static).render())


async def test_text_from_data_is_shown_literally(ws, tmp_path):
    path = tmp_path / "markup.csv"
    path.write_text("a\n1\n")
    datasets.add(ws, path, "m", message="[bold red]x[/]")
    app = WbApp(ws.root)
    async with app.run_test(size=(120, 30)) as pilot:
        await _settled(app, pilot)
        assert "[bold red]x[/]" in _cells(app)


async def test_live_refresh_when_the_database_changes(ws):
    app = WbApp(ws.root)
    async with app.run_test(size=(120, 30)) as pilot:
        await _settled(app, pilot)
        assert app.screen.query_one(DataTable).row_count == 0
        datasets.add(ws, DROPS / "week_01.csv", "sales")  # another connection commits
        for _ in range(100):  # the 1 s poll sees data_version move; await it, bounded
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
            if app.screen.query_one(DataTable).row_count == 1:
                break
        assert app.screen.query_one(DataTable).row_count == 1


async def test_the_command_palette_switches_areas(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        for ch in "models: show":
            await pilot.press("space" if ch == " " else ch)
        options = app.screen.query_one(OptionList)
        for _ in range(100):  # the palette searches in the background: await its first hit
            if options.option_count:
                break
            await pilot.pause(0.05)
        await pilot.press("enter")
        await _settled(app, pilot)
        assert app.screen is app.get_screen("models")
        assert any("production" in cell for cell in _cells(app))


async def _models_screen_on(app, pilot, ref):
    await pilot.press("4")
    await _settled(app, pilot)
    screen = app.screen
    screen.query_one(DataTable).move_cursor(row=screen.keys.index(ref))
    await _settled(app, pilot)


async def test_promote_shows_the_gates_and_moves_only_when_confirmed(filled):
    run_id = training.train(filled, training.TrainSpec(data="sales@1", target="units_sold", model="linear"))
    registry.register(filled, run_id, "demand")  # demand@2: the same recipe, as good as @1
    app = WbApp(filled.root)
    async with app.run_test(size=(140, 40)) as pilot:
        await _models_screen_on(app, pilot, "demand@2")
        await pilot.press("p")
        await _settled(app, pilot)
        text = str(app.screen.query_one("#confirm", Static).render())
        assert "artifact_hash: passed" in text and "performance" in text
        await pilot.press("n")  # cancel: nothing moves
        await _settled(app, pilot)
        assert registry.resolve(filled, "demand@production").version == 1
        await pilot.press("p")
        await _settled(app, pilot)
        await pilot.press("y")
        await _settled(app, pilot)
        assert registry.resolve(filled, "demand@production").version == 2
        await pilot.press("b")  # roll back, confirmed
        await _settled(app, pilot)
        await pilot.press("y")
        await _settled(app, pilot)
        assert registry.resolve(filled, "demand@production").version == 1


async def test_a_refused_promotion_cannot_be_confirmed(filled):
    run_id = training.train(
        filled,
        training.TrainSpec(
            data="sales@1",
            target="units_sold",
            model="baseline",
            params={"strategy": "constant", "constant": 1000.0},
        ),
    )
    registry.register(filled, run_id, "demand")  # demand@2: predicts 1000 units every time
    app = WbApp(filled.root)
    async with app.run_test(size=(140, 40)) as pilot:
        await _models_screen_on(app, pilot, "demand@2")
        await pilot.press("p")
        await _settled(app, pilot)
        assert "refused" in str(app.screen.query_one("#confirm", Static).render())
        await pilot.press("y")  # not offered: nothing moves
        await _settled(app, pilot)
        assert registry.resolve(filled, "demand@production").version == 1


async def test_marked_runs_compare_with_params_metrics_and_curves(filled):
    training.train(
        filled,
        training.TrainSpec(data="sales@1", target="units_sold", params={"n_estimators": 30, "num_leaves": 7}),
    )
    training.train(
        filled,
        training.TrainSpec(
            data="sales@1", target="units_sold", params={"n_estimators": 30, "num_leaves": 15}
        ),
    )
    app = WbApp(filled.root)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        await pilot.press("space", "j", "space", "c")  # the two newest: the LightGBM runs
        await _settled(app, pilot)
        text = str(app.screen.query_one("#text", Static).render())
        assert "num_leaves" in text and "*" in text
        assert "val_mse" in text  # LightGBM's learning curve, drawn
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.get_screen("runs")


async def test_a_drift_report_opens_on_its_features_with_both_distributions(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("3")
        await _settled(app, pilot)
        screen = app.screen
        row = next(i for i, key in enumerate(screen.keys) if key.startswith("report:"))
        screen.query_one(DataTable).move_cursor(row=row)
        await _settled(app, pilot)
        await pilot.press("enter")
        await _settled(app, pilot)
        report = app.screen
        assert report is not screen and report.title.startswith("wb: drift report")
        scores = [
            float(str(report.query_one(DataTable).get_row_at(i)[3]))
            for i in range(report.query_one(DataTable).row_count)
        ]
        assert scores == sorted(scores, reverse=True)  # the most shifted feature first
        category = next(i for i, key in enumerate(report.keys) if key.endswith(":category"))
        report.query_one(DataTable).move_cursor(row=category)
        await _settled(app, pilot)
        detail = str(report.query_one("#detail", Static).render())
        assert "reference" in detail and "current" in detail  # two charts, side by side
        assert "\x1b" not in detail  # plotext's colours drawn, not shown as escape codes
        assert (
            max(len(line) for line in detail.splitlines())
            <= report.query_one("#detail_pane").scrollable_content_region.width
        )  # no chart row wraps
        assert "electronics" in detail and "->" in detail  # the new category's share moved
        await pilot.press("escape")
        await _settled(app, pilot)
        assert app.screen is screen


async def test_keys_are_remapped_from_the_config(filled):
    text = filled.config_path.read_text().replace('# area_runs = "w"', 'area_runs = "x"')
    filled.config_path.write_text(text)
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        await pilot.press("x")
        await _settled(app, pilot)
        assert app.screen is app.get_screen("runs")


async def test_a_runs_detail_names_its_data_and_the_model_versions_made_from_it(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        detail = str(app.screen.query_one("#detail", Static).render())
        assert "inputs sales@1" in detail and "registered as demand@1" in detail


async def test_the_activity_log_shows_new_events_on_top_while_you_watch(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("5")
        await _settled(app, pilot)
        datasets.add(filled, DROPS / "week_02.csv", "sales")  # elsewhere, as `wb data add`
        await pilot.press("r")
        await _settled(app, pilot)
        table = app.screen.query_one(DataTable)
        assert table.cursor_row == 0 and "dataset.add" in [str(c) for c in table.get_row_at(0)]
        assert "sales@3" in str(app.screen.query_one("#detail", Static).render())


async def test_enter_on_a_version_that_breaks_its_contract_lists_how(filled):
    contracts.set_contract(
        filled, "sales", validation.infer(filled, datasets.resolve(filled, "sales@1")), "a test"
    )
    datasets.add(filled, DROPS / "week_06.csv", "sales")  # electronics: not an allowed value
    before = len(events.recent(filled.conn, 1000))
    app = WbApp(filled.root)
    async with app.run_test(size=(140, 40)) as pilot:
        await _settled(app, pilot)
        detail = str(app.screen.query_one("#detail", Static).render())
        assert "breaks the contract of sales (enter lists how)" in detail
        await pilot.press("enter")
        await _settled(app, pilot)
        text = str(app.screen.query_one("#text", Static).render())
        assert "category" in text and "electronics" in text
    assert len(events.recent(filled.conn, 1000)) == before  # looking records nothing in the audit log


async def test_the_datasets_list_says_what_was_never_checked_and_shows_aliases(filled):
    """As `wb data log` does: "not checked" rather than a blank, and the version's aliases."""
    datasets.tag(filled, "sales@1", "reference")
    contracts.set_contract(
        filled, "sales", validation.infer(filled, datasets.resolve(filled, "sales@1")), "a test"
    )
    datasets.add(filled, DROPS / "week_06.csv", "sales")  # checked on add: breaks it
    app = WbApp(filled.root)
    async with app.run_test(size=(140, 40)) as pilot:
        await _settled(app, pilot)
        table = app.screen.query_one(DataTable)
        rows = {
            str(table.get_row_at(i)[1]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)
        }
        assert "✗ NO" in rows["sales@3"]  # the symbol reads without the error colour too
        assert "not checked" in rows["sales@1"] and "reference" in rows["sales@1"]


async def test_a_bug_in_a_worker_is_a_notification_not_a_crash(filled, monkeypatch):
    from workbench.tui import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "runs_table", broken)
    app = WbApp(filled.root)
    said: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (said.append(message), notify(message, **kw))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await _settled(app, pilot)
        await pilot.press("1")  # the app goes on: another area still works
        await _settled(app, pilot)
        assert app.is_running and "sales@1" in _cells(app)
    assert any("RuntimeError: a bug" in message for message in said)
