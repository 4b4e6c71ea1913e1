"""The drift checks that take a model: the model's predictions on both sides compared, its
performance on labelled current data, that performance estimated without labels (and, once
labels arrive, the concept-drift signal: the estimate against the actual), and a domain
classifier that tries to tell reference rows from current ones. Nothing here is stored.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import metrics
from ..config import DriftSettings
from ..errors import NotFound
from ..experiments import runs
from ..storage.workspace import Workspace
from . import batch, statistics
from .records import (
    ConceptDrift,
    DomainClassifier,
    DriftTest,
    Performance,
    PerformanceEstimate,
    RowCounts,
    TopFeature,
)

if TYPE_CHECKING:
    from ..models import scoring


def load_model(ws: Workspace, ref: str) -> scoring.LoadedModel:
    """A registered model (`demand@production`, `demand@2`, `demand`) or a run's model; a run
    name never holds '@', so only a bare name is tried as a run first."""
    from ..models import registry, scoring

    if "@" not in ref:
        try:
            runs.resolve(ws, ref)
        except NotFound:
            try:
                return registry.load(ws, registry.resolve(ws, ref))
            except NotFound:
                raise NotFound(
                    f"--model {ref!r} is neither a run (`wb runs list`) nor a "
                    f"registered model (`wb model list`)"
                ) from None
        return scoring.load_from_run(ws, ref)  # a run: its own error if it logged no model
    version = registry.resolve(ws, ref)
    return batch.load(version.ref, version.artifact_hash, lambda: registry.load(ws, version))


def prediction_drift(
    model: scoring.LoadedModel, ref_df: Any, cur_df: Any, settings: DriftSettings
) -> DriftTest:
    """The model's outputs on the reference against its outputs on the current data, compared
    as a feature would be (a number for regressors, a category for classifiers)."""
    found = statistics.compare(reference_outputs(model, ref_df), outputs(model, cur_df), settings)
    return headline(found)


def outputs(model: scoring.LoadedModel, df: Any) -> Any:
    """The model's predictions on `df`, as a one-column frame to profile."""
    predicted, _ = batch.predict(model, df)
    return output_frame(model, predicted)


def reference_outputs(model: scoring.LoadedModel, ref_df: Any) -> dict[str, Any]:
    """The profile of the model's predictions on the reference: what prediction drift compares
    the current side's with."""
    from ..data import profile

    return profile.compute(outputs(model, ref_df))


def output_frame(model: scoring.LoadedModel, predicted: Any) -> Any:
    import polars as pl

    series = pl.Series("prediction", predicted)
    return pl.DataFrame([series.cast(pl.String if model.task == "classification" else pl.Float64)])


def headline(found: Any) -> DriftTest:
    """Prediction drift's one test, from the comparison of the outputs' profiles: it informs,
    it does not gate (no significance of its own)."""
    return replace(found.features[0].headline, significant=None)


def performance(
    ws: Workspace, model: scoring.LoadedModel, cur_df: Any, target: str, settings: DriftSettings
) -> Performance:
    """The model's metrics on the labelled current data against those at its validation."""
    current, rows = model.score(cur_df, target, "the current data", lambda df: batch.predict(model, df))
    return performance_of(ws, model, current, rows, settings)


def performance_of(
    ws: Workspace, model: scoring.LoadedModel, current: dict[str, float], rows: int, settings: DriftSettings
) -> Performance:
    """`current`, the model's metrics on `rows` labelled rows, against those at its validation."""
    main = metrics.primary(model.task)
    validation = {k: v for k, v in runs.get(ws, model.run_id).metrics.items() if k in current}
    base = validation.get(main)
    now = current[main]
    degradation = (
        None
        if base is None or now is None or math.isnan(now) or not base
        else metrics.worse_by(main, now, base)
    )
    return Performance(
        metric=main,
        validation=base,
        current=now,
        degradation=degradation,
        threshold=settings.performance_degradation,
        degraded=degradation is not None and degradation > settings.performance_degradation,
        rows=rows,
        metrics=current,
        validation_metrics=validation,
    )


def estimate_performance(
    ws: Workspace, model: scoring.LoadedModel, cur_df: Any, settings: DriftSettings
) -> PerformanceEstimate:
    """The model's metric on the current data estimated without labels. Classifiers: the mean
    confidence of their predictions is their expected accuracy (as NannyML's CBPE, assuming
    calibrated probabilities). Regressors: a second model learns the size of the first one's
    errors on its validation rows and predicts them for the current rows (as NannyML's DLE).
    Neither can see concept drift (the same inputs now meaning other outcomes)."""
    predicted, proba = batch.predict(model, cur_df)
    nanny = None if model.task == "classification" else error_model_of(ws, model)
    total = estimate_sum(model, nanny, cur_df, predicted, proba)
    return estimate_of(ws, model, total, cur_df.height, settings)


def estimate_sum(model: scoring.LoadedModel, nanny: Any, df: Any, predicted: Any, proba: Any) -> float | None:
    """What the label-free estimate adds up over the rows of `df`: a classifier's confidence
    in each prediction, or the error model's estimate of each error (None: no estimate)."""
    import numpy as np

    from ..models import features

    if model.task == "classification":
        return None if proba is None else float(proba.max(axis=1).sum())
    if nanny is None:
        return None
    prep = model.pipeline.named_steps["prep"]
    X = features.build(df, features.FeatureSpec.from_dict(model.meta["features"]))
    return float(np.clip(nanny.predict(_design(prep, X, predicted)), 0, None).sum())


