"""`DaskExecutor`: a batch of trainings (a sweep's runs) as tasks on a Dask distributed
cluster, the BatchExecutor of executor.py for `wb train --cluster` and `[compute] cluster`.

The workstation stays the only writer of its workspace. It reads each dataset a batch trains on
and sends it to the cluster once (scattered to every worker); a task fits one run on it with
training's own code and hands back the fitted model's bytes, its metrics and learning curve
(`training.Fitted`), touching no workspace; this process records each as it arrives, checking
the model's hash, and ends the run. Every task of a list of specs (a grid) is submitted at
once (Dask's scheduler hands them to free threads, with no round trip here in between); specs
that come one at a time (a search asks for its next trial as results arrive) are submitted as
many at once as the cluster has threads, the next as one ends. Each task says when it starts,
and its run is made then, running: a run that says running is being trained, and Ctrl-C leaves
no queue of runs behind. This process keeps the runs' heartbeats meanwhile.

A worker that dies: Dask gives its task to another worker (up to the scheduler's
`distributed.scheduler.allowed-failures`, 3 by default), and wb says so; when Dask gives up on
it, the run is `lost` and the batch goes on.

`dask[distributed]` is the optional extra `[dask]`, imported only once a cluster is asked for
(it pulls in click, among others).
"""

from __future__ import annotations

import threading
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from queue import SimpleQueue
from typing import TYPE_CHECKING

from ..errors import Caution, InvalidInput
from ..names import short_id
from ..storage.workspace import Workspace
from . import training
from .executor import BatchInterrupted, TrialOutcome

if TYPE_CHECKING:
    from types import TracebackType

    import distributed

    from .tracking import Run

CONNECT_TIMEOUT_S = 5.0  # to reach the scheduler, and for it to have a worker
TOPIC = "wb.train"  # where each task says, as it starts, its key
LOST = "its worker died while training it, and Dask gave up on it"
# Scattered data cannot be made again: with the last worker that held it gone, Dask cancels
# every task that needs it.
DATA_LOST = "the cluster lost the training data it was sent (the workers holding it died); train it again"
INSTALL = 'pip install "wb-workbench[dask]"'


class DaskExecutor:
    """Trainings on the Dask cluster this holds a client of; close it (or use `with`)."""

    def __init__(self, client: distributed.Client) -> None:
        self.client = client

    @classmethod
    def connect(cls, address: str) -> DaskExecutor:
        """A client of the scheduler at `address` (tcp://HOST:8786) with a worker to train on;
        an unreachable or empty cluster is one sentence (exit 2), within CONNECT_TIMEOUT_S."""
        try:
            import distributed
        except ImportError:
            raise InvalidInput(
                f"training on a Dask cluster ({address}) needs Dask, which is not installed: {INSTALL}"
            ) from None
        try:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:  # refused, timed out, not an address
            raise InvalidInput(f"cannot reach the Dask cluster at {address}: {_first_line(exc)}") from None
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            client.close()
            raise InvalidInput(f"the Dask cluster at {address} has no workers to train on") from None
        return cls(client)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def train_batch(
        self,
        ws: Workspace,
        specs: Iterable[training.TrainSpec],
        *,
        jobs: int,
        experiment: str | None,
        tags: Mapping[str, str],
        on_done: Callable[[TrialOutcome], None] | None = None,
        on_progress: training.OnProgress | None = None,
        watch: Callable[[], training.Watch] | None = None,
    ) -> list[TrialOutcome]:
        """As BatchExecutor says, except that the cluster's threads, not `jobs`, set how many
        train at once: a list's tasks are all submitted at once, and Dask's scheduler hands
        them out; specs one at a time are kept as many out as the cluster has threads."""
        pending = iter(specs)
        limit = len(specs) if isinstance(specs, Sequence) else sum(self.client.nthreads().values())
        loaded: dict[tuple[str, int], training.TrainingData] = {}  # each dataset read once
        shared: dict[tuple[str, int], distributed.Future] = {}  # and sent to the cluster once
        batch = _Batch(ws, experiment, dict(tags), on_done, on_progress)

        def submit() -> bool:
            """The next spec, if any, as a task; whether there was one."""
            spec = next(pending, None)
            if spec is None:
                return False
            data = _data_key(spec)
            if data not in loaded:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Caution)  # the specs are checked: the caller was told
                    loaded[data] = training.load(ws, spec.data, spec.window)
                shared[data] = self.client.scatter(loaded[data], broadcast=True, hash=False)
            arranged, key = training.arrange(spec, loaded[data]), f"wb-train-{uuid.uuid4().hex}"
            task = self.client.submit(_fit_on_worker, shared[data], spec, key, watch and watch(), key=key)
            batch.add(key, arranged, task)
            return True

        self.client.subscribe_topic(TOPIC, batch.heard)
        try:
            batch.follow(submit, max(1, limit))
        except KeyboardInterrupt:
            self.client.cancel(list(batch.out.values()))
            raise BatchInterrupted(batch.kill()) from None
        finally:
            self.client.unsubscribe_topic(TOPIC)
            self.client.cancel(list(shared.values()))  # the data leaves the workers' memory
        return batch.outcomes


