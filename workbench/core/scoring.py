"""Loading a trained model back and scoring data with it.

The model's bytes are read from the store and verified against their hash before they are
deserialized (and deserialized with model_io's trusted types only); the feature recipe stored
beside it rebuilds the training features from raw columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import features, model_io, runs
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
        spec = features.FeatureSpec.from_dict(self.meta["features"])
        X = features.build(df, spec)
        predicted = self.pipeline.predict(X)
        proba = self.pipeline.predict_proba(X) if self.task == "classification" and hasattr(
            self.pipeline, "predict_proba") else None
        return predicted, proba


def load_from_run(ws: Workspace, run_ref: str) -> LoadedModel:
    run_id = runs.resolve(ws, run_ref)
    row = ws.conn.execute("SELECT hash, meta FROM artifacts WHERE run_id = ? AND kind = 'model' "
                          "ORDER BY path LIMIT 1", (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"run {run_ref} logged no model")
    meta = json.loads(row["meta"])
    if "features" not in meta:
        raise InvalidInput(f"the model of run {run_ref} was logged without a feature recipe "
                           f"(only models from `wb train` can score data here)")
    pipeline = model_io.load(ws.store.read_verified(row["hash"]), meta)
    return LoadedModel(run_id, pipeline, meta)
