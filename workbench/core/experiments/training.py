"""`wb train`: fit a built-in model on a dataset version as a tracked run.

Everything that can be wrong with the request (dataset, target, task, model, parameters, split)
is checked before the run is created, so bad input leaves no run behind; a failure after that
ends the run as `failed` with its reason.
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import metrics
from ..config import Rule
from ..data import datasets
from ..errors import Caution, IntegrityError, InvalidInput
from ..models import features
from ..storage import hashing
from ..storage.db import transaction
from ..storage.workspace import Workspace
from . import estimators, runs
from .executor import TrialOutcome
from .tracking import Run

if TYPE_CHECKING:  # at run time these are imported by the functions that use them
    import polars as pl
    from lightgbm.callback import CallbackEnv

VALIDATION_FRACTION = 0.2
TRIAL_ROWS = 200
TRIAL_ROUNDS = 10
AUTO = "auto"
# What numpy and scikit-learn take as a random_state.
SEED_RULE = Rule(integer=True, high=2**32 - 1)
# LightGBM's native checks end with where in its C++ they failed: not the user's business.
_NATIVE_PLACE = re.compile(r"\s+at \S+\.(?:cpp|hpp|h), line \d+\s*\.?")
# How a run goes, for a progress display: (stage, done, total); "fitting" with the boosting
# rounds done and the most it may run (LightGBM), else None and None; then "logging".
OnProgress = Callable[[str, int | None, int | None], None]
PRUNED_TAG = "pruned"  # "true" on a run that a watch (a search's pruner) stopped early


class Watch(Protocol):
    """A LightGBM callback that may stop a fit before its last round (a search's pruner:
    search.MedianWatch), saying how many rounds it let run. Picklable: it travels with the
    spec to the process that fits."""

    order: int
    before_iteration: bool
    pruned_at: int | None  # the rounds fitted when it stopped the fit; None: it did not

    def __call__(self, env: CallbackEnv) -> None: ...


@dataclass
class TrainSpec:
    """What a training run is: enough to reproduce it exactly."""

    data: str
    target: str
    model: str = "lightgbm"
    params: dict[str, Any] = field(default_factory=dict)
    split: str = "random"
    seed: int = 0
    task: str = AUTO
    window: int = 1  # versions of the dataset up to `data` to train on; 0 for all of them

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainingData:
    """What a run trains on: the version named (`version`) and, with a window, the valid
    versions before it (`versions`, oldest first, `version` last), as one frame."""

    version: datasets.DatasetVersion
    frame: Any
    versions: tuple[datasets.DatasetVersion, ...]


@dataclass
class Prepared:
    spec: TrainSpec
    data: TrainingData
    task: str
    features: features.FeatureSpec
    built: estimators.Built
    X_train: Any
    X_val: Any
    y_train: Any
    y_val: Any


def prepare(ws: Workspace, spec: TrainSpec, loaded: TrainingData | None = None) -> Prepared:
    """Load and check everything; raises InvalidInput before anything is recorded.
    `loaded` is what `load` returned, to share one read among a sweep's runs."""
    check_request(spec)
    prepared = arrange(spec, loaded or load(ws, spec.data, spec.window))
    _trial_fit(prepared)
    return prepared


def arrange(spec: TrainSpec, loaded: TrainingData) -> Prepared:
    """The run's task, features, estimator and split, from its data alone (no workspace: a
    cluster's worker arranges the runs it fits). Checks the data as `prepare` does, but
    leaves the trial fit of the parameters to it."""
    df, task = labelled(spec, loaded)
    feature_spec = features.infer(df, spec.target)
    built = estimators.build(spec.model, task, feature_spec, spec.params, spec.seed)
    train_df, val_df = _split(df, spec)
    y_train = train_df.get_column(spec.target).to_numpy()
    y_val = val_df.get_column(spec.target).to_numpy()
    if task == "classification" and len(set(y_train.tolist())) < 2:
        raise InvalidInput(f"the training part has only one class of {spec.target!r}")
    return Prepared(
        spec,
        loaded,
        task,
        feature_spec,
        built,
        features.build(train_df, feature_spec),
        features.build(val_df, feature_spec),
        y_train,
        y_val,
    )