class _Batch:
    """A batch's tasks as this process follows them: a task's run is made (running) when the
    task says it has started, and ended when its result or error arrives. Dask's threads set
    `heard` and the futures' callbacks; all the recording is done in the caller's thread."""

    def __init__(
        self,
        ws: Workspace,
        experiment: str | None,
        tags: dict[str, str],
        on_done: Callable[[TrialOutcome], None] | None,
        on_progress: training.OnProgress | None,
    ) -> None:
        self.ws, self.experiment, self.tags = ws, experiment, tags
        self.on_done, self.on_progress = on_done, on_progress
        self.out: dict[str, distributed.Future] = {}  # by task key: the tasks not yet ended
        self.prepared: dict[str, training.Prepared] = {}
        self.runs: dict[str, Run] = {}  # the runs of the tasks out that have started
        self.starts: Counter[str] = Counter()  # more than one start of a task is a retry
        self.started: SimpleQueue[str] = SimpleQueue()
        self.wake = threading.Event()
        self.outcomes: list[TrialOutcome] = []

    def add(self, key: str, p: training.Prepared, future: distributed.Future) -> None:
        self.prepared[key], self.out[key] = p, future
        future.add_done_callback(lambda _: self.wake.set())

    def heard(self, event: tuple[float, str]) -> None:
        """A task's start (`_fit_on_worker`), on TOPIC."""
        self.started.put(event[1])
        self.wake.set()

    def follow(self, submit: Callable[[], bool], limit: int) -> None:
        """Until every task has ended: keep `limit` tasks out while `submit` has more, make
        the runs of tasks that start, end those that end."""
        while len(self.out) < limit and submit():
            pass
        self._progress()
        while self.out:
            self.wake.wait()
            self.wake.clear()  # before looking: what happens from now on wakes the next round
            while not self.started.empty():
                key = self.started.get()
                self.starts[key] += 1
                self._run_of(key)
            for key in [k for k, future in self.out.items() if future.done()]:
                self._end(key)
            while len(self.out) < limit and submit():
                pass
            self._progress()

    def kill(self) -> list[str]:
        """End the runs of the tasks out as killed (their tasks cancelled); their ids."""
        for run in self.runs.values():
            run.end("killed", error="interrupted")
        return [run.id for run in self.runs.values()]

    def _run_of(self, key: str) -> Run | None:
        """The run of a task out, made now if it has none yet; None if it could not be made
        (an outcome, and its task cancelled) or the task has ended."""
        if key in self.runs or key not in self.out:
            return self.runs.get(key)
        p = self.prepared[key]
        try:
            self.runs[key] = training.open_run(self.ws, p, experiment=self.experiment, tags=self.tags)
        except Exception as exc:
            self.out.pop(key).cancel()
            self._tell(TrialOutcome(None, p.spec, training.reason(exc)))
            return None
        return self.runs[key]

    def _end(self, key: str) -> None:
        run = self._run_of(key)  # a task whose start was not heard gets its run now
        if run is None:
            return
        future = self.out.pop(key)
        del self.runs[key]
        self._tell(_record(run, self.prepared[key].spec, future, self.starts[key]))

    def _tell(self, outcome: TrialOutcome) -> None:
        self.outcomes.append(outcome)
        if self.on_done:
            self.on_done(outcome)

    def _progress(self) -> None:
        if self.on_progress:
            self.on_progress("training", len(self.runs), None)


def _data_key(spec: training.TrainSpec) -> tuple[str, int]:
    return spec.data, spec.window


def _record(run: Run, spec: training.TrainSpec, future: distributed.Future, starts: int) -> TrialOutcome:
    """End the run with what its task handed back: finished with it recorded, failed with the
    task's error, or lost when its worker (or the data it needed) died and Dask gave up."""
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError

    try:
        fitted = future.result()
    except (KilledWorker, FutureCancelledError) as exc:
        why = LOST if isinstance(exc, KilledWorker) else DATA_LOST
        run.end("lost", error=why)
        return TrialOutcome(run.id, spec, why)
    except Exception as exc:
        run.end("failed", error=training.reason(exc))
        return TrialOutcome(run.id, spec, training.reason(exc))
    if starts > 1:
        warnings.warn(
            Caution(f"run {short_id(run.id)}: its worker died, so Dask trained it again on another"),
            stacklevel=2,
        )
    try:
        with run:  # an error recording it ends the run as failed
            training.record(run, fitted)
    except Exception as exc:
        return TrialOutcome(run.id, spec, training.reason(exc))
    return TrialOutcome(run.id, spec)


def _fit_on_worker(
    loaded: training.TrainingData, spec: training.TrainSpec, key: str, watch: training.Watch | None
) -> training.Fitted:
    """The task: say that it starts (a second start of it is a retry), and fit."""
    from distributed import get_worker

    get_worker().log_event(TOPIC, key)
    return training.fit_frame(loaded, spec, watch)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
