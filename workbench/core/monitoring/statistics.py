"""The per-feature drift tests: has a column of the current data moved from its reference?

Per feature, an effect size decides (a p-value alone flags shifts of no practical size on
large data): numbers by the Wasserstein distance in reference standard deviations, from the
quantile sketches of both sides; categories (text, booleans, numbers with few values) by the
Jensen-Shannon distance of their shares, where categories the reference never had count too;
either by a move in the share of missing values. A p-value is a second gate, with
Benjamini-Hochberg holding the false discovery rate across features, so that small samples do
not drift on noise: for numbers a Kolmogorov-Smirnov test of the current values against the
reference's quantile sketch (`p_test` "ks"; a chi-square on decile bins missed shifts of a
quarter sd at a few hundred rows that it finds, though it is the weaker of the two on a
change of spread alone), for categories and missing shares a
chi-square test on the counts ("chi2"). The dataset drifts when enough of its features do.

The reference side is read from its stored profile: a comparison profiles only the current
data. Nothing here is stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from ..config import DriftSettings
from ..errors import InvalidInput
from ..names import plural
from . import roles
from .records import (
    DatasetDrift,
    Distribution,
    DriftTest,
    FeatureDrift,
    MissingShare,
    RowCounts,
    SchemaProblem,
)
from .roles import FEATURE, TARGET, ColumnPlan


def compare(
    ref: dict[str, Any],
    cur_df: Any,
    settings: DriftSettings,
    plans: Mapping[str, ColumnPlan] | None = None,
) -> DatasetDrift:
    """The drift of data frame `cur_df` from the reference profile `ref`, each column as
    `plans` says (`roles.plan`); without plans, every column of a type drift compares is a
    feature with its default test (a model's predictions)."""
    from ..data import profile

    return compare_profiles(ref, profile.compute(cur_df, count_in=count_in_edges(ref)), settings, plans)


def count_in_edges(ref: dict[str, Any]) -> dict[str, list[list[float]]]:
    """What the current side's profile must count (`profile.compute`'s `count_in`): its values
    in the reference's drift bins and histogram bins, and below and up to each point of its
    sketch (one sort per column, not two)."""
    return {
        c["name"]: [
            c["drift_bins"]["edges"],
            c["histogram"]["edges"][1:-1],
            c["sketch"],
            [math.nextafter(v, math.inf) for v in c["sketch"]],
            # Below the reference's lowest value, within its range, above its highest.
            [c["histogram"]["edges"][0], math.nextafter(c["histogram"]["edges"][-1], math.inf)],
        ]
        for c in ref["columns"]
        if c.get("drift_bins") and c.get("histogram") and c.get("sketch")
    }


def compare_profiles(
    ref: dict[str, Any],
    cur: dict[str, Any],
    settings: DriftSettings,
    plans: Mapping[str, ColumnPlan] | None = None,
) -> DatasetDrift:
    """`compare`, given the current side's profile (counted in `count_in_edges(ref)`)."""
    cur_cols = {c["name"]: c for c in cur["columns"]}
    if plans is None:
        plans = {
            c["name"]: ColumnPlan(FEATURE)
            if c["kind"] not in ("temporal", "other")
            else ColumnPlan("ignored")
            for c in ref["columns"]
        }
    features: list[FeatureDrift] = []
    targets: list[FeatureDrift] = []
    problems: list[SchemaProblem] = []
    for rcol in ref["columns"]:
        plan = plans[rcol["name"]]
        ccol = cur_cols.get(rcol["name"])
        if plan.role == TARGET and ccol is not None:  # a drop without its labels has no label drift
            targets.append(_column(rcol, ccol, (ref["rows"], cur["rows"]), settings, plan, problems))
        elif plan.role == FEATURE:
            features.append(_column(rcol, ccol, (ref["rows"], cur["rows"]), settings, plan, problems))
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
        features=_ranked(gated),
        schema_problems=tuple(problems),
        extra_columns=tuple(extra),
        rows=RowCounts(ref["rows"], cur["rows"]),
        left_out=roles.left_out(plans) if plans else (),
        label_drift=_ranked(_gate(targets, settings)),  # its own family of tests
        period=roles.period(plans, ref, cur),
    )


def _ranked(features: list[FeatureDrift]) -> tuple[FeatureDrift, ...]:
    return tuple(sorted(features, key=lambda f: (not f.drifted, -f.score)))


