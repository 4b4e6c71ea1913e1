"""Drift checks: the report a script parses, and the quality bars that make it worth reading.

Numbers are flagged by effect size (Wasserstein distance in reference sds), categories by the
Jensen-Shannon distance of their shares, either by a move in the share of missing values, and
only when a p-value (Kolmogorov-Smirnov for numbers, chi-square for counts) survives
Benjamini-Hochberg. The data here is built with numpy and
polars, so every expected answer is known; the reference side is profiled with
`profile.compute`, as `wb data add` does.
"""

from __future__ import annotations

import os
import time

import numpy as np
import polars as pl
import pytest

from tests.conftest import DROPS
from workbench.core import config
from workbench.core.data import datasets, profile
from workbench.core.errors import InvalidInput, NotFound
from workbench.core.monitoring import alerts, drift, statistics
from workbench.core.monitoring.records import DatasetDrift, FeatureDrift
from workbench.core.storage.maintenance import fsck, gc

# The defaults a fresh workspace's config.toml has.
SETTINGS = config.DEFAULT.drift
FEATURE_FIELDS = {"name", "type", "test", "score", "threshold", "drifted"}


def flagged(report: DatasetDrift) -> list[str]:
    return sorted(f.name for f in report.features if f.drifted)


def feature(report: DatasetDrift, name: str) -> FeatureDrift:
    return next(f for f in report.features if f.name == name)


def compare(ref: pl.DataFrame, cur: pl.DataFrame) -> DatasetDrift:
    return statistics.compare(profile.compute(ref), cur, SETTINGS)


