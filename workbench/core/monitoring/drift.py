"""Drift checks: has a new drop of data moved away from the reference?

Per feature, an effect size decides (a p-value alone flags shifts of no practical size on
large data): numbers by the Wasserstein distance in reference standard deviations, from the
quantile sketches of both sides; categories (text, booleans, numbers with few values) by the
Jensen-Shannon distance of their shares, where categories the reference never had count too;
either by a move in the share of missing values. A chi-square test on the same counts is a
second gate, with Benjamini-Hochberg holding the false discovery rate across features, so
that small samples do not drift on noise. The dataset drifts when enough of its features do.

The reference side is read from the profile stored with its version: a check reads only the
current data.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import TYPE_CHECKING, Any

from .. import events, metrics
from ..config import DriftSettings
from ..errors import InvalidInput, NotFound
from ..experiments import runs
from ..names import plural
from ..storage.db import transaction
from ..storage.workspace import Workspace
from ..timeutil import now_iso
from . import alerts

if TYPE_CHECKING:
    from ..models import scoring


# -- comparing two profiles -------------------------------------------------------------------
def compare(ref: dict[str, Any], cur_df, settings: DriftSettings) -> dict[str, Any]:
    """The drift of data frame `cur_df` from the reference profile `ref` (no persistence)."""
    from ..data import profile

    # The current side counted in the reference's drift bins and histogram bins as it is
    # profiled (one sort per column, not two).
    count_in = {
        c["name"]: [c["drift_bins"]["edges"], c["histogram"]["edges"][1:-1]]
        for c in ref["columns"]
        if c.get("drift_bins") and c.get("histogram")
    }
    cur = profile.compute(cur_df, count_in=count_in)
    cur_cols = {c["name"]: c for c in cur["columns"]}
    features, problems = [], []
    for rcol in ref["columns"]:
        name = rcol["name"]
        if rcol["kind"] in ("temporal", "other"):
            continue  # time stamps always move on; they are not features to watch
        ccol = cur_cols.get(name)
        if ccol is None:
            problems.append({"name": name, "problem": "missing from the current data"})
            features.append(
                _feature(
                    name,
                    _kind(rcol, settings),
                    "missing_column",
                    1.0,
                    0.0,
                    p_value=0.0,
                    detail="the column is missing",
                )
            )
            continue
        if ccol["nulls"] == cur["rows"] and rcol["nulls"] < ref["rows"]:
            # Entirely empty now (a CSV reader then cannot tell its type): a missing-share move.
            moved = 1.0 - rcol["null_fraction"]
            features.append(
                _feature(
                    name,
                    _kind(rcol, settings),
                    "missing_share",
                    moved,
                    settings.missing_share_threshold,
                    p_value=_chi2_p([[rcol["nulls"], ref["rows"] - rcol["nulls"]], [cur["rows"], 0]]),
                    missing_share={"reference": rcol["null_fraction"], "current": 1.0},
                    detail=f"missing {rcol['null_fraction']:.1%} -> 100%",
                )
            )
            continue
        if ccol["dtype"] != rcol["dtype"] and not (rcol["kind"] == ccol["kind"] == "numeric"):
            problems.append({"name": name, "problem": f"type {rcol['dtype']} became {ccol['dtype']}"})
            features.append(
                _feature(
                    name,
                    _kind(rcol, settings),
                    "dtype_changed",
                    1.0,
                    0.0,
                    p_value=0.0,
                    detail=f"{rcol['dtype']} -> {ccol['dtype']}",
                )
            )
            continue
        features.append(_compare_column(rcol, ccol, settings, (ref["rows"], cur["rows"])))
    extra = [c for c in cur_cols if c not in {r["name"] for r in ref["columns"]}]
    _gate(features, settings)
    n_drifted = sum(f["drifted"] for f in features)
    share = n_drifted / len(features) if features else 0.0
    return {
        "dataset_drift": bool(features) and share >= settings.dataset_drift_share,
        "drift_share": share,
        "drifted_features": n_drifted,
        "n_features": len(features),
        "threshold_share": settings.dataset_drift_share,
        "features": sorted(features, key=lambda f: (not f["drifted"], -f["score"])),
        "schema_problems": problems,
        "extra_columns": extra,
        "rows": {"reference": ref["rows"], "current": cur["rows"]},
        "prediction_drift": None,
        "performance": None,
    }


def _kind(col: dict[str, Any], settings: DriftSettings) -> str:
    if col["kind"] == "numeric" and col["distinct"] > settings.categorical_max_distinct:
        return "numerical"
    return "categorical"


TEST_FIELDS = ("test", "score", "threshold", "p_value", "drifted", "detail")


def _feature(
    name: str,
    kind: str,
    test: str,
    score: float,
    threshold: float,
    *,
    p_value: float,
    detail: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """A feature with one test run on it; `tests` lists every test (see `_compare_column`),
    and the feature's own test fields are those of its headline test (`_gate` picks it)."""
    result = {
        "test": test,
        "score": score,
        "threshold": threshold,
        "p_value": p_value,
        "drifted": score >= threshold,
        "detail": detail,
    }
    return {"name": name, "type": kind, **result, **extra, "tests": [result]}


