"""Screens that sit on top of an area: questions, forms, help and full-width text."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, Input, LoadingIndicator, OptionList, Static

from ..core.errors import WbError
from ..formatting import visible
from . import layout
from .footer import WbFooter
from .workers import ReportsWorkerErrors, background


class ScrollPane(VerticalScroll):
    """Scrolled text; j/k, g/G and ctrl+d/ctrl+u move in it as they move a table's cursor
    elsewhere (the same ids: a remapped key is remapped in both)."""

    BINDINGS = [
        Binding("j", "scroll_down", "down", show=False, id="down"),
        Binding("k", "scroll_up", "up", show=False, id="up"),
        Binding("g,home", "scroll_home", "top", show=False, id="first"),
        Binding("G,end", "scroll_end", "bottom", show=False, id="last"),
        Binding("ctrl+d", "half_page(1)", "half a page down", show=False, id="half_down"),
        Binding("ctrl+u", "half_page(-1)", "half a page up", show=False, id="half_up"),
    ]

    # Textual's own scroll_down defers the move to after the next refresh, from a target that
    # moves only then: a burst of j (key repeat, ssh) all aimed at the same line, one line
    # down. Moving at once, from where the last key left it, counts every key.
    def _scroll_by(self, lines: int) -> None:
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_to(y=self.scroll_target_y + lines, animate=False, immediate=True)

    def action_scroll_down(self) -> None:
        self._scroll_by(1)

    def action_scroll_up(self) -> None:
        self._scroll_by(-1)

    def action_half_page(self, step: int) -> None:
        self._scroll_by(step * max(1, self.size.height // 2))

    class Resized(Message):
        """The pane has another width: text wrapped to the old one is wrapped again."""

    def on_resize(self) -> None:
        self.post_message(self.Resized())

    def text_width(self) -> int:
        """The cells a line of its text has, with room kept for a scroll bar (one may come with
        the text): what lines are wrapped to (layout.hang)."""
        scroll_bar = 0 if self.show_vertical_scrollbar else self.styles.scrollbar_size_vertical
        return self.scrollable_content_region.width - scroll_bar


class ConfirmScreen(ModalScreen[bool]):
    """A question with the facts behind it; y confirms (when allowed), n or escape cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", "yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "no", id="confirm_no"),
    ]

    def __init__(self, question: str, facts: list[str], allowed: bool):
        super().__init__()
        self.question, self.facts, self.allowed = question, facts, allowed

    def compose(self) -> ComposeResult:
        prompt = "y: yes   n: no" if self.allowed else "n or escape: close"
        yield Static("\n".join([self.question, "", *self.facts, "", prompt]), id="confirm", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes and self.allowed)


class WhereInput(Input):
    """The filter's field, whose enter shows in the Footer (an Input's own is hidden)."""

    BINDINGS = [Binding("enter", "submit", "apply", id="apply_filter")]


