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


@dataclass
class LoadedModel:
    run_id: str
    pipeline: Any
    meta: dict[str, Any]

    @property
    def task(self) -> str:
        return self.meta["task"]

    @property
    def target(self) -> str:
        return self.meta["target"]

    def predict(self, df):
        """Predictions (and, for classifiers, probabilities of each class) for a frame."""
        from . import features  # polars

        spec = features.FeatureSpec.from_dict(self.meta["features"])
        X = features.build(df, spec)
        predicted = self.pipeline.predict(X)
        proba = self.pipeline.predict_proba(X) if self.task == "classification" and hasattr(
            self.pipeline, "predict_proba") else None
        return predicted, proba


    def score(self, df, target: str) -> tuple[dict[str, float], int]:
        """The model's metrics on the rows of `df` that have a `target` value, and their count."""
        import polars as pl

        from . import metrics

        if target not in df.columns:
            raise InvalidInput(f"the data has no column {target!r} to score against")
        labelled = df.filter(pl.col(target).is_not_null())
        if labelled.height == 0:
            raise InvalidInput(f"the data has no {target!r} values to score against")
        predicted, proba = self.predict(labelled)
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
    return LoadedModel(run_id, model_io.load(ws.store.read_verified(artifact_hash), meta), meta)


def load_from_run(ws: Workspace, run_ref: str) -> LoadedModel:
    run_id = runs.resolve(ws, run_ref)
    row = model_artifact(ws, run_id)
    if row is None:
        raise NotFound(f"run {run_ref} logged no model")
    return load(ws, run_id, row["hash"], json.loads(row["meta"]), f"the model of run {run_ref}")


def model_artifact(ws: Workspace, run_id: str):
    return ws.conn.execute("SELECT hash, meta FROM artifacts WHERE run_id = ? AND kind = 'model' "
                           "ORDER BY path LIMIT 1", (run_id,)).fetchone()
