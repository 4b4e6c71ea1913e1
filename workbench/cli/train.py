"""`wb train`: the built-in trainers, one run or a sweep."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..core import config as config_mod
from ..core.errors import EXIT_CHECK_FAILED, InvalidInput
from ..core.experiments import runs as runs_core
from ..core.experiments.records import RunSummary
from ..core.experiments.trained import Trained
from ..core.metrics import PREFERRED, higher_is_better, primary
from ..core.names import check_name, parse_tags, plural, short_id
from ..formatting import fmt_num
from . import output
from .context import JSON_OPTION, TAG_OPTION, workspace

# The keys of a --config file and the TOML type of each.
CONFIG_KEYS: dict[str, type] = {
    "data": str,
    "target": str,
    "model": str,
    "split": str,
    "task": str,
    "experiment": str,
    "seed": int,
    "jobs": int,
    "cluster": str,
    "window": int,
    "params": dict,
    "sweep": dict,
    "search": str,
    "trials": int,
}
TYPE_NAMES = {str: "a string", int: "a whole number", dict: "a table"}


def train(
    ctx: typer.Context,
    data: str | None = typer.Option(None, "--data", help="Dataset version, e.g. sales@3."),
    target: str | None = typer.Option(None, "--target", help="Column to predict."),
    model: str | None = typer.Option(
        None,
        "--model",
        help=("lightgbm (default), random_forest, extra_trees, hist_gradient_boosting, linear, baseline."),
    ),
    param: list[str] = typer.Option([], "--param", help="KEY=VALUE, typed (repeatable)."),
    sweep: list[str] = typer.Option(
        [],
        "--sweep",
        help=(
            "KEY=V1,V2,... ; several --sweep make a grid. For --search random or tpe also "
            "ranges: KEY=LOW:HIGH (floats), KEY=LOW:HIGH:log, KEY=LOW:HIGH:int."
        ),
    ),
    search_kind: str | None = typer.Option(
        None,
        "--search",
        metavar="grid|random|tpe",
        help=(
            "grid (default) trains every point; random and tpe (Optuna's TPE, which learns "
            "from each result) train --trials runs picked from the --sweep values and ranges."
        ),
    ),
    trials: int | None = typer.Option(
        None, "--trials", min=1, metavar="N", help="Runs a random or tpe search trains."
    ),
    early_stop: bool = typer.Option(
        False,
        "--early-stop",
        help=(
            "Prune the trials of a search whose LightGBM learning curve falls behind the "
            "median of those before (they end finished, tagged pruned=true)."
        ),
    ),
    split: str | None = typer.Option(
        None, "--split", help=("random (seeded, default) or time:COLUMN (the newest fifth validates).")
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default 0)."),
    task: str | None = typer.Option(
        None, "--task", help=("regression or classification (default: from the target's type).")
    ),
    window: int | None = typer.Option(
        None,
        "--window",
        min=0,
        metavar="N",
        help=(
            "Train on --data and the N-1 versions of its dataset before it that keep its "
            "contract (0: all of them; default 1, --data alone)."
        ),
    ),
    experiment: str | None = typer.Option(
        None, "--experiment", "-e", help=('Experiment to file the runs under (default: "default").')
    ),
    config: Path | None = typer.Option(
        None, "--config", help=("A TOML file with the same keys; [params] and [sweep] tables.")
    ),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="Runs to train at once."),
    cluster: str | None = typer.Option(
        None,
        "--cluster",
        metavar="ADDRESS",
        help=(
            "Train the runs as tasks on the Dask cluster at ADDRESS (tcp://HOST:8786; default: "
            '[compute] cluster in .wb/config.toml; "" for this machine).'
        ),
    ),
    tag: list[str] = TAG_OPTION,
    register: str | None = typer.Option(
        None,
        "--register",
        metavar="NAME",
        help=("Register the model (of a sweep: the best run's) as a new version of NAME."),
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Train a built-in model on a dataset version, as tracked runs."""
    # polars, scikit-learn, LightGBM: only when training
    from ..core.experiments import executor, search, sweeps, training

    settings = _load_config(config) if config else {}
    cli = {
        "data": data,
        "target": target,
        "model": model,
        "split": split,
        "seed": seed,
        "task": task,
        "experiment": experiment,
        "jobs": jobs,
        "cluster": cluster,
        "window": window,
        "search": search_kind,
        "trials": trials,
    }
    settings.update({k: v for k, v in cli.items() if v is not None})
    params = {**settings.get("params", {}), **sweeps.parse_params(param)}
    space: dict[str, Any] = {}  # a list of values or, for a search, a Range
    for key, value in settings.get("sweep", {}).items():
        ranged = sweeps.parse_range(key, value) if isinstance(value, str) else None
        space[key] = list(value) if isinstance(value, list) else ranged or [value]
    space.update(sweeps.parse_space(sweep))
    kind = settings.get("search", "grid")
    search.check(kind, space, settings.get("trials"), early_stop)
    for required in ("data", "target"):
        if not settings.get(required):
            raise InvalidInput(f"--{required} is required (or set it in --config)")
    base = training.TrainSpec(
        data=settings["data"],
        target=settings["target"],
        model=settings.get("model", "lightgbm"),
        params=params,
        split=settings.get("split", "random"),
        seed=settings.get("seed", 0),
        task=settings.get("task", training.AUTO),
        window=settings.get("window", 1),
    )
    tags = parse_tags(tag)
    ws = workspace(ctx)
    if register:
        check_name(register, "model")  # before any training, not after
    quiet = as_json
    jobs_ = settings.get("jobs", 1)

    def done(o: executor.TrialOutcome) -> None:
        output.note(
            f"run {short_id(o.run_id) if o.run_id else '-'} "  # an error quotes data
            + ("failed: " + o.error if o.error else "finished"),
            style=None,
        )
        if progress:
            progress.finished(o)

    total = len(sweeps.grid(space)) if kind == "grid" else settings["trials"]
    searched = None
    with output.status_line(f"loading {base.data}", enabled=not quiet) as status:
        progress = status and _Progress(status, ws, base, total, jobs_)
        launch = {
            "experiment": settings.get("experiment"),
            "jobs": jobs_,
            "tags": tags,
            "on_done": None if quiet else done,
            "on_progress": progress and progress.stage,
            "cluster": settings.get("cluster"),
        }
        if kind == "grid":
            outcomes = sweeps.run_grid(ws, base, space, **launch)
        else:
            searched, outcomes = sweeps.run_search(
                ws,
                base,
                space,
                kind=kind,
                trials=settings["trials"],
                name=tags.get(search.SEARCH_TAG),
                early_stop=early_stop,
                **launch,
            )
    found = runs_core.by_ids(ws, [o.run_id for o in outcomes if o.run_id])
    registered = None
    best = runs_core.best(found)
    if register and best is not None:
        from ..core.models import registry

        registered = registry.register(ws, best.id, register)
    output.emit(
        Trained(found, bool(register), registered, searched),
        as_json,
        lambda done: _print_trained(done, list(space)),
    )
    failed = [o for o in outcomes if o.error]
    if failed:
        output.error(f"{len(failed)} of {plural(len(outcomes), 'run')} failed; the first: {failed[0].error}")
        raise typer.Exit(EXIT_CHECK_FAILED)


