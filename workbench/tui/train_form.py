"""The training form (`n` on the runs): `wb train` from fields that start filled in, checked as
`wb train` checks them before anything is launched, each problem shown under its field."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.worker import get_current_worker

from ..core.errors import WbError
from ..core.experiments.train_request import Request
from ..formatting import visible
from . import views
from .footer import WbFooter
from .modals import ConfirmScreen
from .workers import ReportsWorkerErrors, background

FIELDS = (
    ("data", "dataset version, e.g. sales@1"),
    ("target", "column to predict"),
    ("model", "lightgbm, random_forest, extra_trees, hist_gradient_boosting, linear, baseline"),
    ("experiment", "default"),
    ("params", "KEY=VALUE ... (space-separated)"),
    ("sweep", "KEY=V1,V2 ... (space-separated): a run for each combination"),
)
LISTS = ("params", "sweep")  # the fields of space-separated items


def describe(request: Request) -> str:
    """A training in a line: what it learns from what, and how."""
    parts = [f"{request.target} from {request.data} with {request.model or 'lightgbm'}"]
    parts += [f"experiment {request.experiment}"] if request.experiment else []
    parts += [f"{name} {' '.join(getattr(request, name))}" for name in LISTS if getattr(request, name)]
    return visible(", ".join(parts))


class LaunchScreen(ReportsWorkerErrors, ModalScreen[Request | None]):
    """Dismissed with the training to launch, once it passed the checks (and, when it is the
    one launched from here last, once asked); None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "cancel", id="cancel_launch")]

    def __init__(self, root: Path, launched: Request | None):
        super().__init__()
        self.root = root
        # The training launched from the form last: its values come back, to change rather
        # than retype, and an enter on them unchanged asks first. None: the defaults.
        self.launched = launched

    def compose(self) -> ComposeResult:
        values = self.launched or Request(model="")
        with Vertical(id="launch"):
            yield Static(
                "Train a model: tab moves to the next field, enter checks and starts it, escape cancels",
                id="launch_title",
                markup=False,
            )
            for name, hint in FIELDS:
                value = getattr(values, name)
                with Horizontal(classes="launch_field"):
                    yield Label(name, classes="launch_label")
                    yield Input(
                        " ".join(value) if name in LISTS else value,
                        placeholder=hint,
                        id=f"launch_{name}",
                        compact=True,
                    )
                yield Static("", id=f"launch_{name}_error", classes="launch_error", markup=False)
            yield Static("", id="launch_status", markup=False)
        yield WbFooter()  # its own keys, with ? help and q quit kept

    def on_mount(self) -> None:
        self._prepare()

    @background("prepare")
    def _prepare(self) -> None:
        """The defaults (on a first opening) and the model names to complete from; importing
        the trainers now (a second) also readies the check for the first enter."""
        from ..core.experiments.train_request import first_values

        if self.launched is None:
            try:
                with views.opened(self.root) as ws:
                    self.app.call_from_thread(self._fill, first_values(ws))
            except WbError:  # the workspace's trouble shows on the runs screen
                pass
        from ..core.experiments import train_checks  # noqa: F401  (the import is the point)
        from ..core.experiments.estimators import MODELS

        self.app.call_from_thread(self._suggest, MODELS)

    def _suggest(self, models: tuple[str, ...]) -> None:
        from textual.suggester import SuggestFromList

        self.query_one("#launch_model", Input).suggester = SuggestFromList(models)

    def _fill(self, found: Request) -> None:
        """The defaults, in the fields still empty (typing may have begun)."""
        for name, _ in FIELDS:
            field = self.query_one(f"#launch_{name}", Input)
            value = getattr(found, name)
            if not field.value and value:
                field.value = " ".join(value) if name in LISTS else value

    def request(self) -> Request:
        found = {name: self.query_one(f"#launch_{name}", Input).value.strip() for name, _ in FIELDS}
        lists = {name: tuple(found.pop(name).split()) for name in LISTS}
        return Request(**found, **lists)

    def on_input_changed(self, event: Input.Changed) -> None:
        """An edited field's error goes: it was about the old value."""
        self._say(event.input.id or "", "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        request = self.request()
        for name, _ in FIELDS:
            self._say(f"launch_{name}", "")
        if request == self.launched:
            question = ConfirmScreen(
                "This is the training launched from here last time. Train it again?",
                [describe(request)],
                True,
            )
            self.app.push_screen(question, lambda yes: self._check(request) if yes else None)
        else:
            self._check(request)

    def _say(self, field_id: str, message: str) -> None:
        for error in self.query(f"#{field_id}_error").results(Static):
            error.update(visible(message))
            error.display = bool(message)

    def _status(self, message: str, error: bool = False) -> None:
        status = self.query_one("#launch_status", Static)
        status.update(visible(message))
        status.set_class(error, "-error")
        status.display = bool(message)

    def _check(self, request: Request) -> None:
        """In a worker: the data is read and each point trial-fitted (a second or more). A
        second enter meanwhile starts the check again with what the fields say then."""
        self._status("checking, as wb train does before its first run...")
        self._run_check(request)

    @background("check")
    def _run_check(self, request: Request) -> None:
        from ..core.experiments.train_checks import FieldError, check

        worker = get_current_worker()
        try:
            with views.opened(self.root) as ws:
                check(ws, request)
        except FieldError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._refuse, exc.field, str(exc))
            return
        except WbError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._status, str(exc), True)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.dismiss, request)

    def _refuse(self, field: str, message: str) -> None:
        self._status("")
        self._say(f"launch_{field}", message)
        self.query_one(f"#launch_{field}", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
