"""Loading a trained model back and scoring data with it.

The model's bytes are read from the store and verified against their hash before they are
deserialized (and deserialized with model_io's trusted types only); the feature recipe stored
beside it rebuilds the training features from raw columns.

A model a user's script logged (`run.log_model`) is scored through the same path: `describe`
records, when it is logged, its input columns and their types (from an input example, the
dataset the run read, or the estimator's own `feature_names_in_`), its task and its output; at
scoring its input columns are checked (check_fit), selected in the recorded order and handed to
it as the kind of frame it was fitted on (`scorer` = "columns" in its meta).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, NotFound
from ..experiments import runs
from ..names import plural
from ..storage.workspace import Workspace
from . import model_io


class Unscorable(InvalidInput):
    """Data a model cannot score: input columns missing or of another type (`price` = `free`
    reads a numeric column as text). `columns` names them."""

    def __init__(self, message: str, columns: list[str]):
        super().__init__(message)
        self.columns = columns


def check_fit(inputs: list[dict[str, str]], df: Any, model: str, data: str) -> None:
    """Raise Unscorable naming every input column of `model` that `df` lacks or has as
    another type, before any of it reaches the model."""
    from ..data import contracts

    problems, columns = [], []
    for col in inputs:
        name = col["name"]
        if name not in df.columns:
            problem = f"{name} is missing"
        elif (
            contracts.compatible(col["dtype"], str(df.schema[name]))
            or df.get_column(name).null_count() == df.height
        ):
            continue  # (an entirely empty column has no type of its own in a CSV)
        else:
            problem = f"{name} is {df.schema[name]}, the model takes {col['dtype']}"
        problems.append(problem)
        columns.append(name)
    if problems:
        raise Unscorable(f"{data} does not fit {model}: " + "; ".join(problems), columns)


@dataclass
class LoadedModel:
    run_id: str
    pipeline: Any
    meta: dict[str, Any]
    label: str = "the model"  # what to call it in a message: `demand@2`

    @property
    def task(self) -> str:
        return self.meta["task"]

    @property
    def classes(self) -> list:
        """A classifier's classes, in the order of its probability columns."""
        return list(self.pipeline.classes_)

    @property
    def target(self) -> str:
        return self.meta["target"]

    def predict(self, df: Any, data: str = "the data") -> tuple[Any, Any | None]:
        """Predictions (and, for classifiers, probabilities of each class) for a frame; `data`
        names it when it does not fit (Unscorable)."""
        from . import features  # polars

        spec = features.FeatureSpec.from_dict(self.meta["features"])
        check_fit(spec.inputs, df, self.label, data)
        if self.meta.get("scorer") == COLUMNS:
            X = _input_frame(df, spec.inputs, self.meta.get("frame", "polars"))
        else:
            X = features.build(df, spec)
        predicted = self.pipeline.predict(X)
        proba = (
            self.pipeline.predict_proba(X)
            if self.task == "classification" and hasattr(self.pipeline, "predict_proba")
            else None
        )
        return predicted, proba

    def check_target(self, dtype: Any, target: str, data: str = "the data") -> None:
        """Refuse labels a regressor cannot be scored against: numbers only."""
        if self.task == "regression" and not dtype.is_numeric():
            raise InvalidInput(
                f"{target} in {data} is {dtype}: {self.label} is a regressor, scored against numbers"
            )

    def score(
        self,
        df: Any,
        target: str,
        data: str = "the data",
        predict: Callable[[Any], tuple[Any, Any]] | None = None,
    ) -> tuple[dict[str, float], int]:
        """The model's metrics on the rows of `df` that have a `target` value, and their count;
        `predict` scores them (this model's `predict`, or one that remembers its answers)."""
        import polars as pl

        from .. import metrics

        if not target:
            raise InvalidInput(
                f"{self.label} records no target column to score against (log it "
                f"with run.log_model(model, input_example=df, target=COLUMN))"
            )
        if target not in df.columns:
            raise InvalidInput(f"the data has no column {target!r} to score against")
        labelled = df.filter(pl.col(target).is_not_null())
        if labelled.height == 0:
            raise InvalidInput(f"the data has no {target!r} values to score against")
        self.check_target(df.schema[target], target, data)
        predicted, proba = self.predict(labelled, data) if predict is None else predict(labelled)
        y = labelled.get_column(target).to_numpy()
        if self.task == "regression":
            return metrics.regression(y.astype(float), predicted.astype(float)), labelled.height
        return (metrics.classification(y, predicted, proba, self.classes), labelled.height)


