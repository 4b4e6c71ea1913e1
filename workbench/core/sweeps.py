"""Grids of training runs (`wb train --sweep`), run one after another or in parallel processes.

Every point of the grid is checked before the first run starts, so a bad value anywhere leaves
no runs behind.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import training
from .errors import InvalidInput
from .workspace import Workspace


def parse_value(text: str) -> Any:
    """A typed value from the command line: JSON numbers, true/false, null, else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignment(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInput(f"{option} takes KEY=VALUE, not {text!r}")
    if not value.strip():
        raise InvalidInput(f"{option} {key.strip()}= has no value")
    return key.strip(), value


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
             experiment: str | None, jobs: int = 1,
             on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    specs = [replace(base, params={**base.params, **point}) for point in grid(sweep)]
    loaded = training.load(ws, base.data)
    prepared = [training.prepare(ws, spec, loaded) for spec in specs]  # all checked up front
    outcomes: list[Outcome] = []
    if jobs <= 1 or len(specs) == 1:
        for p in prepared:
            outcomes.append(_train_here(ws, p, experiment))
            if on_done:
                on_done(outcomes[-1])
        return outcomes
    del prepared  # each worker prepares its own copy
    import multiprocessing

    # spawn, not fork: forking a process that has started LightGBM's or BLAS's threads can hang.
    with ProcessPoolExecutor(max_workers=jobs,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_train_in_worker, str(ws.root), spec.to_dict(), experiment): spec
                   for spec in specs}
        for future in as_completed(futures):
            run_id, error = future.result()
            outcomes.append(Outcome(run_id, futures[future], error))
            if on_done:
                on_done(outcomes[-1])
    return outcomes


def _train_here(ws: Workspace, prepared: training.Prepared, experiment: str | None) -> Outcome:
    try:
        return Outcome(training.train(ws, prepared.spec, experiment=experiment,
                                      prepared=prepared), prepared.spec)
    except Exception as exc:  # the run is already recorded as failed; the sweep goes on
        return Outcome(getattr(exc, "wb_run_id", None), prepared.spec,
                       f"{type(exc).__name__}: {exc}")


def _train_in_worker(root: str, spec: dict, experiment: str | None) -> tuple[str | None, str | None]:
    ws = Workspace(Path(root))
    outcome = _train_here(ws, training.prepare(ws, training.TrainSpec(**spec)), experiment)
    return outcome.run_id, outcome.error