def mixed_table(rows: int, seed: int, n_features: int = 30) -> pl.DataFrame:
    """Numbers (normal, lognormal, counts), low-cardinality ints and categoricals of 3 to 50
    levels with uneven shares: the kinds of columns a real table mixes."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for i in range(n_features):
        kind = i % 6
        if kind == 0:
            cols[f"normal_{i}"] = rng.normal(10.0 * i, 1.0 + i, rows)
        elif kind == 1:
            cols[f"lognormal_{i}"] = rng.lognormal(0.0, 1.0, rows)
        elif kind == 2:
            cols[f"count_{i}"] = rng.poisson(3 + i, rows)
        elif kind == 3:
            cols[f"lowcard_{i}"] = rng.integers(0, 2 + i % 4, rows)
        else:
            levels = [3, 12, 50, 7, 25][i % 5]
            shares = rng.dirichlet(np.ones(levels))
            names = np.array([f"c{j:02d}" for j in range(levels)])
            cols[f"cat_{i}"] = names[rng.choice(levels, rows, p=shares)]
    return pl.DataFrame(cols)


def random_split(df: pl.DataFrame, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    mask = pl.Series(np.random.default_rng(seed + 10_000).random(df.height) < 0.5)
    return df.filter(mask), df.filter(~mask)


# -- the report ------------------------------------------------------------------------------
def test_the_report_has_the_fields_scripts_rely_on(ws):
    datasets.add(ws, DROPS / "reference.csv", "sales")
    datasets.add(ws, DROPS / "week_05.csv", "sales")
    report = drift.check(ws, "sales@1", "sales@2")
    assert isinstance(report.report_id, str) and report.report_id
    assert isinstance(report.dataset_drift, bool)
    assert isinstance(report.drift_share, float) and 0.0 <= report.drift_share <= 1.0
    assert report.prediction_drift is None and report.performance is None
    assert report.features
    for f in report.features:
        assert FEATURE_FIELDS <= set(f.to_dict())
        assert f.type in ("numerical", "categorical")
        assert isinstance(f.score, float) and isinstance(f.threshold, float)
        assert isinstance(f.drifted, bool) and isinstance(f.test, str)
    shares = sum(f.drifted for f in report.features) / len(report.features)
    assert report.drift_share == pytest.approx(shares)
    names = {f.name for f in report.features}
    assert "date" not in names  # dates always move on: not a feature to watch
    assert {"price", "category", "units_sold"} <= names
    assert feature(report, "price").type == "numerical"
    assert feature(report, "category").type == "categorical"


# -- the sample drops ------------------------------------------------------------------------
@pytest.fixture
def sales(ws):
    for drop in ("reference", "week_01", "week_02", "week_05", "week_06"):
        datasets.add(ws, DROPS / f"{drop}.csv", "sales", drop)
    return ws


@pytest.mark.parametrize("version", [4, 5], ids=["week_05", "week_06"])
def test_the_shifted_sample_drops_are_dataset_drift(sales, version):
    report = drift.check(sales, "sales@1", f"sales@{version}")
    assert report.dataset_drift is True
    assert {"category", "item_id", "price", "temperature_c"} <= set(flagged(report))
    category = feature(report, "category")
    assert "electronics" in category.detail
    assert "electronics" in category.unseen_categories


@pytest.mark.parametrize("version", [2, 3], ids=["week_01", "week_02"])
def test_the_unshifted_sample_drops_are_not_dataset_drift(sales, version):
    report = drift.check(sales, "sales@1", f"sales@{version}")
    assert report.dataset_drift is False
    assert not {"category", "item_id", "price", "store_id", "region"} & set(flagged(report))
    assert alerts.list_alerts(sales, open_only=True) == []


# -- no false alarms -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_a_random_split_of_30_mixed_features_flags_nothing(seed):
    ref, cur = random_split(mixed_table(20_000, seed), seed)
    report = compare(ref, cur)
    assert report.n_features == 30
    assert {f.type for f in report.features} == {"numerical", "categorical"}
    assert flagged(report) == []
    assert report.dataset_drift is False and report.drift_share == 0.0


@pytest.fixture(scope="module")
def million():
    """About a million rows a side: a random split of two million."""
    rng = np.random.default_rng(1)
    n = 2_000_000
    df = pl.DataFrame(
        {
            "x": rng.normal(50.0, 10.0, n),
            "amount": rng.lognormal(3.0, 1.0, n),
            "visits": rng.poisson(4, n),
            "shop": rng.integers(0, 40, n).astype(str),
        }
    )
    ref, cur = random_split(df, 1)
    assert ref.height > 990_000 and cur.height > 990_000
    return profile.compute(ref), cur


def test_a_random_split_at_a_million_rows_flags_nothing(million):
    ref_profile, cur = million
    report = statistics.compare(ref_profile, cur, SETTINGS)
    assert report.n_features == 4
    assert flagged(report) == [] and report.dataset_drift is False


def test_a_tiny_shift_at_a_million_rows_is_significant_but_not_flagged(million):
    ref_profile, cur = million
    report = statistics.compare(ref_profile, cur.with_columns(pl.col("x") + 0.02 * 10.0), SETTINGS)
    x = feature(report, "x")
    assert x.p_value < 1e-6  # a p-value alone would call this drift...
    assert x.score < x.threshold and x.drifted is False  # ...the effect size does not
    assert flagged(report) == []


def test_small_samples_of_the_same_distribution_do_not_drift():
    """50 rows against 50: the effect sizes are mostly over their thresholds from noise alone;
    the p-value gate with Benjamini-Hochberg keeps the flags to its false discovery rate."""
    over = flags = total = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)

        def sample(rows: int, rng=rng) -> pl.DataFrame:
            return pl.DataFrame(
                {
                    "x": rng.normal(0.0, 1.0, rows),
                    "y": rng.lognormal(0.0, 1.0, rows),
                    "k": rng.poisson(3, rows),
                    "b": rng.integers(0, 3, rows),
                    "c": np.array(list("abcdefgh"))[rng.integers(0, 8, rows)],
                }
            )

        report = compare(sample(50), sample(50))
        assert report.dataset_drift is False, seed
        over += sum(f.score >= f.threshold for f in report.features)
        flags += len(flagged(report))
        total += len(report.features)
    assert over >= 0.6 * total
    assert flags <= SETTINGS.false_discovery_rate * total


# -- shifts of practical size ----------------------------------------------------------------
ROWS = 20_000
CATS = np.array(["a", "b", "c", "d"])
SHARES = [0.5, 0.3, 0.15, 0.05]


def base_frame(seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "x": rng.normal(100.0, 15.0, ROWS),
            "amount": rng.lognormal(2.0, 0.8, ROWS),
            "visits": rng.poisson(5, ROWS),
            "shop": CATS[rng.choice(4, ROWS, p=SHARES)],
            "channel": np.array(["web", "store", "phone"])[rng.integers(0, 3, ROWS)],
        }
    )


def _rows(share: float, seed: int = 99) -> pl.Series:
    return pl.Series(np.random.default_rng(seed).random(ROWS) < share)


SHIFTS = {
    "mean +0.5 sd": ("x", "wasserstein", pl.col("x") + 0.5 * 15.0),
    "scale x2": ("x", "wasserstein", (pl.col("x") - 100.0) * 2 + 100.0),
    "new category at 10%": (
        "shop",
        "jensen_shannon",
        pl.when(_rows(0.10)).then(pl.lit("zz")).otherwise(pl.col("shop")),
    ),
    "share swap": ("shop", "jensen_shannon", pl.col("shop").replace({"a": "b", "b": "a"})),
    "30% missing": ("x", "missing_share", pl.when(_rows(0.30)).then(None).otherwise(pl.col("x"))),
}


def test_unshifted_base_frames_do_not_drift():
    assert flagged(compare(base_frame(0), base_frame(1))) == []


@pytest.mark.parametrize("shift", SHIFTS)
def test_a_shift_of_practical_size_is_caught(shift):
    column, test, expr = SHIFTS[shift]
    report = compare(base_frame(0), base_frame(1).with_columns(expr.alias(column)))
    f = feature(report, column)
    assert f.drifted is True, f
    assert f.test == test
    assert f.score >= f.threshold
    assert flagged(report) == [column]  # and nothing else
    assert report.dataset_drift is False  # one feature of five is not the whole dataset


def test_a_new_category_is_named_in_the_feature():
    column, _, expr = SHIFTS["new category at 10%"]
    f = feature(compare(base_frame(0), base_frame(1).with_columns(expr.alias(column))), "shop")
    assert f.unseen_categories == ("zz",)
    assert f.unseen_share == pytest.approx(0.10, abs=0.01)
    assert "zz" in f.detail


def test_missing_values_report_both_shares():
    _, _, expr = SHIFTS["30% missing"]
    f = feature(compare(base_frame(0), base_frame(1).with_columns(expr.alias("x"))), "x")
    assert f.missing_share.reference == 0.0
    assert f.missing_share.current == pytest.approx(0.30, abs=0.01)


def test_a_move_in_missing_values_does_not_hide_a_shift_in_the_rest():
    """30% of x went missing and the rest moved up by 8 standard deviations: both tests run,
    both find drift, and the report keeps both (it kept only the missing share)."""
    _, _, expr = SHIFTS["30% missing"]
    shifted = base_frame(1).with_columns((pl.col("x") + 120.0).alias("x"))
    f = feature(compare(base_frame(0), shifted.with_columns(expr.alias("x"))), "x")
    assert [(t.test, t.drifted) for t in f.tests] == [("missing_share", True), ("wasserstein", True)]
    assert f.tests[1].score == pytest.approx(8.0, rel=0.1)
    assert "reference std apart" in f.tests[1].detail
    quiet = feature(compare(base_frame(0), base_frame(1)), "x")
    assert [t.test for t in quiet.tests] == ["wasserstein"] and not quiet.drifted


def test_a_drift_check_with_no_column_in_common_is_refused(ws, tmp_path):
    datasets.add(ws, DROPS / "reference.csv", "sales")
    other = tmp_path / "other.csv"
    pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}).write_csv(other)
    with pytest.raises(InvalidInput, match="has no column in common with sales@1"):
        drift.check(ws, "sales@1", str(other))
    assert drift.list_reports(ws, 10) == []


# -- schema problems -------------------------------------------------------------------------
def test_a_missing_column_is_a_drifted_feature_and_a_schema_problem():
    report = compare(base_frame(0), base_frame(1).drop("amount"))
    f = feature(report, "amount")
    assert (f.test, f.drifted) == ("missing_column", True)
    assert [p.name for p in report.schema_problems] == ["amount"]
    assert flagged(report) == ["amount"]


def test_a_changed_dtype_is_a_drifted_feature_and_a_schema_problem():
    report = compare(base_frame(0), base_frame(1).with_columns(pl.col("x").cast(pl.String)))
    f = feature(report, "x")
    assert (f.test, f.drifted) == ("dtype_changed", True)
    problem = report.schema_problems[0]
    assert problem.name == "x" and "Float64" in problem.problem and "String" in problem.problem


def test_whole_numbers_where_floats_were_are_not_a_dtype_change():
    ref = base_frame(0)
    report = compare(ref, base_frame(1).with_columns(pl.col("x").round(0).cast(pl.Int64)))
    assert feature(report, "x").test == "wasserstein"
    assert report.schema_problems == () and flagged(report) == []


def test_extra_columns_are_listed_not_compared():
    report = compare(base_frame(0), base_frame(1).with_columns(pl.lit(3).alias("new_col")))
    assert report.extra_columns == ("new_col",)
    assert "new_col" not in {f.name for f in report.features}
    assert flagged(report) == []


def test_an_all_null_column_is_flagged_by_its_missing_share():
    report = compare(base_frame(0), base_frame(1).with_columns(pl.lit(None, dtype=pl.Float64).alias("x")))
    f = feature(report, "x")
    assert (f.test, f.drifted) == ("missing_share", True)
    assert f.score == pytest.approx(1.0)


def test_an_all_empty_column_in_a_current_file_is_flagged_by_its_missing_share(ws, tmp_path):
    """A CSV whose temperature column came through empty: polars reads it as text, but it is a
    column of missing values, not a column that changed its type."""
    datasets.add(ws, DROPS / "reference.csv", "sales")
    current = tmp_path / "no_temperatures.csv"
    (
        pl.read_csv(DROPS / "week_01.csv")
        .with_columns(pl.lit(None, dtype=pl.Float64).alias("temperature_c"))
        .write_csv(current)
    )
    report = drift.check(ws, "sales@1", str(current))
    f = feature(report, "temperature_c")
    assert f.drifted is True
    assert f.test == "missing_share", (f.test, report.schema_problems)


def test_schema_problems_on_the_sample_data_do_not_raise(ws, tmp_path):
    datasets.add(ws, DROPS / "reference.csv", "sales")
    current = tmp_path / "odd.csv"
    (
        pl.read_csv(DROPS / "week_01.csv")
        .drop("price")
        .with_columns(pl.col("promo").cast(pl.String) + "x", pl.lit(1).alias("coupon"))
        .write_csv(current)
    )
    report = drift.check(ws, "sales@1", str(current))
    assert feature(report, "price").test == "missing_column"
    assert feature(report, "promo").test == "dtype_changed"
    assert report.extra_columns == ("coupon",)
    assert {p.name for p in report.schema_problems} == {"price", "promo"}


# -- stored reports and alerts ---------------------------------------------------------------
def test_reports_are_stored_and_shown_by_id_prefix(sales):
    first = drift.check(sales, "sales@1", "sales@2")
    second = drift.check(sales, "sales@1", str(DROPS / "week_05.csv"))
    listed = drift.list_reports(sales)
    assert {r.report_id for r in listed} == {first.report_id, second.report_id}
    entry = next(r for r in listed if r.report_id == second.report_id)
    assert entry.reference == "sales@1" and entry.current == str(DROPS / "week_05.csv")
    assert entry.dataset_drift is True and "category" in entry.drifted
    assert drift.show(sales, second.report_id[:8]) == second
    assert drift.show(sales, first.report_id) == first
    with pytest.raises(NotFound):
        drift.show(sales, "0" * 40)


def test_dataset_drift_raises_an_alert_until_acked(sales):
    quiet = drift.check(sales, "sales@1", "sales@2")
    assert not quiet.dataset_drift and alerts.list_alerts(sales, open_only=True) == []
    report = drift.check(sales, "sales@1", "sales@5")
    (alert,) = alerts.list_alerts(sales, open_only=True)
    assert alert.kind == "drift" and alert.acked is False
    assert alert.subject == report.report_id and "sales@5" in alert.message
    assert alerts.ack(sales, alert.id) is True
    assert alerts.list_alerts(sales, open_only=True) == []
    assert alerts.list_alerts(sales)[0].acked is True
    assert alerts.ack(sales, alert.id) is False
    with pytest.raises(NotFound):
        alerts.ack(sales, alert.id + 100)


def test_fsck_stays_ok_and_gc_keeps_report_objects(sales):
    before = set(sales.store.oids())
    report = drift.check(sales, "sales@1", "sales@5")
    (report_object,) = {sales.conn.execute("SELECT hash FROM drift_reports").fetchone()[0]}
    assert report_object not in before
    old = time.time() - 30 * 24 * 3600  # far past the gc grace period
    for oid in sales.store.oids():
        os.utime(sales.objects.path(oid), (old, old))
    assert fsck(sales).ok
    assert gc(sales).deleted == []
    assert sales.store.exists(report_object)
    assert drift.show(sales, report.report_id) == report
    assert fsck(sales).ok


def test_chi_square_tail_matches_scipy():
    # wb computes the tail itself (scipy's import costs half a second); scipy is the oracle here.
    from scipy.special import chdtrc

    from workbench.core.monitoring.statistics import chi2_sf

    for dof in (1, 2, 3, 9, 99, 999):
        for x in (0.01, 0.5, 1.0, 4.0, 30.0, 400.0, 3000.0):
            expected = float(chdtrc(dof, x))
            assert chi2_sf(x, dof) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_a_report_stored_before_tests_and_distributions_were_kept_still_reads(sales):
    from workbench.core.monitoring.records import DriftReport
    from workbench.presenters import drift as drift_words

    stored = drift.check(sales, "sales@1", "sales@5").to_dict()
    for key in ("model_run", "multivariate"):
        del stored[key]
    for f in stored["features"]:
        f.pop("tests")
        f.pop("distribution", None)
    report = DriftReport.from_dict(stored)
    assert report.to_dict() == {**stored, "model_run": None, "multivariate": None}
    rows = drift_words.test_rows(report)
    assert len(rows) == len(stored["features"])  # each feature's headline test, once
    assert rows[0][:3] == (
        stored["features"][0]["name"],
        stored["features"][0]["type"],
        stored["features"][0]["test"],
    )


# -- the Kolmogorov-Smirnov gate on numbers ---------------------------------------------------
def correlated(
    rows: int, seed: int, shift: float = 0.0, columns: int = 5
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A reference and a current side of `columns` numbers correlated 0.25 with each other
    (one shared factor), the current moved by `shift` sds in every column."""
    rng = np.random.default_rng(seed)

    def side(move: float) -> pl.DataFrame:
        shared = rng.normal(0.0, 1.0, rows)
        return pl.DataFrame(
            {
                f"x{j}": 50.0 + 10.0 * (0.5 * shared + 0.75**0.5 * rng.normal(0.0, 1.0, rows) + move)
                for j in range(columns)
            }
        )

    return side(0.0), side(shift)