def labelled(spec: TrainSpec, loaded: TrainingData) -> tuple[pl.DataFrame, str]:
    """The rows that have a target value, and the task the target makes: the checks of the
    target alone."""
    import polars as pl

    version, df = loaded.version, loaded.frame
    if spec.target not in df.columns:
        raise InvalidInput(
            f"{version.ref} has no column {spec.target!r}; its columns are {', '.join(df.columns)}"
        )
    df = df.filter(pl.col(spec.target).is_not_null())
    if df.height < 2:
        raise InvalidInput(f"{version.ref} has fewer than 2 rows with a {spec.target!r} value")
    return df, _task(spec, df.schema[spec.target], df.get_column(spec.target).n_unique())


def check_request(spec: TrainSpec) -> None:
    """The checks that need no data, so that hostile values fail at once: the seed's range,
    parameters that are not finite or out of the trainer's range."""
    problem = SEED_RULE.problem(spec.seed)
    if problem:
        raise InvalidInput(f"--seed {problem}")
    estimators.check_values(spec.model, spec.params)


def _trial_fit(p: Prepared) -> None:
    """Fit a copy on a small sample, so that a bad parameter value (which set_params does not
    check) fails now, before a run exists, rather than as a failed run."""
    import numpy as np
    from sklearn.base import clone

    rows = np.random.default_rng(p.spec.seed).permutation(len(p.y_train))[:TRIAL_ROWS]
    if p.task == "classification" and len(set(p.y_train[rows].tolist())) < 2:
        rows = np.arange(len(p.y_train))
    trial = clone(p.built.pipeline)
    model = trial.named_steps["model"]
    for rounds in ("n_estimators", "max_iter"):  # a few rounds try the values as well as all
        if isinstance(model.get_params().get(rounds), int):
            model.set_params(**{rounds: min(model.get_params()[rounds], TRIAL_ROUNDS)})
    fit_params = {f"model__{k}": v for k, v in p.built.fit_params.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial.fit(p.X_train[rows], p.y_train[rows], **fit_params)
    except Exception as exc:  # the estimator's own words name the bad value
        message = _NATIVE_PLACE.sub("", (str(exc).strip().splitlines() or [type(exc).__name__])[0])
        raise InvalidInput(f"cannot train {p.spec.model} with these parameters: {message}") from None


def load(ws: Workspace, ref: str, window: int = 1) -> TrainingData:
    """The data `ref` names, with the `window - 1` versions before it that keep their contract
    (all of them for 0). An INVALID version named on purpose is trained on, with a warning."""
    import polars as pl

    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        raise InvalidInput(f"the training window must be a whole number of versions, not {window!r}")
    version = datasets.resolve(ws, ref)
    if version.valid is False:
        warnings.warn(
            Caution(
                f"{version.ref} breaks its contract (`wb data validate {version.ref}`); training on it anyway"
            ),
            stacklevel=2,
        )
    versions = (*_before(ws, version, window), version)
    frames = [datasets.load(ws, v) for v in versions]
    try:
        frame = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
    except (pl.exceptions.SchemaError, pl.exceptions.ShapeError, pl.exceptions.ComputeError) as exc:
        raise InvalidInput(
            f"the versions {versions[0].ref} to {version.ref} do not stack into "
            f"one table to train on ({str(exc).splitlines()[0]})"
        ) from None
    return TrainingData(version, frame, versions)


def _before(ws: Workspace, version: datasets.DatasetVersion, window: int) -> list[datasets.DatasetVersion]:
    """The valid versions before `version` that a window of `window` takes, oldest first."""
    if window == 1:
        return []
    valid = [
        v for v in datasets.log(ws, version.name) if v.version < version.version and v.valid is not False
    ]
    return valid if window == 0 else valid[-(window - 1) :]


def _task(spec: TrainSpec, dtype: pl.DataType, n_unique: int) -> str:
    if spec.task not in (AUTO, *estimators.TASKS):
        raise InvalidInput(f"unknown task {spec.task!r}; use regression or classification")
    numeric = dtype.is_numeric()
    if spec.task == "regression" and not numeric:
        raise InvalidInput(
            f"target {spec.target!r} has type {dtype}: regression needs numbers "
            f"(use --task classification for categories)"
        )
    if spec.task != AUTO:
        return spec.task
    # Floats are quantities; integers too unless they are 0/1 flags; text and booleans are labels.
    if numeric and (dtype.is_float() or n_unique > 2):
        return "regression"
    return "classification"


def _split(df: pl.DataFrame, spec: TrainSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    import polars as pl

    if spec.split == "random":
        shuffled = df.sample(fraction=1.0, shuffle=True, seed=spec.seed)
        n_val = max(1, round(df.height * VALIDATION_FRACTION))
        return shuffled.slice(n_val), shuffled.slice(0, n_val)
    kind, _, column = spec.split.partition(":")
    if kind != "time" or not column:
        raise InvalidInput(f"unknown split {spec.split!r}; use random or time:COLUMN")
    if column not in df.columns:
        raise InvalidInput(f"split column {column!r} is not in the data")
    dtype = df.schema[column]
    if not (dtype.is_temporal() or dtype.is_numeric()):
        raise InvalidInput(
            f"split column {column!r} is {dtype}: a time split needs dates, "
            f"times or numbers, whose order is time's"
        )
    times = df.get_column(column).drop_nulls().unique().sort()
    if times.len() < 2:
        raise InvalidInput(f"split column {column!r} has a single value; nothing to validate on")
    # The newest fifth of the distinct times validates; at least the newest one.
    cut = times[max(1, int(times.len() * (1 - VALIDATION_FRACTION)))]
    return df.filter(pl.col(column) < cut), df.filter(pl.col(column) >= cut)


def train(
    ws: Workspace,
    spec: TrainSpec,
    *,
    experiment: str | None = None,
    prepared: Prepared | None = None,
    tags: dict[str, str] | None = None,
    on_progress: OnProgress | None = None,
) -> str:
    """Train as a new run; returns the run id. `on_progress` hears how the fit goes. A
    failure ends the run as failed and is raised as it was; Ctrl-C ends it as killed and
    raises TrainingInterrupted."""
    prepared = prepared or prepare(ws, spec)
    run_id = _create_run(ws, spec, experiment)
    _fit_run(ws, run_id, prepared, tags, on_progress)
    return run_id


def attempt(
    ws: Workspace,
    prepared: Prepared,
    *,
    experiment: str | None = None,
    tags: dict[str, str] | None = None,
    on_progress: OnProgress | None = None,
    watch: Watch | None = None,
) -> TrialOutcome:
    """Train as a new run, as one of a batch: a failure is its outcome (the run is recorded
    failed; the batch goes on), not an error. Ctrl-C raises TrainingInterrupted. `watch`
    (LightGBM only) may stop the fit early."""
    spec = prepared.spec
    try:
        run_id = _create_run(ws, spec, experiment)
    except Exception as exc:
        return TrialOutcome(None, spec, reason(exc))
    try:
        _fit_run(ws, run_id, prepared, tags, on_progress, watch)
    except Exception as exc:
        return TrialOutcome(run_id, spec, reason(exc))
    return TrialOutcome(run_id, spec)


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a stopping batch) ended the run `run_id` as killed. A KeyboardInterrupt, so
    that whatever stops on Ctrl-C stops on it alike."""

    def __init__(self, run_id: str):
        super().__init__(run_id)
        self.run_id = run_id


def reason(exc: Exception) -> str:
    """A failure as a run's error says it: its type and message."""
    return f"{type(exc).__name__}: {exc}"


def _create_run(ws: Workspace, spec: TrainSpec, experiment: str | None) -> str:
    return runs.create(
        ws,
        experiment=experiment,
        kind="train",
        model=spec.model,
        command=["wb", "train", *_argv(spec)],
        cwd=Path.cwd(),
        spec=spec.to_dict(),
        seed=spec.seed,
    )


def _fit_run(
    ws: Workspace,
    run_id: str,
    prepared: Prepared,
    tags: dict[str, str] | None,
    on_progress: OnProgress | None,
    watch: Watch | None = None,
) -> None:
    try:
        with Run(ws, run_id, owned=True) as run:  # an exception ends the run as failed
            _begin(run, prepared, tags)
            _fit_and_log(run, prepared, on_progress, watch)
    except KeyboardInterrupt as exc:  # even before the Run took over: never left running
        with transaction(ws.conn) as conn:
            runs.finish(conn, run_id, "killed", store=ws.store, error="interrupted")
        raise TrainingInterrupted(run_id) from exc


def open_run(
    ws: Workspace, prepared: Prepared, *, experiment: str | None, tags: dict[str, str] | None
) -> Run:
    """A new run of `prepared`, running, with what it trains on logged, for a fit made
    elsewhere (a cluster's worker): `record` what the fit hands back, then end the run."""
    run = Run(ws, _create_run(ws, prepared.spec, experiment), owned=True)
    with contextlib.ExitStack() as stack:
        stack.enter_context(run)  # a failure to log ends the run, as failed or killed
        _begin(run, prepared, tags)
        stack.pop_all()
    return run


def _begin(run: Run, prepared: Prepared, tags: dict[str, str] | None) -> None:
    """What a run trains on, logged before it fits: its inputs, parameters and tags."""
    spec = prepared.spec
    for used in prepared.data.versions:
        runs.add_input(run.ws, run.id, used)
    run.log_params(
        {
            **prepared.built.params,
            "model": spec.model,
            "target": spec.target,
            "task": prepared.task,
            "split": spec.split,
            "seed": spec.seed,
        }
    )
    for key, value in (tags or {}).items():
        run.set_tag(key, value)


def _argv(spec: TrainSpec) -> list[str]:
    argv = [
        "--data",
        spec.data,
        "--target",
        spec.target,
        "--model",
        spec.model,
        "--split",
        spec.split,
        "--seed",
        str(spec.seed),
    ]
    if spec.window != 1:
        argv += ["--window", str(spec.window)]
    for key, value in spec.params.items():
        argv += ["--param", f"{key}={json.dumps(value)}"]
    return argv


@dataclass(frozen=True)
class Fitted:
    """What fitting a run produced, nothing of it recorded yet: what a cluster's worker hands
    back for the workstation to record (`record`)."""

    metrics: dict[str, float]  # validation scores, row counts and (LightGBM) best_iteration
    curve: dict[str, list[float]]  # LightGBM's validation metrics after each boosting round
    importances: dict[str, float] | None  # feature -> importance, highest first (None: none)
    model: bytes  # the fitted pipeline, as model_io.dump wrote it
    model_hash: str  # of `model`, as it left the fit: checked before it is stored
    model_meta: dict[str, Any]
    pruned_at: int | None = None  # the rounds fitted when a watch stopped the fit early


def fit_frame(loaded: TrainingData, spec: TrainSpec, watch: Watch | None = None) -> Fitted:
    """Fit `spec` (already checked by `prepare`) on `loaded`, touching no workspace."""
    return fit(arrange(spec, loaded), watch=watch)


def _fit_and_log(run: Run, p: Prepared, on_progress: OnProgress | None, watch: Watch | None) -> None:
    record(run, fit(p, on_progress, watch))


def fit(p: Prepared, on_progress: OnProgress | None = None, watch: Watch | None = None) -> Fitted:
    """Fit the prepared run and evaluate it on its validation part; `watch` (LightGBM's
    fits only) sees each round and may stop the fit there."""
    from ..models import model_io

    pipeline = p.built.pipeline
    prep, model = pipeline.named_steps["prep"], pipeline.named_steps["model"]
    if on_progress:
        on_progress("fitting", None, None)
    Xt_train = prep.fit_transform(p.X_train)
    Xt_val = prep.transform(p.X_val)
    fit_params = dict(p.built.fit_params)
    if p.spec.model == "lightgbm":
        fit_params |= _lightgbm_fit_params(p, Xt_val)
        if on_progress:
            fit_params["callbacks"] = [*fit_params["callbacks"], _Rounds(on_progress)]
        if watch:
            fit_params["callbacks"] = [*fit_params["callbacks"], watch]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*eval_set.* is deprecated")
        model.fit(Xt_train, p.y_train, **fit_params)
    if on_progress:
        on_progress("logging", None, None)
    if p.spec.model in estimators.THREADED_PREDICTION:
        # Forests sum their trees' votes across threads in varying order; one thread makes
        # predictions, and so the run's metrics, exactly repeatable.
        model.set_params(n_jobs=1)
    curve, scores = _learning_curve(model) if p.spec.model == "lightgbm" else ({}, {})
    predicted = model.predict(Xt_val)
    if p.task == "regression":
        scores |= metrics.regression(p.y_val.astype(float), predicted.astype(float))
    else:
        proba = model.predict_proba(Xt_val) if hasattr(model, "predict_proba") else None
        scores |= metrics.classification(p.y_val, predicted, proba, list(model.classes_))
    scores |= {"train_rows": len(p.y_train), "val_rows": len(p.y_val)}
    payload, format_meta = model_io.dump(pipeline)
    meta = {
        "task": p.task,
        "target": p.spec.target,
        "model": p.spec.model,
        "features": p.features.to_dict(),
        "dataset": p.data.version.ref,
        "dataset_hash": p.data.version.hash,
    }
    return Fitted(
        scores,
        curve,
        _importances(model, prep),
        payload,
        hashing.hash_bytes(payload),
        {**format_meta, **meta},
        watch.pruned_at if watch else None,
    )


def record(run: Run, fitted: Fitted) -> None:
    """Log what a fit produced to its run: the learning curve as metric steps, the metrics,
    the importances and the model, whose bytes must still hash to what the fit said."""
    for name, values in fitted.curve.items():
        for step, value in enumerate(values):
            run.log_metric(name, value, step=step)
    run.log_metrics(fitted.metrics)
    if fitted.pruned_at is not None:
        run.set_tag(PRUNED_TAG, "true")
    if fitted.importances is not None:
        runs.add_artifact_bytes(
            run.ws,
            run.id,
            json.dumps(fitted.importances, indent=2).encode(),
            "feature_importances.json",
            "file",
        )
    if hashing.hash_bytes(fitted.model) != fitted.model_hash:
        raise IntegrityError("the fitted model's bytes do not match the hash they were sent with")
    runs.add_artifact_bytes(run.ws, run.id, fitted.model, "model", "model", fitted.model_meta)


def _lightgbm_fit_params(p: Prepared, Xt_val: Any) -> dict[str, Any]:
    import lightgbm as lgb

    rounds = int(p.built.params.get("early_stopping_rounds") or 0)
    callbacks = [lgb.early_stopping(rounds, verbose=False)] if rounds > 0 else []
    # eval_set, not the newer eval_X/eval_y: LightGBM 4.7 encodes text labels only for eval_set.
    return {"eval_set": [(Xt_val, p.y_val)], "eval_names": ["val"], "callbacks": callbacks}


class _Rounds:
    """A LightGBM callback that tells `on_progress` each boosting round done, of the most
    it may run (early stopping can end it sooner)."""

    order = 5  # before early stopping's (30), which ends its last round by raising
    before_iteration = False

    def __init__(self, on_progress: OnProgress) -> None:
        self.on_progress = on_progress

    def __call__(self, env: CallbackEnv) -> None:
        self.on_progress(
            "fitting", env.iteration - env.begin_iteration + 1, env.end_iteration - env.begin_iteration
        )


def curve_name(metric: str) -> str:
    """The name a run's learning curve has for one of LightGBM's validation metrics."""
    return {"l2": "val_mse", "l1": "val_mae"}.get(metric, f"val_{metric}")


def _learning_curve(model: Any) -> tuple[dict[str, list[float]], dict[str, float]]:
    """LightGBM's validation metrics after each boosting round, and its best round."""
    curve = {
        curve_name(name): [float(v) for v in values]
        for name, values in model.evals_result_.get("val", {}).items()
    }
    best = getattr(model, "best_iteration_", None)
    return curve, ({"best_iteration": best} if best else {})


def _importances(model: Any, prep: Any) -> dict[str, float] | None:
    values = getattr(model, "feature_importances_", None)
    if values is None:
        return None
    names = list(prep.get_feature_names_out())
    return dict(sorted(zip(names, (float(v) for v in values), strict=True), key=lambda kv: -kv[1]))
