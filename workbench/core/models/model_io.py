"""Saving and loading fitted models without running code from the file.

scikit-learn pipelines (and the LightGBM estimators inside them) are written with skops. On load,
the types the file asks for are checked against TRUSTED, a list written here and never read from
the file (skops once took it from the file: GHSA-w582-9x45-8mpx); anything else is refused.
Callers hand in bytes whose hash they have just verified against the store.
"""

from __future__ import annotations

from typing import Any

from ..errors import IntegrityError

FORMAT = "skops"

# Types outside skops' own default-trusted set that wb's trainers and users' models need.
TRUSTED = frozenset(
    {
        "collections.OrderedDict",
        "functools.partial",
        "sklearn.utils.validation.check_array",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfMultinomialLoss",
        "sklearn._loss.link.IdentityLink",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.MultinomialLogit",
        "sklearn._loss.link.Interval",
        "numpy.dtype",
        "builtins.slice",
        # What users' own scikit-learn pipelines ask for (`run.log_model`): fitted state and the
        # library's own loss, distance and scoring classes and functions, none of them a builtin.
        "sklearn.utils._bunch.Bunch",
        "sklearn._loss.loss.AbsoluteError",
        "sklearn._loss.loss.ExponentialLoss",
        "sklearn._loss.loss.HalfGammaLoss",
        "sklearn._loss.loss.HalfPoissonLoss",
        "sklearn._loss.loss.HalfTweedieLoss",
        "sklearn._loss.loss.HalfTweedieLossIdentity",
        "sklearn._loss.loss.HuberLoss",
        "sklearn._loss.loss.PinballLoss",
        "sklearn._loss.link.LogLink",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.metrics._dist_metrics.ManhattanDistance64",
        "sklearn.metrics._dist_metrics.MinkowskiDistance64",
        "sklearn.metrics._dist_metrics.ChebyshevDistance64",
        "sklearn.feature_selection._univariate_selection.f_classif",
        "sklearn.feature_selection._univariate_selection.f_regression",
        "sklearn.feature_selection._univariate_selection.r_regression",
        "sklearn.feature_selection._univariate_selection.chi2",
        "sklearn.feature_selection._mutual_info.mutual_info_classif",
        "sklearn.feature_selection._mutual_info.mutual_info_regression",
    }
)


def dump(model: Any) -> tuple[bytes, dict[str, Any]]:
    """The model as bytes plus metadata describing the format."""
    import skops.io as sio

    return sio.dumps(model), {
        "format": FORMAT,
        "type": f"{type(model).__module__}.{type(model).__qualname__}",
    }


def load(payload: bytes, meta: dict[str, Any]) -> Any:
    """The model in `payload`, built from trusted types only; IntegrityError if it cannot be."""
    import skops.io as sio

    if meta.get("format") != FORMAT:
        raise IntegrityError(f"model format {meta.get('format')!r} is not one wb can load safely")
    # The bytes are another machine's or a damaged file's: skops raises whatever its parser
    # trips on (a pickle is no zip; a zip may lack its schema), so any failure is this file's.
    try:
        wanted = set(sio.get_untrusted_types(data=payload))
    except Exception as exc:
        raise IntegrityError(f"the model file is not a skops file ({_reason(exc)})") from None
    refused = wanted - TRUSTED
    if refused:
        raise IntegrityError(f"the model file asks for types wb does not trust: {', '.join(sorted(refused))}")
    try:
        return sio.loads(payload, trusted=sorted(wanted))
    except Exception as exc:
        raise IntegrityError(f"the model file does not load ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