def _column(
    rcol: dict[str, Any],
    ccol: dict[str, Any] | None,
    rows: tuple[int, int],
    settings: DriftSettings,
    plan: ColumnPlan,
    problems: list[SchemaProblem],
) -> FeatureDrift:
    """One compared column (a feature or the target); what is wrong with the current data's
    column is added to `problems`."""
    name = rcol["name"]
    kind = _kind(rcol, settings)
    if ccol is None:
        problems.append(SchemaProblem(name, "missing from the current data"))
        return _feature(name, kind, "missing_column", 1.0, 0.0, 0.0, "the column is missing")
    if ccol["nulls"] == rows[1] and rcol["nulls"] < rows[0]:
        # Entirely empty now (a CSV reader then cannot tell its type): a missing-share move.
        return _feature(
            name,
            kind,
            "missing_share",
            1.0 - rcol["null_fraction"],
            settings.missing_share_threshold,
            _chi2_p([[rcol["nulls"], rows[0] - rcol["nulls"]], [rows[1], 0]]),
            f"missing {rcol['null_fraction']:.1%} -> 100%",
            "chi2",
            missing_share=MissingShare(rcol["null_fraction"], 1.0),
        )
    if ccol["dtype"] != rcol["dtype"] and not (rcol["kind"] == ccol["kind"] == "numeric"):
        problems.append(SchemaProblem(name, f"type {rcol['dtype']} became {ccol['dtype']}"))
        return _feature(name, kind, "dtype_changed", 1.0, 0.0, 0.0, f"{rcol['dtype']} -> {ccol['dtype']}")
    return _compare_column(rcol, ccol, settings, rows, plan)


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
    p_test: str | None = None,
    **extra: Any,
) -> FeatureDrift:
    """A feature with one test run on it, not yet gated (`_gate` decides what drifted)."""
    run = DriftTest(test, score, threshold, p_value, score >= threshold, detail, p_test=p_test)
    return FeatureDrift(name, kind, **asdict(run), tests=(run,), **extra)


# The thresholds of the tests a column may be given (config `[drift.columns]`) that have no
# setting of their own in `[drift]`.
DEFAULT_THRESHOLDS = {"psi": 0.25, "ks": 0.1, "chi2": 0.1}
NUMBERS_ONLY = ("wasserstein", "ks")  # the tests that need the reference's quantile sketch


def _test_of(rcol: dict[str, Any], kind: str, settings: DriftSettings, plan: ColumnPlan) -> tuple[str, float]:
    """A column's test and threshold: the plan's, else its kind's default."""
    test = plan.test or ("wasserstein" if kind == "numerical" else "jensen_shannon")
    if test in NUMBERS_ONLY and rcol["kind"] != "numeric":
        raise InvalidInput(
            f"drift.columns.{rcol['name']}: the {test} test compares numbers, and "
            f"{rcol['name']} holds {rcol['dtype']} values (psi, jensen_shannon and chi2 compare categories)"
        )
    if plan.threshold is not None:
        return test, plan.threshold
    defaults = {"wasserstein": settings.numeric_threshold, "jensen_shannon": settings.categorical_threshold}
    return test, {**DEFAULT_THRESHOLDS, **defaults}[test]


def _compare_column(
    rcol: dict[str, Any],
    ccol: dict[str, Any],
    settings: DriftSettings,
    rows: tuple[int, int],
    plan: ColumnPlan,
) -> FeatureDrift:
    kind = _kind(rcol, settings)
    test, threshold = _test_of(rcol, kind, settings, plan)
    missing = MissingShare(rcol["null_fraction"], ccol["null_fraction"])
    moved = ccol["null_fraction"] - rcol["null_fraction"]
    numbers = test in NUMBERS_ONLY or kind == "numerical"
    compared = (_numerical if numbers else _categorical)(rcol, ccol, test, threshold, missing)
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
        p_test="chi2",
    )
    return replace(compared, tests=(missing_test, *compared.tests))