def load(ws: Workspace, run_id: str, artifact_hash: str, meta: dict[str, Any], what: str) -> LoadedModel:
    """Deserialize a model artifact, only after its bytes verify against `artifact_hash`."""
    problem = why_unscorable(meta)
    if problem:
        raise InvalidInput(f"{what} cannot score data: {problem}")
    model = model_io.load(ws.store.read_verified(artifact_hash), meta)
    if _is_booster(model):
        model = _BoosterScorer(model, meta["task"], meta.get("output", {}).get("classes") or [])
    return LoadedModel(run_id, model, meta, what)


def load_from_run(ws: Workspace, run_ref: str) -> LoadedModel:
    run_id = runs.resolve(ws, run_ref)
    artifact = runs.model_artifact(ws.conn, run_id)
    if artifact is None:
        raise NotFound(f"run {run_ref} logged no model")
    return load(ws, run_id, artifact.hash, artifact.meta, f"the model of run {run_ref}")


# -- a user's model -----------------------------------------------------------------------------
COLUMNS = "columns"  # the `scorer` of a user's model: its input columns, as they are
FIX = "log it with run.log_model(model, input_example=df)"
# LightGBM objectives whose predictions are class probabilities.
_CLASSIFYING_OBJECTIVES = ("binary", "multiclass", "multiclassova", "softmax", "ova", "ovr")
_RANKING_OBJECTIVES = ("lambdarank", "rank_xendcg", "xendcg")


def why_unscorable(meta: dict[str, Any]) -> str | None:
    """Why a logged model cannot score data here, in words that say how to fix it; None when it
    can."""
    if meta.get("unscorable"):
        return meta["unscorable"]
    if not meta.get("features", {}).get("inputs"):
        return f"it was logged without its input columns and their types ({FIX})"
    if meta.get("task") not in ("regression", "classification"):
        return (
            "its task is not known: it is neither a scikit-learn regressor nor classifier "
            "(log it with run.log_model(model, input_example=df, "
            'meta={"task": "regression"}))'
        )
    return None


def describe(
    model: Any, *, input_example: Any = None, dataset: Any = None, target: str | None = None
) -> dict[str, Any]:
    """What scoring needs to know about a user's fitted model, for its artifact's meta: its
    input columns and their polars types, its task, target and output. The inputs come from
    `input_example` (a data frame of the columns it takes), else from `dataset` (the version the
    run read: every column but the target), their names also from the model's own
    `feature_names_in_` (types then guessed from its encoders). Raises InvalidInput for an
    example that is no data frame or does not fit the model; a model without any of these is
    described all the same, with no inputs (`why_unscorable` then says so)."""
    booster = _is_booster(model)
    if not booster and not callable(getattr(model, "predict", None)):
        return {"unscorable": f"a {type(model).__name__} has no predict method"}
    meta: dict[str, Any] = {"scorer": COLUMNS, "task": _task(model, booster)}
    example = _frame_types(input_example) if input_example is not None else None
    schema = {c["name"]: c["dtype"] for c in dataset.schema} if dataset is not None else None
    names = _feature_names(model, booster)
    if target is None and schema is not None:
        # The one column of the data the run read that the model does not take is its target.
        taken = names or (list(example) if example else None)
        rest = [n for n in schema if taken is not None and n not in taken]
        target = rest[0] if len(rest) == 1 else None
    meta["target"] = target
    n_in = _n_inputs(model, booster)
    if example is not None:
        if names is None:
            names = [n for n in example if n != target]
            if n_in is not None and len(names) != n_in:
                raise InvalidInput(
                    f"input_example has {plural(len(names), 'column')} but the model takes "
                    f"{n_in}: give it exactly the columns the model was fitted on"
                )
        lacking = [n for n in names if n not in example]
        if lacking:
            raise InvalidInput(f"input_example lacks columns the model takes: {', '.join(lacking)}")
        source = "input_example"
    elif schema is not None and (names is not None or (target and target in schema)):
        names = names or [n for n in schema if n != target]
        source = f"dataset {dataset.ref}"
        if n_in is not None and len(names) != n_in:
            names = None  # not the columns it was fitted on: nothing recorded rather than wrong
    else:
        source = "feature_names_in_"
    if names:
        types = example or schema or {}
        guessed = _guess_types(model, names)
        inputs = [{"name": n, "dtype": types.get(n) or guessed.get(n, "Float64")} for n in names]
        meta["features"] = {"inputs": inputs, "dates": [], "categorical": [], "numeric": []}
        meta["inputs_from"] = source
    meta["frame"] = _frame_kind(model, booster, input_example)
    meta["output"] = _output(model, booster, meta["task"])
    return meta