class _Progress:
    """What the progress line says while `wb train` runs: for one run its stage (the boosting
    rounds done, for LightGBM); for a sweep the runs done, running and failed, and the best
    primary metric so far (with the current run's rounds when the runs go one at a time)."""

    def __init__(self, status: output.Status, ws: Any, base: Any, total: int, jobs: int) -> None:
        self.status, self.ws, self.base, self.total = status, ws, base, total
        self.parallel = jobs > 1 and total > 1
        self.jobs = jobs
        self.finished_rows: list = []  # the runs that ended well, for the best so far
        self.ended = self.failed = 0
        self.rounds: tuple[int, int] | None = None
        self.training = False
        self.running: int | None = None  # as the executor counts them, when it does

    def stage(self, name: str, done: int | None, total: int | None) -> None:
        """The core's on_progress."""
        if name == "loading":
            self.status.show(f"loading {self.base.data}")
        elif name == "checking":
            self.status.show(
                "checking the parameters" if self.total == 1 else f"checking runs {done}/{total}", done, total
            )
        elif self.total == 1:
            self.training = True
            if name == "fitting" and done is not None:
                self.status.show(f"fitting {self.base.model}: round {done}/{total}", done, total)
            elif name == "fitting":
                self.status.show(f"fitting {self.base.model}")
            else:
                self.status.show("logging metrics and the model")
        else:
            self.training = True
            self.rounds = (done, total) if name == "fitting" and done is not None else None
            if name == "training" and done is not None:
                self.running = done
            self._sweep()

    def finished(self, outcome: Any) -> None:
        """A run of the sweep ended (on_done)."""
        self.rounds = None
        self.ended += 1
        if outcome.error:
            self.failed += 1
        elif outcome.run_id:
            self.finished_rows += runs_core.by_ids(self.ws, [outcome.run_id])
        if self.total > 1:
            self._sweep()

    def _sweep(self) -> None:
        left = self.total - self.ended
        # The pool hands a run to each free worker: as many run as there are workers or runs left.
        running = min(self.jobs if self.parallel else 1, left) if self.training else 0
        running = running if self.running is None else self.running
        parts = [f"runs {self.ended}/{self.total}", f"{running} running", f"{self.failed} failed"]
        best = runs_core.best(self.finished_rows)
        if best is not None:
            key = primary(best.params.get("task", "regression"))
            parts.append(f"best {key} {fmt_num(best.metrics[key])}")
        if self.rounds:
            parts.append(f"round {self.rounds[0]}/{self.rounds[1]}")
        self.status.show(" · ".join(parts), self.ended, self.total)