def _numerical(
    rcol: dict[str, Any], ccol: dict[str, Any], test: str, threshold: float, missing: MissingShare
) -> FeatureDrift:
    name = rcol["name"]
    if not rcol.get("sketch") or not ccol.get("sketch") or "counts_in" not in ccol:
        return _feature(
            name, "numerical", test, 0.0, threshold, 1.0, "no finite values to compare", missing_share=missing
        )
    p, p_test, detail = _numeric_p(rcol, ccol)
    if test == "wasserstein":
        spread = rcol["std"] or max(abs(rcol["mean"] or 0.0) * 0.01, 1e-9)
        w1 = sum(abs(a - b) for a, b in zip(rcol["sketch"], ccol["sketch"], strict=True))
        score = w1 / len(rcol["sketch"]) / spread
        said = f"{score:.3g} reference std apart"
    elif test == "ks":
        below, up_to = ccol["counts_in"][2:4]
        score = ks_distance(rcol["sketch"], sum(rcol["drift_bins"]["counts"]), below, up_to)
        said, detail = f"KS distance {score:.3g}", ""
    else:  # on the reference's deciles
        bins = [rcol["drift_bins"]["counts"], ccol["counts_in"][0]]
        score, said = _binned(test, *bins)
        if test == "chi2":
            p, p_test, detail = _chi2_p(bins), "chi2", ""
        said += " over the reference's deciles"
    shift = (ccol["mean"] or 0.0) - (rcol["mean"] or 0.0)
    hist = rcol["histogram"]
    return _feature(
        name,
        "numerical",
        test,
        score,
        threshold,
        p,
        f"mean {rcol['mean']:.4g} -> {ccol['mean']:.4g} ({shift:+.3g}); {said}" + detail,
        p_test,
        missing_share=missing,
        # The current values in the reference's bins (outside them: in the end bins, and
        # counted apart, for the TUI's overflow bins).
        distribution=Distribution(
            tuple(hist["counts"]),
            tuple(ccol["counts_in"][1]),
            edges=tuple(hist["edges"]),
            outside=(ccol["counts_in"][4][0], ccol["counts_in"][4][2]),
            current_range=None if ccol["min"] is None else (ccol["min"], ccol["max"]),
        ),
    )


def _binned(test: str, ref_counts: list[int], cur_counts: list[int]) -> tuple[float, str]:
    """The score of `test` (psi, jensen_shannon or chi2) on counts in the same bins or
    categories, and what it says."""
    if test == "psi":
        score = psi(ref_counts, cur_counts)
        return score, f"population stability index {score:.3g}"
    if test == "chi2":
        score = _cramers_v([ref_counts, cur_counts])
        return score, f"Cramer's V {score:.3g} (0 same, 1 disjoint)"
    score = _js_distance(ref_counts, cur_counts)
    return score, f"shares {score:.3g} apart (0 same, 1 disjoint)"


def _numeric_p(rcol: dict[str, Any], ccol: dict[str, Any]) -> tuple[float, str, str]:
    """The p-value of a numeric feature, the name of its test and what to add to its detail:
    Kolmogorov-Smirnov against the reference's quantile sketch."""
    below, up_to = ccol["counts_in"][2:4]
    n_ref, n_cur = sum(rcol["drift_bins"]["counts"]), sum(below)
    d = ks_distance(rcol["sketch"], n_ref, below, up_to)
    return ks_p(d, n_ref * n_cur / (n_ref + n_cur)), "ks", f"; KS D {d:.3g}"


def ks_distance(sketch: list[float], n_ref: int, below: list[int], up_to: list[int]) -> float:
    """A lower bound on the two-sample Kolmogorov-Smirnov distance sup |F_cur - F_ref|
    between the reference (`n_ref` finite values, summarised by their mid-quantile `sketch`,
    as `profile.sketch` makes it) and the current values, of which `bin_counts` found
    `below` in the bins under the sketch points and `up_to` in those under points nudged up.

    Sketch point i is the linearly interpolated quantile at p = (i + 0.5) / K, at rank
    pos = p (n_ref - 1): at most ceil(pos) reference values lie below it and at least
    floor(pos) + 1 at or below it. So both differences checked at each point are certain,
    and this never exceeds the distance on the full data (the test is conservative); it
    falls short of it by less than 1/K + 1/n_ref (0.005 + 1/n_ref with the stored 200
    points), the reference mass between two sketch points. That costs nothing that matters:
    at a few hundred rows the distance the test needs is about 0.1; at 50,000 rows a side it
    is 0.009, but a shift over the effect-size threshold (0.1 sd) is some 0.04 away."""
    k = len(sketch)
    n_cur = sum(below)
    if not k or not n_ref or not n_cur:
        return 0.0
    d, seen_below, seen_up_to = 0.0, 0, 0
    for i in range(k):
        seen_below += below[i]
        seen_up_to += up_to[i]
        pos = (i + 0.5) / k * (n_ref - 1)  # as profile._quantile computes it
        d = max(
            d,
            seen_below / n_cur - math.ceil(pos) / n_ref,
            (math.floor(pos) + 1) / n_ref - seen_up_to / n_cur,
        )
    return d