def _compare_column(rcol: dict, ccol: dict, settings: DriftSettings, rows: tuple[int, int]) -> dict[str, Any]:
    kind = _kind(rcol, settings)
    missing = {"reference": rcol["null_fraction"], "current": ccol["null_fraction"]}
    moved = ccol["null_fraction"] - rcol["null_fraction"]
    compared = (_numerical if kind == "numerical" else _categorical)(rcol, ccol, settings, missing)
    if abs(moved) < settings.missing_share_threshold:
        return compared
    # Both tests, so that a move in missing values does not hide a shift in the rest.
    p = _chi2_p([[rcol["nulls"], rows[0] - rcol["nulls"]], [ccol["nulls"], rows[1] - ccol["nulls"]]])
    missing_test = _feature(
        rcol["name"],
        kind,
        "missing_share",
        abs(moved),
        settings.missing_share_threshold,
        p_value=p,
        detail=f"missing {rcol['null_fraction']:.1%} -> {ccol['null_fraction']:.1%} "
        f"({abs(moved) * 100:.1f} points)",
    )
    return {**compared, "tests": [*missing_test["tests"], *compared["tests"]]}


def _numerical(rcol, ccol, settings: DriftSettings, missing) -> dict[str, Any]:
    name = rcol["name"]
    if not rcol.get("sketch") or not ccol.get("sketch") or "counts_in" not in ccol:
        return _feature(
            name,
            "numerical",
            "wasserstein",
            0.0,
            settings.numeric_threshold,
            p_value=1.0,
            missing_share=missing,
            detail="no finite values to compare",
        )
    spread = rcol["std"] or max(abs(rcol["mean"] or 0.0) * 0.01, 1e-9)
    w1 = sum(abs(a - b) for a, b in zip(rcol["sketch"], ccol["sketch"], strict=True))
    score = w1 / len(rcol["sketch"]) / spread
    in_drift_bins, in_histogram = ccol["counts_in"]
    p = _chi2_p([rcol["drift_bins"]["counts"], in_drift_bins])
    shift = (ccol["mean"] or 0.0) - (rcol["mean"] or 0.0)
    hist = rcol["histogram"]
    # The current values in the reference's bins (outside them: in the end bins).
    distribution = {"edges": hist["edges"], "reference": hist["counts"], "current": in_histogram}
    return _feature(
        name,
        "numerical",
        "wasserstein",
        score,
        settings.numeric_threshold,
        p_value=p,
        missing_share=missing,
        distribution=distribution,
        detail=f"mean {rcol['mean']:.4g} -> {ccol['mean']:.4g} ({shift:+.3g}); "
        f"{score:.3g} reference std apart",
    )


