"""The areas' behaviour, driven headless with Pilot and checked by what a user sees: pages of
runs read from SQL, filtering and sorting, drilling in, marking and comparing, evaluating a
challenger, the watcher's note, help, the palette, log tails and the narrow layout."""

from __future__ import annotations

import sys

import pytest
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static

from tests.tui.conftest import RUNS, _settled
from workbench.core.experiments import command_runs, runs, tracking, training
from workbench.core.experiments.local_executor import LocalExecutor
from workbench.core.models import registry
from workbench.core.monitoring.watcher import Watcher
from workbench.core.storage.db import transaction
from workbench.tui import area_screen, areas, modals, train_form, views
from workbench.tui.app import WbApp
from workbench.tui.area_screen import DetailPane, PagedTable
from workbench.tui.modals import FilterScreen, HelpScreen, TextScreen


# -- helpers ----------------------------------------------------------------------------------
def _table(app) -> PagedTable:
    return app.screen.query_one(PagedTable)


def _column(app, name: str) -> list[str]:
    """What the table shows in one column (by its key), top to bottom."""
    table = _table(app)
    return [str(table.get_cell_at((row, table.get_column_index(name)))) for row in range(table.row_count)]


def _names(app) -> list[str]:
    return _column(app, "name")


def _headers(app) -> list[str]:
    return [str(c.label) for c in _table(app).ordered_columns]


def _sorted_header(app) -> list[str]:
    """The column headers that show a sort arrow."""
    return [h for h in _headers(app) if h.endswith((" ▲", " ▼"))]


