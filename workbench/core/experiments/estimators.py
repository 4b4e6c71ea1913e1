"""The built-in models of `wb train`: each a scikit-learn pipeline over the feature frame.

Trees (lightgbm, random_forest, extra_trees, hist_gradient_boosting) get categories as ordinal
codes (LightGBM and HistGradientBoosting are told which columns are categorical) and missing
numbers as they are; `linear` gets one-hot categories, imputed and scaled numbers; `baseline`
predicts the mean or the most frequent class, the floor every experiment should beat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..config import Rule
from ..errors import InvalidInput
from ..models.features import FeatureSpec

MODELS = ("lightgbm", "random_forest", "extra_trees", "hist_gradient_boosting", "linear", "baseline")
TASKS = ("regression", "classification")

# wb's own defaults per model, over the library's; a user's --param overrides them.
DEFAULTS: dict[str, dict[str, Any]] = {
    "lightgbm": {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 31, "early_stopping_rounds": 0},
    "random_forest": {"n_estimators": 100, "min_samples_leaf": 2},
    "extra_trees": {"n_estimators": 100, "min_samples_leaf": 2},
    "hist_gradient_boosting": {"max_iter": 200, "learning_rate": 0.1},
    "linear": {},
    "baseline": {},
}
# Models whose predict() is spread over threads (see training: predictions are made on one).
THREADED_PREDICTION = ("random_forest", "extra_trees")
# Parameters wb handles itself rather than passing to the estimator.
WB_PARAMS = {"lightgbm": {"early_stopping_rounds"}}
C_INT_MAX = 2**31 - 1  # LightGBM's counts are C ints; a larger one fails deep inside the fit
# LightGBM's own checks end a fit with a C++ file and line, and its rounds and leaves are not
# tried in full by the trial fit: the values it needs, said in wb's words before any run.
# (scikit-learn's estimators check their parameters themselves, in words a user can act on.)
_COUNT = Rule(integer=True, high=C_INT_MAX)
_SHARE = Rule(low_open=True, high=1)
PARAM_RULES: dict[str, dict[str, Rule]] = {
    "lightgbm": {
        "n_estimators": Rule(integer=True, low=1, high=C_INT_MAX),
        "learning_rate": Rule(low_open=True),
        "num_leaves": Rule(integer=True, low=2, high=131072),
        "max_depth": Rule(integer=True, low=-C_INT_MAX, high=C_INT_MAX),
        "early_stopping_rounds": _COUNT,
        "min_child_samples": _COUNT,
        "subsample_freq": _COUNT,
        "subsample_for_bin": Rule(integer=True, low=1, high=C_INT_MAX),
        "subsample": _SHARE,
        "colsample_bytree": _SHARE,
        "min_child_weight": Rule(),
        "min_split_gain": Rule(),
        "reg_alpha": Rule(),
        "reg_lambda": Rule(),
    },
}


@dataclass
class Built:
    pipeline: Any  # an unfitted sklearn Pipeline: ("prep", ColumnTransformer), ("model", est)
    params: dict[str, Any]  # every parameter the run records: wb defaults + user's
    fit_params: dict[str, Any]


def build(model: str, task: str, spec: FeatureSpec, params: dict[str, Any], seed: int) -> Built:
    """The pipeline for a model, with the user's parameters checked against it."""
    check_model(model)
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    merged = {**DEFAULTS[model], **params}
    own = {k: merged[k] for k in WB_PARAMS.get(model, set()) if k in merged}
    est_params = {k: v for k, v in merged.items() if k not in own}
    estimator = _estimator(model, task, seed)
    valid = estimator.get_params()
    unknown = sorted(set(est_params) - set(valid))
    if unknown:
        raise InvalidInput(
            f"{model} has no parameter {unknown[0]!r}; it takes {', '.join(sorted(set(valid) | set(own)))}"
        )
    try:
        estimator.set_params(**est_params)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"bad parameter for {model}: {exc}") from None
    n_cat = len(spec.categorical)
    prep = ColumnTransformer(
        [
            ("categorical", _categorical_encoder(model), spec.categorical),
            ("numeric", _numeric_transform(model), _non_categorical(spec)),
        ],
        verbose_feature_names_out=False,
    )
    fit_params: dict[str, Any] = {}
    if model == "hist_gradient_boosting" and n_cat:
        estimator.set_params(categorical_features=list(range(n_cat)))
    if model == "lightgbm" and n_cat:
        fit_params["categorical_feature"] = list(range(n_cat))
    return Built(Pipeline([("prep", prep), ("model", estimator)]), merged, fit_params)


def check_model(model: str) -> None:
    if model not in MODELS:
        raise InvalidInput(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")


def check_values(model: str, params: dict[str, Any]) -> None:
    """Numbers the trainers cannot take: not finite, beyond a C int, out of LightGBM's ranges.
    (`build` checks the names, and the trial fit what scikit-learn checks itself.)"""
    rules = PARAM_RULES.get(model, {})
    for key, value in params.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput(f"{model} parameter {key} must be a finite number, not {value}")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > C_INT_MAX:
            raise InvalidInput(f"{model} parameter {key} is too large: {value}")
        problem = key in rules and rules[key].problem(value)
        if problem:
            raise InvalidInput(f"{model} parameter {key} {problem}")


class _Quiet:
    """LightGBM's logger prints its native errors on stdout (before wb's sentence, inside
    --json output); the same words reach wb in the exception it raises."""

    def info(self, message: str) -> None:
        pass

    def warning(self, message: str) -> None:
        pass


def _non_categorical(spec: FeatureSpec) -> list[str]:
    return [c for c in spec.columns if c not in spec.categorical]


def _estimator(model: str, task: str, seed: int) -> Any:
    classify = task == "classification"
    if model == "lightgbm":
        import lightgbm as lgb

        lgb.register_logger(_Quiet())
        cls = lgb.LGBMClassifier if classify else lgb.LGBMRegressor
        # One thread: parallelism comes from `--jobs`, and on a shared 2-core machine two
        # OpenMP threads that spin-wait made fits 5 to 190 times slower (bench/train.py).
        return cls(random_state=seed, deterministic=True, force_row_wise=True, verbose=-1, n_jobs=1)
    if model in ("random_forest", "extra_trees"):
        from sklearn import ensemble

        name = ("RandomForest" if model == "random_forest" else "ExtraTrees") + (
            "Classifier" if classify else "Regressor"
        )
        return getattr(ensemble, name)(random_state=seed, n_jobs=2)
    if model == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return cls(random_state=seed)
    if model == "linear":
        from sklearn.linear_model import LogisticRegression, Ridge

        return LogisticRegression(max_iter=2000, random_state=seed) if classify else Ridge()
    from sklearn.dummy import DummyClassifier, DummyRegressor

    # "prior" predicts the most frequent class with the class frequencies as probabilities,
    # so its log loss is a fair floor rather than the penalty of certain wrong answers.
    return DummyClassifier(strategy="prior") if classify else DummyRegressor()


def _categorical_encoder(model: str) -> Any:
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    if model in ("linear", "baseline"):
        return OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    # Unseen categories become -1, which LightGBM and HistGradientBoosting treat as missing.
    return OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)


def _numeric_transform(model: str) -> Any:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if model in ("lightgbm", "hist_gradient_boosting"):
        return "passthrough"  # they handle missing values themselves
    if model == "linear":
        return Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    return SimpleImputer(strategy="median")