def ks_p(d: float, n: float) -> float:
    """P(D >= d) for the Kolmogorov-Smirnov distance of samples of effective size
    n = n_ref n_cur / (n_ref + n_cur): the Kolmogorov limit at Stephens' corrected
    (sqrt(n) + 0.12 + 0.11 / sqrt(n)) d (Numerical Recipes 14.3). Against the exact law
    (scipy's kstwo, which scipy's two-sample test uses at round(n)): within 3% from p = 0.5 down
    to 1e-5 at n >= 100, within 5% down to 1e-3 at n = 20."""
    if d <= 0 or n <= 0:
        return 1.0
    root = math.sqrt(n)
    return kolmogorov_sf((root + 0.12 + 0.11 / root) * d)


def kolmogorov_sf(x: float) -> float:
    """P(K >= x) for the Kolmogorov distribution: 2 sum (-1)^(k-1) exp(-2 k^2 x^2), or for
    small x, where that converges slowly, 1 - sqrt(2 pi) / x sum exp(-(2k - 1)^2 pi^2 / (8 x^2))."""
    if x <= 0:
        return 1.0
    if x < 1.0:
        s = sum(math.exp(-((2 * k - 1) ** 2) * math.pi**2 / (8 * x * x)) for k in range(1, 8))
        return max(0.0, 1.0 - math.sqrt(2 * math.pi) / x * s)
    return min(1.0, 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * x * x) for k in range(1, 101)))


def _categorical(
    rcol: dict[str, Any], ccol: dict[str, Any], test: str, threshold: float, missing: MissingShare
) -> FeatureDrift:
    ref_counts = rcol.get("category_counts") or {}
    cur_counts = ccol.get("category_counts") or {}
    keys = sorted(set(ref_counts) | set(cur_counts))
    r = [ref_counts.get(k, 0) for k in keys]
    c = [cur_counts.get(k, 0) for k in keys]
    score, detail = _binned(test, r, c)
    unseen = [k for k in keys if k not in ref_counts]
    unseen_share = sum(cur_counts[k] for k in unseen) / max(sum(c), 1)
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
        test,
        score,
        threshold,
        _chi2_p([r, c]),
        detail,
        "chi2",
        missing_share=missing,
        distribution=Distribution(
            tuple(a for _, a, _ in shares),
            tuple(b for _, _, b in shares),
            categories=tuple(k for k, _, _ in shares),
        ),
        unseen_categories=tuple(unseen[:20]),
        unseen_share=unseen_share,
    )


# The share a bin or category empty on one side counts as in the population stability index
# (whose log would be infinite): a fixed floor, so the index does not depend on the row count.
PSI_FLOOR = 1e-4


def psi(ref_counts: list[int], cur_counts: list[int]) -> float:
    """The population stability index sum (q - p) ln(q / p) of the shares p (reference) and
    q (current) of the same bins or categories (0 same; 0.1 a small move, 0.25 a large one)."""
    sp, sq = sum(ref_counts), sum(cur_counts)
    if not sp or not sq:
        return 0.0
    total = 0.0
    for a, b in zip(ref_counts, cur_counts, strict=True):
        pa, qb = max(a / sp, PSI_FLOOR), max(b / sq, PSI_FLOOR)
        total += (qb - pa) * math.log(qb / pa)
    return total


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
    stat, dof = _chi2_stat(table)
    return chi2_sf(stat, dof) if dof else 1.0


def _cramers_v(table: list[list[int]]) -> float:
    """Cramer's V of a 2 x k table: sqrt(chi-square / n), from 0 (same shares) to 1."""
    stat, dof = _chi2_stat(table)
    n = sum(map(sum, table))
    return math.sqrt(min(stat / n, 1.0)) if dof and n else 0.0


def _chi2_stat(table: list[list[int]]) -> tuple[float, int]:
    """The chi-square statistic of homogeneity on a 2 x k table and its degrees of freedom
    (0 when there is nothing to test: one category seen, or a side without counts)."""
    cols = [j for j in range(len(table[0])) if table[0][j] + table[1][j] > 0]
    if len(cols) < 2:
        return 0.0, 0
    rows = [sum(table[i][j] for j in cols) for i in range(2)]
    if not all(rows):
        return 0.0, 0
    n = sum(rows)
    stat = 0.0
    for j in cols:
        col_total = table[0][j] + table[1][j]
        for i in range(2):
            expected = rows[i] * col_total / n
            stat += (table[i][j] - expected) ** 2 / expected
    return stat, len(cols) - 1


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
