"""`DaskExecutor`: a batch of trainings (a sweep's runs) as tasks on a Dask distributed
cluster, the BatchExecutor of executor.py for `wb train --cluster` and `[compute] cluster`.

The workstation stays the only writer of its workspace. It reads each dataset a batch trains on
and sends it to the cluster once (scattered to every worker); a task fits one run on it with
training's own code and hands back the fitted model's bytes, its metrics and learning curve
(`training.Fitted`), touching no workspace; this process records each as it arrives, checking
the model's hash, and ends the run. A run is created, running, when its task is submitted, and
no more tasks are out than the cluster has threads: a run that says running is being trained,
and one interrupted leaves no queue behind. This process keeps the runs' heartbeats meanwhile.

A worker that dies: Dask gives its task to another worker (up to the scheduler's
`distributed.scheduler.allowed-failures`, 3 by default), and wb says so; when Dask gives up on
it, the run is `lost` and the batch goes on.

`dask[distributed]` is the optional extra `[dask]`, imported only once a cluster is asked for
(it pulls in click, among others).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
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
TOPIC = "wb.train"  # where each task says, as it starts, which run it trains
LOST = "its worker died while training it, and Dask gave up on it"
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
        specs: Sequence[training.TrainSpec],
        *,
        jobs: int,
        experiment: str | None,
        tags: Mapping[str, str],
        on_done: Callable[[TrialOutcome], None] | None = None,
        on_progress: training.OnProgress | None = None,
    ) -> list[TrialOutcome]:
        """As BatchExecutor says, except that the cluster's threads, not `jobs`, set how many
        train at once."""
        import distributed

        prepared = self._arranged(ws, specs)
        shared = {
            key: self.client.scatter(data, broadcast=True, hash=False)
            for key, data in {_data_key(p.spec): p.data for p in prepared}.items()
        }
        slots = max(1, sum(self.client.nthreads().values()))
        starts: Counter[str] = Counter()  # tasks started, by run: more than one is a retry
        self.client.subscribe_topic(TOPIC, lambda event: starts.update([event[1]]))
        waiting = list(reversed(prepared))
        out: dict[distributed.Future, tuple[Run, training.TrainSpec]] = {}  # tasks out
        arrivals = distributed.as_completed(loop=self.client.loop)
        outcomes: list[TrialOutcome] = []

        def tell(outcome: TrialOutcome) -> None:
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)

        def submit() -> None:
            """Fill the cluster's free threads, a new running run for each task."""
            while waiting and len(out) < slots:
                p = waiting.pop()
                try:
                    run = training.open_run(ws, p, experiment=experiment, tags=dict(tags))
                except Exception as exc:
                    tell(TrialOutcome(None, p.spec, training.reason(exc)))
                    continue
                future = self.client.submit(
                    _fit_on_worker, shared[_data_key(p.spec)], p.spec, run.id, key=f"wb-train-{run.id}"
                )
                out[future] = run, p.spec
                arrivals.add(future)
            if on_progress:
                on_progress("training", len(out), None)

        try:
            submit()
            for future in arrivals:
                run, spec = out.pop(future)
                submit()  # before recording this one: keep the workers busy
                tell(_record(run, spec, future, starts[run.id]))
                if on_progress:
                    on_progress("training", len(out), None)
        except KeyboardInterrupt:
            self.client.cancel(list(out))
            for run, _ in out.values():
                run.end("killed", error="interrupted")
            raise BatchInterrupted([run.id for run, _ in out.values()]) from None
        finally:
            self.client.unsubscribe_topic(TOPIC)
            self.client.cancel(list(shared.values()))  # the data leaves the workers' memory
        return outcomes

    def _arranged(self, ws: Workspace, specs: Sequence[training.TrainSpec]) -> list[training.Prepared]:
        """Each spec arranged on its data, each dataset (and window) read once."""
        loaded: dict[tuple[str, int], training.TrainingData] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Caution)  # the specs are checked: the caller was told
            for spec in specs:
                if _data_key(spec) not in loaded:
                    loaded[_data_key(spec)] = training.load(ws, spec.data, spec.window)
        return [training.arrange(spec, loaded[_data_key(spec)]) for spec in specs]


def _data_key(spec: training.TrainSpec) -> tuple[str, int]:
    return spec.data, spec.window


def _record(run: Run, spec: training.TrainSpec, future: distributed.Future, starts: int) -> TrialOutcome:
    """End the run with what its task handed back: finished with it recorded, failed with the
    task's error, or lost when its worker died and Dask gave up."""
    from distributed import KilledWorker

    try:
        fitted = future.result()
    except KilledWorker:
        run.end("lost", error=LOST)
        return TrialOutcome(run.id, spec, LOST)
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


def _fit_on_worker(loaded: training.TrainingData, spec: training.TrainSpec, run_id: str) -> training.Fitted:
    """The task: say which run starts (a second start of it is a retry), and fit it."""
    from distributed import get_worker

    get_worker().log_event(TOPIC, run_id)
    return training.fit_frame(loaded, spec)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
