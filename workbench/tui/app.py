"""`wb` (or `wb ui`): one screen per area, number keys between them, live when data changes.

Every database read runs in a thread worker (views.py, each call with its own connection);
results come back to the UI thread through call_from_thread. A one-second poll of SQLite's
data_version tells the current screen to reload only when something was committed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from ..core.errors import WbError
from . import views

AREAS = ("datasets", "runs", "drift", "models", "activity")


class AreaScreen(Screen):
    """A table of things on the left, the selected one's detail on the right."""

    BINDINGS = [
        Binding("j", "cursor_down", "down", show=False, id="down"),
        Binding("k", "cursor_up", "up", show=False, id="up"),
        Binding("r", "reload", "reload", id="reload"),
    ]

    def __init__(self, title: str, load: Callable[..., views.Table],
                 detail: Callable[[Path, str], str]):
        super().__init__()
        self.area_title = title
        self.load = load
        self.detail = detail
        self.keys: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(cursor_type="row", zebra_stripes=True, id="table")
            yield Static("", id="detail", markup=False)
        yield Static("", id="empty", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"wb: {self.area_title}"
        self.reload()

    @property
    def root(self) -> Path:
        return self.app.root  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.reload()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def load_args(self) -> tuple:
        return ()

    @work(thread=True, exclusive=True, group="load")
    def reload(self) -> None:
        try:
            table = self.load(self.root, *self.load_args())
        except WbError as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, table)

    def _show(self, table: views.Table) -> None:
        if not self.is_mounted:
            return  # the app is quitting: nothing to draw on
        widget = self.query_one(DataTable)
        selected = self.keys[widget.cursor_row] if self.keys and widget.cursor_row < len(
            self.keys) else None
        widget.clear(columns=True)
        widget.add_columns(*table.columns)
        for row, key in zip(table.rows, table.keys, strict=True):
            # Text cells: data is shown as the characters it holds, never as markup.
            widget.add_row(*(Text(str(c)) for c in row), key=key)
        self.keys = table.keys
        self.query_one("#empty", Static).update("" if table.rows else table.empty)
        if selected in self.keys:
            widget.move_cursor(row=self.keys.index(selected))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.show_detail(event.row_key.value)

    @work(thread=True, exclusive=True, group="detail")
    def show_detail(self, key: str) -> None:
        try:
            text = self.detail(self.root, key)
        except WbError as exc:
            text = str(exc)
        self.app.call_from_thread(self._set_detail, text)

    def _set_detail(self, text: str) -> None:
        # On the UI thread, and tolerant of a screen already taken down (the app quitting).
        for pane in self.query("#detail").results(Static):
            pane.update(Text(text))


class RunsScreen(AreaScreen):
    BINDINGS = [Binding("slash", "filter", "filter (--where)", id="filter"),
                Binding("n", "launch", "new training run", id="launch"),
                Binding("space", "mark", "mark", id="mark"),
                Binding("c", "compare", "compare marked", id="compare")]

    def __init__(self) -> None:
        super().__init__("runs", views.runs_table, views.run_detail)
        self.where = ""
        self.marked: list[str] = []

    def action_mark(self) -> None:
        table = self.query_one(DataTable)
        if not self.keys or table.cursor_row >= len(self.keys):
            return
        run_id = self.keys[table.cursor_row]
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked.append(run_id)
        self.sub_title = f"{len(self.marked)} marked (c compares)" if self.marked else ""

    def action_launch(self) -> None:
        self.app.push_screen(LaunchScreen(), self._launch)

    def _launch(self, argv: list | None) -> None:
        if argv:
            self._start(argv)

    @work(thread=True, exclusive=True, group="write")
    def _start(self, argv: list) -> None:
        from ..core import launcher

        with views.opened(self.root) as ws:
            launcher.launch_training(ws, argv)
        self.app.call_from_thread(self.app.notify, "training started: its runs appear here "
                                                   "as it goes (a bad request shows nothing: "
                                                   "try the same with `wb train`)")

    def action_compare(self) -> None:
        if len(self.marked) < 2:
            self.app.notify("mark two or more runs with space first")
            return
        self.app.push_screen(CompareScreen(list(self.marked)))

    def load_args(self) -> tuple:
        return (self.where,)

    def action_filter(self) -> None:
        self.app.push_screen(FilterScreen(self.where), self._set_filter)

    def _set_filter(self, where: str | None) -> None:
        if where is not None:
            self.where = where.strip()
            self.sub_title = f"where {self.where}" if self.where else ""
            self.reload()