def _load_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InvalidInput(f"config file {path} does not exist")
    settings = config_mod.read_toml(path)
    for key, value in settings.items():
        if key not in CONFIG_KEYS:
            raise InvalidInput(
                f"{path}: unknown key {key!r}; known keys are {', '.join(sorted(CONFIG_KEYS))}"
            )
        wanted = CONFIG_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, wanted):
            raise InvalidInput(f"{path}: {key} must be {TYPE_NAMES[wanted]}, not {config_mod.shown(value)}")
    return settings


def _print_trained(done: Trained, swept: list[str]) -> None:
    _print_runs(done.runs, swept, set(done.search.pruned) if done.search else set())
    if done.search:
        s = done.search
        pruned = f", {len(s.pruned)} pruned" if s.pruned else ""
        output.line(
            f"search {s.name} ({s.kind}): {plural(len(done.runs), 'trial')}{pruned}; "
            f"its runs have the tag search={s.name}",
            style="dim",
        )
    if done.registered:
        output.line(
            f"registered {done.registered.ref} from run {short_id(done.registered.run_id)}", style="green"
        )


def _print_runs(found: list[RunSummary], swept: list[str], pruned: set[str]) -> None:
    keys = [k for k in PREFERRED if any(k in r.metrics for r in found)]
    best = {}
    for k in keys:
        values = [r.metrics[k] for r in found if r.metrics.get(k) is not None]
        if values:
            best[k] = max(values) if higher_is_better(k) else min(values)

    def cell(r: RunSummary, k: str) -> str:
        v = r.metrics.get(k)
        mark = " *" if len(found) > 1 and v is not None and v == best.get(k) else ""
        return fmt_num(v) + mark

    output.table(
        ["id", "name", "model", *swept, *keys],
        [
            (
                short_id(r.id),
                r.name + (" (pruned)" if r.id in pruned else ""),
                r.model,
                *(_param(r.params.get(s)) for s in swept),
                *(cell(r, k) for k in keys),
            )
            for r in found
        ],
        justify_right=tuple(keys),
    )
    if len(found) > 1:
        output.line("* best of these runs", style="dim")


def _param(value: Any) -> Any:
    """A swept parameter's cell: a float a search picked, to a few digits."""
    return fmt_num(value) if isinstance(value, float) else value
