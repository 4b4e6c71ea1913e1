"""The seam every launch of a run's process goes through: `wb run` (in the foreground, or
`--detach`ed), the TUI's train form and a sweep's parallel runs.

`Executor` says what a launch needs; `local_executor.LocalExecutor` (processes on this
machine) implements all of it. `BatchExecutor` is its batch-training part alone, which
`dask_executor.DaskExecutor` (a Dask cluster) implements: whatever runs the work, this
workstation stays the only writer of its database, so a remote worker hands results back
rather than writing them. This module is light (no polars, no scikit-learn): the CLI
imports it at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

from ..errors import EXIT_INTERRUPTED, WbError
from ..names import plural, short_id
from ..storage.workspace import Workspace

if TYPE_CHECKING:
    from .training import OnProgress, TrainSpec, Watch

# A launched program finds the run it belongs to here (`wb.start_run()` attaches to it).
ENV_RUN_ID = "WB_RUN_ID"


@dataclass(frozen=True)
class CommandOutcome:
    """How a command run ended: its status ("finished", "failed", "killed") and exit code."""

    run_id: str
    status: str
    exit_code: int


@dataclass(frozen=True)
class TrialOutcome:
    """How one training of a batch ended: its run (None if it never got one) and, when it
    failed or was interrupted, why."""

    run_id: str | None
    spec: TrainSpec
    error: str | None = None


class BatchInterrupted(WbError):
    """Ctrl-C stopped a batch of trainings: the runs in progress are ended as killed and no
    more are started."""

    def __init__(self, run_ids: Sequence[str | None]):
        self.run_ids = [r for r in run_ids if r]
        killed = [short_id(r) for r in self.run_ids]
        detail = (
            f"{plural(len(killed), 'run')} marked killed ({', '.join(killed)})"
            if killed
            else "no run was in progress"
        )
        super().__init__(f"interrupted; {detail}, and no more were started", EXIT_INTERRUPTED)


class Started(Protocol):
    """A launch running in the background, as `subprocess.Popen` is one: `wait(timeout)`
    returns its exit code, or raises `subprocess.TimeoutExpired` if it is still going."""

    def wait(self, timeout: float | None = None) -> int: ...


class BatchExecutor(Protocol):
    def train_batch(
        self,
        ws: Workspace,
        specs: Iterable[TrainSpec],
        *,
        jobs: int,
        experiment: str | None,
        tags: Mapping[str, str],
        on_done: Callable[[TrialOutcome], None] | None = None,
        on_progress: OnProgress | None = None,
        watch: Callable[[], Watch] | None = None,
    ) -> list[TrialOutcome]:
        """Train each of `specs` (already checked) as a run, at most `jobs` at once, telling
        `on_done` each outcome as it ends (in the order they end) and `on_progress` the
        stage "training" once they are under way (with, as its `done`, how many are
        running, by an executor that counts them, each time that changes). A failed run is
        an outcome, not an error. Ctrl-C ends the runs in progress as killed, starts no more,
        and raises BatchInterrupted naming them.

        `specs` is read lazily: the next spec is taken when a run can start, after
        `on_done` has heard the outcomes so far (a search asks for its next trial then).
        `watch`, when given, makes the watch each run's fit reports its rounds to, as the
        run is handed out (a search's pruner, with the curves of the trials ended so far)."""
        ...


class Executor(BatchExecutor, Protocol):
    def execute(self, ws: Workspace, run_id: str, command: Sequence[str]) -> CommandOutcome:
        """Run `command` as the recorded run `run_id` in the foreground (its output shown and
        kept as the run's logs), supervise it, and end the run with its exit status."""
        ...

    def detach(self, ws: Workspace, run_id: str, command: Sequence[str]) -> int:
        """Start the queued run `run_id` in the background, supervised as `execute` does,
        outliving the caller; returns its supervisor's pid."""
        ...

    def start_training(self, ws: Workspace, argv: Sequence[str], stderr: BinaryIO | int) -> Started:
        """Start `wb train ARGV` in the background, outliving the caller; its runs appear in
        the workspace as it goes, and its one-sentence error, if it fails, goes to `stderr`."""
        ...