class LaunchScreen(ModalScreen[list]):
    """A training run from a form: `wb train` starts in the background and shows up live."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="cancel_launch")]
    FIELDS = (("data", "dataset version, e.g. sales@1"), ("target", "column to predict"),
              ("model", "lightgbm (default), random_forest, extra_trees, "
                        "hist_gradient_boosting, linear, baseline"),
              ("params", "KEY=VALUE ... (space-separated)"),
              ("sweep", "KEY=V1,V2 ... (space-separated)"))

    def compose(self) -> ComposeResult:
        with Vertical(id="launch"):
            yield Static("Train a model (enter in the last field starts it; escape cancels)",
                         markup=False)
            for name, hint in self.FIELDS:
                yield Input(placeholder=f"{name}: {hint}", id=f"launch_{name}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        values = {name: self.query_one(f"#launch_{name}", Input).value.strip()
                  for name, _ in self.FIELDS}
        if event.input.id != "launch_sweep":
            self.focus_next()
            return
        if not values["data"] or not values["target"]:
            self.app.notify("data and target are needed", severity="error")
            return
        argv = ["--data", values["data"], "--target", values["target"]]
        if values["model"]:
            argv += ["--model", values["model"]]
        argv += [a for p in values["params"].split() for a in ("--param", p)]
        argv += [a for p in values["sweep"].split() for a in ("--sweep", p)]
        self.dismiss(argv)

    def action_cancel(self) -> None:
        self.dismiss([])


class CompareScreen(Screen):
    """Marked runs side by side, with their learning curves."""

    BINDINGS = [Binding("escape", "app.pop_screen", "back", id="back")]

    def __init__(self, run_ids: list[str]):
        super().__init__()
        self.run_ids = run_ids

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("comparing...", id="comparison")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "wb: compare runs"
        self.load(self.size.width)

    @work(thread=True, exclusive=True, group="compare")
    def load(self, width: int) -> None:
        try:
            text = Text.from_ansi(views.compare_text(self.app.root, self.run_ids, width))
        except WbError as exc:
            text = Text(str(exc))
        self.app.call_from_thread(self._show, text)

    def _show(self, text: Text) -> None:
        for pane in self.query("#comparison").results(Static):
            pane.update(text)


class DriftScreen(AreaScreen):
    BINDINGS = [Binding("a", "ack", "acknowledge alert", id="ack")]

    def __init__(self) -> None:
        super().__init__("drift", views.drift_table, views.drift_detail)

    def action_ack(self) -> None:
        table = self.query_one(DataTable)
        if self.keys and table.cursor_row < len(self.keys):
            self._ack(self.keys[table.cursor_row])

    @work(thread=True, exclusive=True, group="write")
    def _ack(self, key: str) -> None:
        if views.ack_alert(self.root, key):
            self.app.call_from_thread(self.app.notify, "alert acknowledged")
            self.app.call_from_thread(self.reload)


class ModelsScreen(AreaScreen):
    BINDINGS = [Binding("p", "promote", "promote to production", id="promote"),
                Binding("b", "rollback", "roll production back", id="rollback")]

    def __init__(self) -> None:
        super().__init__("models", views.models_table, views.model_detail)

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        return self.keys[table.cursor_row] if self.keys and table.cursor_row < len(
            self.keys) else None

    def action_promote(self) -> None:
        if (ref := self.selected()) is not None:
            self._preview(ref)

    @work(thread=True, exclusive=True, group="write")
    def _preview(self, ref: str) -> None:
        """Gates first, in a modal; only a confirmed, passing promotion moves anything."""
        try:
            preview = views.promotion_preview(self.root, ref)
        except WbError as exc:
            self.app.call_from_thread(self.app.notify, str(exc), severity="error")
            return
        lines = [f"{g['name']}: {'passed' if g['passed'] else 'FAILED'}  {g['detail']}"
                 for g in preview["gates"]]
        if preview["already"]:
            question, allowed = f"{ref} is already production.", False
        elif preview["passed"]:
            question, allowed = f"Promote {ref} to production?", True
        else:
            question, allowed = (f"{ref} is refused: a gate failed. (`wb model promote --force "
                                 f"--reason` overrides, on the command line.)"), False
        self.app.call_from_thread(
            self.app.push_screen, ConfirmScreen(question, lines, allowed),
            lambda yes: yes and self._promote(ref))

    @work(thread=True, exclusive=True, group="write")
    def _promote(self, ref: str) -> None:
        try:
            moved = views.promote(self.root, ref)
        except WbError as exc:
            moved, message = False, str(exc)
        else:
            message = f"{ref} is now production" if moved else f"{ref} was refused"
        self.app.call_from_thread(self.app.notify, message,
                                  severity="information" if moved else "error")
        self.app.call_from_thread(self.reload)

    def action_rollback(self) -> None:
        if (ref := self.selected()) is not None:
            name = ref.partition("@")[0]
            self.app.push_screen(
                ConfirmScreen(f"Roll {name}@production back to the version before it?", [],
                              True), lambda yes: yes and self._rollback(ref))

    @work(thread=True, exclusive=True, group="write")
    def _rollback(self, ref: str) -> None:
        try:
            message, severity = views.rollback(self.root, ref), "information"
        except WbError as exc:
            message, severity = str(exc), "error"
        self.app.call_from_thread(self.app.notify, message, severity=severity)
        self.app.call_from_thread(self.reload)


class ConfirmScreen(ModalScreen[bool]):
    """A question with the facts behind it; y confirms (when allowed), n or escape cancels."""

    BINDINGS = [Binding("y", "answer(True)", "yes", id="confirm_yes"),
                Binding("n,escape", "answer(False)", "no", id="confirm_no")]

    def __init__(self, question: str, facts: list[str], allowed: bool):
        super().__init__()
        self.question, self.facts, self.allowed = question, facts, allowed

    def compose(self) -> ComposeResult:
        prompt = "y: yes   n: no" if self.allowed else "n or escape: close"
        yield Static("\n".join([self.question, "", *self.facts, "", prompt]), id="confirm",
                     markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes and self.allowed)


class FilterScreen(ModalScreen[str]):
    """The `--where` language of `wb runs list`; empty clears the filter."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="cancel")]

    def __init__(self, current: str):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        yield Input(value=self.current, id="where",
                    placeholder="params.lr > 0.05 and metrics.rmse < 4   (enter: apply)")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "close", id="close_help")]

    def compose(self) -> ComposeResult:
        lines = ["wb keys", "",
                 "1..5      datasets, runs, drift, models, activity",
                 "j / k     down / up (arrows too); the detail follows the cursor",
                 "/         filter runs with the --where language",
                 "space, c  mark runs, compare the marked ones (escape: back)",
                 "n         train a new model from a form (runs)",
                 "a         acknowledge the selected alert (drift)",
                 "p / b     promote the selected version to production / roll back (models);",
                 "          both confirm first, promote after showing every gate",
                 "r         reload",
                 "ctrl+p    command palette",
                 "?         this help        q  quit",
                 "",
                 "Remap any key in .wb/config.toml, [tui.keymap], by binding id:",
                 "area_datasets .. area_activity, filter, launch, mark, compare, ack,",
                 "promote, rollback, reload, help, quit"]
        yield Static("\n".join(lines), id="help", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class WbCommands(Provider):
    """The command palette's wb commands, named "noun: verb"."""

    def commands(self) -> list[tuple[str, Callable[[], None], str]]:
        app: WbApp = self.app  # type: ignore[assignment]
        found = [(f"{area}: show", partial(app.action_area, area), f"the {area} screen")
                 for area in AREAS]
        found += [("runs: filter", app.filter_runs, "filter runs with --where"),
                  ("runs: train new", app.launch_run, "a training run from a form"),
                  ("runs: compare marked", app.compare_runs, "mark runs with space first"),
                  ("drift: acknowledge alert", app.ack_alert, "on the drift screen"),
                  ("help: keys", app.action_help, "every key binding")]
        return found

    async def discover(self) -> Hits:
        for name, command, help_text in self.commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)


class WbApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "wb"
    COMMANDS = App.COMMANDS | {WbCommands}
    BINDINGS = [
        Binding("1", "area('datasets')", "datasets", id="area_datasets"),
        Binding("2", "area('runs')", "runs", id="area_runs"),
        Binding("3", "area('drift')", "drift", id="area_drift"),
        Binding("4", "area('models')", "models", id="area_models"),
        Binding("5", "area('activity')", "activity", id="area_activity"),
        Binding("question_mark", "help", "help", id="help"),
        Binding("q", "quit", "quit", id="quit"),
    ]

    def __init__(self, root: Path):
        super().__init__()
        self.root = root
        self.counter = None

    def on_mount(self) -> None:
        self.set_keymap(keymap(self.root))
        self.install_screen(AreaScreen("datasets", views.datasets_table, views.dataset_detail),
                            "datasets")
        self.install_screen(RunsScreen(), "runs")
        self.install_screen(DriftScreen(), "drift")
        self.install_screen(ModelsScreen(), "models")
        self.install_screen(AreaScreen("activity", views.activity_table,
                                       lambda root, key: ""), "activity")
        self.push_screen("datasets")
        self.set_interval(1.0, self.poll_changes)

    def action_area(self, name: str) -> None:
        if self.screen is not self.get_screen(name):
            self.switch_screen(name)
            self.get_screen(name).reload()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def filter_runs(self) -> None:
        self.action_area("runs")
        self.get_screen("runs").action_filter()

    def launch_run(self) -> None:
        self.action_area("runs")
        self.get_screen("runs").action_launch()

    def compare_runs(self) -> None:
        self.action_area("runs")
        self.get_screen("runs").action_compare()

    def ack_alert(self) -> None:
        self.action_area("drift")
        self.get_screen("drift").action_ack()

    @work(thread=True, exclusive=True, group="poll")
    def poll_changes(self) -> None:
        from ..core.status import ChangeCounter
        from ..core.workspace import Workspace

        if self.counter is None:
            self.counter = ChangeCounter(Workspace(self.root))
        if self.counter.changed():
            self.call_from_thread(self._reload_current)

    def _reload_current(self) -> None:
        if isinstance(self.screen, AreaScreen):
            self.screen.reload()


def keymap(root: Path) -> dict[str, str]:
    """`[tui.keymap]` of the workspace's config: binding id -> keys."""
    from ..core.workspace import Workspace

    table = Workspace(root).config.get("tui", {}).get("keymap", {})
    return {str(k): str(v) for k, v in table.items()}


def run(root: Path) -> None:
    WbApp(root).run()
