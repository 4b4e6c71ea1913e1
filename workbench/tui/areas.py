"""The five areas (and a drift report's features), each an AreaScreen (area_screen.py) with its
own loader and detail from views.py and its own keys."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.widgets import DataTable
from textual.worker import get_current_worker

from ..core.errors import WbError
from ..formatting import visible
from . import layout, prefs, views, words
from .area_screen import AreaScreen, ComparingScreen, DetailPane
from .modals import ColumnsScreen, FilterScreen, TextScreen
from .train_form import LaunchScreen, describe
from .workers import background

if TYPE_CHECKING:
    from ..core.experiments.train_request import Request


class DatasetsScreen(ComparingScreen):
    NEEDS = "two"
    REFERENCE = "dataset version"

    def __init__(self) -> None:
        super().__init__("datasets", views.datasets_table, views.dataset_detail)

    def drill(self, key: str) -> None:
        self.app.push_screen(TextScreen(key, lambda _width: views.dataset_detail(self.root, key, check=True)))

    def comparison(self, keys: list[str]) -> TextScreen:
        if len(keys) > 2:
            self.app.notify(f"{len(keys)} marked: the diff is of the last two marked")
        # Older first, as `wb data diff OLD NEW` reads (versions of one dataset by number).
        pair = sorted(keys[-2:], key=lambda ref: (ref.partition("@")[0], int(ref.partition("@")[2] or 0)))
        return TextScreen(f"diff {pair[0]} {pair[1]}", partial(views.diff_text, self.root, pair))


# Column label -> `--sort` key; the id column does not sort.
RUN_SORTS = {
    "name": "name",
    "experiment": "experiment",
    "status": "status",
    "model": "model",
    "started": "started_at",
    "duration": "duration_s",
}


class RunsScreen(ComparingScreen):
    BINDINGS = [
        Binding("slash", "filter", "filter", id="filter"),
        # Out of the Footer: at 80 columns it would push "? help" and "q quit" off.
        Binding("escape", "clear_filter", "clear the filter", show=False, id="clear_filter"),
        Binding("s", "sort", "sort", id="sort"),
        Binding("o", "flip_order", "order", show=False, id="flip_order"),
        Binding("n", "launch", "train", id="launch"),
        Binding("x", "kill", "kill the run", show=False, id="kill"),
        Binding("C", "choose_columns", "choose the columns", show=False, id="columns"),
    ]
    REFERENCE = "run id"
    KEY_COLUMN = "id"

    def __init__(self) -> None:
        super().__init__("runs", views.runs_table, views.run_detail)
        self.where = ""
        self.sort = ""  # a `--sort` key; "" is newest first (as kept in .wb/tui.json)
        self.form: Request | None = None  # the training last launched from the form
        self.trainings: dict[int, str] = {}  # those still running: process id -> what it trains
        self.loaded_room = 0  # the room the shown columns were chosen for
        self.counting: str | None = None  # the filter whose exact count a worker is taking

    def on_mount(self) -> None:
        self.sort = prefs.runs_sort(self.root)  # a small file, not the database
        super().on_mount()
        self.set_interval(1.0, self._tail)

    def load_args(self, paging: bool) -> tuple:
        # Counting a filtered 100,000 runs is most of a page's cost: once per filter, in the
        # background (_count), while the pages show an estimate.
        self.loaded_room = self.room()
        known = self.total if paging and not self.estimated else None
        return (self.where, self.sort, known, self.loaded_room)

    def reload(self, paging: bool = False, busy: bool = False) -> None:
        if not paging:  # the filter or the data changed: a count under way is of the old rows
            self.workers.cancel_group(self, "count")
            self.counting = None
        super().reload(paging, busy)

    def _show(self, table: views.Table, remote: list[str]) -> None:
        super()._show(table, remote)
        if table.estimated and self.counting is None and self.is_mounted:
            self.counting = self.where
            self._count(self.where)

    @background("count")
    def _count(self, where: str) -> None:
        """The rows came first with an estimate of their count (`of ~14,900`): the count."""
        worker = get_current_worker()
        try:
            total = views.runs_count(self.root, where)
        except WbError:  # the page's load said what is wrong
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._counted, where, total)

    def _counted(self, where: str, total: int) -> None:
        if where != self.counting or not self.is_mounted:
            return
        self.counting = None
        if self.estimated:  # a page that knows its end may have come meanwhile
            self.total, self.estimated = total, False
            if self.start >= total:  # paged past the end of the estimate: to the last page
                self.start = max(0, (total - 1) // views.PAGE * views.PAGE)
                self.reload(paging=True)
            self.refresh_bindings()
            self.describe()

    def on_resize(self) -> None:
        if self.loaded and self.table.ids and self.room() != self.loaded_room:
            self.reload()  # other columns fit now

    def _tail(self) -> None:
        """A running run's detail follows its output, as `tail -f` (k9s logs) would: the
        database sees no commit while it only prints."""
        if self.detail_key is None or "status" not in self.table.ids or not self.is_current:
            return
        at = self.table.ids.index("status")
        row = self.table.keys.index(self.detail_key) if self.detail_key in self.table.keys else -1
        if row >= 0 and self.table.rows[row][at] in ("running", "queued"):
            self.show_detail(self.detail_key)

    def action_choose_columns(self) -> None:
        chooser = ColumnsScreen(self.table.scope, list(self.table.ids), self.table.choices)
        self.app.push_screen(chooser, partial(self._choose, self.table.scope))

    def _choose(self, scope: str, columns: list | None) -> None:
        if columns is not None:
            self._keep_columns(scope, columns or None)

    @background("write")
    def _keep_columns(self, scope: str, columns: list[str] | None) -> None:
        try:
            prefs.set_run_columns(self.root, scope, columns)
        except OSError as exc:
            self.app.call_from_thread(self.tell, f"the columns are not kept: {exc}", severity="error")
        self.app.call_from_thread(self.reload)

    def sort_key(self, column: str) -> str | None:
        """The `--sort` key of a column: its own, a metric's or param's, or None (id, the marks)."""
        if column.startswith(("metrics.", "params.")):
            return column
        return RUN_SORTS.get(column)

    @property
    def sortable(self) -> list[str]:
        return [c for c in self.columns if self.sort_key(c) is not None]

    def column_label(self, column: str, label: str) -> str:
        if self.sort_key(column) != (self.sort.lstrip("-") or "started_at"):
            return label
        return label + (" ▼" if self.sort.startswith("-") or not self.sort else " ▲")

    def status_parts(self) -> list[tuple[int, str]]:
        sort = (
            [
                (
                    layout.SORT,
                    f"sorted by {self.sort.lstrip('-')} "
                    f"{'descending' if self.sort.startswith('-') else 'ascending'}",
                )
            ]
            if self.sort
            else []
        )
        where = [(layout.WHERE, f"where {self.where}")] if self.where else []
        return where + sort + super().status_parts()

    def _resort(self, sort: str) -> None:
        self.sort, self.start = sort, 0
        self.reload(paging=True, busy=True)  # the same runs in another order: the count stands
        self._keep_sort(sort)

    @background("keep_sort")
    def _keep_sort(self, sort: str) -> None:
        try:
            prefs.set_runs_sort(self.root, sort)
        except OSError as exc:
            self.app.call_from_thread(self.tell, f"the sort is not kept: {exc}", severity="error")

    def action_sort(self) -> None:
        """The next sortable column, ascending (newest first after the last)."""
        by = self.sort.lstrip("-") or "started_at"
        current = next((c for c in self.sortable if self.sort_key(c) == by), None)
        order = self.sortable
        following = (
            order[(order.index(current) + 1) % len(order)]
            if current in order
            else (order[0] if order else None)
        )
        if following is not None:
            key = self.sort_key(following) or ""
            self._resort("" if key == "started_at" else key)

    def action_flip_order(self) -> None:
        if not self.sort:
            self._resort("started_at")  # newest first, flipped: oldest first
        else:
            self._resort(self.sort[1:] if self.sort.startswith("-") else "-" + self.sort)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column's header sorts by it; a second click flips the order."""
        key = self.sort_key(str(event.column_key.value))
        if key is None:
            return
        if key == self.sort.lstrip("-") or (key == "started_at" and not self.sort):
            self.action_flip_order()
        else:
            self._resort(key)

    def comparison(self, keys: list[str]) -> TextScreen:
        compare = partial(views.compare_text, self.root, keys, height=self.app.size.height)
        return TextScreen("compare runs", compare, ansi=True)

    def action_launch(self) -> None:
        self.app.push_screen(LaunchScreen(self.root, self.form), self._launch)

    def _launch(self, request: Request | None) -> None:
        if request is not None:
            self.form = request
            self._start(request)

    @background("train", exclusive=False)
    def _start(self, request: Request) -> None:
        """`wb train` in its own process; this worker only waits to say how it ended."""
        import subprocess
        import tempfile

        from ..core.experiments.local_executor import LocalExecutor

        worker = get_current_worker()
        with tempfile.TemporaryFile() as errors:
            with views.opened(self.root) as ws:
                proc = LocalExecutor().start_training(ws, request.argv(), stderr=errors)
            self.app.call_from_thread(self._trained_here, proc.pid, describe(request))
            self.app.call_from_thread(self.app.notify, "training started: its runs appear here as it goes")
            while True:
                try:
                    code = proc.wait(timeout=0.25)
                    break
                except subprocess.TimeoutExpired:
                    if worker.is_cancelled:  # wb is quitting; the training goes on
                        return
            self.app.call_from_thread(self._trained_here, proc.pid, None)
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace").strip().splitlines()
        if code == 0:
            self.app.call_from_thread(self.app.notify, "training finished")
        else:
            self.app.call_from_thread(
                self.tell,
                words.in_tui(said[-1]) if said else f"the training exited with code {code}",
                severity="error",
                timeout=15,
            )

    def _trained_here(self, pid: int, what: str | None) -> None:
        """A training launched from here started (what it trains) or ended (None)."""
        if what is None:
            self.trainings.pop(pid, None)
        else:
            self.trainings[pid] = what

    def action_kill(self) -> None:
        """Asked first, naming the run; the kill (SIGTERM, then a wait of seconds) in a worker."""
        if (run_id := self.selected()) is not None:
            self._confirm(
                partial(views.kill_question, self.root, run_id), partial(views.kill, self.root, run_id)
            )

    def action_filter(self) -> None:
        self.app.push_screen(FilterScreen(self.where), self._set_filter)

    def action_clear_filter(self) -> None:
        if self.where:
            self._set_filter("")

    def _set_filter(self, where: str | None) -> None:
        from ..core.experiments.query import compile_where

        if where is None:
            return
        try:
            if where.strip():
                compile_where(where)  # parsing only, no database: a typo keeps the old filter
        except WbError as exc:
            self.tell(words.in_tui(str(exc)), severity="error", timeout=10)
            self.app.push_screen(FilterScreen(where), self._set_filter)  # to correct it
            return
        self.where, self.start = where.strip(), 0
        self.reload(busy=True)