def _is_booster(model: Any) -> bool:
    cls = type(model)
    return cls.__module__.startswith("lightgbm") and cls.__name__ == "Booster"


def _task(model: Any, booster: bool) -> str | None:
    if booster:
        objective = _objective(model)
        if objective.startswith(_RANKING_OBJECTIVES):
            return None
        return "classification" if objective.startswith(_CLASSIFYING_OBJECTIVES) else "regression"
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(model):
        return "classification"
    return "regression" if is_regressor(model) else None


def _objective(booster: Any) -> str:
    objective = str(booster.params.get("objective") or "")
    if objective:
        return objective
    for line in booster.model_to_string(num_iteration=1).splitlines():
        if line.startswith("objective="):
            return line.partition("=")[2]
    return "regression"


def _feature_names(model: Any, booster: bool) -> list[str] | None:
    if booster:
        names = [str(n) for n in model.feature_name()]
        auto = all(n == f"Column_{i}" for i, n in enumerate(names))
        return None if auto else names
    learnt = getattr(model, "feature_names_in_", None)
    return None if learnt is None else [str(n) for n in learnt]


def _n_inputs(model: Any, booster: bool) -> int | None:
    if booster:
        return int(model.num_feature())
    n = getattr(model, "n_features_in_", None)
    return None if n is None else int(n)


def _frame_kind(model: Any, booster: bool, example: Any) -> str:
    """What the model takes: a numpy array (a booster, an estimator fitted without column names),
    else a frame of the kind of the example (polars when none)."""
    if booster or getattr(model, "feature_names_in_", None) is None:
        return "numpy"
    return "pandas" if type(example).__module__.startswith("pandas") else "polars"


def _frame_types(example: Any) -> dict[str, str]:
    """The polars type names of an example frame's columns (polars, pandas, or a mapping of
    columns)."""
    import polars as pl

    if type(example).__module__.startswith("pandas") and hasattr(example, "dtypes"):
        return {str(n): _pandas_type(t) for n, t in example.dtypes.items()}
    if isinstance(example, pl.LazyFrame):
        example = example.collect()
    if not isinstance(example, pl.DataFrame):
        if not isinstance(example, dict):
            raise InvalidInput(
                f"input_example must be a data frame (polars or pandas) of the "
                f"columns the model takes, not a {type(example).__name__}"
            )
        try:
            example = pl.DataFrame(example)
        except Exception as exc:
            raise InvalidInput(f"input_example is not a table of columns ({exc})") from None
    return {n: str(t) for n, t in example.schema.items()}


