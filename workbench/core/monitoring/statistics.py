"""The per-feature drift tests: has a column of the current data moved from its reference?

Per feature, an effect size decides (a p-value alone flags shifts of no practical size on
large data): numbers by the Wasserstein distance in reference standard deviations, from the
quantile sketches of both sides; categories (text, booleans, numbers with few values) by the
Jensen-Shannon distance of their shares, where categories the reference never had count too;
either by a move in the share of missing values. A chi-square test on the same counts is a
second gate, with Benjamini-Hochberg holding the false discovery rate across features, so
that small samples do not drift on noise. The dataset drifts when enough of its features do.

The reference side is read from its stored profile: a comparison profiles only the current
data. Nothing here is stored.
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from typing import Any

from ..config import DriftSettings
from ..names import plural
from .records import (
    DatasetDrift,
    Distribution,
    DriftTest,
    FeatureDrift,
    MissingShare,
    RowCounts,
    SchemaProblem,
)


def compare(ref: dict[str, Any], cur_df: Any, settings: DriftSettings) -> DatasetDrift:
    """The drift of data frame `cur_df` from the reference profile `ref`."""
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
    features: list[FeatureDrift] = []
    problems: list[SchemaProblem] = []
    for rcol in ref["columns"]:
        name = rcol["name"]
        if rcol["kind"] in ("temporal", "other"):
            continue  # time stamps always move on; they are not features to watch
        kind = _kind(rcol, settings)
        ccol = cur_cols.get(name)
        if ccol is None:
            problems.append(SchemaProblem(name, "missing from the current data"))
            features.append(_feature(name, kind, "missing_column", 1.0, 0.0, 0.0, "the column is missing"))
            continue
        if ccol["nulls"] == cur["rows"] and rcol["nulls"] < ref["rows"]:
            # Entirely empty now (a CSV reader then cannot tell its type): a missing-share move.
            features.append(
                _feature(
                    name,
                    kind,
                    "missing_share",
                    1.0 - rcol["null_fraction"],
                    settings.missing_share_threshold,
                    _chi2_p([[rcol["nulls"], ref["rows"] - rcol["nulls"]], [cur["rows"], 0]]),
                    f"missing {rcol['null_fraction']:.1%} -> 100%",
                    missing_share=MissingShare(rcol["null_fraction"], 1.0),
                )
            )
            continue
        if ccol["dtype"] != rcol["dtype"] and not (rcol["kind"] == ccol["kind"] == "numeric"):
            problems.append(SchemaProblem(name, f"type {rcol['dtype']} became {ccol['dtype']}"))
            features.append(
                _feature(name, kind, "dtype_changed", 1.0, 0.0, 0.0, f"{rcol['dtype']} -> {ccol['dtype']}")
            )
            continue
        features.append(_compare_column(rcol, ccol, settings, (ref["rows"], cur["rows"])))
    extra = [c for c in cur_cols if c not in {r["name"] for r in ref["columns"]}]
    gated = _gate(features, settings)
    n_drifted = sum(f.drifted for f in gated)
    share = n_drifted / len(gated) if gated else 0.0
    return DatasetDrift(
        dataset_drift=bool(gated) and share >= settings.dataset_drift_share,
        drift_share=share,
        drifted_features=n_drifted,
        n_features=len(gated),
        threshold_share=settings.dataset_drift_share,
        features=tuple(sorted(gated, key=lambda f: (not f.drifted, -f.score))),
        schema_problems=tuple(problems),
        extra_columns=tuple(extra),
        rows=RowCounts(ref["rows"], cur["rows"]),
    )


def _kind(col: dict[str, Any], settings: DriftSettings) -> str:
    if col["kind"] == "numeric" and col["distinct"] > settings.categorical_max_distinct:
        return "numerical"
    return "categorical"


def _feature(
    name: str,
    kind: str,
    test: str,
    score: float,
    threshold: float,
    p_value: float,
    detail: str,
    **extra: Any,
) -> FeatureDrift:
    """A feature with one test run on it, not yet gated (`_gate` decides what drifted)."""
    run = DriftTest(test, score, threshold, p_value, score >= threshold, detail)
    return FeatureDrift(name, kind, **asdict(run), tests=(run,), **extra)


def _compare_column(
    rcol: dict[str, Any], ccol: dict[str, Any], settings: DriftSettings, rows: tuple[int, int]
) -> FeatureDrift:
    kind = _kind(rcol, settings)
    missing = MissingShare(rcol["null_fraction"], ccol["null_fraction"])
    moved = ccol["null_fraction"] - rcol["null_fraction"]
    compared = (_numerical if kind == "numerical" else _categorical)(rcol, ccol, settings, missing)
    if abs(moved) < settings.missing_share_threshold:
        return compared
    # Both tests, so that a move in missing values does not hide a shift in the rest.
    p = _chi2_p([[rcol["nulls"], rows[0] - rcol["nulls"]], [ccol["nulls"], rows[1] - ccol["nulls"]]])
    missing_test = DriftTest(
        "missing_share",
        abs(moved),
        settings.missing_share_threshold,
        p,
        abs(moved) >= settings.missing_share_threshold,
        f"missing {rcol['null_fraction']:.1%} -> {ccol['null_fraction']:.1%} ({abs(moved) * 100:.1f} points)",
    )
    return replace(compared, tests=(missing_test, *compared.tests))


def _numerical(
    rcol: dict[str, Any], ccol: dict[str, Any], settings: DriftSettings, missing: MissingShare
) -> FeatureDrift:
    name = rcol["name"]
    if not rcol.get("sketch") or not ccol.get("sketch") or "counts_in" not in ccol:
        return _feature(
            name,
            "numerical",
            "wasserstein",
            0.0,
            settings.numeric_threshold,
            1.0,
            "no finite values to compare",
            missing_share=missing,
        )
    spread = rcol["std"] or max(abs(rcol["mean"] or 0.0) * 0.01, 1e-9)
    w1 = sum(abs(a - b) for a, b in zip(rcol["sketch"], ccol["sketch"], strict=True))
    score = w1 / len(rcol["sketch"]) / spread
    in_drift_bins, in_histogram = ccol["counts_in"]
    shift = (ccol["mean"] or 0.0) - (rcol["mean"] or 0.0)
    hist = rcol["histogram"]
    return _feature(
        name,
        "numerical",
        "wasserstein",
        score,
        settings.numeric_threshold,
        _chi2_p([rcol["drift_bins"]["counts"], in_drift_bins]),
        f"mean {rcol['mean']:.4g} -> {ccol['mean']:.4g} ({shift:+.3g}); {score:.3g} reference std apart",
        missing_share=missing,
        # The current values in the reference's bins (outside them: in the end bins).
        distribution=Distribution(tuple(hist["counts"]), tuple(in_histogram), edges=tuple(hist["edges"])),
    )


def _categorical(
    rcol: dict[str, Any], ccol: dict[str, Any], settings: DriftSettings, missing: MissingShare
) -> FeatureDrift:
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
    return _feature(
        rcol["name"],
        "categorical",
        "jensen_shannon",
        score,
        settings.categorical_threshold,
        _chi2_p([r, c]),
        detail,
        missing_share=missing,
        distribution=Distribution(
            tuple(a for _, a, _ in shares),
            tuple(b for _, _, b in shares),
            categories=tuple(k for k, _, _ in shares),
        ),
        unseen_categories=tuple(unseen[:20]),
        unseen_share=unseen_share,
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


def _gate(features: list[FeatureDrift], settings: DriftSettings) -> list[FeatureDrift]:
    """A test over its threshold finds drift only if its p-value survives Benjamini-Hochberg
    over every test run; a feature drifts when one of its tests does, and shows that one (or,
    with none, the one nearest its threshold) as its headline."""
    tests = [t for f in features for t in f.tests]
    ranked = sorted(range(len(tests)), key=lambda i: tests[i].p_value)
    passing = 0
    for rank, i in enumerate(ranked, 1):
        if tests[i].p_value <= settings.false_discovery_rate * rank / len(tests):
            passing = rank
    significant = set(ranked[:passing])
    gated = iter(
        replace(t, significant=i in significant, drifted=bool(t.score >= t.threshold and i in significant))
        for i, t in enumerate(tests)
    )
    out = []
    for f in features:
        mine = tuple(next(gated) for _ in f.tests)
        out.append(f.headed_by(max(mine, key=lambda t: (t.drifted, _over(t))), mine))
    return out


def _over(test: DriftTest) -> float:
    """How far a test's score is towards its threshold (1 = at it)."""
    return test.score / test.threshold if test.threshold else math.inf