def _categorical(rcol, ccol, settings: DriftSettings, missing) -> dict[str, Any]:
    ref_counts = rcol.get("category_counts") or {}
    cur_counts = ccol.get("category_counts") or {}
    keys = sorted(set(ref_counts) | set(cur_counts))
    r = [ref_counts.get(k, 0) for k in keys]
    c = [cur_counts.get(k, 0) for k in keys]
    score = _js_distance(r, c)
    unseen = [k for k in keys if k not in ref_counts]
    unseen_share = sum(cur_counts[k] for k in unseen) / max(sum(c), 1)
    detail = f"shares {score:.3g} apart (0 same, 1 disjoint)"
    if unseen:
        detail = (
            f"{plural(len(unseen), 'unseen category', 'unseen categories')} "
            f"({unseen_share:.1%} of rows): {', '.join(unseen[:5])}; {detail}"
        )
    total_r, total_c = max(sum(r), 1), max(sum(c), 1)
    # The ten categories whose share moved most, largest move first.
    shares = sorted(
        ((k, a / total_r, b / total_c) for k, a, b in zip(keys, r, c, strict=True)),
        key=lambda kab: -abs(kab[1] - kab[2]),
    )[:10]
    distribution = {
        "categories": [k for k, _, _ in shares],
        "reference": [a for _, a, _ in shares],
        "current": [b for _, _, b in shares],
    }
    return _feature(
        rcol["name"],
        "categorical",
        "jensen_shannon",
        score,
        settings.categorical_threshold,
        p_value=_chi2_p([r, c]),
        missing_share=missing,
        distribution=distribution,
        unseen_categories=unseen[:20],
        unseen_share=unseen_share,
        detail=detail,
    )


def _js_distance(p_counts: list[int], q_counts: list[int]) -> float:
    """Jensen-Shannon distance (base 2: 0 = same shares, 1 = nothing in common)."""
    sp, sq = sum(p_counts), sum(q_counts)
    if not sp or not sq:
        return 0.0 if sp == sq else 1.0
    total = 0.0
    for a, b in zip(p_counts, q_counts, strict=True):
        pa, qb = a / sp, b / sq
        m = (pa + qb) / 2
        if pa:
            total += 0.5 * pa * math.log2(pa / m)
        if qb:
            total += 0.5 * qb * math.log2(qb / m)
    return math.sqrt(max(total, 0.0))


def _chi2_p(table: list[list[int]]) -> float:
    """p-value of the chi-square test of homogeneity on a 2 x k table of counts."""
    cols = [j for j in range(len(table[0])) if table[0][j] + table[1][j] > 0]
    if len(cols) < 2:
        return 1.0
    rows = [sum(table[i][j] for j in cols) for i in range(2)]
    if not all(rows):
        return 1.0
    n = sum(rows)
    stat = 0.0
    for j in cols:
        col_total = table[0][j] + table[1][j]
        for i in range(2):
            expected = rows[i] * col_total / n
            stat += (table[i][j] - expected) ** 2 / expected
    return chi2_sf(stat, len(cols) - 1)


def chi2_sf(x: float, dof: int) -> float:
    """P(X >= x) for a chi-square variable with `dof` degrees of freedom: the regularized upper
    incomplete gamma Q(dof/2, x/2), by its series below a + 1 and its continued fraction above
    (Numerical Recipes 6.2). Here rather than from scipy, whose import costs half a second."""
    a, z = dof / 2.0, x / 2.0
    if z <= 0:
        return 1.0
    log_front = a * math.log(z) - z - math.lgamma(a)
    if z < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(1000):
            n += 1
            term *= z / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b = z + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_front) * h)


def _gate(features: list[dict[str, Any]], settings: DriftSettings) -> None:
    """A test over its threshold finds drift only if its p-value survives Benjamini-Hochberg
    over every test run; a feature drifts when one of its tests does, and shows that one (or,
    with none, the one nearest its threshold) as its headline."""
    tests = [t for f in features for t in f["tests"]]
    ranked = sorted(range(len(tests)), key=lambda i: tests[i]["p_value"])
    passing = -1
    for rank, i in enumerate(ranked, 1):
        if tests[i]["p_value"] <= settings.false_discovery_rate * rank / len(tests):
            passing = rank
    significant = {ranked[k] for k in range(passing)} if passing > 0 else set()
    for i, t in enumerate(tests):
        t["significant"] = i in significant
        t["drifted"] = bool(t["score"] >= t["threshold"] and t["significant"])
    for f in features:
        headline = max(f["tests"], key=lambda t: (t["drifted"], _over(t)))
        f.update({k: headline[k] for k in (*TEST_FIELDS, "significant")})


