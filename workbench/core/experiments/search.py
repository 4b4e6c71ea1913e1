"""Searches beyond the grid (`wb train --search random|tpe --trials N`): Optuna's samplers
choose each trial's parameters from ranges (`--sweep KEY=LOW:HIGH[:log|:int]`) and lists of
values (categorical), through its ask/tell interface: the next trial is asked for when a run
can start, after the results so far are told, so that `-j N` and `--cluster` run trials in
parallel and TPE learns from each result as it arrives.

`--early-stop` prunes the trials whose learning curve falls behind (Optuna's MedianPruner on
LightGBM's per-round validation metric). The pruner runs in the process that fits the trial
(a worker, a cluster's task), on a snapshot of the curves of the trials completed when it
was handed out: a pruned trial is a finished run, with what it learnt until then, tagged
`pruned=true`, and told to the study as pruned.

Optuna is imported only in the functions that search: `wb --help` stays fast.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..metrics import higher_is_better, primary
from ..storage.workspace import Workspace
from . import runs, training
from .executor import TrialOutcome

if TYPE_CHECKING:
    import optuna
    from lightgbm.callback import CallbackEnv

KINDS = ("grid", "random", "tpe")
SEARCH_TAG = "search"  # the search's name, on every trial's run
KIND_TAG = "search_kind"  # random or tpe
# MedianPruner: prune only once this many trials have completed, and never in a fit's first rounds.
PRUNE_AFTER_TRIALS = 5
PRUNE_AFTER_ROUNDS = 10


@dataclass(frozen=True)
class Range:
    """A range to search: floats drawn uniformly, on a log scale (`log`), or whole numbers (`int`)."""

    low: float
    high: float
    scale: str | None = None  # "log", "int" or None


Space = Mapping[str, Sequence[Any] | Range]  # each swept key's values, or its range


def check(kind: str, space: Space, trials: int | None, early_stop: bool) -> None:
    """What a search needs of its options, before anything is loaded or made."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown search {kind!r}; use grid, random or tpe")
    if kind == "grid":
        ranged = next((k for k, v in space.items() if isinstance(v, Range)), None)
        if ranged:
            raise InvalidInput(
                f"--sweep {ranged} is a range, which a grid cannot list: use --search random or tpe"
            )
        if trials is not None:
            raise InvalidInput("--trials needs --search random or tpe (a grid trains every point)")
        if early_stop:
            raise InvalidInput("--early-stop needs --search random or tpe")
        return
    if trials is None:
        raise InvalidInput(f"--search {kind} needs --trials N, the number of runs to try")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InvalidInput(f"--trials must be a whole number of at least 1, not {trials!r}")
    for key, values in space.items():
        if not isinstance(values, Range) and not values:
            raise InvalidInput(f"--sweep {key} has no values")
    if not any(isinstance(v, Range) or len(v) > 1 for v in space.values()):
        raise InvalidInput(
            f"--search {kind} needs something to choose: a --sweep range (KEY=LOW:HIGH) "
            "or a --sweep with more than one value"
        )


def corners(base: training.TrainSpec, space: Space) -> list[training.TrainSpec]:
    """The specs that try every end of every range and every value of every list, the others
    at their first: checked before any run, so that a bad value in the space makes none."""
    first = {k: v.low if isinstance(v, Range) else v[0] for k, v in space.items()}
    points = [first] + [
        {**first, key: value}
        for key, values in space.items()
        for value in ((values.high,) if isinstance(values, Range) else values[1:])
    ]
    return [replace(base, params={**base.params, **point}) for point in points]


@dataclass(frozen=True)
class SearchSummary:
    """A search's name (the `search` tag of its runs), kind, and which of its runs were pruned."""

    name: str
    kind: str
    trials: int
    pruned: tuple[str, ...] = ()  # run ids

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "trials": self.trials, "pruned": list(self.pruned)}


