"""Thread workers for the screens' database and file work. A WbError is handled where it is
raised (its sentence shown); anything else is a bug in wb, and it becomes one notification
instead of the app exiting with a traceback: the other screens go on working."""

from __future__ import annotations

from textual import work
from textual.worker import Worker, WorkerState

from ..formatting import visible


def background(group: str, exclusive: bool = True):
    """`@background("load")`: a thread worker in `group` (a newer one replaces the running
    one when `exclusive`) whose unexpected error goes to ReportsWorkerErrors."""
    return work(thread=True, exclusive=exclusive, group=group, exit_on_error=False)


class ReportsWorkerErrors:
    """For the nodes that start workers (the app and its screens): their workers' state
    messages come to them, not up the DOM."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            # The error's text can quote data (a file name, a value): literal and escaped.
            self.app.notify(
                visible(
                    f"unexpected error in wb ({type(error).__name__}: {error}); "
                    f"this screen may be out of date"
                ),
                severity="error",
                timeout=15,
                markup=False,
            )
