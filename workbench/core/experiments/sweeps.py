"""Grids of training runs (`wb train --sweep`), run one after another here or in parallel
through an Executor: local worker processes, or a Dask cluster's workers.

Every point of the grid is checked before the first run starts, so a bad value anywhere leaves
no runs behind.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

from ..errors import InvalidInput
from ..names import check_name
from ..storage.workspace import Workspace
from . import training
from .dask_executor import DaskExecutor
from .executor import BatchInterrupted, TrialOutcome
from .local_executor import LocalExecutor


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


def run_grid(
    ws: Workspace,
    base: training.TrainSpec,
    sweep: Mapping[str, Sequence[Any]],
    *,
    experiment: str | None,
    jobs: int = 1,
    tags: Mapping[str, str] | None = None,
    on_done: Callable[[TrialOutcome], None] | None = None,
    on_progress: training.OnProgress | None = None,
    cluster: str | None = None,
) -> list[TrialOutcome]:
    """Train every point of the grid: one after another in this process, with `jobs` > 1
    through the Executor (local worker processes), or on the Dask cluster at `cluster`
    (default: the workspace's `[compute] cluster`; "" for this machine), reached before
    anything else is done. Ctrl-C ends the runs in progress as killed, starts no more, and
    raises BatchInterrupted (exit 130) saying which runs it stopped.

    `on_progress(stage, done, total)` hears the stages: "loading" the data, "checking" the
    runs (done of total checked), then each run's own stages (`training.train`'s) when they
    run in this process, or "training" when they run through an executor (with how many
    are running, from one that counts them: the cluster's)."""
    if experiment is not None:
        check_name(experiment, "experiment")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidInput(f"--jobs must be a whole number of at least 1, not {jobs!r}")
    specs = [replace(base, params={**base.params, **point}) for point in grid(sweep)]
    for spec in specs:
        training.check_request(spec)
    address = ws.config.compute.cluster if cluster is None else cluster
    with DaskExecutor.connect(address) if address else nullcontext() as on_cluster:
        if on_progress:
            on_progress("loading", None, None)
        loaded = training.load(ws, base.data, base.window)
        prepared: list[training.Prepared] = []
        for spec in specs:  # all checked up front
            if on_progress:
                on_progress("checking", len(prepared), len(specs))
            prepared.append(training.prepare(ws, spec, loaded))
        if on_cluster is None and (jobs <= 1 or len(specs) == 1):
            return _run_here(ws, prepared, experiment, dict(tags or {}), on_done, on_progress)
        del prepared, loaded  # the executor arranges its own copies
        return (on_cluster or LocalExecutor()).train_batch(
            ws,
            specs,
            jobs=jobs,
            experiment=experiment,
            tags=dict(tags or {}),
            on_done=on_done,
            on_progress=on_progress,
        )


def _run_here(
    ws: Workspace,
    prepared: list[training.Prepared],
    experiment: str | None,
    tags: dict[str, str],
    on_done: Callable[[TrialOutcome], None] | None,
    on_progress: training.OnProgress | None,
) -> list[TrialOutcome]:
    outcomes: list[TrialOutcome] = []
    for p in prepared:
        try:
            outcomes.append(
                training.attempt(ws, p, experiment=experiment, tags=tags, on_progress=on_progress)
            )
        except training.TrainingInterrupted as exc:  # the run itself is already ended as killed
            raise BatchInterrupted([exc.run_id]) from None
        except KeyboardInterrupt:
            raise BatchInterrupted([]) from None
        if on_done:
            on_done(outcomes[-1])
    return outcomes
