"""What every area is made of: a page of rows read from SQLite on the left, the selected
row's detail on the right; a row's id to copy (y), the rows to export (ctrl+e); rows that can
be marked and compared. Every database read runs in a thread worker (views.py, each call with
its own connection); results come back to the UI thread through call_from_thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, LoadingIndicator, Static
from textual.worker import get_current_worker

from ..core.errors import WbError
from ..formatting import visible
from ..presenters import status as status_words
from . import export, layout, views
from .footer import WbFooter
from .modals import ConfirmScreen, ExportScreen, ScrollPane, TextScreen
from .workers import ReportsWorkerErrors, background

# The header's cells besides the title: its icon, and " — " before the sub-title (app.tcss
# hides the clock's space).
HEADER_SPARE = 3 + 3
MARKS = "_mark"  # the key of the first column of tables whose rows can be marked


class PagedTable(DataTable):
    """One page of rows; moving past either end asks the screen for the next page, so the
    cursor walks through 100,000 rows while the table holds 200."""

    # home/end replace DataTable's sideways scroll: the first and last row, as in less or vim;
    # h/l scroll sideways instead (the fixed columns, marks and id, stay in view).
    BINDINGS = [
        Binding("j", "cursor_down", "down", show=False, id="down"),
        Binding("k", "cursor_up", "up", show=False, id="up"),
        Binding("h", "scroll_left", "scroll left", show=False, id="scroll_left"),
        Binding("l", "scroll_right", "scroll right", show=False, id="scroll_right"),
        Binding("g,home", "jump('first')", "first row", show=False, id="first"),
        Binding("G,end", "jump('last')", "last row (last page)", show=False, id="last"),
        Binding("ctrl+d", "half_page(1)", "half a page down", show=False, id="half_down"),
        Binding("ctrl+u", "half_page(-1)", "half a page up", show=False, id="half_up"),
    ]

    class PageEdge(Message):
        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    class Jump(Message):
        """To the first row of all ("first") or the last ("last"), on whichever page."""

        def __init__(self, end: str) -> None:
            super().__init__()
            self.end = end

    def action_jump(self, end: str) -> None:
        self.post_message(self.Jump(end))

    def action_half_page(self, step: int) -> None:
        rows = max(1, (self.scrollable_content_region.height - self.header_height) // 2)
        self._move(step, lambda: self.move_cursor(row=max(0, self.cursor_row + step * rows)))

    def _at_edge(self, step: int) -> bool:
        if step > 0:
            return self.row_count == 0 or self.cursor_row >= self.row_count - 1
        return self.cursor_row <= 0

    def _move(self, step: int, within: Callable[[], None]) -> None:
        if self._at_edge(step):
            self.post_message(self.PageEdge(step))
        else:
            within()

    def action_cursor_down(self) -> None:
        self._move(1, super().action_cursor_down)

    def action_cursor_up(self) -> None:
        self._move(-1, super().action_cursor_up)

    def action_page_down(self) -> None:
        self._move(1, super().action_page_down)

    def action_page_up(self) -> None:
        self._move(-1, super().action_page_up)


class DetailPane(ScrollPane):
    """The selected row's detail; tab moves here and j/k scroll it."""


class SearchBar(Input):
    """Type to narrow the page's rows to those that show the text; enter goes back to the
    rows keeping it, escape clears it."""

    BINDINGS = [Binding("escape", "close", "clear the search", id="close_search")]

    def action_close(self) -> None:
        self.value = ""  # the screen hears the change and shows every row again
        self.screen.query_one(PagedTable).focus()
        self.display = False


# The symbol each row state shows before its cell, so that it reads without colour too.
SYMBOLS = {views.ERROR: "✗", views.WARNING: "!", views.SUCCESS: "✓"}


PAGE_KEYS = Binding.Group("page", compact=True)