def _over(test: dict[str, Any]) -> float:
    """How far a test's score is towards its threshold (1 = at it)."""
    return test["score"] / test["threshold"] if test["threshold"] else math.inf


# -- checks as the CLI runs them -------------------------------------------------------------
def load_model(ws: Workspace, ref: str):
    """A registered model (`demand@production`, `demand@2`, `demand`) or a run's model; a run
    name never holds '@', so only a bare name is tried as a run first."""
    from ..experiments import runs
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
    return registry.load(ws, registry.resolve(ws, ref))


def check(
    ws: Workspace,
    reference: str,
    current: str,
    *,
    model: str | None = None,
    target: str | None = None,
    classifier: bool = False,
) -> dict[str, Any]:
    """Compare a current version or file with a reference version; store the report, raise
    alerts for dataset drift and degraded performance, and return the report.

    With `model` (a MODELREF such as `demand@production`, or a run that trained one):
    prediction drift, and with `target` in the current
    data, performance against the model's validation metric. With `classifier`: a model that
    tries to tell reference rows from current ones. Both read the reference's data too."""
    from ..data import datasets
    from ..models import scoring

    settings = ws.config.drift
    ref_version = datasets.resolve(ws, reference)
    loaded = load_model(ws, model) if model else None
    cur_label, cur_df, _ = datasets.load_ref_or_file(ws, current)
    if target is not None and target not in cur_df.columns:
        raise InvalidInput(f"the current data has no column {target!r}")
    if not {c["name"] for c in ref_version.schema} & set(cur_df.columns):
        raise InvalidInput(
            f"{cur_label} has no column in common with {ref_version.ref} (its "
            f"columns: {', '.join(cur_df.columns[:8]) or 'none'}): there is "
            f"nothing to compare"
        )
    if loaded is not None:  # a drop the model cannot score is refused before anything is stored
        scoring.check_fit(loaded.meta["features"]["inputs"], cur_df, loaded.label, cur_label)
    ref_df = datasets.load(ws, ref_version) if (loaded or classifier) else None
    if loaded is not None:  # prediction drift scores the reference too
        scoring.check_fit(
            loaded.meta["features"]["inputs"], ref_df, loaded.label, f"the reference {ref_version.ref}"
        )
    ref_profile = ref_version.profile
    if not any("drift_bins" in c or "category_counts" in c for c in ref_profile["columns"]):
        # Profiled before profiles carried what drift needs: profile the reference again.
        from ..data import profile

        ref_profile = profile.compute(ref_df if ref_df is not None else datasets.load(ws, ref_version))
    report = compare(ref_profile, cur_df, settings)
    if loaded is not None:
        report["prediction_drift"] = prediction_drift(loaded, ref_df, cur_df, settings)
        report["performance_estimate"] = estimate_performance(ws, loaded, cur_df, settings)
        if target is not None:
            report["performance"] = performance(ws, loaded, cur_df, target, settings)
            _concept_drift_signal(report["performance_estimate"], report["performance"], settings)
    report["multivariate"] = domain_classifier(ref_df, cur_df, settings, target) if classifier else None
    report = {
        "report_id": uuid.uuid4().hex,
        "reference": ref_version.ref,
        "current": cur_label,
        "created_at": now_iso(),
        "model_run": loaded.run_id if loaded else None,
        **report,
    }
    _store(ws, report)
    return report


def prediction_drift(model: scoring.LoadedModel, ref_df, cur_df, settings: DriftSettings) -> dict[str, Any]:
    """The model's outputs on the reference against its outputs on the current data, compared
    as a feature would be (a number for regressors, a category for classifiers)."""
    import polars as pl

    from ..data import profile

    def outputs(df):
        predicted, _ = model.predict(df)
        series = pl.Series("prediction", predicted)
        return pl.DataFrame(
            [series.cast(pl.String) if model.task == "classification" else series.cast(pl.Float64)]
        )

    ref_out = outputs(ref_df)
    result = compare(profile.compute(ref_out), outputs(cur_df), settings)["features"][0]
    return {k: result[k] for k in ("test", "score", "threshold", "p_value", "drifted", "detail")}


