"""`wb data add` of a file several times `[data] memory_budget_mb`: read in batches, its
profile exact where cheap and sketched (within the sketch's error) where not, its bytes
stored exactly, and the process's peak memory bounded by the budget, not by the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from workbench.core.data import datasets, profile, streaming, tabular
from workbench.core.data.sketches import DistinctCounter, QuantileSketch
from workbench.core.storage.workspace import Workspace

BUDGET_MB = 8
ROWS = 1_200_000  # about 60 MB of CSV

# A child's peak RSS (KiB on Linux) from a fresh interpreter whose only child is the command.
PEAK_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)"
)


def _frame(rows: int, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    price = rng.lognormal(1.0, 0.7, rows)
    return pl.DataFrame(
        {
            "day": pl.date_range(pl.date(2024, 1, 1), pl.date(2025, 12, 31), eager=True)
            .sample(rows, with_replacement=True, seed=seed)
            .cast(pl.String),
            "store": pl.Series([f"S{i:03d}" for i in range(80)]).gather(rng.integers(0, 80, rows)),
            "price": pl.Series(np.round(price, 3)).scatter(np.flatnonzero(rng.random(rows) < 0.02), None),
            "units": rng.poisson(9, rows),
            "promo": rng.integers(0, 2, rows).astype(bool),
            "shelf": rng.integers(0, 6, rows),
            "score": rng.normal(0, 1, rows),
        }
    )


def _with_budget(ws: Workspace, mb: int) -> None:
    text = ws.config_path.read_text().replace("memory_budget_mb = 1024", f"memory_budget_mb = {mb}")
    ws.config_path.write_text(text)
    ws.__dict__.pop("config", None)  # read again (Workspace.config is cached)


def _peak_rss(*command: str, cwd: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *command], cwd=cwd, check=True, capture_output=True, text=True
    )
    return int(out.stdout)


@pytest.fixture(scope="module")
def added(tmp_path_factory):
    """A 60 MB CSV added by `wb data add` with an 8 MB budget, its peak RSS, and the peak RSS of
    adding a 3 MB file the same way (the fixed base: Python, polars and its streaming engine)."""
    root = tmp_path_factory.mktemp("streaming")
    big = root / "sales.csv"
    _frame(ROWS).write_csv(big)
    small = root / "small.csv"
    _frame(60_000).write_csv(small)
    ws, _ = Workspace.init(root / "ws")
    _with_budget(ws, BUDGET_MB)
    ws.close()
    cwd = root / "ws"
    base = _peak_rss("wb", "data", "add", str(small), "--name", "small", cwd=cwd)
    peak = _peak_rss("wb", "data", "add", str(big), "--name", "sales", cwd=cwd)
    ws = Workspace.find(cwd)
    yield ws, big, base, peak
    ws.close()


def test_peak_memory_stays_within_the_budget_not_the_file(added):
    _, big, base, peak = added
    size = big.stat().st_size
    assert size > 6 * BUDGET_MB * 2**20
    # A whole read would hold the frame (about the file's size) and a sorted copy of a column;
    # in batches, a file 20 times bigger than the base's costs a fraction of its size more (about
    # a third, varying with polars' thread pool and the allocator: CI saw 0.36).
    assert peak - base < size / 2, (peak, base, size)


def test_the_version_and_its_exact_statistics_match_a_whole_read(added):
    ws, big, _, _ = added
    version = datasets.resolve(ws, "sales")
    whole = tabular.read_table(big, "csv")
    expected = profile.compute(whole)
    assert (version.rows, version.columns) == (ROWS, 7)
    assert version.schema == profile.schema_of(whole)
    assert version.profile["streamed"] is True
    for got, want in zip(version.profile["columns"], expected["columns"], strict=True):
        assert got["name"] == want["name"]
        for key in ("dtype", "kind", "nulls", "null_fraction", "min", "max"):
            assert got.get(key) == want.get(key), (got["name"], key)
        for key in ("mean", "std"):
            if want.get(key) is None:
                assert got.get(key) is None
            else:
                assert got[key] == pytest.approx(want[key], rel=1e-9), (got["name"], key)
        if want["kind"] in ("text", "boolean"):  # few values: counted exactly
            assert got["category_counts"] == want["category_counts"]
            assert got["distinct"] == want["distinct"]
            assert "distinct" not in got["approximate"]
    shelf = {c["name"]: c for c in version.profile["columns"]}["shelf"]
    assert shelf["approximate"] == []  # few numbers: counted exactly, so every rank is known
    assert shelf["drift_bins"] == {c["name"]: c for c in expected["columns"]}["shelf"]["drift_bins"]


def test_sketched_quantiles_are_within_their_rank_error(added):
    ws, big, _, _ = added
    version = datasets.resolve(ws, "sales")
    whole = tabular.read_table(big, "csv")
    for name in ("price", "score"):
        col = {c["name"]: c for c in version.profile["columns"]}[name]
        assert {"quantiles", "histogram", "sketch", "drift_bins"} <= set(col["approximate"])
        values = np.sort(whole.get_column(name).drop_nulls().to_numpy())
        n = values.size
        eps = 2 * 1.7 / 4096  # twice QuantileSketch's rank error, for the test's margin
        for q, estimate in col["quantiles"].items():
            lo, hi = np.searchsorted(values, estimate, "left"), np.searchsorted(values, estimate, "right")
            target = float(q) * (n - 1)
            assert lo - eps * n <= target <= hi + eps * n, (name, q)
        assert sum(col["histogram"]["counts"]) == n
        assert sum(col["drift_bins"]["counts"]) == n


def test_checkout_gives_back_the_exact_bytes_and_show_says_what_is_estimated(added, tmp_path):
    ws, big, _, _ = added
    out = tmp_path / "back.csv"
    datasets.checkout(ws, "sales", out)
    assert out.read_bytes() == big.read_bytes()
    shown = subprocess.run(
        ["wb", "data", "show", "sales"], cwd=ws.root, check=True, capture_output=True, text=True
    ).stdout
    assert "profiled in batches" in shown
    assert "quantiles" in shown and "estimates" in shown
    as_json = json.loads(
        subprocess.run(
            ["wb", "data", "show", "sales", "--json"], cwd=ws.root, check=True, capture_output=True, text=True
        ).stdout
    )
    assert as_json["profile"]["streamed"] is True


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_parquet_and_json_lines_stream_too(ws, tmp_path, fmt):
    frame = _frame(200_000)
    path = tmp_path / f"drop.{fmt}"
    if fmt == "parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)
    _with_budget(ws, 1)
    version = datasets.add(ws, path, "drop").version
    expected = profile.compute(tabular.read_table(path, fmt))
    assert version.profile["streamed"] is True
    assert version.rows == 200_000
    for got, want in zip(version.profile["columns"], expected["columns"], strict=True):
        assert (got["dtype"], got["nulls"], got["min"] if "min" in want else None) == (
            want["dtype"],
            want["nulls"],
            want.get("min"),
        )


def test_a_small_file_keeps_the_whole_read(ws, small_csv):
    version = datasets.add(ws, small_csv, "small").version
    assert "streamed" not in version.profile


def test_kll_sketch_merges_and_stays_within_its_rank_error():
    rng = np.random.default_rng(0)
    data = rng.exponential(size=400_000)
    a, b = QuantileSketch(k=512, seed=1), QuantileSketch(k=512, seed=2)
    for chunk in np.array_split(data[:200_000], 20):
        a.update(chunk)
    b.update(data[200_000:])
    a.merge(b)
    assert a.n == data.size
    ordered = np.sort(data)
    qs = [0.001, 0.1, 0.5, 0.9, 0.999]
    for q, got in zip(qs, a.quantiles(qs), strict=True):
        rank = np.searchsorted(ordered, got) / data.size
        assert abs(rank - q) <= 2 * a.rank_error(), q
    below = a.counts_below([0.5, 1.0, 2.0])
    assert all(
        abs(c - np.searchsorted(ordered, e)) <= 2 * a.rank_error() * data.size
        for c, e in zip(below, [0.5, 1.0, 2.0], strict=True)
    )


def test_distinct_counts_are_exact_up_to_the_cap_then_estimated():
    exact = DistinctCounter(exact_cap=1000)
    exact.update(pl.Series(range(900)).hash().to_numpy())
    exact.update(pl.Series(range(500, 990)).hash().to_numpy())
    assert (exact.count(), exact.approximate) == (990, False)
    big, other = DistinctCounter(exact_cap=1000), DistinctCounter(exact_cap=1000)
    big.update(pl.Series(range(300_000)).hash().to_numpy())
    other.update(pl.Series(range(200_000, 500_000)).hash().to_numpy())
    big.merge(other)
    assert big.approximate
    assert abs(big.count() - 500_000) <= 0.03 * 500_000  # 1.04 / sqrt(2**14) = 0.8%, at 3.75 sigma


def test_an_estimated_distinct_count_never_exceeds_the_values_the_column_holds():
    rng = np.random.default_rng(1)  # a seed whose HyperLogLog estimate overshoots: 302,167
    frame = pl.DataFrame({"noise": rng.normal(size=300_000)})
    profiler = streaming.Profiler({})
    for batch in frame.iter_slices(50_000):
        profiler.update(batch)
    column = profiler.result(20, 10)["columns"][0]
    assert "distinct" in column["approximate"] and column["distinct"] == 300_000
