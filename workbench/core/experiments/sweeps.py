"""Grids of training runs (`wb train --sweep`), run one after another or in parallel processes.

Every point of the grid is checked before the first run starts, so a bad value anywhere leaves
no runs behind.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import signal
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import EXIT_INTERRUPTED, InvalidInput, WbError
from ..names import check_name, plural, short_id
from ..storage.workspace import Workspace
from . import training

INTERRUPTED = "interrupted"


def parse_value(text: str) -> Any:
    """A typed value from the command line: JSON numbers, true/false, null, else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def grid(sweep: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the swept values (one empty point when nothing is swept)."""
    for key, values in sweep.items():
        if not values:
            raise InvalidInput(f"--sweep {key} has no values")
    keys = list(sweep)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(sweep[k] for k in keys))]


@dataclass
class Outcome:
    run_id: str | None
    spec: training.TrainSpec
    error: str | None = None


def run_grid(ws: Workspace, base: training.TrainSpec, sweep: Mapping[str, Sequence[Any]], *,
             experiment: str | None, jobs: int = 1, tags: Mapping[str, str] | None = None,
             on_done: Callable[[Outcome], None] | None = None,
             on_progress: training.OnProgress | None = None) -> list[Outcome]:
    """Train every point of the grid. Ctrl-C ends the runs in progress as killed, starts no
    more, and raises one WbError (exit 130) saying which runs it stopped.

    `on_progress(stage, done, total)` hears the stages: "loading" the data, "checking" the
    runs (done of total checked), then each run's own stages (`training.train`'s) when they
    run in this process, or "training" once when they run in worker processes."""
    if experiment is not None:
        check_name(experiment, "experiment")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidInput(f"--jobs must be a whole number of at least 1, not {jobs!r}")
    filed = {"experiment": experiment, "tags": dict(tags or {})}  # where each run is filed
    specs = [replace(base, params={**base.params, **point}) for point in grid(sweep)]
    for spec in specs:
        training.check_request(spec)
    if on_progress:
        on_progress("loading", None, None)
    loaded = training.load(ws, base.data, base.window)
    prepared = []
    for spec in specs:  # all checked up front
        if on_progress:
            on_progress("checking", len(prepared), len(specs))
        prepared.append(training.prepare(ws, spec, loaded))
    if jobs <= 1 or len(specs) == 1:
        return _run_here(ws, prepared, filed, on_done, on_progress)
    del prepared  # each worker prepares its own copy
    return _run_in_workers(ws, specs, filed, jobs, on_done, on_progress)


def _run_here(ws: Workspace, prepared: list[training.Prepared], filed: dict[str, Any],
              on_done: Callable[[Outcome], None] | None,
              on_progress: training.OnProgress | None = None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for p in prepared:
        try:
            outcomes.append(_train_here(ws, p, filed, on_progress))
        except KeyboardInterrupt as exc:  # the run itself is already ended as killed
            raise _interrupted([getattr(exc, "wb_run_id", None)]) from None
        if on_done:
            on_done(outcomes[-1])
    return outcomes


def _run_in_workers(ws: Workspace, specs: list[training.TrainSpec], filed: dict[str, Any],
                    jobs: int, on_done: Callable[[Outcome], None] | None,
                    on_progress: training.OnProgress | None = None) -> list[Outcome]:
    # spawn, not fork: forking a process that has started LightGBM's or BLAS's threads can hang.
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_signals)
    # Ctrl-C reaches the terminal's whole process group: the workers ignore it from their first
    # instruction (an ignored signal stays ignored across exec), and this process stops them.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        futures = {pool.submit(_train_in_worker, str(ws.root), spec.to_dict(), filed): spec
                   for spec in specs}
    finally:
        signal.signal(signal.SIGINT, previous)
    if on_progress:
        on_progress("training", None, None)
    outcomes: list[Outcome] = []
    try:
        for future in as_completed(futures):
            run_id, error = future.result()
            outcomes.append(Outcome(run_id, futures[future], error))
            if on_done:
                on_done(outcomes[-1])
    except KeyboardInterrupt:
        raise _interrupted(_stop_workers(pool, futures)) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return outcomes


def _stop_workers(pool: ProcessPoolExecutor, futures: Mapping[Future, Any]) -> list[str | None]:
    """Cancel what has not started, tell the workers to end their runs as killed (SIGTERM, see
    `_worker_signals`), and return the ids of the runs they stopped. The pool is shut down (and
    its manager thread joined) by the caller afterwards: a manager thread still running at exit
    races Python's own shutdown of it into an 'Exception ignored' traceback."""
    for future in futures:
        future.cancel()
    for child in multiprocessing.active_children():
        child.terminate()
    stopped = []
    for future in wait(futures).done:
        if not future.cancelled() and future.exception() is None:
            run_id, error = future.result()
            if error == INTERRUPTED:
                stopped.append(run_id)
    return stopped


def _interrupted(run_ids: Sequence[str | None]) -> WbError:
    killed = [short_id(r) for r in run_ids if r]
    detail = (f"{plural(len(killed), 'run')} marked killed ({', '.join(killed)})" if killed
              else "no run was in progress")
    return WbError(f"interrupted; {detail}, and no more were started", EXIT_INTERRUPTED)


def _train_here(ws: Workspace, prepared: training.Prepared, filed: dict[str, Any],
                on_progress: training.OnProgress | None = None) -> Outcome:
    try:
        return Outcome(training.train(ws, prepared.spec, prepared=prepared,
                                      on_progress=on_progress, **filed), prepared.spec)
    except Exception as exc:  # the run is already recorded as failed; the sweep goes on
        return Outcome(getattr(exc, "wb_run_id", None), prepared.spec,
                       f"{type(exc).__name__}: {exc}")


# A worker's state for its SIGTERM handler: whether it is training, and whether it was told to stop.
_worker = {"busy": False, "stopping": False}


def _worker_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)


def _stop_worker(signum, frame) -> None:
    """The sweep was interrupted: a training worker ends its run as killed; an idle one simply
    takes no more work (the pool's shutdown then ends it quietly, with no traceback)."""
    _worker["stopping"] = True
    if _worker["busy"]:
        raise KeyboardInterrupt


def _train_in_worker(root: str, spec: dict, filed: dict[str, Any]) -> tuple[str | None, str | None]:
    if _worker["stopping"]:
        return None, INTERRUPTED
    _worker["busy"] = True
    try:
        ws = Workspace(Path(root))
        outcome = _train_here(ws, training.prepare(ws, training.TrainSpec(**spec)), filed)
        return outcome.run_id, outcome.error
    except KeyboardInterrupt as exc:
        return getattr(exc, "wb_run_id", None), INTERRUPTED
    finally:
        _worker["busy"] = False