class AreaScreen(ReportsWorkerErrors, Screen):
    """A table of things on the left, the selected one's detail on the right; `enter` opens
    the detail full width."""

    # Reloading is automatic, so `r` stays out of the Footer (80 columns to share) and in the
    # help; the page keys show there only when there is more than one page.
    BINDINGS = [
        Binding("r", "reload", "reload", show=False, id="reload"),
        Binding("left_square_bracket", "page(-1)", "previous page", id="prev_page", group=PAGE_KEYS),
        Binding("right_square_bracket", "page(1)", "next page", id="next_page", group=PAGE_KEYS),
        Binding("y", "copy", "copy the id", show=False, id="copy"),
        Binding("ctrl+e", "export", "export the table", show=False, id="export"),
        Binding("f", "search", "find in the rows", show=False, id="search"),
        # As in less and vim; the runs area, which has a filter, binds `/` to it instead.
        Binding("slash", "search", "find in the rows", show=False, id="search_slash"),
    ]
    MARKING = False  # a first column shows which rows are marked
    ANSI = False  # the detail has colours drawn by plotext (the rest is shown literally)
    FOLLOW_TOP = False  # a cursor on the first row stays there as new rows come in on top
    REFERENCE = "id"  # what a row's key is, for `y`: "run id", "model version"...
    KEY_COLUMN: str | None = None  # the column that shows the key shortened (an export has it whole)
    ROWS_SHARE = 3 / 5  # of a wide screen, the table's (app.tcss: 3fr beside the detail's 2fr)

    def __init__(self, title: str, load: Callable[..., views.Table], detail: Callable[[Path, str], str]):
        super().__init__()
        self.area_title = title
        self.load = load
        self.detail = detail
        self.table = views.Table([], [])  # the page as loaded; `keys` are the rows shown of it
        self.needle = ""  # the search's text: only the rows that show it are shown
        self.keys: list[str] = []
        self.columns: list[str] = []
        self.marked: list[str] = []
        self.start = 0
        self.title_parts: list[tuple[int, str]] = []  # the sub-title's, before they are fitted
        self.filled_room = 0  # the room the table's columns were fitted to
        self.detail_text = ""  # as made, before it is wrapped to the pane
        self.total = 0
        self.estimated = False  # `total` is an estimate (a filter's count still to come)
        self.remote: list[str] = []  # where the workspace stands against its remote, as loaded
        self.land: str | None = None  # "first" or "last": the cursor's place on a new page
        self.detail_key: str | None = None  # the row whose detail is shown or coming
        self.loaded = False
        self.after_load: list[str] = []  # actions asked for before the first rows came

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="note", markup=False)
        with Horizontal():
            with Vertical(id="rows"):
                yield LoadingIndicator(id="busy")
                yield PagedTable(
                    cursor_type="row", zebra_stripes=True, id="table", fixed_columns=2 if self.MARKING else 1
                )
                yield Static("", id="empty", markup=False)  # where the rows would be
            with DetailPane(id="detail_pane"):
                yield Static("", id="detail", markup=False)
        yield SearchBar(placeholder="find: the rows of this page that show this text", id="search")
        yield WbFooter()

    def on_mount(self) -> None:
        self.title = f"wb: {self.area_title}"
        self.reload()

    @property
    def root(self) -> Path:
        return self.app.root  # type: ignore[attr-defined]

    def selected(self) -> str | None:
        row = self.query_one(PagedTable).cursor_row
        return self.keys[row] if 0 <= row < len(self.keys) else None

    def action_reload(self) -> None:
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page":  # False hides the binding (and its Footer key) on a single page
            return self.total > len(self.table.keys)
        return True

    def action_page(self, step: int) -> None:
        start = self.start + step * views.PAGE
        if 0 <= start < self.total:
            self.start, self.land = start, "first" if step > 0 else "last"
            self.reload(paging=True)

    def on_paged_table_page_edge(self, message: PagedTable.PageEdge) -> None:
        self.action_page(message.step)

    def on_paged_table_jump(self, message: PagedTable.Jump) -> None:
        start = max(0, (self.total - 1) // views.PAGE * views.PAGE) if message.end == "last" else 0
        if start == self.start:
            self.query_one(PagedTable).move_cursor(row=len(self.keys) - 1 if message.end == "last" else 0)
        else:
            self.start, self.land = start, message.end
            self.reload(paging=True)

    def load_args(self, paging: bool) -> tuple:
        """The loader's arguments before offset and limit; `paging` when the rows are the ones
        shown before (the data and the filter as they were), another page or order of them."""
        return ()

    def reload(self, paging: bool = False, busy: bool = False) -> None:
        """Read the page again; `busy` shows that it may take a while (a filter or sort over
        many rows) while the keys go on working."""
        if busy:
            self.query_one("#busy").display = True
        self._load(paging)

    @background("load")
    def _load(self, paging: bool) -> None:
        worker = get_current_worker()
        try:
            table = self.load(self.root, *self.load_args(paging), offset=self.start, limit=views.PAGE)
        except WbError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        remote = _remote_part(self.root)  # here, not on each redraw of the title
        if not worker.is_cancelled:  # a newer reload (another page, a new filter) is coming
            self.app.call_from_thread(self._show, table, remote)

    def _failed(self, message: str) -> None:
        self.query_one("#busy").display = False
        self.tell(message, severity="error")

    def _show(self, table: views.Table, remote: list[str]) -> None:
        if not self.is_mounted:
            return  # the app is quitting: nothing to draw on
        if table.offset and table.offset >= table.total:
            # Rows went away (a filter, a deletion) under a later page: show the last one.
            self.start = max(0, (table.total - 1) // views.PAGE * views.PAGE)
            self.reload()
            return
        widget = self.query_one(PagedTable)
        if self.FOLLOW_TOP and widget.cursor_row == 0 and not self.land:
            self.land = "first"
        self.query_one("#busy").display = False
        self.start, self.total, self.table, self.remote = table.offset, table.total, table, remote
        self.estimated = table.estimated
        self.columns = table.ids
        note = self.query_one("#note", Static)
        note.update(table.note)
        note.display = bool(table.note)
        self._fill()
        self.refresh_bindings()  # the page keys come and go with the page count
        self.loaded = True
        while self.after_load:
            self.call_later(self.run_action, self.after_load.pop(0))

    def _fill(self, fresh: bool = True) -> None:
        """Draw the page's rows that show the search's text (all of them, without one), each
        in its state's colour, and the cursor's row's detail."""
        table, widget = self.table, self.query_one(PagedTable)
        selected = self.selected()
        needle = self.needle.casefold()
        shown = [i for i, row in enumerate(table.rows) if not needle or needle in " ".join(row).casefold()]
        self.keys = [table.keys[i] for i in shown]
        colours = self.app.get_css_variables() if any(table.states) else {}  # the theme's, now
        at = table.ids.index(table.state_column) if table.state_column in table.ids else None
        with self.app.batch_update():
            widget.clear(columns=True)
            if self.MARKING:
                widget.add_column("", key=MARKS, width=1)
            rows = []
            for i in shown:
                state = table.states[i]
                cells = [
                    f"{SYMBOLS[state]} {c}" if state and j == at else str(c)
                    for j, c in enumerate(table.rows[i])
                ]
                rows.append((cells, colours.get(state, "") if state else ""))
            # Widths from the page itself (DataTable would measure every cell again later),
            # fitted to the room there is.
            labels = [self.column_label(c, label) for c, label in zip(table.ids, table.columns, strict=True)]
            self.filled_room = self.room()
            widths = layout.column_widths(
                labels, [[cells[j] for cells, _ in rows] for j in range(len(labels))], self.filled_room
            )
            for column, label, width in zip(table.ids, labels, widths, strict=True):
                # A metric's name is data: never read as markup.
                widget.add_column(Text(label), key=column, width=width)
            for (cells, style), key in zip(rows, self.keys, strict=True):
                # Text cells: data is shown as the characters it holds, never as markup.
                texts = [Text(c, style=style, no_wrap=True, overflow="ellipsis") for c in cells]
                if self.MARKING:
                    texts.insert(0, self.mark_cell(key))
                widget.add_row(*texts, key=key)
        empty = self.query_one("#empty", Static)
        empty.update(
            "" if self.keys else f"No rows of this page show {self.needle!r}." if table.rows else table.empty
        )
        empty.display = not self.keys
        self.query_one("#rows").set_class(not self.keys, "-empty")
        if self.keys:
            row = {"first": 0, "last": len(self.keys) - 1}.get(
                self.land or "", self.keys.index(selected) if selected in self.keys else 0
            )
            widget.move_cursor(row=row)
            if fresh or self.detail_key != self.keys[row]:  # a search changed no data
                self.detail_key = self.keys[row]
                self.show_detail(self.detail_key)
        else:  # nothing matches: no detail of a row that is not there
            self.detail_key = None
            self._set_detail("")
        self.land = None
        self.describe()

    def action_search(self) -> None:
        bar = self.query_one(SearchBar)
        bar.display = True
        bar.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search" and event.value != self.needle:
            self.needle = event.value
            self._fill(fresh=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":  # back to the rows, still narrowed
            self.query_one(PagedTable).focus()

    def tell(self, message: str, **kwargs) -> None:
        """A notification whose text may quote data (an error naming a column): literal, and
        escaped like every other view of it."""
        self.app.notify(visible(message), markup=False, **kwargs)

    def when_loaded(self, action: str) -> None:
        """Run an action (a palette command's) once the rows it acts on are here."""
        if self.loaded:
            self.call_later(self.run_action, action)
        else:
            self.after_load.append(action)

    def column_label(self, column: str, label: str) -> str:
        """A column's header (by its id and its label): the runs show the sort on it."""
        return label

    def mark_cell(self, key: str) -> Text:
        return Text("*" if key in self.marked else "")

    def describe(self) -> None:
        """The sub-title: which rows of how many, what the screen is filtered by, and where the
        workspace stands against its default remote (as of the last push or pull: no network)."""
        self.title_parts = [*self.status_parts(), *((layout.REMOTE, p) for p in self.remote)]
        self.fit_title()

    def fit_title(self) -> None:
        """The sub-title in the header's room: the counts stay, the rest gives way (layout.fit)."""
        room = self.app.size.width - HEADER_SPARE - len(self.title or "")
        self.sub_title = layout.fit(self.title_parts, room)

    def room(self) -> int:
        """The cells the table has for its columns: its share of a wide screen (the detail
        has the rest), all of a narrow one, less the mark column and the scroll bar. Worked
        out from the screen, not the table: the first load comes before the first layout."""
        width = self.app.size.width
        share = int(width * self.ROWS_SHARE) if width >= 110 else width
        return max(40, share - (3 if self.MARKING else 0) - 2)

    def on_resize(self) -> None:
        self.fit_title()
        if self.loaded and self.room() != self.filled_room:
            self._fill(fresh=False)  # the columns have more room, or less

    def status_parts(self) -> list[tuple[int, str]]:
        """What the sub-title says, each part with its priority (layout.PAGE first)."""
        found = [(layout.PAGE, f"{len(self.keys):,} of the page show {self.needle!r}")] if self.needle else []
        if self.start == 0 and len(self.table.keys) == self.total:
            return found
        total = f"~{about(self.total):,}" if self.estimated else f"{self.total:,}"
        page = f"{self.start + 1:,}-{self.start + len(self.table.keys):,} of {total} ([ ] pages)"
        return [(layout.PAGE, page), *found]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The cursor's row now, not the event's: a page refill sends stale highlights of row 0.
        key = self.selected()
        if key is not None and key != self.detail_key:  # a new page already asked for it
            self.detail_key = key
            self.query_one(DetailPane).scroll_home(animate=False)  # a new row reads from its top
            self.show_detail(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.drill(event.row_key.value)

    def drill(self, key: str) -> None:
        """What `enter` opens: the detail, full width."""
        self.app.push_screen(
            TextScreen(
                visible(self.drill_title(key)), lambda _width: self.detail(self.root, key), ansi=self.ANSI
            )
        )

    def drill_title(self, key: str) -> str:
        return key

    def reference(self, key: str) -> tuple[str, str]:
        """What `y` copies of a row, and what to call it."""
        return self.REFERENCE, key

    def action_copy(self) -> None:
        if (key := self.selected()) is not None:
            what, text = self.reference(key)
            self.app.copy_to_clipboard(text)
            self.tell(f"copied the {what} {text}")

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen(export.default_name(self.area_title)), self._export_to)

    def _export_to(self, name: str | None) -> None:
        if not name:
            return
        target = Path(name).expanduser().absolute()
        if target.exists():  # asked first: the file may be someone's work
            question = ConfirmScreen(f"{target} exists. Overwrite it?", [], True)
            self.app.push_screen(question, lambda yes: self._export(target) if yes else None)
        else:
            self._export(target)

    @background("export")
    def _export(self, target: Path) -> None:
        """Every row the screen's filter selects (up to export.CAP), read again from the start."""
        try:
            table = self.load(self.root, *self.load_args(False), offset=0, limit=export.CAP)
            written = export.write(table, target, self.KEY_COLUMN)
        except (WbError, OSError) as exc:
            self.app.call_from_thread(self.tell, f"not exported: {exc}", severity="error", timeout=10)
            return
        capped = f" (the first {written:,} of {table.total:,})" if table.total > written else ""
        self.app.call_from_thread(self.tell, f"exported {written:,} rows to {target}{capped}")

    def _confirm(
        self, question: Callable[[], tuple[str, list[str], bool]], act: Callable[[], tuple[str, bool]]
    ) -> None:
        """Work out the question off the UI thread (a model's gates, a run's state: seconds on
        first use, shown by the busy line), ask it in a modal, and act only on a yes: nothing
        moves before that."""
        self.query_one("#busy").display = True
        self._ask(question, act)

    @background("ask")
    def _ask(
        self, question: Callable[[], tuple[str, list[str], bool]], act: Callable[[], tuple[str, bool]]
    ) -> None:
        worker = get_current_worker()
        try:
            text, facts, allowed = question()
        except WbError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        if not worker.is_cancelled:  # asked again meanwhile: that question is the one to show
            self.app.call_from_thread(self._ask_now, ConfirmScreen(text, facts, allowed), act)

    def _ask_now(self, question: ConfirmScreen, act: Callable[[], tuple[str, bool]]) -> None:
        self.query_one("#busy").display = False
        self.app.push_screen(question, lambda yes: yes and self._act(act))

    @background("write")
    def _act(self, act: Callable[[], tuple[str, bool]]) -> None:
        try:
            message, done = act()
        except WbError as exc:
            message, done = str(exc), False
        self.app.call_from_thread(self.tell, message, severity="information" if done else "error")
        self.app.call_from_thread(self.reload)

    @background("detail")
    def show_detail(self, key: str) -> None:
        try:
            text = self.detail(self.root, key)
        except WbError as exc:
            text = visible(str(exc))
        self.app.call_from_thread(self._set_detail, text)

    def _set_detail(self, text: str) -> None:
        self.detail_text = text
        self._draw_detail()

    def on_scroll_pane_resized(self) -> None:
        self._draw_detail()

    def _draw_detail(self) -> None:
        """The detail in the pane's width, long lines wrapped with a hanging indent (charts,
        ANSI, as drawn). On the UI thread, and tolerant of a screen already taken down (the
        app quitting)."""
        for pane in self.query(DetailPane).results(DetailPane):
            text = self.detail_text
            shown = Text.from_ansi(text) if self.ANSI else Text(layout.hang(text, pane.text_width()))
            pane.query_one("#detail", Static).update(shown)


class ComparingScreen(AreaScreen):
    """Rows can be marked (space) and the marked ones compared (c)."""

    BINDINGS = [Binding("space", "mark", "mark", id="mark"), Binding("c", "compare", "compare", id="compare")]
    NEEDS = "two or more"
    MARKING = True

    def action_mark(self) -> None:
        if (key := self.selected()) is None:
            return
        if key in self.marked:
            self.marked.remove(key)
        else:
            self.marked.append(key)
        self.query_one(PagedTable).update_cell(key, MARKS, self.mark_cell(key))
        self.describe()

    def status_parts(self) -> list[tuple[int, str]]:
        marks = [(layout.MARKS, f"{len(self.marked)} marked (c compares)")] if self.marked else []
        return super().status_parts() + marks

    def action_compare(self) -> None:
        if len(self.marked) < 2:
            self.app.notify(f"mark {self.NEEDS} rows with space first")
            return
        self.app.push_screen(self.comparison(list(self.marked)))

    def comparison(self, keys: list[str]) -> TextScreen:
        """What comparing the marked rows shows: each comparing area says (runs side by
        side, a dataset diff)."""
        raise NotImplementedError


def about(n: int) -> int:
    """An estimate as it reads: three significant digits (14,875 reads 14,900)."""
    return round(n, 3 - len(str(n))) if n >= 1000 else n


def _remote_part(root: Path) -> list[str]:
    from ..core.remotes import state

    try:
        with views.opened(root) as ws:
            found = state.of_default(ws, ws.conn)
    except WbError:  # the workspace's own trouble shows in the table's load
        return []
    return [] if found is None else [status_words.remote(found)]