def _pandas_type(dtype: Any) -> str:
    kind, name = getattr(dtype, "kind", "O"), str(dtype)
    if name == "category":
        return "Categorical"
    if kind == "b":
        return "Boolean"
    if kind in "iu":
        bits = dtype.itemsize * 8
        return f"{'U' if kind == 'u' else ''}Int{bits}"
    if kind == "f":
        return f"Float{dtype.itemsize * 8}"
    if kind == "M":
        return "Datetime"
    return "String"


def _guess_types(model: Any, names: list[str]) -> dict[str, str]:
    """Column types from the model itself when nothing else tells them: a column an encoder
    learnt categories of has their type, any other is a number."""
    found: dict[str, str] = {}
    for columns, step in _column_steps(model, names):
        for encoder in _steps(step):
            categories = getattr(encoder, "categories_", None)
            if categories is None or len(categories) != len(columns):
                continue
            for column, values in zip(columns, categories, strict=True):
                kind = str(getattr(getattr(values, "dtype", None), "kind", "O"))
                found[column] = {"i": "Int64", "u": "Int64", "f": "Float64", "b": "Boolean"}.get(
                    kind, "String"
                )
    return found


def _column_steps(model: Any, names: list[str]) -> Iterator[tuple[list[str], Any]]:
    """(input columns, transformer) for each branch of the model's first ColumnTransformer."""
    for step in _steps(model):
        indices = getattr(step, "_transformer_to_input_indices", None)
        if isinstance(indices, dict) and hasattr(step, "named_transformers_"):
            for key, positions in indices.items():
                transformer = step.named_transformers_.get(key)
                if transformer is not None and len(positions):
                    yield [names[i] for i in positions if i < len(names)], transformer
            return
    yield names, model


def _steps(model: Any) -> list[Any]:
    """The estimator and, for a pipeline, its steps (nested pipelines flattened)."""
    steps = getattr(model, "steps", None)
    if not isinstance(steps, list):
        return [model]
    out = []
    for _, step in steps:
        out += _steps(step)
    return out


def _output(model: Any, booster: bool, task: str | None) -> dict[str, Any]:
    """What the model's predictions are: a number, or one of its classes."""
    if task != "classification":
        return {"name": "prediction", "dtype": "Float64"}
    if booster:
        n = int(model.num_model_per_iteration())
        classes: list[Any] = list(range(max(n, 2)))
    else:
        classes = [c.item() if hasattr(c, "item") else c for c in getattr(model, "classes_", [])]
    dtype = {bool: "Boolean", int: "Int64", float: "Float64"}.get(
        type(classes[0]) if classes else str, "String"
    )
    return {"name": "prediction", "dtype": dtype, "classes": classes}


def _input_frame(df: Any, inputs: list[dict[str, str]], frame: str) -> Any:
    """The model's input columns of `df` in the recorded order, with the recorded types (a whole
    number column where it took floats, an empty column as the type it took)."""
    import polars as pl

    exprs = []
    for col in inputs:
        name, dtype = col["name"], col["dtype"]
        if str(df.schema[name]) == dtype:
            exprs.append(pl.col(name))
        else:
            exprs.append(pl.col(name).cast(getattr(pl, dtype.partition("(")[0]), strict=False))
    X = df.select(exprs)
    if frame == "numpy":
        return X.to_numpy()
    if frame == "pandas":
        return X.to_pandas()
    return X


class _BoosterScorer:
    """A LightGBM Booster with a scikit-learn face: labels from `predict`, the probabilities of
    its classes from `predict_proba` (a Booster predicts probabilities alone)."""

    def __init__(self, booster: Any, task: str, classes: list[Any]):
        self.booster, self.task = booster, task
        import numpy as np

        self.classes_ = np.asarray(classes)

    def predict(self, X: Any) -> Any:
        raw = self.booster.predict(X)
        if self.task != "classification":
            return raw
        return self.classes_[self.predict_proba(X, raw).argmax(axis=1)]

    def predict_proba(self, X: Any, raw: Any = None) -> Any:
        import numpy as np

        raw = self.booster.predict(X) if raw is None else raw
        return np.column_stack([1 - raw, raw]) if raw.ndim == 1 else raw