class DriftScreen(AreaScreen):
    BINDINGS = [
        Binding("a", "ack", "acknowledge", id="ack"),
        Binding("u", "unack", "un-acknowledge", show=False, id="unack"),
    ]

    def __init__(self) -> None:
        super().__init__("drift", views.drift_table, views.drift_detail)

    def reference(self, key: str) -> tuple[str, str]:
        kind, _, ident = key.partition(":")
        return ("alert id" if kind == "alert" else "drift report id"), ident

    def drill(self, key: str) -> None:
        kind, _, ident = key.partition(":")
        if kind == "report":
            self.app.push_screen(ReportScreen(ident))
        else:
            self._open_alert(key)

    @background("open")
    def _open_alert(self, key: str) -> None:
        """An alert opens the drift report or the rollout it is about; any other says what it
        can do."""
        report_id = views.alert_report(self.root, key)
        rollout = None if report_id else views.alert_rollout(self.root, key)
        if report_id is not None:
            self.app.call_from_thread(self.app.push_screen, ReportScreen(report_id))
        elif rollout is not None:
            self.app.call_from_thread(self.app.push_screen, rollout_screen(self.root, rollout))
        else:
            self.app.call_from_thread(self.app.notify, "press a to acknowledge the alert")

    def action_ack(self) -> None:
        if (key := self.selected()) is not None:
            self._ack(key, True)

    def action_unack(self) -> None:
        if (key := self.selected()) is not None:
            self._ack(key, False)

    @background("write")
    def _ack(self, key: str, ack: bool) -> None:
        if views.ack_alert(self.root, key, ack):
            self.app.call_from_thread(self.app.notify, "alert acknowledged" if ack else "alert open again")
            self.app.call_from_thread(self.reload)


