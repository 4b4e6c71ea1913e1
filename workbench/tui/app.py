"""`wb` (or `wb ui`): one screen per area, number keys between them, live when data changes.

The areas are in areas.py, the screens over them in modals.py. A one-second poll of SQLite's
data_version tells the current screen to reload only when something was committed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..core.names import plural
from . import prefs
from .area_screen import AreaScreen, ComparingScreen, PagedTable, SearchBar
from .areas import (
    ActivityScreen,
    DatasetsScreen,
    DriftScreen,
    ModelsScreen,
    ReportScreen,
    RunsScreen,
)
from .modals import (
    ColumnsScreen,
    ConfirmScreen,
    ExportScreen,
    FilterScreen,
    HelpScreen,
    ScrollPane,
    TextScreen,
)
from .train_form import LaunchScreen
from .workers import ReportsWorkerErrors, background

AREAS = ("datasets", "runs", "drift", "models", "activity")
AREA_KEYS = Binding.Group("areas")  # the Footer shows "1 2 3 4 5 areas"


# Where each set of bindings works, for the help screen (the screens' own come first).
SCOPES: tuple[tuple[str, type], ...] = (
    ("every area", AreaScreen),
    ("tables", PagedTable),
    ("the detail pane (tab) and text", ScrollPane),
    ("datasets, runs", ComparingScreen),
    ("runs", RunsScreen),
    ("drift", DriftScreen),
    ("drift report", ReportScreen),
    ("models", ModelsScreen),
    ("full-width text", TextScreen),
    ("questions", ConfirmScreen),
    ("the runs filter", FilterScreen),
    ("the runs' column chooser", ColumnsScreen),
    ("the find line (f)", SearchBar),
    ("the export's file name", ExportScreen),
    ("the training form", LaunchScreen),
    ("this help", HelpScreen),
)
GENERAL = [
    "enter      open the row (a report: its features; an alert: its report or rollout)",
    "tab        between the table and the detail pane",
    "arrows     move too; the detail follows the cursor",
    'ctrl+p     command palette ("noun: verb")',
]


class WbCommands(Provider):
    """The command palette: every area's bindings as "noun: verb" commands."""

    def commands(self) -> list[tuple[str, Callable[[], None], str]]:
        app: WbApp = self.app  # type: ignore[assignment]
        found = [(f"{area}: show", partial(app.action_area, area), f"the {area} screen") for area in AREAS]
        for area in AREAS:
            for binding in app.get_screen(area).BINDINGS:
                if isinstance(binding, Binding) and binding.action not in ("reload",):
                    found.append(
                        (
                            f"{area}: {binding.description}",
                            partial(app.run_in_area, area, binding.action),
                            f"key {app.key_of(binding)} on the {area} screen",
                        )
                    )
        found.append(("help: keys", app.action_help, "every key binding"))
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


class WbApp(ReportsWorkerErrors, App):
    CSS_PATH = "app.tcss"
    TITLE = "wb"
    COMMANDS = App.COMMANDS | {WbCommands}
    BINDINGS = [
        *(
            Binding(str(n), f"area('{area}')", area, id=f"area_{area}", group=AREA_KEYS)
            for n, area in enumerate(AREAS, start=1)
        ),
        Binding("question_mark", "help", "help", id="help"),
        Binding("q", "quit", "quit", id="quit"),
    ]
    # Below 110 columns the detail goes under the table instead of beside it.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, root: Path):
        super().__init__()
        self.root = root
        self.counter = None
        self.keys_by_id: dict[str, str] = {}

    def on_mount(self) -> None:
        self.keys_by_id = keymap(self.root)
        self.set_keymap(self.keys_by_id)
        kept = prefs.theme(self.root)
        if kept in self.available_themes:  # one a newer Textual dropped: its default
            self.theme = kept
        self.watch(self, "theme", self._keep_theme, init=False)
        for name, screen in zip(
            AREAS,
            (DatasetsScreen(), RunsScreen(), DriftScreen(), ModelsScreen(), ActivityScreen()),
            strict=True,
        ):
            self.install_screen(screen, name)
        self.watch_changes()
        self.push_screen("datasets")

    def action_area(self, name: str) -> None:
        screen = self.get_screen(name)
        if self.screen is not screen:
            shown_before = screen.is_mounted  # a first showing loads itself when mounted
            self.switch_screen(name)
            if shown_before:
                screen.reload()

    def run_in_area(self, area: str, action: str) -> None:
        """A palette command: go to the area, then do what its key does."""
        self.action_area(area)
        self.get_screen(area).when_loaded(action)

    def key_of(self, binding: Binding) -> str:
        keys = self.keys_by_id.get(binding.id or "", binding.key)
        return "/".join(self.get_key_display(Binding(k.strip(), binding.action)) for k in keys.split(","))

    def help_lines(self) -> list[str]:
        lines = ["wb keys (remap any of them by id in .wb/config.toml, [tui.keymap])", ""]
        scopes = [("everywhere", self.BINDINGS)] + [
            (scope, cls.__dict__.get("BINDINGS", [])) for scope, cls in SCOPES
        ]
        for scope, bindings in scopes:
            lines.append(scope + ":")
            lines += [f"  {self.key_of(b):<10} {b.description:<24} id {b.id}" for b in bindings]
        return [*lines, "", *GENERAL]

    @background("keep_theme")
    def _keep_theme(self, name: str) -> None:
        try:
            prefs.set_theme(self.root, name)
        except OSError as exc:
            self.call_from_thread(self.notify, f"the theme is not kept: {exc}", severity="error")

    async def action_quit(self) -> None:
        """Asked first while a training launched from here runs: it goes on without wb."""
        running = list(self.get_screen("runs").trainings.values())  # type: ignore[attr-defined]
        if not running:
            self.exit()
        elif not isinstance(self.screen, QuitQuestion):
            one = len(running) == 1
            self.push_screen(
                QuitQuestion(
                    f"{plural(len(running), 'training')} launched from here still "
                    f"{'runs' if one else 'run'}. Quit wb?",
                    [
                        *running,
                        "",
                        f"{'It goes' if one else 'They go'} on without wb; "
                        f"{'its' if one else 'their'} runs show here when you come back.",
                    ],
                    True,
                ),
                lambda yes: self.exit() if yes else None,
            )

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_lines()))

    @background("poll")
    def watch_changes(self) -> None:
        """Take the database's change counter now (the first screen loads itself), then
        look at it every second."""
        from ..core.status import ChangeCounter
        from ..core.storage.workspace import Workspace

        self.counter = ChangeCounter(Workspace(self.root))
        self.counter.changed()
        self.call_from_thread(self.set_interval, 1.0, self.poll_changes)

    @background("poll")
    def poll_changes(self) -> None:
        if self.counter is not None and self.counter.changed():
            self.call_from_thread(self._reload_current)

    def _reload_current(self) -> None:
        if isinstance(self.screen, AreaScreen):
            self.screen.reload()


class QuitQuestion(ConfirmScreen):
    """Quit while trainings launched from here run? (q again does not ask twice.)"""


def keymap(root: Path) -> dict[str, str]:
    """`[tui.keymap]` of the workspace's config: binding id -> keys."""
    from ..core.storage.workspace import Workspace

    table = Workspace(root).config.tui.keymap
    return {str(k): str(v) for k, v in table.items()}


def run(root: Path) -> None:
    WbApp(root).run()