def estimate_of(
    ws: Workspace, model: scoring.LoadedModel, total: float | None, rows: int, settings: DriftSettings
) -> PerformanceEstimate:
    """The estimate from `estimate_sum`'s total over `rows` rows."""
    validation = runs.get(ws, model.run_id).metrics
    metric = "accuracy" if model.task == "classification" else "mae"
    estimate = None if total is None or not rows else total / rows
    base = validation.get(metric)
    degradation = metrics.worse_by(metric, estimate, base) if estimate is not None and base else None
    return PerformanceEstimate(
        metric=metric,
        estimated=estimate,
        validation=base,
        degradation=degradation,
        threshold=settings.performance_degradation,
        degraded=degradation is not None and degradation > settings.performance_degradation,
        method="mean confidence (CBPE)"
        if metric == "accuracy"
        else "error model on validation residuals (DLE)",
        note="an estimate: it cannot see concept drift",
    )


def error_model_of(ws: Workspace, model: scoring.LoadedModel) -> Any:
    """A regressor's error model (fitted once in a drift batch), None when its run recorded
    no training spec to find its validation rows by."""
    spec = runs.get(ws, model.run_id).spec
    if not spec:
        return None
    return batch.error_model(model, lambda: _error_model(ws, model, spec))


def _error_model(ws: Workspace, model: scoring.LoadedModel, spec: dict[str, Any]) -> Any:
    """A model of the size of `model`'s errors on the validation rows of its run (`spec`)."""
    import lightgbm as lgb
    import numpy as np

    from ..experiments import training

    prepared = training.prepare(ws, training.TrainSpec(**spec))
    prep = model.pipeline.named_steps["prep"]
    val_pred = model.pipeline.predict(prepared.X_val)
    errors = np.abs(prepared.y_val.astype(float) - val_pred)
    nanny = lgb.LGBMRegressor(
        n_estimators=100,
        num_leaves=15,
        learning_rate=0.05,
        verbose=-1,
        random_state=0,
        deterministic=True,
        force_row_wise=True,
        n_jobs=1,  # a few thousand rows: a second thread costs more than it gives (0.24 s vs 0.08 s)
    )
    return nanny.fit(_design(prep, prepared.X_val, val_pred), errors)


def _design(prep: Any, X: Any, predicted: Any) -> Any:
    """The error model's inputs: the model's own features and its prediction."""
    import numpy as np

    return np.column_stack([prep.transform(X), predicted])


def with_concept_drift(
    estimate: PerformanceEstimate, actual: Performance, settings: DriftSettings
) -> PerformanceEstimate:
    """Once labels arrive: an actual metric much worse than the label-free estimate means the
    inputs did not explain the loss, i.e. the relation between inputs and outcome moved."""
    real = actual.metrics.get(estimate.metric)
    guess = estimate.estimated
    if real is None or guess is None or not guess:
        return replace(estimate, concept=ConceptDrift(real, None, None))
    gap = metrics.worse_by(estimate.metric, real, guess)
    return replace(estimate, concept=ConceptDrift(real, gap, gap > settings.performance_degradation))


def domain_classifier(
    ref_df: Any, cur_df: Any, settings: DriftSettings, target: str | None
) -> DomainClassifier:
    """Can a model tell reference rows from current rows? Its ROC AUC on held-out rows says
    whether the data moved as a whole (also when no single feature did, as a shift within one
    segment), and its most important features say where."""
    import lightgbm as lgb
    import numpy as np
    import polars as pl
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import OrdinalEncoder

    from ..models import features

    shared = [
        c
        for c in ref_df.columns
        if c in cur_df.columns and c != target and not ref_df.schema[c].is_temporal()
    ]  # time alone would tell them apart
    n = settings.classifier_max_rows
    ref = ref_df.select(shared).sample(min(n, ref_df.height), seed=0)
    cur = cur_df.select(shared).sample(min(n, cur_df.height), seed=0)
    both = pl.concat([ref, cur], how="vertical_relaxed")
    spec = features.infer(both.with_columns(pl.lit(0).alias("__side")), "__side")
    X = features.build(both, spec)
    cats = spec.categorical
    matrix = (
        X.with_columns(
            pl.Series(c, OrdinalEncoder().fit_transform(X.select(c).to_numpy()).ravel()) for c in cats
        ).to_numpy()
        if cats
        else X.to_numpy()
    )
    y = np.r_[np.zeros(ref.height), np.ones(cur.height)]
    order = np.random.default_rng(0).permutation(len(y))
    cut = int(len(y) * 0.7)
    train, test = order[:cut], order[cut:]
    clf = lgb.LGBMClassifier(
        n_estimators=100,
        num_leaves=15,
        learning_rate=0.1,
        verbose=-1,
        random_state=0,
        deterministic=True,
        force_row_wise=True,
        n_jobs=2,
    )
    clf.fit(matrix[train], y[train], categorical_feature=list(range(len(cats))))
    auc = float(roc_auc_score(y[test], np.asarray(clf.predict_proba(matrix[test]))[:, 1]))
    gains = clf.booster_.feature_importance("gain")
    ranked = sorted(zip(spec.columns, gains, strict=True), key=lambda kv: -kv[1])
    total = float(sum(gains)) or 1.0
    return DomainClassifier(
        test="domain_classifier_auc",
        score=auc,
        threshold=settings.classifier_auc_threshold,
        drifted=auc >= settings.classifier_auc_threshold,
        top_features=tuple(TopFeature(k, float(v) / total) for k, v in ranked[:5]),
        rows=RowCounts(ref.height, cur.height),
    )
