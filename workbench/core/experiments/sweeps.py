"""Sweeps of training runs (`wb train --sweep`): a grid of every combination, or a search
(search.py) that picks its trials from ranges and lists, run one after another here or in
parallel through an Executor: local worker processes, or a Dask cluster's workers.

Every point of the grid, and every end of a search's ranges and value of its lists, is
checked before the first run starts, so a bad value anywhere leaves no runs behind.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Any

from ..errors import InvalidInput
from ..names import check_name, parse_assignment
from ..storage.workspace import Workspace
from . import run_names, search, training
from .dask_executor import DaskExecutor
from .executor import BatchInterrupted, TrialOutcome
from .local_executor import LocalExecutor

# LOW:HIGH or LOW:HIGH:SCALE, no commas (a list of values has them).
_RANGE = re.compile(r"(?P<low>[^:,]+):(?P<high>[^:,]+)(?::(?P<scale>[^:,]*))?")


def parse_value(text: str) -> Any:
    """A typed value from the command line: JSON numbers, true/false, null, else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_params(items: Iterable[str], option: str = "--param") -> dict[str, Any]:
    """`KEY=VALUE` items (`--param`, or a form's field named `option`) as typed parameters."""
    found: dict[str, Any] = {}
    for item in items:
        key, value = parse_assignment(item, option)
        found[key] = parse_value(value)
    return found


def parse_space(items: Iterable[str], option: str = "--sweep") -> dict[str, list[Any] | search.Range]:
    """`KEY=V1,V2` or `KEY=LOW:HIGH` items (`--sweep`, or a form's field) as a sweep's space."""
    space: dict[str, list[Any] | search.Range] = {}
    for item in items:
        key, values = parse_assignment(item, option)
        space[key] = parse_sweep(key, values)
    return space


def parse_range(key: str, text: str) -> search.Range | None:
    """`--sweep KEY=LOW:HIGH[:log|:int]` as a Range; None when `text` is not one (a value, or
    a list of them, as a grid takes). A text is a range when it is a number, a colon, more."""
    found = _RANGE.fullmatch(text.strip())
    if not found or not _is_number(parse_value(found["low"])):
        return None
    low, high, scale = parse_value(found["low"]), parse_value(found["high"]), found["scale"]
    where = f"--sweep {key}={text}"
    if not _is_number(high) or not (math.isfinite(low) and math.isfinite(high)):
        raise InvalidInput(f"{where}: the ends of a range must be finite numbers (LOW:HIGH)")
    if scale not in (None, "log", "int"):
        raise InvalidInput(f"{where}: a range is LOW:HIGH, LOW:HIGH:log or LOW:HIGH:int, not :{scale}")
    if low >= high:
        raise InvalidInput(f"{where}: the low end of a range must be below its high end")
    if scale == "log" and low <= 0:
        raise InvalidInput(f"{where}: a log range must start above 0")
    if scale == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise InvalidInput(f"{where}: an :int range needs whole numbers at both ends")
    if scale == "int":
        return search.Range(int(low), int(high), scale)
    return search.Range(float(low), float(high), scale)


def parse_sweep(key: str, text: str) -> list[Any] | search.Range:
    """`--sweep KEY=TEXT`: a range, or the comma-separated values of a list."""
    return parse_range(key, text) or [parse_value(v) for v in text.split(",")]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
    specs = [replace(base, params={**base.params, **point}) for point in grid(sweep)]
    launch = _Launch(ws, experiment, jobs, dict(tags or {}), on_done, on_progress, cluster)
    return launch.run(base, specs, None)


def run_search(
    ws: Workspace,
    base: training.TrainSpec,
    space: search.Space,
    *,
    kind: str,
    trials: int,
    experiment: str | None,
    name: str | None = None,
    early_stop: bool = False,
    jobs: int = 1,
    tags: Mapping[str, str] | None = None,
    on_done: Callable[[TrialOutcome], None] | None = None,
    on_progress: training.OnProgress | None = None,
    cluster: str | None = None,
) -> tuple[search.SearchSummary, list[TrialOutcome]]:
    """Train `trials` runs whose parameters a `kind` ("random" or "tpe") search picks from
    `space`, seeded by `base.seed`, each tagged with the search's `name` (default: a new
    one) and kind; with `early_stop`, those whose learning curve falls behind are pruned
    (LightGBM only). Where they run, Ctrl-C and `on_progress`: as `run_grid` says."""
    search.check(kind, space, trials, early_stop)
    if early_stop and base.model != "lightgbm":
        raise InvalidInput(f"--early-stop watches LightGBM's learning curve, which {base.model} has not")
    name = name or run_names.run_name()
    check_name(name, "search")
    tags = {**(tags or {}), search.SEARCH_TAG: name, search.KIND_TAG: kind}
    searching = search.Search(name, kind, space, trials, seed=base.seed, early_stop=early_stop)
    launch = _Launch(ws, experiment, jobs, tags, on_done, on_progress, cluster)
    outcomes = launch.run(base, search.corners(base, space), searching)
    return searching.summary(), outcomes