class FilterScreen(ModalScreen[str]):
    """The `--where` language of `wb runs list`; empty clears the filter."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="cancel")]

    def __init__(self, current: str):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        yield WhereInput(
            value=self.current,
            id="where",
            placeholder="metrics.rmse < 4 and params.num_leaves >= 31   (enter: apply; empty: all runs)",
        )
        yield WbFooter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportScreen(ModalScreen[str]):
    """Where to write the table: a file name, with a default to accept with enter."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="cancel")]

    def __init__(self, default: str):
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Static(
                "Export the table to (CSV, or JSON if the name ends .json): enter writes, escape cancels",
                markup=False,
            )
            yield Input(value=self.default, id="export_path")
        yield WbFooter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ColumnsScreen(ModalScreen[list]):
    """Pick the runs table's columns and their order: space shows or hides the highlighted
    one, J and K move it down and up, enter keeps the choice, d goes back to the default
    (the columns that fit), escape leaves things as they were. Dismissed with the columns
    chosen, [] for the default, None for no change."""

    BINDINGS = [
        Binding("space", "toggle", "show/hide", id="column_toggle"),
        Binding("J,shift+down", "move(1)", "move down", id="column_down"),
        Binding("K,shift+up", "move(-1)", "move up", id="column_up"),
        Binding("d", "default", "default columns", id="column_default"),
        Binding("escape", "cancel", "cancel", id="cancel_columns"),
    ]

    def __init__(self, scope: str, shown: list[str], choices: list[str]):
        super().__init__()
        self.scope = scope
        # The shown ones first, in their order, then the rest as the runs offer them.
        self.order = [*shown, *(c for c in choices if c not in shown)]
        self.shown = set(shown)

    def compose(self) -> ComposeResult:
        whose = f"the runs of experiment {self.scope}" if self.scope else "runs of several experiments"
        with Vertical(id="columns"):
            yield Static(
                visible(
                    f"Columns for {whose}: space shows or hides, J/K move, enter keeps, "
                    "d the default, escape cancels"
                ),
                markup=False,
            )
            yield OptionList(*self._prompts(), id="column_list")
        yield WbFooter()

    def _prompts(self) -> list[Text]:
        return [Text(f"[{'x' if c in self.shown else ' '}] {visible(c)}") for c in self.order]

    def _redraw(self, highlighted: int) -> None:
        options = self.query_one(OptionList)
        options.set_options(self._prompts())
        options.highlighted = highlighted

    def action_toggle(self) -> None:
        at = self.query_one(OptionList).highlighted
        if at is not None:
            self.shown ^= {self.order[at]}
            self._redraw(at)

    def action_move(self, step: int) -> None:
        at = self.query_one(OptionList).highlighted
        if at is not None and 0 <= at + step < len(self.order):
            self.order[at], self.order[at + step] = self.order[at + step], self.order[at]
            self._redraw(at + step)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = [c for c in self.order if c in self.shown]
        if not chosen:
            self.app.notify("choose one column at least (d: the default)", severity="error")
            return
        self.dismiss(chosen)

    def action_default(self) -> None:
        self.dismiss([])

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every binding, as the keymap has it now, by where it works."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "close", id="close_help")]

    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with ScrollPane(id="help"):
            yield Static("\n".join(self.lines), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class TextScreen(ReportsWorkerErrors, Screen):
    """Text made in a worker (a comparison, a diff, an evaluation), full width; escape goes
    back. `ansi` is for charts drawn by plotext; anything else is shown literally."""

    BINDINGS = [Binding("escape", "app.pop_screen", "back", id="back")]

    def __init__(self, title: str, make: Callable[[int], str], ansi: bool = False):
        super().__init__()
        self.heading, self.make, self.ansi = visible(title), make, ansi
        self.made: str | None = None  # the text once made, before it is wrapped to the width
        self.made_ansi = ansi

    def compose(self) -> ComposeResult:
        yield Header()
        yield LoadingIndicator(id="text_busy")  # until the text is made (an evaluation: seconds)
        with ScrollPane(id="text_pane"):
            yield Static(f"{self.heading}: working...", id="text", markup=False)
        yield WbFooter()

    def on_mount(self) -> None:
        self.title = f"wb: {self.heading}"
        self.load(self.size.width)

    @background("text")
    def load(self, width: int) -> None:
        try:
            made, ansi = self.make(width), self.ansi
        except WbError as exc:  # its sentence quotes data (a column, a file name): escaped
            made, ansi = visible(str(exc)), False
        self.app.call_from_thread(self._show, made, ansi)

    def _show(self, made: str, ansi: bool) -> None:
        self.made, self.made_ansi = made, ansi
        self._draw()
        for busy in self.query("#text_busy"):
            busy.display = False

    def _draw(self) -> None:
        """Charts (ANSI) as drawn, other text wrapped to the width with a hanging indent."""
        for pane in self.query(ScrollPane).results(ScrollPane):
            text = self.made
            shown = Text.from_ansi(text) if self.made_ansi else Text(layout.hang(text, pane.text_width()))
            pane.query_one("#text", Static).update(shown)

    def on_scroll_pane_resized(self) -> None:
        if self.made is not None:
            self._draw()