def _static(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _cursor_name(app, column: str = "name") -> str:
    """What the cursor's row shows in a column."""
    return _column(app, column)[_table(app).cursor_row]


async def _press(app, pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await _settled(app, pilot)


async def _type(app, pilot, text: str) -> None:
    """Type text key by key, as a user does."""
    await pilot.press(*("space" if ch == " " else ch for ch in text))


async def _filter(app, pilot, where: str, typed: bool = True) -> None:
    """`/`, clear what the field holds, type the filter (or paste it: typing a key costs the
    test ~0.1 s), enter."""
    await _press(app, pilot, "slash")
    assert isinstance(app.screen, FilterScreen)
    await pilot.press("end", "ctrl+u")
    if typed:
        await _type(app, pilot, where)
    else:
        app.screen.query_one(Input).insert_text_at_cursor(where)
    await _press(app, pilot, "enter")


# -- fixtures ---------------------------------------------------------------------------------
# Made in this order (so newest first: charlie, echo, bravo, foxtrot, alpha, delta); echo and
# foxtrot log no rmse.
SCORED = (("delta", 4.0), ("alpha", 3.0), ("foxtrot", None), ("bravo", 1.0), ("echo", None), ("charlie", 2.0))
NEWEST_FIRST = ["charlie", "echo", "bravo", "foxtrot", "alpha", "delta"]


@pytest.fixture
def scored_runs(ws, tmp_path):
    """Six runs logged through the tracking API, four of them with an rmse."""
    for name, rmse in SCORED:
        run_id = runs.create(
            ws,
            experiment=None,
            kind="script",
            command=["train.py"],
            cwd=tmp_path,
            name=name,
            capture_environment=False,
        )
        run = tracking.Run(ws, run_id, owned=True)
        if rmse is not None:
            run.log_metric("rmse", rmse)
        run.end()
    return ws


# -- 1. paging from SQL -----------------------------------------------------------------------
async def test_runs_are_paged_from_sql_200_at_a_time(many_runs):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _press(app, pilot, "2")
        table = _table(app)
        assert table.row_count == views.PAGE == 200
        assert app.screen.sub_title == "1-200 of 450 ([ ] pages)"
        seen = _names(app)
        await _press(app, pilot, "right_square_bracket")
        assert app.screen.sub_title == "201-400 of 450 ([ ] pages)"
        assert table.row_count == 200 and table.cursor_row == 0
        seen += _names(app)
        await _press(app, pilot, "right_square_bracket")
        assert app.screen.sub_title == "401-450 of 450 ([ ] pages)"
        assert table.row_count == 50
        seen += _names(app)
        await _press(app, pilot, "right_square_bracket")  # nothing after the last page
        assert app.screen.sub_title == "401-450 of 450 ([ ] pages)"
        assert table.row_count == 50
        # Every run exactly once, newest first.
        assert seen == [f"run-{i}" for i in reversed(range(RUNS))]
        await _press(app, pilot, "left_square_bracket")
        assert app.screen.sub_title == "201-400 of 450 ([ ] pages)"
        assert table.row_count == 200
        await _press(app, pilot, "left_square_bracket")
        await _press(app, pilot, "left_square_bracket")  # nothing before the first page
        assert app.screen.sub_title == "1-200 of 450 ([ ] pages)"
        assert _names(app)[0] == "run-449"


async def test_the_cursor_walks_on_past_either_end_of_a_page(many_runs):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _press(app, pilot, "2")
        table = _table(app)
        await _press(app, pilot, "k")  # the first row of the first page: nowhere to go
        assert app.screen.sub_title == "1-200 of 450 ([ ] pages)" and table.cursor_row == 0
        await _press(app, pilot, "ctrl+end")  # the page's last row
        assert table.cursor_row == 199 and _cursor_name(app) == "run-250"
        for down, up in (("j", "k"), ("down", "up")):
            await _press(app, pilot, down)  # off the last row: the next page, on its first
            assert app.screen.sub_title == "201-400 of 450 ([ ] pages)"
            assert table.cursor_row == 0 and _cursor_name(app) == "run-249"
            assert "run-249" in _static(app, "#detail")  # the detail follows onto the page
            await _press(app, pilot, up)  # off the first row: the previous page, on its last
            assert app.screen.sub_title == "1-200 of 450 ([ ] pages)"
            assert table.cursor_row == 199 and _cursor_name(app) == "run-250"
            assert "run-250" in _static(app, "#detail")
        await _press(app, pilot, "right_square_bracket", "right_square_bracket", "ctrl+end")
        await _press(app, pilot, "j")  # the last row of all: stays
        assert app.screen.sub_title == "401-450 of 450 ([ ] pages)"
        assert table.cursor_row == 49 and _cursor_name(app) == "run-0"


# -- 2. filters -------------------------------------------------------------------------------
async def test_a_filter_starts_at_page_one_and_counts_what_it_matches(many_runs):
    app = WbApp(many_runs.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _press(app, pilot, "2")
        await _press(app, pilot, "right_square_bracket", "right_square_bracket")
        assert app.screen.sub_title == "401-450 of 450 ([ ] pages)"
        await _filter(app, pilot, "params.i >= 200")
        assert app.screen.sub_title == "where params.i >= 200   1-200 of 250 ([ ] pages)"
        assert _names(app)[0] == "run-449" and _table(app).row_count == 200
        await _press(app, pilot, "right_square_bracket")
        assert app.screen.sub_title == "where params.i >= 200   201-250 of 250 ([ ] pages)"
        assert _names(app)[-1] == "run-200" and _table(app).row_count == 50
        await _filter(app, pilot, "name = 'run-7'", typed=False)
        assert app.screen.sub_title == "where name = 'run-7'"
        assert _names(app) == ["run-7"]
        await _filter(app, pilot, "name = 'nobody'", typed=False)
        assert _table(app).row_count == 0
        assert _static(app, "#empty") == "No runs match."
        await _filter(app, pilot, "")  # empty: no filter
        assert app.screen.sub_title == "1-200 of 450 ([ ] pages)"
        assert _static(app, "#empty") == ""


# -- 3. sorting -------------------------------------------------------------------------------
async def test_o_flips_the_order_and_s_sorts_by_the_next_column(scored_runs):
    app = WbApp(scored_runs.root)
    async with app.run_test(size=(220, 40)) as pilot:
        await _press(app, pilot, "2")
        assert _sorted_header(app) == ["started ▼"] and _names(app) == NEWEST_FIRST
        await _press(app, pilot, "o")
        assert _sorted_header(app) == ["started ▲"]
        started = _column(app, "started")
        assert started == sorted(started) and set(_names(app)) == set(NEWEST_FIRST)
        await _press(app, pilot, "s")  # the next column: the duration
        assert _sorted_header(app) == ["duration ▲"]
        await _click_header(app, pilot, "name")
        assert _sorted_header(app) == ["name ▲"] and _names(app) == sorted(NEWEST_FIRST)
        await _press(app, pilot, "o")
        assert _sorted_header(app) == ["name ▼"]
        assert _names(app) == sorted(NEWEST_FIRST, reverse=True)
        following = _headers(app)[_headers(app).index("name ▼") + 1]
        await _press(app, pilot, "s")  # the next column to the right
        assert _sorted_header(app) == [following + " ▲"]


async def test_o_on_newest_first_shows_oldest_first_even_within_a_millisecond(ws, tmp_path, monkeypatch):
    """Runs started in the same millisecond (timestamps have no finer grain: a sweep's, or
    the 450 above, made in a fraction of a second) still flip."""
    monkeypatch.setattr(runs, "now_iso", lambda: "2026-03-02T09:00:00.000+00:00")
    for i in range(5):
        run_id = runs.create(
            ws,
            experiment=None,
            kind="script",
            command=["train.py"],
            cwd=tmp_path,
            name=f"run-{i}",
            capture_environment=False,
        )
        with transaction(ws.conn) as conn:
            runs.finish(conn, run_id, "finished", store=ws.store)
    app = WbApp(ws.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _press(app, pilot, "2")
        assert _names(app) == ["run-4", "run-3", "run-2", "run-1", "run-0"]  # newest first
        await _press(app, pilot, "o")
        assert _sorted_header(app) == ["started ▲"]
        assert _names(app) == ["run-0", "run-1", "run-2", "run-3", "run-4"]  # oldest first


async def test_s_cycles_through_every_sortable_column(scored_runs):
    app = WbApp(scored_runs.root)
    async with app.run_test(size=(220, 40)) as pilot:
        await _press(app, pilot, "2")
        assert "rmse" in _headers(app)
        visited = []
        for _ in range(10):
            await _press(app, pilot, "s")
            [header] = _sorted_header(app)  # one sorted column at a time
            visited.append(header[:-2])
        # Every column but the id sorts, the metric and the duration too.
        wanted = {"name", "experiment", "status", "model", "started", "duration", "rmse"}
        assert wanted <= set(visited), visited


async def _click_header(app, pilot, column: str) -> None:
    table = _table(app)
    x = 0
    for c in table.ordered_columns:
        if c.key.value == column:
            break
        x += c.get_render_width(table)
    await pilot.click(PagedTable, offset=(x + 1, 0))
    await _settled(app, pilot)


async def test_a_click_on_a_metric_header_sorts_by_it_runs_without_it_last(scored_runs):
    app = WbApp(scored_runs.root)
    async with app.run_test(size=(220, 40)) as pilot:
        await _press(app, pilot, "2")
        await _click_header(app, pilot, "metrics.rmse")
        assert _sorted_header(app) == ["rmse ▲"]
        assert _names(app) == ["bravo", "charlie", "alpha", "delta", "echo", "foxtrot"]
        assert _column(app, "metrics.rmse")[:4] == ["1", "2", "3", "4"]
        await _click_header(app, pilot, "metrics.rmse")  # again: the other way
        assert _sorted_header(app) == ["rmse ▼"]
        assert _names(app) == ["delta", "alpha", "charlie", "bravo", "echo", "foxtrot"]
        await _click_header(app, pilot, "id")  # the id column does not sort
        assert _sorted_header(app) == ["rmse ▼"]
        await _click_header(app, pilot, "name")
        assert _sorted_header(app) == ["name ▲"] and _names(app) == sorted(NEWEST_FIRST)


async def test_a_click_on_the_mark_columns_header_keeps_the_sort(scored_runs):
    app = WbApp(scored_runs.root)
    async with app.run_test(size=(220, 40)) as pilot:
        await _press(app, pilot, "2")
        await _click_header(app, pilot, "_mark")
        assert _sorted_header(app) == ["started ▼"] and _names(app) == NEWEST_FIRST
        await _press(app, pilot, "o")  # and o flips what is shown as sorted
        assert _sorted_header(app) == ["started ▲"] and _names(app) == NEWEST_FIRST[::-1]


# -- 4. enter drills in -----------------------------------------------------------------------
async def test_enter_opens_a_dataset_version_and_escape_comes_back_to_it(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        datasets_screen = app.screen
        await _press(app, pilot, "j")
        assert _table(app).cursor_row == 1
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, TextScreen)
        assert app.screen.title == "wb: sales@1"
        text = _static(app, "#text")
        assert text.startswith("sales@1") and "rows x" in text
        assert "units_sold" in text and "nulls" in text  # the profile, column by column
        await _press(app, pilot, "escape")
        assert app.screen is datasets_screen
        assert _table(app).cursor_row == 1 and _cursor_name(app, "version") == "sales@1"
        assert _static(app, "#detail").startswith("sales@1")


# -- 5. tab -----------------------------------------------------------------------------------
async def test_tab_moves_between_the_table_and_the_detail(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        assert isinstance(app.focused, PagedTable)
        await _press(app, pilot, "tab")
        assert isinstance(app.focused, DetailPane)
        await _press(app, pilot, "j")  # scrolls the detail; the table's cursor stays
        assert _table(app).cursor_row == 0
        await _press(app, pilot, "tab")
        assert isinstance(app.focused, PagedTable)
        await _press(app, pilot, "j")
        assert _table(app).cursor_row == 1


# -- 6. dataset diff --------------------------------------------------------------------------
async def test_two_marked_versions_open_their_diff(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settled(app, pilot)
        assert _column(app, "version") == ["sales@2", "sales@1"]
        await _press(app, pilot, "space")
        assert _column(app, "_mark") == ["*", ""]
        await _press(app, pilot, "j", "space")
        assert _column(app, "_mark") == ["*", "*"]
        assert "2 marked" in app.screen.sub_title
        await _press(app, pilot, "c")
        assert isinstance(app.screen, TextScreen)
        lines = _static(app, "#text").splitlines()
        assert lines[0] == "sales@1 -> sales@2"  # older first, as `wb data diff OLD NEW`
        assert lines[1].startswith("rows ") and "->" in lines[1]


async def test_one_marked_version_is_not_enough_to_compare(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _settled(app, pilot)
        datasets_screen = app.screen
        await _press(app, pilot, "space", "c")
        assert app.screen is datasets_screen
        toasts = [str(t.render()) for t in app.screen.query("Toast")]
        assert any("mark two rows with space first" in t for t in toasts), toasts


# -- 7. evaluate a challenger -----------------------------------------------------------------
async def test_evaluate_shows_the_challenger_beside_production(filled):
    run_id = training.train(filled, training.TrainSpec(data="sales@1", target="units_sold", model="baseline"))
    registry.register(filled, run_id, "demand")  # demand@2, a challenger to demand@1
    app = WbApp(filled.root)
    async with app.run_test(size=(140, 40)) as pilot:
        await _press(app, pilot, "4")
        assert _cursor_name(app, "version") == "demand@2"  # the newest version first
        await _press(app, pilot, "e")
        assert isinstance(app.screen, TextScreen)
        assert app.screen.title == "wb: evaluate demand@2"
        lines = _static(app, "#text").splitlines()
        header = next(line for line in lines if line.startswith("metric"))
        assert header.split()[1:] == ["demand@2", "demand@1"]
        rmse = next(line for line in lines if line.startswith("rmse "))
        values = [float(v) for v in rmse.split()[1:]]
        assert len(values) == 2 and values[0] != values[1]  # two models, two figures


# -- 8. the watcher's note --------------------------------------------------------------------
async def test_the_activity_note_says_whether_a_watcher_runs(ws, tmp_path):
    folder = tmp_path / "drops"
    folder.mkdir()
    app = WbApp(ws.root)
    async with app.run_test(size=(120, 30)) as pilot:
        await _press(app, pilot, "5")
        assert _static(app, "#note").startswith("No watcher running")
        watcher = Watcher(ws, folder, "sales")
        watcher._register()  # what `wb watch` does first: it is seen running
        try:
            await _press(app, pilot, "r")
            note = _static(app, "#note")
            assert note.startswith(f"watching {folder.resolve()} for sales"), note
        finally:
            watcher._unregister()
        await _press(app, pilot, "r")
        assert _static(app, "#note").startswith("No watcher running")


# -- 9. help ----------------------------------------------------------------------------------
def _binding_ids(*classes) -> list[str]:
    return [b.id for cls in classes for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


AREA_CLASSES = (
    WbApp,
    area_screen.AreaScreen,
    area_screen.PagedTable,
    area_screen.DetailPane,
    area_screen.ComparingScreen,
    areas.DatasetsScreen,
    areas.RunsScreen,
    areas.DriftScreen,
    areas.ReportScreen,
    areas.ModelsScreen,
    areas.ActivityScreen,
)
MODAL_CLASSES = (
    modals.ConfirmScreen,
    modals.FilterScreen,
    train_form.LaunchScreen,
    modals.HelpScreen,
    modals.TextScreen,
)


async def _help_text(app, pilot) -> str:
    await _press(app, pilot, "question_mark")
    assert isinstance(app.screen, HelpScreen)
    return _static(app, "#help Static")


async def test_help_lists_every_binding_of_every_area(filled):
    ids = _binding_ids(*AREA_CLASSES)
    assert len(ids) > 20 and None not in ids
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 60)) as pilot:
        await _settled(app, pilot)
        text = await _help_text(app, pilot)
        missing = [i for i in ids if f"id {i}" not in text]
        assert not missing, missing


async def test_help_lists_the_bindings_of_the_screens_over_the_areas(filled):
    ids = _binding_ids(*MODAL_CLASSES)
    assert None not in ids
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 60)) as pilot:
        await _settled(app, pilot)
        text = await _help_text(app, pilot)
        missing = [i for i in ids if f"id {i}" not in text]
        assert not missing, missing  # keys remappable by id, but these ids are nowhere shown


async def test_help_shows_remapped_keys(filled):
    text = filled.config_path.read_text().replace('# area_runs = "w"', 'area_runs = "x"\nsort = "t"')
    filled.config_path.write_text(text)
    app = WbApp(filled.root)
    async with app.run_test(size=(120, 60)) as pilot:
        await _settled(app, pilot)
        lines = (await _help_text(app, pilot)).splitlines()
        keys = {line.split()[-1]: line.split()[0] for line in lines if " id " in line}
        assert keys["area_runs"] == "x" and keys["sort"] == "t"
        assert keys["area_models"] == "4"  # the others as they were
        await _press(app, pilot, "escape", "x")
        assert app.screen is app.get_screen("runs")
        await _press(app, pilot, "t")
        assert _sorted_header(app) == ["name ▲"]


# -- 10. the command palette ------------------------------------------------------------------
async def _palette(app, pilot, query: str, wanted: str) -> OptionList:
    """ctrl+p, the query typed, and its hits awaited (the palette searches in the background)
    until `wanted` is among them; the best of them is highlighted."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await _type(app, pilot, query)
    options = app.screen.query_one(OptionList)
    for _ in range(100):
        if wanted in [_command(options, i) for i in range(options.option_count)]:
            break
        await pilot.pause(0.05)
    return options


def _command(options: OptionList, index: int) -> str:
    """An option's command: its prompt's first line (the second is its help)."""
    return str(options.get_option_at_index(index).prompt).splitlines()[0]


async def test_the_palette_offers_promote_and_opens_the_runs_filter(filled):
    app = WbApp(filled.root)
    async with app.run_test(size=(220, 40)) as pilot:
        await _settled(app, pilot)
        options = await _palette(app, pilot, "promote", "models: promote")
        assert "models: promote" in [_command(options, i) for i in range(options.option_count)]
        await _press(app, pilot, "escape")
        assert app.screen is app.get_screen("datasets")
        options = await _palette(app, pilot, "runs: filter", "runs: filter")
        assert _command(options, options.highlighted) == "runs: filter"
        await _press(app, pilot, "enter")
        assert isinstance(app.screen, FilterScreen)
        assert app.screen_stack[-2] is app.get_screen("runs")
        app.screen.query_one(Input).insert_text_at_cursor("model = linear")
        await _press(app, pilot, "enter")
        assert app.screen is app.get_screen("runs")
        assert app.screen.sub_title == "where model = linear"
        assert _column(app, "model") == ["linear"]


# -- 11. a run's output -----------------------------------------------------------------------
async def test_a_runs_detail_shows_the_last_lines_of_its_output(ws):
    command = [sys.executable, "-c", "for i in range(1, 16): print(f'line {i:02}')"]
    run_id = command_runs.create_command_run(ws, command, experiment=None, data=[])
    outcome = LocalExecutor().execute(ws, run_id, command)  # what `wb run` does
    assert outcome.status == "finished"
    app = WbApp(ws.root)
    async with app.run_test(size=(140, 50)) as pilot:
        await _press(app, pilot, "2")
        lines = _static(app, "#detail").splitlines()
        at = lines.index("stdout (last lines):")
        assert lines[at + 1 : at + 11] == [f"  line {i:02}" for i in range(6, 16)]
        assert "  line 05" not in lines


# -- 12. layout -------------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "beside"), [((80, 24), False), ((160, 50), True)])
async def test_the_detail_goes_under_the_table_when_narrow_beside_it_when_wide(filled, size, beside):
    app = WbApp(filled.root)
    async with app.run_test(size=size) as pilot:
        await _settled(app, pilot)
        table = _table(app).region
        pane = app.screen.query_one(DetailPane).region
        assert table.width > 0 and table.height > 0 and pane.width > 0 and pane.height > 0
        if beside:
            assert pane.y == table.y and pane.x >= table.right
        else:
            assert pane.y >= table.bottom and pane.x == table.x