_Told = Callable[[TrialOutcome], None]


class _Launch:
    """Where and how a sweep's runs are trained, and the checks before the first."""

    def __init__(
        self,
        ws: Workspace,
        experiment: str | None,
        jobs: int,
        tags: dict[str, str],
        on_done: _Told | None,
        on_progress: training.OnProgress | None,
        cluster: str | None,
    ) -> None:
        if experiment is not None:
            check_name(experiment, "experiment")
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise InvalidInput(f"--jobs must be a whole number of at least 1, not {jobs!r}")
        self.ws, self.experiment, self.jobs, self.tags = ws, experiment, jobs, tags
        self.on_done, self.on_progress, self.cluster = on_done, on_progress, cluster

    def run(
        self, base: training.TrainSpec, checked: list[training.TrainSpec], searching: search.Search | None
    ) -> list[TrialOutcome]:
        """Check `checked`, then train them (a grid), or the trials of `searching`, which
        hears each outcome first."""
        ws, on_progress = self.ws, self.on_progress
        for spec in checked:
            training.check_request(spec)
        address = ws.config.compute.cluster if self.cluster is None else self.cluster
        with DaskExecutor.connect(address) if address else nullcontext() as on_cluster:
            if on_progress:
                on_progress("loading", None, None)
            loaded = training.load(ws, base.data, base.window)
            prepared: list[training.Prepared] = []
            for spec in checked:  # all checked up front
                if on_progress:
                    on_progress("checking", len(prepared), len(checked))
                prepared.append(training.prepare(ws, spec, loaded))
            specs: Iterable[training.TrainSpec] = checked
            on_done, watch = self.on_done, None
            if searching is not None:
                searching.begin(prepared[0].task)
                specs, on_done = searching.specs(base), _both(searching.tell, ws, self.on_done)
                watch = searching.watch if searching.early_stop else None
            if on_cluster is None and (self.jobs <= 1 or (len(checked) == 1 and searching is None)):
                here = prepared if searching is None else (training.prepare(ws, s, loaded) for s in specs)
                return _run_here(ws, here, self.experiment, self.tags, on_done, on_progress, watch)
            del prepared, loaded  # the executor arranges its own copies
            return (on_cluster or LocalExecutor()).train_batch(
                ws,
                specs,
                jobs=self.jobs,
                experiment=self.experiment,
                tags=self.tags,
                on_done=on_done,
                on_progress=on_progress,
                watch=watch,
            )


def _both(first: Callable[[Workspace, TrialOutcome], None], ws: Workspace, then: _Told | None) -> _Told:
    def told(outcome: TrialOutcome) -> None:
        first(ws, outcome)
        if then:
            then(outcome)

    return told


def _run_here(
    ws: Workspace,
    prepared: Iterable[training.Prepared],
    experiment: str | None,
    tags: dict[str, str],
    on_done: _Told | None,
    on_progress: training.OnProgress | None,
    watch: Callable[[], training.Watch] | None,
) -> list[TrialOutcome]:
    outcomes: list[TrialOutcome] = []
    try:  # a search prepares each trial as it is taken: Ctrl-C may come then too
        for p in prepared:
            outcomes.append(
                training.attempt(
                    ws, p, experiment=experiment, tags=tags, on_progress=on_progress, watch=watch and watch()
                )
            )
            if on_done:
                on_done(outcomes[-1])
    except training.TrainingInterrupted as exc:  # the run itself is already ended as killed
        raise BatchInterrupted([exc.run_id]) from None
    except KeyboardInterrupt:
        raise BatchInterrupted([]) from None
    return outcomes