class Search:
    """One search's Optuna study, made by `begin` once the task is known: `specs` asks for
    each trial's spec, `tell` says how its run ended (read from the workspace, wherever it
    ran), `watch` makes a trial's pruner."""

    def __init__(
        self, name: str, kind: str, space: Space, trials: int, *, seed: int, early_stop: bool = False
    ) -> None:
        self.name, self.kind, self.space, self.trials = name, kind, space, trials
        self.seed, self.early_stop = seed, early_stop
        self._asked: list[tuple[training.TrainSpec, optuna.trial.Trial]] = []
        self.pruned: list[str] = []

    def begin(self, task: str) -> None:
        """The study, minimizing or maximizing the primary metric of `task`."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # a line per trial is wb's to print
        self.key = primary(task)
        self.distributions = {k: _distribution(k, v) for k, v in self.space.items()}
        seed, kind = self.seed, self.kind
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # constant_liar
            sampler = (
                optuna.samplers.RandomSampler(seed=seed)
                if kind == "random"
                # constant_liar: trials still running count as bad, so parallel asks spread out
                else optuna.samplers.TPESampler(seed=seed, constant_liar=True)
            )
        self.study = optuna.create_study(
            study_name=self.name,
            sampler=sampler,
            direction="maximize" if higher_is_better(self.key) else "minimize",
        )

    def specs(self, base: training.TrainSpec) -> Iterator[training.TrainSpec]:
        """Each trial's spec, asked for when it is taken."""
        for _ in range(self.trials):
            trial = self.study.ask(self.distributions)
            spec = replace(base, params={**base.params, **trial.params})
            self._asked.append((spec, trial))
            yield spec

    def tell(self, ws: Workspace, outcome: TrialOutcome) -> None:
        """Tell the study how the trial of `outcome` went: its primary metric, or pruned (at
        the last round of its curve), or failed."""
        from optuna.trial import TrialState

        trial = next(t for spec, t in self._asked if spec is outcome.spec)
        if outcome.error or outcome.run_id is None:
            self.study.tell(trial, state=TrialState.FAIL)
            return
        record = runs.get(ws, outcome.run_id)
        for step, value in _curve(ws, record):
            trial.report(value, step)
        if record.tags.get(training.PRUNED_TAG) == "true":
            self.pruned.append(record.id)
            self.study.tell(trial, state=TrialState.PRUNED)
            return
        score = record.metrics.get(self.key)
        if score is None or not math.isfinite(score):
            self.study.tell(trial, state=TrialState.FAIL)
        else:
            self.study.tell(trial, score)

    def watch(self) -> MedianWatch:
        """A pruner for the next trial, against the curves of the trials completed by now."""
        from optuna.trial import TrialState

        done = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return MedianWatch([dict(t.intermediate_values) for t in done])

    def summary(self) -> SearchSummary:
        return SearchSummary(self.name, self.kind, self.trials, tuple(self.pruned))


def _curve(ws: Workspace, record: runs.RunRecord) -> list[tuple[int, float]]:
    """The learning curve a pruner watches: the first, by name, of the run's validation
    metrics that have a value per round (as MedianWatch picks it in the fit)."""
    curves = sorted(k for k, n in record.metric_steps.items() if n > 1 and k.startswith("val_"))
    if not curves:
        return []
    return [(s, v) for s, v in runs.metric_history(ws, record.id, curves[0]) if v is not None]


@dataclass(eq=False)  # LightGBM keeps its callbacks in a set: hashed by identity
class MedianWatch:
    """A LightGBM callback (training.Watch) that reports each round's validation metric to
    Optuna's MedianPruner, with the curves of the trials `completed` before it was handed out,
    and stops the fit when the pruner says it has fallen behind them."""

    completed: list[dict[int, float]]
    pruned_at: int | None = None
    order: int = 40  # after LightGBM's own early stopping (30)
    before_iteration: bool = False
    _trial: Any = field(default=None, repr=False)

    def __call__(self, env: CallbackEnv) -> None:
        import lightgbm as lgb

        results = env.evaluation_result_list or []
        # (data, metric, value, bigger is better[, stdev]): the first by the name its curve has
        watched = min((r for r in results if r[0] == "val"), key=lambda r: training.curve_name(r[1]))
        value, bigger_better = watched[2], watched[3]
        step = env.iteration - env.begin_iteration
        trial = self._trial or self._start(bigger_better)
        trial.report(float(value), step)
        if trial.should_prune():
            self.pruned_at = step + 1
            raise lgb.callback.EarlyStopException(env.iteration, results)

    def _start(self, bigger_better: bool) -> optuna.trial.Trial:
        """This fit's trial, in a study of its own holding the completed trials' curves."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(
            direction="maximize" if bigger_better else "minimize",
            pruner=optuna.pruners.MedianPruner(
                n_startup_trials=PRUNE_AFTER_TRIALS, n_warmup_steps=PRUNE_AFTER_ROUNDS
            ),
        )
        for curve in self.completed:
            if curve:
                study.add_trial(optuna.trial.create_trial(value=curve[max(curve)], intermediate_values=curve))
        self._trial = study.ask()
        return self._trial

    def __getstate__(self) -> dict[str, Any]:
        return {**vars(self), "_trial": None}  # the trial stays in the process that fits


def _distribution(key: str, values: Sequence[Any] | Range) -> optuna.distributions.BaseDistribution:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(values, Range):
        if values.scale == "int":
            return IntDistribution(int(values.low), int(values.high))
        return FloatDistribution(values.low, values.high, log=values.scale == "log")
    try:
        return CategoricalDistribution(list(values))
    except (ValueError, TypeError):
        raise InvalidInput(
            f"--sweep {key}: a search can choose among numbers, strings and booleans"
        ) from None