def performance(
    ws: Workspace, model: scoring.LoadedModel, cur_df, target: str, settings: DriftSettings
) -> dict[str, Any]:
    """The model's metrics on the labelled current data against those at its validation."""
    current, rows = model.score(cur_df, target)
    main = metrics.primary(model.task)
    validation = {k: v for k, v in runs.get(ws, model.run_id).metrics.items() if k in current}
    base = validation.get(main)
    now = current[main]
    degradation = (
        None
        if base is None or now is None or math.isnan(now) or not base
        else metrics.worse_by(main, now, base)
    )
    degraded = degradation is not None and degradation > settings.performance_degradation
    return {
        "metric": main,
        "validation": base,
        "current": now,
        "degradation": degradation,
        "threshold": settings.performance_degradation,
        "degraded": degraded,
        "rows": rows,
        "metrics": current,
        "validation_metrics": validation,
    }


def estimate_performance(
    ws: Workspace, model: scoring.LoadedModel, cur_df, settings: DriftSettings
) -> dict[str, Any]:
    """The model's metric on the current data estimated without labels. Classifiers: the mean
    confidence of their predictions is their expected accuracy (as NannyML's CBPE, assuming
    calibrated probabilities). Regressors: a second model learns the size of the first one's
    errors on its validation rows and predicts them for the current rows (as NannyML's DLE).
    Neither can see concept drift (the same inputs now meaning other outcomes)."""
    import numpy as np

    predicted, proba = model.predict(cur_df)
    validation = runs.get(ws, model.run_id).metrics
    if model.task == "classification":
        metric, estimate = "accuracy", float(np.mean(proba.max(axis=1))) if proba is not None else None
    else:
        metric, estimate = "mae", _estimated_mae(ws, model, cur_df, predicted)
    base = validation.get(metric)
    degradation = metrics.worse_by(metric, estimate, base) if estimate is not None and base else None
    return {
        "metric": metric,
        "estimated": estimate,
        "validation": base,
        "degradation": degradation,
        "threshold": settings.performance_degradation,
        "degraded": degradation is not None and degradation > settings.performance_degradation,
        "method": "mean confidence (CBPE)"
        if metric == "accuracy"
        else "error model on validation residuals (DLE)",
        "note": "an estimate: it cannot see concept drift",
    }


def _estimated_mae(ws: Workspace, model: scoring.LoadedModel, cur_df, predicted) -> float | None:
    import lightgbm as lgb
    import numpy as np

    from ..experiments import training

    spec = runs.get(ws, model.run_id).spec
    if not spec:
        return None
    prepared = training.prepare(ws, training.TrainSpec(**spec))  # the run's own validation rows
    prep = model.pipeline.named_steps["prep"]
    val_pred = model.pipeline.predict(prepared.X_val)
    errors = np.abs(prepared.y_val.astype(float) - val_pred)

    def design(X, pred):
        return np.column_stack([prep.transform(X), pred])

    nanny = lgb.LGBMRegressor(
        n_estimators=100,
        num_leaves=15,
        learning_rate=0.05,
        verbose=-1,
        random_state=0,
        deterministic=True,
        force_row_wise=True,
        n_jobs=2,
    )
    nanny.fit(design(prepared.X_val, val_pred), errors)
    from ..models import features

    X_cur = features.build(cur_df, features.FeatureSpec.from_dict(model.meta["features"]))
    return float(np.clip(nanny.predict(design(X_cur, predicted)), 0, None).mean())