class ReportScreen(AreaScreen):
    """One drift report: its features, the most shifted first, and the selected one's
    reference and current distributions side by side."""

    BINDINGS = [Binding("escape", "app.pop_screen", "back", id="back")]
    ANSI = True  # the distributions are plotext charts
    ROWS_SHARE = 2 / 5

    def __init__(self, report_id: str):
        super().__init__(f"drift report {report_id[:12]}", views.report_table, self._feature)
        self.report_id = report_id

    def load_args(self, paging: bool) -> tuple:
        return (self.report_id,)

    def drill_title(self, key: str) -> str:
        return f"{key.partition(':')[2]} in drift report {self.report_id[:12]}"

    def reference(self, key: str) -> tuple[str, str]:
        return "feature", key.partition(":")[2]

    def _feature(self, root: Path, key: str) -> str:
        return views.feature_detail(root, key, self.query_one(DetailPane).scrollable_content_region.width)


def rollout_screen(root: Path, name: str) -> TextScreen:
    """A rollout full width (`o` on a model, `enter` on an alert about it)."""
    return TextScreen(f"rollout {name}", partial(views.rollout_text, root, name))


class ModelsScreen(AreaScreen):
    BINDINGS = [
        Binding("e", "evaluate", "evaluate", id="evaluate"),
        Binding("p", "promote", "promote", id="promote"),
        Binding("b", "rollback", "roll back", id="rollback"),
        Binding("o", "rollout", "rollout", id="rollout"),
    ]
    REFERENCE = "model version"

    def __init__(self) -> None:
        super().__init__("models", views.models_table, self._detail)
        self.made_for = 0  # the room the shown detail was made for

    def room(self) -> int:
        """The cells of a line in the detail pane: two fifths of a wide screen (app.tcss), all
        of a narrow one, less its border, padding and scroll bar. Worked out from the screen:
        the first detail comes before the first layout."""
        width = self.app.size.width
        return (width * 2 // 5 - 1 if width >= 110 else width) - 4

    def _detail(self, root: Path, ref: str) -> str:
        self.made_for = self.room()
        return views.model_detail(root, ref, self.made_for)

    def on_resize(self) -> None:
        if self.detail_key is not None and self.room() != self.made_for:
            self.show_detail(self.detail_key)  # the rollout's lines are cut to the pane

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rollout":  # in the Footer while a rollout is in progress (its column shows)
            return "rollout" in self.table.ids
        return super().check_action(action, parameters)

    def action_rollout(self) -> None:
        if (ref := self.selected()) is not None:
            self._open_rollout(ref.partition("@")[0])

    @background("open")
    def _open_rollout(self, model: str) -> None:
        name = views.rollout_of(self.root, model)
        if name is None:
            self.app.call_from_thread(
                self.tell, f"{model} has no rollout; `wb rollout start MODELREF --segment COLUMN --share PCT`"
            )
        else:
            self.app.call_from_thread(self.app.push_screen, rollout_screen(self.root, name))

    def action_evaluate(self) -> None:
        if (ref := self.selected()) is not None:
            self.app.push_screen(
                TextScreen(f"evaluate {ref}", partial(views.evaluation_text, self.root, ref))
            )

    def action_promote(self) -> None:
        if (ref := self.selected()) is not None:
            self._confirm(partial(self._promotion_question, ref), partial(self._promote, ref))

    def action_rollback(self) -> None:
        if (ref := self.selected()) is not None:
            self._confirm(
                lambda: (views.rollback_question(self.root, ref), [], True), partial(self._rollback, ref)
            )

    def _promotion_question(self, ref: str) -> tuple[str, list[str], bool]:
        """Every gate's result; a refused promotion cannot be confirmed."""
        preview = views.promotion_preview(self.root, ref)
        lines = [
            visible(f"{g.name}: {'passed' if g.passed else 'FAILED'}  {g.detail}") for g in preview.gates
        ] + views.rollout_caution(self.root, ref)
        if preview.already:
            return f"{ref} is already production.", lines, False
        if preview.passed:
            return f"Promote {ref} to production?", lines, True
        return (
            (f"{ref} is refused: a gate failed (only the command line can override a gate, with a reason)."),
            lines,
            False,
        )

    def _promote(self, ref: str) -> tuple[str, bool]:
        moved = views.promote(self.root, ref)
        return (f"{ref} is now production" if moved else f"{ref} was refused"), moved

    def _rollback(self, ref: str) -> tuple[str, bool]:
        return views.rollback(self.root, ref), True


class ActivityScreen(AreaScreen):
    FOLLOW_TOP = True  # like `tail -f`: new events show up, unless you went to look below
    REFERENCE = "event id"

    def __init__(self) -> None:
        super().__init__("activity", views.activity_table, views.activity_detail)
