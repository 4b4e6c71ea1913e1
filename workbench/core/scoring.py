"""Loading a trained model back and scoring data with it.

The model's bytes are read from the store and verified against their hash before they are
deserialized (and deserialized with model_io's trusted types only); the feature recipe stored
beside it rebuilds the training features from raw columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import model_io, runs
from .errors import InvalidInput, NotFound
from .workspace import Workspace


class Unscorable(InvalidInput):
    """Data a model cannot score: input columns missing or of another type (`price` = `free`
    reads a numeric column as text). `columns` names them."""

    def __init__(self, message: str, columns: list[str]):
        super().__init__(message)
        self.columns = columns


def check_fit(inputs: list[dict[str, str]], df, model: str, data: str) -> None:
    """Raise Unscorable naming every input column of `model` that `df` lacks or has as
    another type, before any of it reaches the model."""
    from . import contracts

    problems, columns = [], []
    for col in inputs:
        name = col["name"]
        if name not in df.columns:
            problem = f"{name} is missing"
        elif contracts.compatible(col["dtype"], str(df.schema[name])) or \
                df.get_column(name).null_count() == df.height:
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
    def target(self) -> str:
        return self.meta["target"]

    def predict(self, df, data: str = "the data"):
        """Predictions (and, for classifiers, probabilities of each class) for a frame; `data`
        names it when it does not fit (Unscorable)."""
        from . import features  # polars

        spec = features.FeatureSpec.from_dict(self.meta["features"])
        check_fit(spec.inputs, df, self.label, data)
        X = features.build(df, spec)
        predicted = self.pipeline.predict(X)
        proba = self.pipeline.predict_proba(X) if self.task == "classification" and hasattr(
            self.pipeline, "predict_proba") else None
        return predicted, proba

    def score(self, df, target: str, data: str = "the data") -> tuple[dict[str, float], int]:
        """The model's metrics on the rows of `df` that have a `target` value, and their count."""
        import polars as pl

        from . import metrics

        if target not in df.columns:
            raise InvalidInput(f"the data has no column {target!r} to score against")
        labelled = df.filter(pl.col(target).is_not_null())
        if labelled.height == 0:
            raise InvalidInput(f"the data has no {target!r} values to score against")
        predicted, proba = self.predict(labelled, data)
        y = labelled.get_column(target).to_numpy()
        if self.task == "regression":
            return metrics.regression(y.astype(float), predicted.astype(float)), labelled.height
        return (metrics.classification(y, predicted, proba, list(self.pipeline.classes_)),
                labelled.height)


def load(ws: Workspace, run_id: str, artifact_hash: str, meta: dict[str, Any],
         what: str) -> LoadedModel:
    """Deserialize a model artifact, only after its bytes verify against `artifact_hash`."""
    if "features" not in meta:
        raise InvalidInput(f"{what} was logged without a feature recipe (only models from "
                           f"`wb train` can score data here)")
    return LoadedModel(run_id, model_io.load(ws.store.read_verified(artifact_hash), meta), meta,
                       what)


def load_from_run(ws: Workspace, run_ref: str) -> LoadedModel:
    run_id = runs.resolve(ws, run_ref)
    row = model_artifact(ws, run_id)
    if row is None:
        raise NotFound(f"run {run_ref} logged no model")
    return load(ws, run_id, row["hash"], json.loads(row["meta"]), f"the model of run {run_ref}")


def model_artifact(ws: Workspace, run_id: str):
    return ws.conn.execute("SELECT hash, meta FROM artifacts WHERE run_id = ? AND kind = 'model' "
                           "ORDER BY path LIMIT 1", (run_id,)).fetchone()