def _concept_drift_signal(estimate: dict[str, Any], actual: dict[str, Any], settings: DriftSettings) -> None:
    """Once labels arrive: an actual metric much worse than the label-free estimate means the
    inputs did not explain the loss, i.e. the relation between inputs and outcome moved."""
    metric = estimate["metric"]
    real = actual["metrics"].get(metric)
    guess = estimate["estimated"]
    if real is None or guess is None or not guess:
        estimate["actual"], estimate["gap"], estimate["concept_drift"] = real, None, None
        return
    gap = metrics.worse_by(metric, real, guess)
    estimate["actual"], estimate["gap"] = real, gap
    estimate["concept_drift"] = gap > settings.performance_degradation


def domain_classifier(ref_df, cur_df, settings: DriftSettings, target: str | None) -> dict[str, Any]:
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
    auc = float(roc_auc_score(y[test], clf.predict_proba(matrix[test])[:, 1]))
    gains = clf.booster_.feature_importance("gain")
    ranked = sorted(zip(spec.columns, gains, strict=True), key=lambda kv: -kv[1])
    total = float(sum(gains)) or 1.0
    return {
        "test": "domain_classifier_auc",
        "score": auc,
        "threshold": settings.classifier_auc_threshold,
        "drifted": auc >= settings.classifier_auc_threshold,
        "top_features": [{"name": k, "share": float(v) / total} for k, v in ranked[:5]],
        "rows": {"reference": ref.height, "current": cur.height},
    }


def _store(ws: Workspace, report: dict[str, Any]) -> None:
    oid, _ = ws.store.put_bytes(json.dumps(report, sort_keys=True).encode())
    drifted = [f["name"] for f in report["features"] if f["drifted"]]
    with transaction(ws.conn) as conn:
        conn.execute(
            "INSERT INTO drift_reports (id, created_at, reference, current, dataset_drift, "
            "drift_share, drifted, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                report["report_id"],
                report["created_at"],
                report["reference"],
                report["current"],
                report["dataset_drift"],
                report["drift_share"],
                json.dumps(drifted),
                oid,
            ),
        )
        summary = (
            f"drift check of {report['current']} against {report['reference']}: "
            f"{len(drifted)} of {plural(report['n_features'], 'feature')} drifted"
            + (
                f" ({', '.join(drifted[:5])}"
                + (f" and {len(drifted) - 5} more" if len(drifted) > 5 else "")
                + ")"
                if drifted
                else ""
            )
        )
        events.record(
            conn,
            "drift.check",
            summary,
            subject=report["report_id"],
            data={"dataset_drift": report["dataset_drift"]},
        )
        if report["dataset_drift"]:
            alerts.raise_alert(conn, "drift", "dataset drift: " + summary, subject=report["report_id"])
        perf = report.get("performance")
        if perf and perf["degraded"]:
            alerts.raise_alert(
                conn,
                "performance",
                f"{perf['metric']} on {report['current']} is {perf['current']:.4g}, "
                f"{perf['degradation']:.0%} worse than at validation "
                f"({perf['validation']:.4g})",
                subject=report["report_id"],
            )


def list_reports(ws: Workspace, limit: int = 50) -> list[dict[str, Any]]:
    rows = ws.conn.execute(
        "SELECT id, created_at, reference, current, dataset_drift, "
        "drift_share, drifted FROM drift_reports ORDER BY created_at DESC "
        "LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        {
            "report_id": r["id"],
            "created_at": r["created_at"],
            "reference": r["reference"],
            "current": r["current"],
            "dataset_drift": bool(r["dataset_drift"]),
            "drift_share": r["drift_share"],
            "drifted": json.loads(r["drifted"]),
        }
        for r in rows
    ]


def show(ws: Workspace, ref: str) -> dict[str, Any]:
    """A stored report by id or unique id prefix."""
    prefix = ref.strip().lower()
    rows = (
        ws.conn.execute(
            "SELECT hash FROM drift_reports WHERE id >= ? AND id < ? LIMIT 2", (prefix, prefix + "g")
        ).fetchall()
        if prefix
        else []
    )
    if not rows:
        raise NotFound(f"no drift report matches {ref!r}; `wb drift list` shows them")
    if len(rows) > 1:
        from ..errors import Ambiguous

        raise Ambiguous(f"{ref!r} matches more than one drift report; give more of the id")
    return json.loads(ws.store.read_verified(rows[0]["hash"]))