def test_a_quarter_sd_shift_of_correlated_columns_at_250_rows_is_dataset_drift():
    # 15 of these 20 seeds; the chi-square on decile bins this replaced found 6.
    found = [compare(*correlated(250, seed, shift=0.25)).dataset_drift for seed in range(20)]
    assert sum(found) >= 14, found


def test_the_same_distribution_at_200_rows_rarely_drifts():
    drifts = flags = total = 0
    for seed in range(20):
        report = compare(*correlated(200, 100 + seed))
        drifts += report.dataset_drift
        flags += len(flagged(report))
        total += len(report.features)
    assert drifts <= 1 and flags <= SETTINGS.false_discovery_rate * total


def test_the_ks_p_value_on_a_fixed_sample_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(5)
    ref, cur = rng.normal(0.0, 1.0, 300), rng.normal(0.3, 1.0, 400)
    x = feature(compare(pl.DataFrame({"x": ref}), pl.DataFrame({"x": cur})), "x")
    assert x.p_test == "ks" and x.to_dict()["tests"][0]["p_test"] == "ks"
    # Against the 200-point sketch the distance is certain to be at most the full data's, and
    # short of it by under 1/200 + 1/300; here the sketch holds nearly every reference value.
    exact = stats.ks_2samp(ref, cur, method="asymp")  # D 0.187, p 1.09e-5 on the full data
    n = 300 * 400 / 700
    d = float(x.detail.rsplit("KS D ", 1)[1])
    assert exact.statistic - 1 / 200 - 1 / 300 <= d <= exact.statistic
    assert statistics.ks_p(d, round(n)) == pytest.approx(stats.kstwo.sf(d, round(n)), rel=0.05)
    assert exact.pvalue <= x.p_value <= stats.kstwo.sf(exact.statistic - 1 / 200 - 1 / 300, round(n))
    for d, n in ((0.2, 20), (0.12, 171), (0.3, 50), (0.02, 25_000)):
        assert statistics.ks_p(d, n) == pytest.approx(stats.kstwo.sf(d, n), rel=0.03)
    for x in (0.2, 0.6, 0.99, 1.0, 1.5, 3.0):
        assert statistics.kolmogorov_sf(x) == pytest.approx(stats.kstwobign.sf(x), rel=1e-9)


def test_the_ks_distance_from_the_sketch_is_never_over_the_full_datas_even_with_ties():
    import math

    from scipy import stats

    rng = np.random.default_rng(8)
    for ref, cur in (
        (rng.poisson(7, 500), rng.poisson(7.5, 800)),  # ties at every sketch point
        (rng.normal(0, 1, 5_000), rng.normal(0.05, 1, 300)),
        (rng.lognormal(0, 1, 120), rng.lognormal(0.2, 1, 2_000)),
    ):
        sketch = profile.compute(pl.DataFrame({"x": ref}))["columns"][0]["sketch"]
        edges = [sketch, [math.nextafter(v, math.inf) for v in sketch]]
        below, up_to = profile.compute(pl.DataFrame({"x": cur}), count_in={"x": edges})["columns"][0][
            "counts_in"
        ]
        d = statistics.ks_distance(sketch, len(ref), below, up_to)
        exact = stats.ks_2samp(ref, cur).statistic
        assert exact - 1 / 200 - 1 / len(ref) <= d <= exact + 1e-12
